"""The store interface every backend implements (embedded SQLite, Neo4j)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, runtime_checkable

import numpy as np
import pandas as pd

from chain_graph.campaign import REPORT_COLUMNS
from chain_graph.model import LedgerTables

if TYPE_CHECKING:
    from chain_graph.coordination import CoordinationEvent, CoordinationRequest, Letter
    from chain_graph.problem_ledger import LedgerEvent, LedgerItem

    Assignment = Callable[[Letter], Sequence[tuple[CoordinationRequest, int, CoordinationEvent]]]
    """Given the numbered letter, the requests to change: (new request, version read, event)."""

__all__ = ["RECORDED_COLUMNS", "Closing", "LedgerWriter", "Store", "conform_reports"]

RECORDED_COLUMNS: dict[str, str] = {**REPORT_COLUMNS, "recorded_by": "text", "recorded_at": "text"}
"""A recorded report: the report's columns, who recorded it and when (ISO date and time)."""


def conform_reports(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` in the columns of :data:`RECORDED_COLUMNS` that it has, typed.

    Text is ``""`` where absent, numbers NaN, ``seq`` an integer; a missing column is blank.

    Examples
    --------
    >>> conform_reports(pd.DataFrame({"id": ["E1"], "seq": [1]})).dtypes["capacity"]
    dtype('float64')
    """
    n = len(frame)
    columns: dict[str, pd.Series] = {}
    for name, kind in RECORDED_COLUMNS.items():
        values = frame[name].reset_index(drop=True) if name in frame else pd.Series([None] * n, dtype=object)
        if kind == "text":
            columns[name] = values.where(values.notna(), "").astype(str).astype(object)
        elif kind == "int":
            columns[name] = pd.to_numeric(values).fillna(0).astype(np.int64)
        else:
            columns[name] = pd.to_numeric(values.where(values.notna(), np.nan)).astype(float)
    return pd.DataFrame(columns, index=range(n))


class Closing:
    """``with`` support shared by the stores: leaving the block calls ``close``."""

    def close(self) -> None:
        """Release what the store holds."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class LedgerWriter(Protocol):
    """Somewhere an import writes validated ledgers.

    Any :class:`Store`, or Neo4j's offline bulk importer
    (:class:`~chain_graph.store.neo4j_bulk.Neo4jBulkImport`).
    """

    def write(self, ledgers: LedgerTables, *, replace: bool = False) -> None:
        """Write ``ledgers`` whole, or not at all."""
        ...

    def counts(self) -> dict[str, int]:
        """Return the number of rows per table."""
        ...


@runtime_checkable
class Store(Protocol):
    """A place that keeps one city's ledgers.

    Writes are upserts by id (links by supplier, buyer and material) and one transaction:
    a failed write leaves the previous content as it was.
    """

    url: str

    def write(self, ledgers: LedgerTables, *, replace: bool = False) -> None:
        """Upsert every row of ``ledgers`` in one transaction (``replace``: drop the rest)."""
        ...

    def load(self) -> LedgerTables:
        """Return everything the store holds."""
        ...

    def neighbourhood(self, node_id: str, *, depth: int = 1) -> LedgerTables:
        """Return the nodes within ``depth`` links of ``node_id``, in either direction.

        The result holds those firms and projects, the links among them, and their
        problems.
        """
        ...

    def counts(self) -> dict[str, int]:
        """Return the number of rows per table."""
        ...

    def data_version(self) -> int:
        """Return a number that grows with every write (0 for an empty store)."""
        ...

    def ledger_register(self, items: Sequence[LedgerItem], events: Sequence[LedgerEvent]) -> list[str]:
        """Insert the items whose id is new, each with its event, in one transaction.

        Returns the ids inserted (an id already in the ledger is left as it is).
        """
        ...

    def ledger_update(self, item: LedgerItem, *, expected_version: int, event: LedgerEvent) -> None:
        """Replace an item and append its event, if its stored version is ``expected_version``.

        Raises ``StaleItemError`` otherwise (someone changed it first), ``NotFoundError``
        when it does not exist. Imports never touch ledger items.
        """
        ...

    def ledger_version(self) -> int:
        """Return a number that grows with every ledger change (each appends one event)."""
        ...

    def ledger_item(self, item_id: str) -> LedgerItem | None:
        """Return one item, ``None`` when there is none with that id."""
        ...

    def ledger_items(self) -> list[LedgerItem]:
        """Return every ledger item."""
        ...

    def ledger_history(self, item_id: str | None = None) -> list[LedgerEvent]:
        """Return an item's events (``None``: every item's), by item and oldest first."""
        ...

    def coordination_register(
        self, requests: Sequence[CoordinationRequest], events: Sequence[CoordinationEvent]
    ) -> list[str]:
        """Insert the coordination requests whose id is new, each with its event, in one transaction.

        Returns the ids inserted (an id already kept is left as it is).
        """
        ...

    def coordination_update(
        self, request: CoordinationRequest, *, expected_version: int, event: CoordinationEvent
    ) -> None:
        """Replace a request and append its event, if its stored version is ``expected_version``.

        Raises ``StaleItemError`` otherwise, ``NotFoundError`` when it does not exist.
        """
        ...

    def coordination_request(self, request_id: str) -> CoordinationRequest | None:
        """Return one request, ``None`` when there is none with that id."""
        ...

    def coordination_requests(self) -> list[CoordinationRequest]:
        """Return every coordination request."""
        ...

    def coordination_history(self, request_id: str | None = None) -> list[CoordinationEvent]:
        """Return a request's events (``None``: every request's), by request and oldest first."""
        ...

    def coordination_version(self) -> int:
        """Return a number that grows with every change of requests or letters."""
        ...

    def letter_issue(self, letter: Letter, *, prefix: str, assign: Assignment) -> Letter:
        """Give ``letter`` its number and keep it, with the changes ``assign`` makes, in one transaction.

        The number is the next of ``letter.issuer`` in ``letter.year`` (1, 2, … without gaps
        or duplicates, also when two workers issue letters at once); a stale request rolls
        everything back, the number included.
        """
        ...

    def letters(self) -> list[Letter]:
        """Return every letter, by year and number."""
        ...

    def append_reports(self, frame: pd.DataFrame, *, by: str, at: dt.datetime) -> int:
        """Append status reports (状态填报) in one transaction; return how many were appended.

        ``frame`` has the report columns but ``seq``; the store numbers the rows on, after
        every row recorded before (``seq`` grows across all appends), and records ``by`` and
        ``at``. Reports are append-only: nothing changes or deletes a recorded row (a
        correction is a later row), and imports of the ledgers never touch them.
        """
        ...

    def reports(self) -> pd.DataFrame:
        """Return every recorded report in ``seq`` order (:data:`RECORDED_COLUMNS`)."""
        ...

    def reports_version(self) -> int:
        """Return a number that changes with every append of reports (0: none yet); cheap."""
        ...

    def result_put(self, key: str, payload: bytes) -> None:
        """Publish an analysis result under ``key``, replacing every other.

        The bytes of :func:`chain_graph.store.results.encode`, read back by :meth:`result_get`.
        """
        ...

    def result_get(self, key: str) -> bytes | None:
        """Return the result published under ``key``, ``None`` when there is none."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
