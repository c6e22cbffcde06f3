"""The Neo4j store: the bureau's chain graph in a Neo4j 5 database, through the official driver.

Every statement comes from :mod:`chain_graph.store.cypher`. An import is staged: its rows
go, in batches of ``batch_size`` rows each committed on its own, into a new import
generation that no reader looks at; one small transaction then makes that generation
current, and the replaced one is deleted in a background thread. The server's heap holds one
batch, not the whole import. A failure before the switch — a bad row, the server going away,
the process dying — leaves the previous generation current and whole; the half-written one
is deleted by the next import. Reads fetch the current generation once and read only it;
they are routed as reads (they go to followers in a cluster). A whole table is read in keyset
pages of ``page_size`` rows, each page one record of column lists: the server's heap holds
one page, and the client builds no record or mapping per row.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import neo4j
import neo4j.exceptions as neo4j_errors
import numpy as np
import pandas as pd

from chain_graph import coordination as coord
from chain_graph.errors import ChainGraphError, NotFoundError, StaleItemError, StoreError
from chain_graph.model import (
    FIRM_COLUMNS,
    LINK_COLUMNS,
    LINK_KEY,
    MATERIAL_COLUMNS,
    PROBLEM_COLUMNS,
    PROJECT_COLUMNS,
    LedgerTables,
    conform,
)
from chain_graph.problem_ledger import (
    LedgerEvent,
    LedgerItem,
    event_from_row,
    event_to_row,
    item_from_row,
    item_to_row,
)
from chain_graph.regions import region_name
from chain_graph.store import cypher
from chain_graph.store.base import RECORDED_COLUMNS, Closing, conform_reports

__all__ = ["NEO4J_SCHEMES", "Neo4jStore"]

NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")
"""URL schemes the driver understands (``+s``: TLS, as on Aura; ``+ssc``: self-signed)."""

_COLUMNS = {
    "firms": FIRM_COLUMNS,
    "projects": PROJECT_COLUMNS,
    "links": LINK_COLUMNS,
    "problems": PROBLEM_COLUMNS,
    "materials": MATERIAL_COLUMNS,
}
_KEYS = {
    "firms": ["id"],
    "projects": ["id"],
    "links": list(LINK_KEY),
    "problems": ["id"],
    "materials": ["code"],
}
_DELETE_BATCH = 10_000
_READ_ATTEMPTS = 5
_log = logging.getLogger(__name__)
_HOW_TO_START = "本机开发可运行 services/neo4j/neo4j.sh start；或用 --store / CHAIN_GRAPH_STORE 指定其他地址"


class Neo4jStore(Closing):
    """LedgerTables as a graph in Neo4j.

    Parameters
    ----------
    url
        ``neo4j://host:port``, ``bolt://host:port`` or a ``+s`` / ``+ssc`` variant.
    user, password
        Credentials; with ``password=None`` no authentication is sent (a server with
        ``dbms.security.auth_enabled=false``).
    database
        Database name (``None``: the server's default database).
    batch_size
        Rows per ``UNWIND`` statement of an import, each its own transaction.
    page_size
        Rows per page of a whole read (:meth:`load`). Pages and batches are sized apart: an
        import is fastest in small batches (5,000 rows wrote a province 1.4× faster than
        20,000), a read in large pages (fewer round trips).
    write_workers
        Batches of an import written at once.

    Raises
    ------
    StoreError
        When the server cannot be reached or refuses the credentials; the message says
        what failed, where, and how to fix it.
    """

    def __init__(
        self,
        url: str,
        *,
        user: str = "neo4j",
        password: str | None = None,
        database: str | None = None,
        batch_size: int,
        page_size: int,
        write_workers: int = 2,
        connection_timeout: float = 5.0,
        retry_time: float = 5.0,
    ) -> None:
        if not url.startswith(NEO4J_SCHEMES):
            raise StoreError(f"不支持的 Neo4j 地址：{url!r}（应为 neo4j://主机:端口 或 bolt://主机:端口）")
        self.url = url
        self.database = database
        self.batch_size = batch_size
        self.page_size = page_size
        self.write_workers = write_workers
        self._cleanup: threading.Thread | None = None
        auth = (user, password) if password else None
        try:
            self._driver = neo4j.GraphDatabase.driver(
                url,
                auth=auth,
                connection_timeout=connection_timeout,
                connection_acquisition_timeout=connection_timeout * 3,
                # Reads retry on a lost connection for at most this long (default 30 s):
                # with the server gone, a user hears so within seconds.
                max_transaction_retry_time=retry_time,
                # Schema hints ("property key does not exist") are noise for fixed queries.
                notifications_min_severity="OFF",
            )
        except (ValueError, neo4j_errors.ConfigurationError) as error:
            raise StoreError(f"Neo4j 地址 {url!r} 无效：{error}") from error
        try:
            self._driver.verify_connectivity()
            constraints = (
                *cypher.LEGACY_CONSTRAINTS,
                *cypher.CONSTRAINTS,
                *cypher.LEDGER_CONSTRAINTS,
                *cypher.REPORT_CONSTRAINTS,
                *cypher.COORDINATION_CONSTRAINTS,
                *cypher.RESULT_CONSTRAINTS,
            )
            for statement in constraints:
                self._driver.execute_query(statement, database_=database)
            if (
                self._current()[0] < 0
                and self._driver.execute_query(cypher.LEGACY_NODES, database_=database).records
            ):
                self._auto(cypher.MIGRATE_LEGACY)
                self._driver.execute_query(
                    cypher.MIGRATE_POINTER, counts=self._generation_counts(0), database_=database
                )
        except BaseException as error:
            self._driver.close()
            raise _store_error(error, url, doing="连接") from error

    def close(self) -> None:
        """Wait for the deletion of a replaced generation, then close the driver and its pool."""
        self.wait_for_cleanup()
        self._driver.close()

    def wait_for_cleanup(self) -> None:
        """Wait until the generation the last import replaced is deleted (readers never wait)."""
        if self._cleanup is not None:
            self._cleanup.join()
            self._cleanup = None

    # --- import generations --------------------------------------------------------------

    def _current(self) -> tuple[int, dict[str, int]]:
        """Return the current generation (-1: none yet) and its row counts."""
        records = self._driver.execute_query(
            cypher.CURRENT_GENERATION, database_=self.database, routing_=neo4j.RoutingControl.READ
        ).records
        if not records:
            return -1, dict.fromkeys(LedgerTables.TABLES, 0)
        record = records[0]
        return int(record["g"]), {name: int(record[name] or 0) for name in LedgerTables.TABLES}

    def _generation_counts(self, generation: int) -> dict[str, int]:
        record = self._driver.execute_query(
            cypher.GENERATION_COUNTS, g=generation, database_=self.database
        ).records[0]
        return {name: int(record["counts"][name]) for name in LedgerTables.TABLES}

    def _auto(self, query: str, **params: Any) -> None:
        """Run ``query`` as an auto-commit transaction (``CALL … IN TRANSACTIONS`` needs one)."""
        with self._driver.session(database=self.database) as session:
            session.run(query, params).consume()

    def _delete_generations(self, *, keep: int, below: int) -> None:
        for statement in cypher.DELETE_GENERATIONS:
            self._auto(statement, keep=keep, below=below, limit=_DELETE_BATCH)

    def _delete_in_background(self, *, keep: int) -> None:
        def delete() -> None:
            try:
                self._delete_generations(keep=keep, below=keep)
            except Exception:  # the next import deletes what is left; readers never see it
                _log.warning("Neo4j %s: deleting the replaced generation failed", self.url, exc_info=True)

        self._cleanup = threading.Thread(target=delete, name="chain-graph-neo4j-cleanup", daemon=True)
        self._cleanup.start()

    # --- writing -----------------------------------------------------------------------

    def write(self, ledgers: LedgerTables, *, replace: bool = False) -> None:
        """Import ``ledgers`` as a new generation, then make it current in one small transaction.

        With ``replace`` the new generation holds ``ledgers`` only; without, it also carries
        forward every row of the current generation that ``ledgers`` does not replace (by id;
        links by supplier, buyer and material). Until the switch, readers see the previous
        generation, whole; afterwards the previous generation is deleted in the background.

        Raises
        ------
        StoreError
            When the server fails or refuses a row (the previous generation stays current), or
            when another import started later and will be current instead.
        """
        tables = {
            name: conform(getattr(ledgers, name), name).drop_duplicates(_KEYS[name], keep="last")
            for name in LedgerTables.TABLES
        }
        self.wait_for_cleanup()
        try:
            old, _ = self._current()
            new = int(
                self._driver.execute_query(cypher.NEW_GENERATION, database_=self.database).records[0]["g"]
            )
            self._delete_generations(keep=old, below=new)  # what killed imports left half-written
            self._import(tables, g=new, old=-1 if replace else old)
            counts = self._generation_counts(new)
            with self._driver.session(database=self.database) as session, session.begin_transaction() as tx:
                switched = tx.run(cypher.SWITCH_GENERATION, g=new, old=old, counts=counts).single()
                if switched is None:
                    tx.rollback()
                    raise StoreError(
                        f"Neo4j {self.url} 写入未生效：另一个导入在此期间开始或已完成，"
                        "原有数据未改变。请稍后重试"
                    )
                tx.run(cypher.UPSERT_DATA_VERSION).consume()
                tx.commit()
        except BaseException as error:
            raise _store_error(error, self.url, doing="写入") from error
        self._delete_in_background(keep=new)

    def _import(self, tables: dict[str, pd.DataFrame], *, g: int, old: int) -> None:
        """Write ``tables`` into generation ``g``, phase by phase, and carry forward from ``old``.

        Regions, nodes (located in their regions), links, problems, materials: each phase finds
        what it points at written by the ones before. After each phase, the rows of that
        phase in generation ``old`` (-1: none) that ``tables`` does not replace are carried
        into ``g``. Links between nodes this import created are written by their nodes'
        element ids (:data:`~chain_graph.store.cypher.CREATE_LINKS_BETWEEN`), the others by
        their ids.
        """
        size = self.batch_size

        def phase(name: str, statements: Iterator[tuple[str, dict[str, Any]]]) -> list[neo4j.Record]:
            records = self._run_batches(statements, g=g)
            if old >= 0:
                self._auto(cypher.CARRY_FORWARD[name], old=old, g=g, limit=size)
            return records

        regions = _element_ids(phase("regions", _region_statements(tables, size)))
        nodes = _element_ids(phase("nodes", _node_statements(tables, regions, size)))
        phase("links", _link_statements(tables["links"], nodes, size))
        phase("problems", _statements(cypher.CREATE_PROBLEMS, tables["problems"], "problems", size))
        phase("materials", _statements(cypher.CREATE_MATERIALS, tables["materials"], "materials", size))

    def _run_batches(self, statements: Iterator[tuple[str, dict[str, Any]]], *, g: int) -> list[neo4j.Record]:
        """Run one phase's batches, each its own transaction, ``write_workers`` at a time.

        The next batch's rows are built while the server writes the ones before; the phase
        ends when all its batches have committed. The first failure is raised once the
        batches running have ended (none after it starts). Returns the records the batches
        returned, in the order of the batches.
        """
        with ThreadPoolExecutor(self.write_workers, thread_name_prefix="chain-graph-neo4j-write") as pool:
            batches: list[Future[list[neo4j.Record]]] = []
            running: set[Future[list[neo4j.Record]]] = set()
            for statement, parameters in statements:
                if len(running) >= self.write_workers:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    for batch in done:
                        batch.result()
                batches.append(pool.submit(self._write_batch, statement, {**parameters, "g": g}))
                running.add(batches[-1])
            for batch in running:
                batch.result()
        return [record for batch in batches for record in batch.result()]

    def _write_batch(self, statement: str, parameters: dict[str, Any]) -> list[neo4j.Record]:
        """Run one batch in its own transaction; return only its records.

        A result's summary holds the query's parameters: kept for every batch until the phase
        ends, they would hold the whole phase's rows.
        """
        return self._driver.execute_query(statement, parameters, database_=self.database).records

    # --- the problem ledger ----------------------------------------------------------------

    def ledger_register(self, items: Sequence[LedgerItem], events: Sequence[LedgerEvent]) -> list[str]:
        """Insert the items whose id is new, each with its registration event."""
        rows = [
            {"item": item_to_row(i), "event": event_to_row(e)} for i, e in zip(items, events, strict=True)
        ]
        try:
            records = self._driver.execute_query(
                cypher.LEDGER_REGISTER, rows=rows, database_=self.database
            ).records
        except BaseException as error:
            raise _store_error(error, self.url, doing="写入") from error
        return [str(r["id"]) for r in records]

    def ledger_update(self, item: LedgerItem, *, expected_version: int, event: LedgerEvent) -> None:
        """Replace an item and append its event if nobody changed it since ``expected_version``."""
        try:
            with self._driver.session(database=self.database) as session, session.begin_transaction() as tx:
                record = tx.run(
                    cypher.LEDGER_UPDATE,
                    id=item.id,
                    expected=expected_version,
                    item=item_to_row(item),
                    event=event_to_row(event),
                ).single()
                if record is None:
                    tx.rollback()
                    current = self._driver.execute_query(
                        cypher.LEDGER_VERSION, id=item.id, database_=self.database
                    ).records
                    if not current:
                        raise NotFoundError(f"问题台账中没有编号为 {item.id} 的事项")
                    raise StaleItemError(
                        f"问题台账 {item.id} 已被他人修改（版本 {expected_version} → "
                        f"{current[0]['version']}），请刷新后重试"
                    )
                tx.commit()
        except BaseException as error:
            raise _store_error(error, self.url, doing="写入") from error

    def ledger_version(self) -> int:
        """Return the number of events (from the count store): history only grows."""
        rows = self._rows(cypher.LEDGER_VERSION_ALL)
        return int(rows[0]["events"]) if rows else 0

    def ledger_item(self, item_id: str) -> LedgerItem | None:
        """Return one item, ``None`` when absent."""
        rows = self._rows(cypher.LEDGER_ITEM, id=item_id)
        return item_from_row(rows[0]) if rows else None

    def ledger_items(self) -> list[LedgerItem]:
        """Return every ledger item."""
        return [item_from_row(r) for r in self._rows(cypher.LEDGER_ITEMS)]

    def ledger_history(self, item_id: str | None = None) -> list[LedgerEvent]:
        """Return an item's events (``None``: every item's), by item and oldest first."""
        if item_id is None:
            return [event_from_row(r) for r in self._rows(cypher.LEDGER_HISTORY_ALL)]
        return [event_from_row(r) for r in self._rows(cypher.LEDGER_HISTORY, id=item_id)]

    # --- coordination requests and letters ---------------------------------------------------

    def coordination_register(
        self, requests: Sequence[coord.CoordinationRequest], events: Sequence[coord.CoordinationEvent]
    ) -> list[str]:
        """Insert the requests whose id is new, each with its registration event."""
        rows = [
            {"request": _props(coord.request_to_row(r)), "event": _props(coord.event_to_row(e))}
            for r, e in zip(requests, events, strict=True)
        ]
        try:
            records = self._driver.execute_query(
                cypher.COORDINATION_REGISTER, rows=rows, database_=self.database
            ).records
        except BaseException as error:
            raise _store_error(error, self.url, doing="写入") from error
        return [str(r["id"]) for r in records]

    def coordination_update(
        self, request: coord.CoordinationRequest, *, expected_version: int, event: coord.CoordinationEvent
    ) -> None:
        """Replace a request and append its event if nobody changed it since ``expected_version``."""
        try:
            with self._driver.session(database=self.database) as session, session.begin_transaction() as tx:
                self._update_request(tx, request, expected_version, event)
                tx.commit()
        except BaseException as error:
            raise _store_error(error, self.url, doing="写入") from error

    def _update_request(
        self,
        tx: neo4j.Transaction,
        request: coord.CoordinationRequest,
        expected_version: int,
        event: coord.CoordinationEvent,
    ) -> None:
        record = tx.run(
            cypher.COORDINATION_UPDATE,
            id=request.id,
            expected=expected_version,
            request=_props(coord.request_to_row(request)),
            event=_props(coord.event_to_row(event)),
        ).single()
        if record is None:
            current = tx.run(cypher.COORDINATION_VERSION, id=request.id).single()
            tx.rollback()
            if current is None:
                raise NotFoundError(f"没有编号为 {request.id} 的协调事项")
            now = current["version"]
            raise StaleItemError(
                f"协调事项 {request.id} 已被他人修改（版本 {expected_version} → {now}），请刷新后重试"
            )

    def coordination_request(self, request_id: str) -> coord.CoordinationRequest | None:
        """Return one request, ``None`` when absent."""
        rows = self._rows(cypher.COORDINATION_REQUEST, id=request_id)
        return coord.request_from_row(_row(rows[0], coord.REQUEST_FIELDS)) if rows else None

    def coordination_requests(self) -> list[coord.CoordinationRequest]:
        """Return every request, by id."""
        return [
            coord.request_from_row(_row(r, coord.REQUEST_FIELDS))
            for r in self._rows(cypher.COORDINATION_REQUESTS)
        ]

    def coordination_history(self, request_id: str | None = None) -> list[coord.CoordinationEvent]:
        """Return a request's events (``None``: every request's), by request and oldest first."""
        if request_id is None:
            rows = self._rows(cypher.COORDINATION_HISTORY_ALL)
        else:
            rows = self._rows(cypher.COORDINATION_HISTORY, id=request_id)
        return [coord.event_from_row(_row(r, coord.EVENT_FIELDS)) for r in rows]

    def coordination_version(self) -> int:
        """Return events plus letters (from the count store): both only grow."""
        rows = self._rows(cypher.COORDINATION_VERSION_ALL)
        return int(rows[0]["value"]) if rows else 0

    def letter_issue(self, letter: coord.Letter, *, prefix: str, assign: Any) -> coord.Letter:
        """Give the letter the next number of its issuer and year; keep it with ``assign``'s changes."""
        key = f"letters:{letter.issuer}:{letter.year}"
        try:
            with self._driver.session(database=self.database) as session, session.begin_transaction() as tx:
                seq = int(tx.run(cypher.LETTER_NEXT, key=key).single(strict=True)["seq"])
                numbered = letter.model_copy(
                    update={"seq": seq, "number": coord.letter_number(prefix, letter.year, seq)}
                )
                for request, expected, event in assign(numbered):
                    self._update_request(tx, request, expected, event)
                tx.run(cypher.LETTER_CREATE, letter=_props(coord.letter_to_row(numbered))).consume()
                tx.commit()
        except BaseException as error:
            raise _store_error(error, self.url, doing="写入") from error
        return numbered

    def letters(self) -> list[coord.Letter]:
        """Return every letter, by year, issuer and number."""
        return [coord.letter_from_row(_row(r, coord.LETTER_FIELDS)) for r in self._rows(cypher.LETTERS)]

    # --- status reports ----------------------------------------------------------------------

    def append_reports(self, frame: pd.DataFrame, *, by: str, at: dt.datetime) -> int:
        """Append reports in one transaction, numbered on after every report recorded."""
        if frame.empty:
            return 0
        rows = conform_reports(frame.assign(recorded_by=by, recorded_at=at.isoformat(timespec="seconds")))
        stored = [c for c in RECORDED_COLUMNS if c != "seq"]
        values = [_plain_column(rows[c], RECORDED_COLUMNS[c]) for c in stored]
        maps = [
            {c: v for c, v in zip(stored, row, strict=True) if v is not None}
            for row in zip(*values, strict=True)
        ]
        appended = 0
        try:
            with self._driver.session(database=self.database) as session, session.begin_transaction() as tx:
                for start in range(0, len(maps), self.batch_size):
                    batch = maps[start : start + self.batch_size]
                    appended += int(tx.run(cypher.REPORTS_APPEND, rows=batch).single(strict=True)[0])
                tx.commit()
        except BaseException as error:
            raise _store_error(error, self.url, doing="写入") from error
        return appended

    def reports(self) -> pd.DataFrame:
        """Return every recorded report in ``seq`` order."""
        rows = self._rows(cypher.REPORTS)
        return conform_reports(pd.DataFrame.from_records(rows, columns=list(RECORDED_COLUMNS)))

    def reports_version(self) -> int:
        """Return the last ``seq`` (the counter every append moves)."""
        rows = self._rows(cypher.REPORTS_VERSION)
        return int(rows[0]["value"]) if rows else 0

    # --- published analyses ------------------------------------------------------------

    def result_put(self, key: str, payload: bytes) -> None:
        """Publish an analysis result under ``key`` in parts, replacing every other (one transaction)."""
        parts = [payload[i : i + _RESULT_PART] for i in range(0, len(payload), _RESULT_PART)] or [b""]
        try:
            self._driver.execute_query(cypher.RESULT_PUT, key=key, parts=parts, database_=self.database)
        except BaseException as error:
            raise _store_error(error, self.url, doing="写入") from error

    def result_get(self, key: str) -> bytes | None:
        """Return the result published under ``key``, ``None`` when there is none."""
        rows = self._rows(cypher.RESULT_GET, key=key)
        return b"".join(bytes(r["bytes"]) for r in rows) if rows else None

    def _query(self, query: str, **params: Any) -> neo4j.EagerResult:
        """Run a read ``query``; a driver error becomes one actionable :class:`StoreError`."""
        try:
            return self._driver.execute_query(
                query, params, database_=self.database, routing_=neo4j.RoutingControl.READ
            )
        except BaseException as error:
            raise _store_error(error, self.url, doing="读取") from error

    def _rows(self, query: str, **params: Any) -> list[dict[str, Any]]:
        return [dict(r["row"]) for r in self._query(query, **params).records]

    # --- reading -----------------------------------------------------------------------

    def _read(self, query: str, columns: dict[str, str], table: str, **params: Any) -> pd.DataFrame:
        records, _, keys = self._query(query, **params)
        frame = pd.DataFrame.from_records([r.values() for r in records], columns=keys or list(columns))
        return conform(frame, table)

    def counts(self) -> dict[str, int]:
        """Return the number of rows per table (kept with the current generation)."""
        try:
            return self._current()[1]
        except BaseException as error:
            raise _store_error(error, self.url, doing="读取") from error

    def _generation(self) -> int:
        try:
            return self._current()[0]
        except BaseException as error:
            raise _store_error(error, self.url, doing="读取") from error

    def _consistent(self, read: Any) -> LedgerTables:
        """Return ``read(generation)`` of one generation that stayed current throughout.

        An import switching meanwhile starts deleting the generation being read: read again.
        """
        generation = self._generation()
        for _ in range(_READ_ATTEMPTS):
            tables: LedgerTables = read(generation)
            now = self._generation()
            if now == generation:
                return tables
            generation = now
        raise StoreError(f"Neo4j {self.url} 读取失败：读取期间数据被连续导入替换，请稍后重试")

    def data_version(self) -> int:
        """Return a number that grows with every write."""
        records = self._query(cypher.DATA_VERSION).records
        return int(records[0]["value"]) if records else 0

    def load(self) -> LedgerTables:
        """Return everything the current generation holds.

        Each table is read in pages of ``page_size`` rows (links: of about ``page_size``
        links, by supplier), each page one record of column lists turned straight into
        columns: no record or mapping per row, and the server's heap holds one page.
        """
        return self._consistent(
            lambda g: LedgerTables(
                **{name: self._read_table(name, g=g) for name in LedgerTables.TABLES if name != "links"},
                links=self._read_links(g=g),
            )
        )

    def _page(self, query: str, **params: Any) -> neo4j.Record:
        return self._query(query, **params).records[0]

    def _read_table(self, table: str, *, g: int) -> pd.DataFrame:
        """Return ``table`` of generation ``g``, read page by page in key order."""
        key = _KEYS[table][0]
        pages: list[pd.DataFrame] = []
        after, first = "", True
        while True:
            page = self._page(
                cypher.READ_BATCH[table], g=g, after=after, inclusive=first, limit=self.page_size
            )
            keys = page[key]
            if keys:
                pages.append(_page_frame(page, table))
            if len(keys) < self.page_size:
                return _concat(pages, table)
            after, first = keys[-1], False

    def _read_links(self, *, g: int) -> pd.DataFrame:
        """Return the links of generation ``g``, read by pages of suppliers in id order.

        A page takes as many suppliers as hold about ``page_size`` links on average.
        """
        counts = self.counts()
        suppliers = max(1, self.page_size * counts["firms"] // max(counts["links"], 1))
        pages: list[pd.DataFrame] = []
        after, first = "", True
        while True:
            page = self._page(cypher.READ_LINKS_BATCH, g=g, after=after, inclusive=first, limit=suppliers)
            if page["supplier_id"]:
                pages.append(_page_frame(page, "links"))
            if page["suppliers"] < suppliers:
                return _concat(pages, "links")
            after, first = page["last"], False

    def neighbourhood(self, node_id: str, *, depth: int = 1) -> LedgerTables:
        """Return the nodes within ``depth`` links of ``node_id`` and the links among them."""
        return self._consistent(lambda g: self._neighbourhood(node_id, depth=depth, g=g))

    def _neighbourhood(self, node_id: str, *, depth: int, g: int) -> LedgerTables:
        seen = {node_id}
        frontier = [node_id]
        for _ in range(depth):
            found = self._read(cypher.NEIGHBOURS, {"id": "text"}, "firms", ids=frontier, g=g)["id"]
            frontier = sorted(set(found) - seen)
            seen.update(frontier)
            if not frontier:
                break
        ids = sorted(seen)
        return LedgerTables(
            firms=self._read(cypher.READ_IN["firms"], FIRM_COLUMNS, "firms", ids=ids, g=g),
            projects=self._read(cypher.READ_IN["projects"], PROJECT_COLUMNS, "projects", ids=ids, g=g),
            links=self._read(cypher.LINKS_AMONG, LINK_COLUMNS, "links", ids=ids, g=g),
            problems=self._read(cypher.READ_IN["problems"], PROBLEM_COLUMNS, "problems", ids=ids, g=g),
            materials=self._read(cypher.READ["materials"], MATERIAL_COLUMNS, "materials", g=g),
        )

    def clear(self) -> None:
        """Delete every node chain-graph owns, in batches (tests and benchmarks; not atomic)."""
        self.wait_for_cleanup()
        try:
            for statement in cypher.DELETE_ALL:
                self._auto(statement, limit=_DELETE_BATCH)
        except BaseException as error:
            raise _store_error(error, self.url, doing="清空") from error


_RESULT_PART = 4 * 2**20
"""Bytes per part of a published result (one property value each)."""


def _store_error(error: BaseException, url: str, *, doing: str) -> BaseException:
    """Translate a driver error into one actionable :class:`StoreError` line."""
    if isinstance(error, ChainGraphError | KeyboardInterrupt | SystemExit):
        return error
    if isinstance(error, neo4j_errors.AuthError):
        return StoreError(
            f"Neo4j {url} 拒绝登录：用户名或密码错误。请设置 NEO4J_USER / NEO4J_PASSWORD 环境变量"
        )
    if isinstance(error, neo4j_errors.ServiceUnavailable | neo4j_errors.SessionExpired | OSError):
        return StoreError(
            f"无法{doing} Neo4j {url}：服务未启动、已停止或地址错误（{_first_line(error)}）。"
            f"{_HOW_TO_START}。本次操作已回滚，原有数据未改变"
            if doing == "写入"
            else f"无法{doing} Neo4j {url}：服务未启动、已停止或地址错误（{_first_line(error)}）。"
            f"{_HOW_TO_START}"
        )
    if isinstance(error, neo4j_errors.Neo4jError | neo4j_errors.DriverError):
        suffix = "，已回滚，原有数据未改变" if doing == "写入" else ""
        return StoreError(f"Neo4j {url} {doing}失败{suffix}：{_first_line(error)}")
    return error


def _page_frame(page: neo4j.Record, table: str) -> pd.DataFrame:
    """Return one page of column lists as a conformed table, each distinct text held once.

    The driver makes a string object per value; a value repeated in a page (a supplier's id
    on each of its links, a material, an adcode) is kept as one object, as pandas' CSV reader
    does (province: the loaded tables take 101 MiB instead of 158 MiB).
    """
    frame = conform(pd.DataFrame({column: page[column] for column in _COLUMNS[table]}), table)
    for column, kind in _COLUMNS[table].items():
        if kind == "text":
            codes, distinct = pd.factorize(frame[column].array)
            frame[column] = distinct.take(codes)
    return frame


def _concat(pages: list[pd.DataFrame], table: str) -> pd.DataFrame:
    if not pages:
        return conform(pd.DataFrame(), table)
    return pages[0] if len(pages) == 1 else pd.concat(pages, ignore_index=True)


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]


