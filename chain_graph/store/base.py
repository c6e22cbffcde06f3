"""The store interface every backend implements (embedded SQLite, Neo4j)."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, runtime_checkable

from chain_graph.model import LedgerTables

if TYPE_CHECKING:
    from chain_graph.problem_ledger import LedgerEvent, LedgerItem

__all__ = ["Closing", "Store"]


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
