"""What the web service holds between requests: the store, the users and the analysis cache.

The analysis is computed once per data version of the store (an import bumps it) and
shared by every request until the next import. Calls into the store are serialised for
SQLite (one connection) and concurrent for Neo4j (the driver pools connections).
"""

from __future__ import annotations

import concurrent.futures
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from api.users import UserStore
from chain_graph.gaps import GapAnalysis, analyze
from chain_graph.list_rows import coordination_rows, local_rows
from chain_graph.model import LedgerTables
from chain_graph.problem_ledger import LedgerEvent, LedgerItem
from chain_graph.settings import Settings
from chain_graph.store import Store, open_store
from viz.views import NodeFacts, facts

__all__ = ["VERSION_CHECK_SECONDS", "AppState", "LedgerSnapshot", "Snapshot"]

VERSION_CHECK_SECONDS = 1.0
"""How often a request looks up the store's data version (a cheap query, but one per request
would be most of a cached page's cost)."""


@dataclass(eq=False)
class Snapshot:
    """The ledgers of one data version and everything derived from them."""

    version: int
    ledgers: LedgerTables
    analysis: GapAnalysis
    home_adcode: str = "431200"

    pages: dict[tuple[object, ...], bytes] = field(default_factory=dict)
    """Serialised list pages of this version (cleared when it grows past ``PAGE_CACHE``)."""

    @cached_property
    def coordination(self) -> pd.DataFrame:
        """跨区域协调清单 rows."""
        return coordination_rows(self.analysis, self.ledgers)

    @cached_property
    def local(self) -> pd.DataFrame:
        """本地配套企业督促复产清单 rows."""
        return local_rows(self.analysis, self.ledgers)

    @cached_property
    def facts(self) -> NodeFacts:
        """Per-node facts for the chain maps."""
        return facts(self.analysis.graph, home_adcode=self.home_adcode, threshold=0.9)

    @cached_property
    def adcode_of(self) -> dict[str, str]:
        """Adcode of every firm and project."""
        nodes = pd.concat([self.ledgers.firms[["id", "adcode"]], self.ledgers.projects[["id", "adcode"]]])
        return dict(zip(nodes["id"], nodes["adcode"], strict=True))

    @cached_property
    def availability_of(self) -> dict[str, float]:
        """a(v) of every firm and project."""
        return self.analysis.availability()

    @cached_property
    def name_of(self) -> dict[str, str]:
        """Name of every firm and project."""
        nodes = pd.concat([self.ledgers.firms[["id", "name"]], self.ledgers.projects[["id", "name"]]])
        return dict(zip(nodes["id"], nodes["name"], strict=True))


@dataclass(frozen=True, eq=False)
class LedgerSnapshot:
    """The problem ledger at one ledger version: items by id, and every event."""

    version: int
    items: list[LedgerItem]
    events: list[LedgerEvent]


class AppState:
    """The service's long-lived parts.

    Parameters
    ----------
    settings
        Deployment settings (store URL, users file, limits).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.users = UserStore(settings.auth_db)
        self._store: Store = open_store(settings.store, settings=settings)
        self._serial = settings.store.startswith("sqlite")
        self._store_lock = threading.RLock()
        self._snapshot_lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked_until = 0.0
        self._ledger: LedgerSnapshot | None = None
        self.workers = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="scenario")
        self.scenario_slots = threading.BoundedSemaphore(2)
        shared = settings.form_key.get_secret_value() if settings.form_key else ""
        # Workers of one service share the key; without one, forms of an earlier process expire.
        self.csrf_key = shared.encode() if shared else secrets.token_bytes(32)

    def ledger(self) -> LedgerSnapshot:
        """Return the ledger's items and history, read again only after it changed."""
        with self.store() as store:
            version = store.ledger_version()
            current = self._ledger
            if current is not None and current.version == version:
                return current
            fresh = LedgerSnapshot(
                version=version,
                items=sorted(store.ledger_items(), key=lambda i: i.id),
                events=store.ledger_history(),
            )
        self._ledger = fresh
        return fresh

    def fresh_snapshot(self) -> Snapshot | None:
        """Return the snapshot if it is known current without any I/O, else ``None``."""
        current = self._snapshot
        return current if current is not None and time.monotonic() < self._checked_until else None

    async def snapshot_async(self) -> Snapshot:
        """:meth:`snapshot` for ``async`` endpoints: computing happens in a worker thread."""
        from starlette.concurrency import run_in_threadpool

        fresh = self.fresh_snapshot()
        return fresh if fresh is not None else await run_in_threadpool(self.snapshot)

    def refresh(self) -> None:
        """Look the store's data version up again on the next request (after a write here)."""
        self._checked_until = 0.0

    def close(self) -> None:
        """Release the store and the users file."""
        self.workers.shutdown(wait=False, cancel_futures=True)
        self._store.close()
        self.users.close()

    @contextmanager
    def store(self) -> Iterator[Store]:
        """Use the store (exclusively, for SQLite)."""
        if self._serial:
            with self._store_lock:
                yield self._store
        else:
            yield self._store

    def snapshot(self) -> Snapshot:
        """Return the analysis of the store's current data version, computing it at most once.

        The store's version is looked up at most every ``VERSION_CHECK_SECONDS`` (an import
        through this service refreshes at once; one by another process shows within that).
        """
        current = self._snapshot
        if current is not None and time.monotonic() < self._checked_until:
            return current
        with self.store() as store:
            version = store.data_version()
        self._checked_until = time.monotonic() + VERSION_CHECK_SECONDS
        if current is not None and current.version == version:
            return current
        with self._snapshot_lock:
            current = self._snapshot
            if current is not None and current.version == version:
                return current
            with self.store() as store:
                version = store.data_version()
                ledgers = store.load()
            fresh = Snapshot(
                version=version,
                ledgers=ledgers,
                analysis=analyze(ledgers, settings=self.settings),
                home_adcode=self.settings.home_adcode,
            )
            self._snapshot = fresh
            return fresh
