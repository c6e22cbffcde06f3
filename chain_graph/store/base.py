"""The store interface every backend implements (embedded SQLite, Neo4j)."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from chain_graph.model import Ledgers

__all__ = ["Store"]


@runtime_checkable
class Store(Protocol):
    """A place that keeps one city's ledgers.

    Writes are upserts by id (links by supplier, buyer and material) and one transaction:
    a failed write leaves the previous content as it was.
    """

    url: str

    def write(self, ledgers: Ledgers, *, replace: bool = False) -> None:
        """Upsert every row of ``ledgers`` in one transaction (``replace``: drop the rest)."""
        ...

    def load(self) -> Ledgers:
        """Return everything the store holds."""
        ...

    def neighbourhood(self, node_id: str, *, depth: int = 1) -> Ledgers:
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