def _region_statements(tables: dict[str, pd.DataFrame], size: int) -> Iterator[tuple[str, dict[str, Any]]]:
    places = pd.concat([tables["firms"]["adcode"], tables["projects"]["adcode"]], ignore_index=True)
    regions = [{"adcode": code, "name": region_name(code)} for code in sorted(set(places) - {""})]
    for start in range(0, len(regions), size):
        yield cypher.MERGE_REGIONS, {"regions": regions[start : start + size]}


def _statements(
    statement: str, frame: pd.DataFrame, table: str, size: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    for columns in _batches(frame, table, size):
        yield statement, columns


def _element_ids(records: list[neo4j.Record]) -> dict[str, str]:
    """Map the keys to the element ids of the nodes that records of ``{ids, nodes}`` name."""
    return {key: node for record in records for key, node in zip(record["ids"], record["nodes"], strict=True)}


def _node_statements(
    tables: dict[str, pd.DataFrame], regions: dict[str, str], size: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Batches of nodes by label set, each with its rows' regions' element ids (``regions``)."""
    for table in ("firms", "projects"):
        frame = tables[table]
        flags = (
            frame[["is_enterprise", "is_supplier"]]
            if table == "firms"
            else pd.DataFrame({"e": False, "s": False}, index=frame.index)
        )
        for (enterprise, supplier), group in frame.groupby([flags.iloc[:, 0], flags.iloc[:, 1]]):
            statement = cypher.CREATE_NODES[(table, bool(enterprise), bool(supplier))]
            for columns in _batches(group, table, size):
                yield statement, {**columns, "region": [regions.get(code) for code in columns["adcode"]]}


def _link_statements(
    links: pd.DataFrame, nodes: dict[str, str], size: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Batches of links, the rows between nodes of ``nodes`` (id → element id) by element id.

    The links between two nodes of ``nodes`` come first, in the order their suppliers were
    created (stably: a supplier's links keep their order), so that batches written at once
    hold different suppliers and rarely wait for each other's locks; the other links (an
    upsert's, to nodes carried forward) follow, found by their ids. Each batch is taken from
    ``links`` when its turn comes (no sorted copy of the table).
    """
    index = pd.Index(list(nodes), dtype=object)
    found = np.array(list(nodes.values()), dtype=object)
    supplier = index.get_indexer(pd.Index(links["supplier_id"]))
    buyer = index.get_indexer(pd.Index(links["buyer_id"]))
    between = (supplier >= 0) & (buyer >= 0)
    first = np.flatnonzero(between)[supplier[between].argsort(kind="stable")]
    for at in _chunks(first, size):
        ends = {"s": found[supplier[at]].tolist(), "b": found[buyer[at]].tolist()}
        for columns in _batches(links.take(at), "links", size):  # one batch: ``at`` holds ≤ size rows
            yield cypher.CREATE_LINKS_BETWEEN, {**columns, **ends}
    for at in _chunks(np.flatnonzero(~between), size):
        for columns in _batches(links.take(at), "links", size):
            yield cypher.CREATE_LINKS, columns


def _chunks(positions: np.ndarray, size: int) -> Iterator[np.ndarray]:
    return (positions[start : start + size] for start in range(0, len(positions), size))


def _batches(frame: pd.DataFrame, table: str, size: int) -> Iterator[dict[str, list[Any]]]:
    """Yield ``size`` rows at a time as columns, ``{column: [value, …]}`` of plain Python values.

    An absent value (NaN, NA) is ``None``: the statements write no property for it (Neo4j has
    no null properties). Empty texts and false flags are written: Cypher written by hand (the
    README's) compares them.
    """
    columns = _COLUMNS[table]
    for start in range(0, len(frame), size):
        part = frame.iloc[start : start + size]
        yield {column: _plain_column(part[column], kind) for column, kind in columns.items()}


def _plain_column(values: pd.Series, kind: str) -> list[Any]:
    """One column as Python values, ``None`` where absent."""
    if kind == "float":
        return [None if math.isnan(v) else v for v in values.astype(float).tolist()]
    if kind == "int":
        return [None if v is pd.NA else int(v) for v in values.astype(object).tolist()]
    if kind == "bool":
        return [bool(v) for v in values.tolist()]
    return [str(v) for v in values.tolist()]


def _props(row: dict[str, Any]) -> dict[str, Any]:
    """Return a flat row as node properties (an empty value is left out: Neo4j keeps no nulls)."""
    return {k: v for k, v in row.items() if v != "" or k in ("number",)}


def _row(props: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """Return node properties as a flat row of ``fields`` (an absent property is ``""``)."""
    return {f: props.get(f, "") for f in fields}
