"""The data a deployment works on: the store, the analysis per data version, the problem ledger.

A :class:`Workspace` is opened once per process (the web service) or per command (the CLI).
The analysis of the store's data is computed once per data version (an import bumps it) and
per reports version, and shared as a :class:`Snapshot` by every use case until the next
write. When the write changed only a few firms' own capacities (a county's status report,
a small import), the new snapshot's analysis is updated from the current one through the
changes' cones (:mod:`chain_graph.incremental`) instead of computed whole; the problem ledger
is read again only when its version changed. Calls into the store are serialised for SQLite
(one connection) and concurrent for Neo4j (the driver pools connections).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from chain_graph.campaign import state_at
from chain_graph.coordination import CoordinationEvent, CoordinationRequest, Letter
from chain_graph.errors import ChainGraphError, ConfigError
from chain_graph.gaps import GapAnalysis, analyze
from chain_graph.graph import SupplyGraph, build_graph
from chain_graph.incremental import changed_nodes, update
from chain_graph.list_rows import coordination_rows, local_rows
from chain_graph.model import LedgerTables
from chain_graph.problem_ledger import LedgerEvent, LedgerItem
from chain_graph.regions import region_name
from chain_graph.settings import Settings
from chain_graph.store import Store, open_store
from chain_graph.store.results import decode, encode, result_key
from viz.views import NodeFacts, facts

__all__ = [
    "AS_OF_KEPT",
    "INSTALL_WAIT_SECONDS",
    "MEMO_LIMIT",
    "VERSION_CHECK_SECONDS",
    "LedgerSnapshot",
    "Snapshot",
    "Workspace",
]

AS_OF_KEPT = 8
"""Past dates whose analysed state is kept (``--as-of``, the console's date picker)."""

T = TypeVar("T")
MEMO_LIMIT = 512
"""Most use-case results kept per data version."""

INSTALL_WAIT_SECONDS = 600.0
"""Longest a page waits for an import's analysis to be installed before analysing itself."""

VERSION_CHECK_SECONDS = 1.0
"""How often the store's data version is looked up (a cheap query, but one per request
would be most of a cached page's cost)."""


@dataclass(eq=False)
class Snapshot:
    """The ledger tables of one data version and everything derived from them.

    Everything is computed on first use and kept: the analysis, the two request lists, the
    map facts and the lookups by id.
    """

    version: int
    ledgers: LedgerTables
    settings: Settings
    reports_version: int = 0
    """The status reports' version overlaid on the store's ledgers (0: none)."""
    day: dt.date | None = None
    """The date whose state :attr:`ledgers` are (the base overlaid with every report up to it)."""
    base: LedgerTables | None = None
    """The store's ledgers without the reports (the same as :attr:`ledgers` when there are none)."""

    pages: dict[tuple[object, ...], bytes] = field(default_factory=dict)
    """Serialised results of this version (JSON pages), keyed by use case, options and
    visibility; cleared by the caller when it grows too large."""

    memos: dict[tuple[object, ...], tuple[int | None, Any]] = field(default_factory=dict)
    """Results of use cases on this version (:meth:`memo`), with the ledger version they read."""
    updated: bool = False
    """Whether the analysis was updated from the version before's (:meth:`analyse`), not computed whole."""
    _ledger_seen: int = -1
    _memo_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def memo(self, key: tuple[object, ...], build: Callable[[], T], *, ledger: int | None = None) -> T:
        """Return ``build()``, computed once per ``key`` for this data version.

        ``key`` names the use case, its options and the caller's visibility. What reads the
        problem ledger passes its version as ``ledger``: a newer version is a new result,
        and the results of older versions are dropped at once (a busy day of ledger actions
        must not pile up workbooks). Bounded: past ``MEMO_LIMIT`` entries the memo starts again.
        """
        full = (*key, ledger)
        with self._memo_lock:
            if ledger is not None and ledger > self._ledger_seen:
                self._ledger_seen = ledger
                self.memos = {k: v for k, v in self.memos.items() if v[0] is None or v[0] >= ledger}
            found = self.memos.get(full)
        if found is not None:
            value: T = found[1]
            return value
        value = build()  # outside the lock: two callers may build the same result, harmlessly
        with self._memo_lock:
            if len(self.memos) >= MEMO_LIMIT:
                self.memos.clear()
            self.memos[full] = (ledger, value)
        return value

    @property
    def base_ledgers(self) -> LedgerTables:
        """The store's ledgers without the status reports: what a series or a date overlays."""
        return self.base if self.base is not None else self.ledgers

    @cached_property
    def graph(self) -> SupplyGraph:
        """The supply graph of these tables (all a map needs: no analysis)."""
        return build_graph(self.ledgers)

    @cached_property
    def analysis(self) -> GapAnalysis:
        """The gap analysis of these tables."""
        return analyze(self.graph, settings=self.settings)

    def analyse(self, *, previous: Snapshot | None = None) -> GapAnalysis:
        """Compute the analysis now: updated from ``previous``'s when that is cheaper.

        Updated (:func:`chain_graph.incremental.update`) when ``previous`` is analysed, and
        its graph differs from this one's only in the own capacities or recovery days of at
        most ``settings.incremental_limit`` firms; else analysed whole.
        """
        if "analysis" in self.__dict__:
            return self.analysis
        if previous is not None and "analysis" in previous.__dict__:
            changed = changed_nodes(previous.graph, self.graph)
            if changed is not None and len(changed) <= self.settings.incremental_limit:
                updated = update(previous.analysis, self.graph, changed=changed)
                self.__dict__["graph"] = updated.graph  # the same graph, with the shared structure
                self.__dict__["analysis"] = updated
                self.updated = True
        return self.analysis

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
        return facts(
            self.graph, home_adcode=self.settings.home_adcode, threshold=self.settings.blocked_threshold
        )

    @cached_property
    def adcode_of(self) -> dict[str, str]:
        """Adcode of every firm and project."""
        return dict(zip(self._nodes["id"], self._nodes["adcode"], strict=True))

    @cached_property
    def name_of(self) -> dict[str, str]:
        """Name of every firm and project."""
        return dict(zip(self._nodes["id"], self._nodes["name"], strict=True))

    @cached_property
    def project_ids(self) -> frozenset[str]:
        """Ids of the key projects."""
        return frozenset(self.ledgers.projects["id"])

    @cached_property
    def firm_rows(self) -> pd.DataFrame:
        """Firms by id with their county's name and a(v): what the firm lists show."""
        return self._with_figures(self.ledgers.firms)

    @cached_property
    def project_rows(self) -> pd.DataFrame:
        """Key projects by id with their county's name and a(v)."""
        return self._with_figures(self.ledgers.projects)

    @cached_property
    def row_of(self) -> dict[str, int]:
        """Position of every firm in :attr:`firm_rows` and every project in :attr:`project_rows`."""
        return {
            **{node: i for i, node in enumerate(self.firm_rows["id"])},
            **{node: i for i, node in enumerate(self.project_rows["id"])},
        }

    @cached_property
    def links_of(self) -> dict[str, dict[str, np.ndarray]]:
        """Positions in the links table of each supplier's and each buyer's links."""
        links = self.ledgers.links
        return {
            column: {
                str(node): np.asarray(rows)
                for node, rows in links.groupby(column, sort=False).indices.items()
            }
            for column in ("supplier_id", "buyer_id")
        }

    def supplies(self, supplier_id: str, buyer_id: str) -> bool:
        """Whether ``supplier_id`` supplies ``buyer_id`` directly (a link between them)."""
        rows = self.links_of["supplier_id"].get(supplier_id)
        if rows is None:
            return False
        return bool((self.ledgers.links["buyer_id"].to_numpy()[rows] == buyer_id).any())

    def _with_figures(self, table: pd.DataFrame) -> pd.DataFrame:
        names = {code: region_name(code) for code in table["adcode"].unique()}
        return (
            table.sort_values("id")
            .assign(county=table["adcode"].map(names), availability=table["id"].map(self.availability_of))
            .reset_index(drop=True)
        )

    @cached_property
    def availability_of(self) -> dict[str, float]:
        """a(v) of every firm and project."""
        return self.analysis.availability()

    @cached_property
    def _nodes(self) -> pd.DataFrame:
        columns = ["id", "name", "adcode"]
        return pd.concat([self.ledgers.firms[columns], self.ledgers.projects[columns]])


def _key(snap: Snapshot) -> tuple[int, int, dt.date | None]:
    return snap.version, snap.reports_version, snap.day


@dataclass(frozen=True, eq=False)
class LedgerSnapshot:
    """The problem ledger at one ledger version: items by id, and every event."""

    version: int
    items: list[LedgerItem]
    events: list[LedgerEvent]


@dataclass(frozen=True, eq=False)
class CoordinationSnapshot:
    """The coordination requests, their history and the letters at one coordination version."""

    version: int
    requests: list[CoordinationRequest]
    events: list[CoordinationEvent]
    letters: list[Letter]


class Workspace:
    """The store of one deployment and what is derived from its data.

    Parameters
    ----------
    settings
        Deployment settings; ``settings.store`` is opened unless ``store`` is given.
    store
        An already opened store (the command line opens the one of ``--store``).
    """

    def __init__(self, settings: Settings, *, store: Store | None = None) -> None:
        self.settings = settings
        self._store: Store = store if store is not None else open_store(settings.store, settings=settings)
        self._serial = self._store.url.startswith("sqlite")
        self._store_lock = threading.RLock()
        self._snapshot_lock = threading.Lock()
        self._ahead_lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked_until = 0.0
        self._ledger: LedgerSnapshot | None = None
        self._coordination: CoordinationSnapshot | None = None
        self._reports: tuple[int, pd.DataFrame] | None = None
        self._as_of: dict[tuple[int, int, dt.date], Snapshot] = {}
        self._awaited: dict[int, threading.Event] = {}

    @contextmanager
    def store(self) -> Iterator[Store]:
        """Use the store (exclusively, for SQLite)."""
        if self._serial:
            with self._store_lock:
                yield self._store
        else:
            yield self._store

    def close(self) -> None:
        """Release the store (after a read under way in another thread, e.g. an import's install)."""
        with self.store():  # closing SQLite under a running query crashes the process
            self._store.close()

    def refresh(self) -> None:
        """Look the store's data version up again on the next use (after a write here)."""
        self._checked_until = 0.0

    def fresh_snapshot(self) -> Snapshot | None:
        """Return the snapshot if it is known current without any I/O, else ``None``."""
        current = self._snapshot
        return current if current is not None and time.monotonic() < self._checked_until else None

    def snapshot(self) -> Snapshot:
        """Return the analysed snapshot of the store's current data version, computed at most once.

        The store's version is looked up at most every ``VERSION_CHECK_SECONDS`` (a write
        through this workspace refreshes at once; one by another process shows within that).
        """
        current = self._snapshot
        if current is not None and time.monotonic() < self._checked_until:
            return current
        with self.store() as store:
            key = (store.data_version(), store.reports_version(), dt.date.today())
        self._checked_until = time.monotonic() + VERSION_CHECK_SECONDS
        if current is not None and _key(current) == key:
            return current
        awaited = self._awaited.get(key[0])
        if awaited is not None:  # an import analysed this version already: wait for it, not again
            awaited.wait(INSTALL_WAIT_SECONDS)
            current = self._snapshot
            if current is not None and _key(current) == key:
                return current
        with self._snapshot_lock:
            current = self._snapshot
            if current is not None and _key(current) == key:
                return current
            published = self._published(version=key[0], reports_version=key[1], day=key[2])
            if published is not None:  # another worker or process analysed this version
                self._snapshot = published
                return published
            if current is not None and current.version == key[0] and current.base is not None:
                base = current.base  # only the reports or the day moved: no reading again
            else:
                with self.store() as store:
                    base = store.load()
            fresh = self._at(base, version=key[0], day=key[2])
            fresh.analyse(previous=current)  # computed here, under the lock, once per version
            self._snapshot = fresh
        self.publish(fresh)
        return fresh

    def _published(self, *, version: int, reports_version: int, day: dt.date) -> Snapshot | None:
        """Return the snapshot of a result published for this version, ``None`` if there is none.

        A result that cannot be read (another format, damaged) is ignored: the caller analyses.
        """
        if not self.settings.publish_results:
            return None
        key = result_key(self.settings, version=version, reports_version=reports_version, day=day)
        with self.store() as store:
            payload = store.result_get(key)
        if payload is None:
            return None
        reports = self.reports()

        def overlay(base: LedgerTables) -> LedgerTables:
            return state_at(base, reports, as_of=day) if len(reports) else base

        try:
            found = decode(payload, settings=self.settings, overlay=overlay)
        except (ValueError, KeyError, OSError):
            return None
        fresh = Snapshot(
            version=version,
            ledgers=found.ledgers,
            settings=self.settings,
            reports_version=reports_version,
            day=day,
            base=found.base,
        )
        fresh.__dict__["graph"] = found.analysis.graph  # the cached properties, already known
        fresh.__dict__["analysis"] = found.analysis
        return fresh

    def publish(self, snap: Snapshot) -> None:
        """Write ``snap``'s whole analysis to the store for the other workers, then its substitutes.

        The analysis is written at once (setting ``publish_results``). Then, with at most
        ``substitutes_ahead_limit`` blocked suppliers, every substitute is computed ahead
        (:meth:`compute_ahead`) and the result written again with them. An incremental
        update is not published: it is as cheap for every other worker as reading it.

        A failure only costs the others their own analysis: it is not the caller's.
        """
        day = snap.day
        if not self.settings.publish_results or day is None or snap.updated:
            return
        self._put(snap, day=day)
        if self.compute_ahead(snap):
            self._put(snap, day=day)

    def compute_ahead(self, snap: Snapshot) -> bool:
        """Compute every substitute of ``snap`` now, if it is current; whether this computed them.

        The coordination list's workbook and ``analyze --json`` need them all, at about the
        cost of the analysis: computed once per snapshot, ahead of the first request, with at
        most ``substitutes_ahead_limit`` blocked suppliers. One computation at a time, for
        the current snapshot only: when status reports come faster, stale ones are skipped.
        """
        if len(snap.analysis.blocked) > self.settings.substitutes_ahead_limit:
            return False
        with self._ahead_lock:
            if self._snapshot is not snap or snap.analysis.computed("substitutes"):
                return False
            snap.analysis.substitutes  # noqa: B018  computed here, once, for every page
        return True

    def _put(self, snap: Snapshot, *, day: dt.date) -> None:
        key = result_key(self.settings, version=snap.version, reports_version=snap.reports_version, day=day)
        try:
            payload = encode(snap.base_ledgers, snap.analysis)
            with self.store() as store:
                store.result_put(key, payload)
        except (ValueError, ChainGraphError):
            return

    def _at(self, base: LedgerTables, *, version: int, day: dt.date) -> Snapshot:
        """Return a snapshot of ``base`` as it stood at ``day``, every status report up to it overlaid.

        "Now" is the state at today (campaign spec): the figures of every page take the
        counties' latest reports into account, and the base ledgers stay untouched.
        """
        with self.store() as store:
            reports_version = store.reports_version()
        reports = self.reports()
        ledgers = state_at(base, reports, as_of=day) if len(reports) else base
        return Snapshot(
            version=version,
            ledgers=ledgers,
            settings=self.settings,
            reports_version=reports_version,
            day=day,
            base=base,
        )

    def snapshot_at(self, day: dt.date) -> Snapshot:
        """Return the snapshot of the state at ``day`` (``--as-of``): the current one for today.

        A few past dates are kept per version (:data:`AS_OF_KEPT`); each costs one analysis.
        """
        current = self.snapshot()
        if day == current.day:
            return current
        if current.day is not None and day > current.day:
            raise ConfigError(f"截至日期 {day} 晚于今天（{current.day}），只能查今天或以前的状态")
        key = (current.version, current.reports_version, day)
        with self._snapshot_lock:
            found = self._as_of.get(key)
            if found is None:
                base = current.base if current.base is not None else current.ledgers
                found = self._at(base, version=current.version, day=day)
                if len(self._as_of) >= AS_OF_KEPT:
                    self._as_of.pop(next(iter(self._as_of)))
                self._as_of[key] = found
        return found

    def prepare(self, ledgers: LedgerTables) -> Snapshot:
        """Analyse tables about to replace the whole store (while the store writes them).

        The result becomes current only through :meth:`install`, after the write succeeded.
        """
        fresh = self._at(ledgers, version=-1, day=dt.date.today())
        fresh.analyse(previous=self._snapshot)
        return fresh

    def expect(self, version: int) -> threading.Event:
        """Announce that a :meth:`prepare`-d snapshot of data version ``version`` is on its way.

        Until the returned event is set (by :meth:`install`, or by the caller when the
        preparation failed), :meth:`snapshot` waits for it instead of reading the store and
        analysing the same tables a second time: the first page after an import costs
        what is left of the import's own analysis, not another one.
        """
        event = threading.Event()
        self._awaited = {v: e for v, e in self._awaited.items() if not e.is_set()} | {version: event}
        return event

    def install(self, prepared: Snapshot, *, version: int) -> None:
        """Make a :meth:`prepare`-d snapshot current as data version ``version``.

        ``version`` is the store's data version read right after the write of the prepared
        tables. After an import that replaced the store's content, the store holds exactly
        those tables (the store contract's round trip), so nothing is read back and the
        first page after the import costs no analysis at all. If another write came in
        since, the store's version has moved on and the prepared tables are not installed.
        """
        with self._snapshot_lock:
            with self.store() as store:
                if store.data_version() != version:
                    return
            prepared.version = version
            self._snapshot = prepared
            self._checked_until = time.monotonic() + VERSION_CHECK_SECONDS
        awaited = self._awaited.pop(version, None)
        if awaited is not None:
            awaited.set()
        self.publish(prepared)

    def ledger(self) -> LedgerSnapshot:
        """Return the problem ledger's items and history, read again only after it changed."""
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

    def coordination_records(self) -> CoordinationSnapshot:
        """Return the coordination requests, history and letters, read again only after a change."""
        with self.store() as store:
            version = store.coordination_version()
            current = self._coordination
            if current is not None and current.version == version:
                return current
            fresh = CoordinationSnapshot(
                version=version,
                requests=store.coordination_requests(),
                events=store.coordination_history(),
                letters=store.letters(),
            )
        self._coordination = fresh
        return fresh

    def reports(self) -> pd.DataFrame:
        """Return every recorded status report (状态填报), read again only after an append.

        The store's frame (``chain_graph.store.base.RECORDED_COLUMNS``, in ``seq`` order),
        shared by every caller until the reports version changes: treat it as read-only.
        """
        with self.store() as store:
            version = store.reports_version()
            current = self._reports
            if current is not None and current[0] == version:
                return current[1]
            frame = store.reports()
        self._reports = (version, frame)
        return frame
