"""The embedded store: one SQLite file (stdlib ``sqlite3``), the zero-setup default."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chain_graph import coordination as coord
from chain_graph.errors import NotFoundError, StaleItemError, StoreError
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
    EVENT_FIELDS,
    ITEM_FIELDS,
    LedgerEvent,
    LedgerItem,
    event_from_row,
    event_to_row,
    item_from_row,
    item_to_row,
)
from chain_graph.store.base import RECORDED_COLUMNS, Closing, conform_reports

__all__ = ["SQLiteStore"]

_SCHEMAS = {
    "firms": (FIRM_COLUMNS, ("id",)),
    "projects": (PROJECT_COLUMNS, ("id",)),
    "links": (LINK_COLUMNS, LINK_KEY),
    "problems": (PROBLEM_COLUMNS, ("id",)),
    "materials": (MATERIAL_COLUMNS, ("code",)),
}
_SQL_TYPES = {
    "text": "TEXT NOT NULL DEFAULT ''",
    "float": "REAL",
    "int": "INTEGER",
    "bool": "INTEGER NOT NULL DEFAULT 0",
}
_IN_CHUNK = 500


def _create_statements() -> list[str]:
    statements = []
    for table, (columns, key) in _SCHEMAS.items():
        body = ", ".join(f"{c} {_SQL_TYPES[k]}" for c, k in columns.items())
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({body}, PRIMARY KEY ({', '.join(key)}))")
    statements += [
        "CREATE INDEX IF NOT EXISTS links_by_buyer ON links (buyer_id)",
        "CREATE INDEX IF NOT EXISTS problems_by_subject ON problems (subject_id)",
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        # The problem ledger: items and their append-only history (imports never touch them).
        "CREATE TABLE IF NOT EXISTS ledger_items ("
        + ", ".join(f'"{f}" {"INTEGER" if f in _INT_FIELDS else "TEXT"}' for f in ITEM_FIELDS)
        + ", PRIMARY KEY (id))",
        "CREATE TABLE IF NOT EXISTS ledger_history ("
        + ", ".join(f'"{f}" {"INTEGER" if f in _INT_FIELDS else "TEXT"}' for f in EVENT_FIELDS)
        + ", PRIMARY KEY (item_id, seq))",
        "CREATE TRIGGER IF NOT EXISTS ledger_history_no_update BEFORE UPDATE ON ledger_history "
        "BEGIN SELECT RAISE(ABORT, 'ledger history is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS ledger_history_no_delete BEFORE DELETE ON ledger_history "
        "BEGIN SELECT RAISE(ABORT, 'ledger history is append-only'); END",
        # Coordination requests (协调事项), their append-only history, and the letters.
        "CREATE TABLE IF NOT EXISTS coordination_requests ("
        + ", ".join(f'"{f}" {_kind(f)}' for f in coord.REQUEST_FIELDS)
        + ", PRIMARY KEY (id))",
        "CREATE TABLE IF NOT EXISTS coordination_history ("
        + ", ".join(f'"{f}" {_kind(f)}' for f in coord.EVENT_FIELDS)
        + ", PRIMARY KEY (request_id, seq))",
        "CREATE TRIGGER IF NOT EXISTS coordination_history_no_update BEFORE UPDATE ON coordination_history "
        "BEGIN SELECT RAISE(ABORT, 'coordination history is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS coordination_history_no_delete BEFORE DELETE ON coordination_history "
        "BEGIN SELECT RAISE(ABORT, 'coordination history is append-only'); END",
        "CREATE TABLE IF NOT EXISTS letters ("
        + ", ".join(f'"{f}" {_kind(f)}' for f in coord.LETTER_FIELDS)
        + ", PRIMARY KEY (number), UNIQUE (issuer, year, seq))",
        # Status reports (状态填报): append-only as well; imports never touch them either.
        "CREATE TABLE IF NOT EXISTS reports ("
        + ", ".join(f"{c} {_REPORT_TYPES[k]}" for c, k in RECORDED_COLUMNS.items())
        + ", PRIMARY KEY (seq))",
        "CREATE INDEX IF NOT EXISTS reports_by_id ON reports (id, as_of)",
        # Published analyses (chain_graph.store.results): the current one only.
        "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, payload BLOB NOT NULL)",
        "CREATE TRIGGER IF NOT EXISTS reports_no_update BEFORE UPDATE ON reports "
        "BEGIN SELECT RAISE(ABORT, 'status reports are append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS reports_no_delete BEFORE DELETE ON reports "
        "BEGIN SELECT RAISE(ABORT, 'status reports are append-only'); END",
    ]
    return statements


_INT_FIELDS = {"escalations", "version", "seq"}
_REAL_FIELDS = {"recovered_value", "output", "investment"}


def _kind(field: str) -> str:
    if field in _INT_FIELDS or field in {"year", "cross_province", "days_to_impact", "recovery_days"}:
        return "INTEGER"
    return "REAL" if field in _REAL_FIELDS else "TEXT"


_REPORT_TYPES = {"text": "TEXT NOT NULL DEFAULT ''", "float": "REAL", "int": "INTEGER NOT NULL"}


def _insert(table: str, fields: Sequence[str], *, ignore: bool = False) -> str:
    names = ", ".join(f'"{f}"' for f in fields)
    verb = "INSERT OR IGNORE" if ignore else "INSERT"
    return f"{verb} INTO {table} ({names}) VALUES ({', '.join('?' * len(fields))})"


def _upsert_statement(table: str) -> str:
    columns, key = _SCHEMAS[table]
    names = list(columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in names if c not in key)
    return (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )


def _path_of(url: str) -> str:
    path = url.removeprefix("sqlite://")
    if not path.startswith("/"):
        raise StoreError(f"SQLite 地址应写成 sqlite:///文件路径.db，当前为 {url!r}")
    path = path[1:]  # sqlite:///rel.db → rel.db ; sqlite:////abs.db → /abs.db
    return path or ":memory:"


class SQLiteStore(Closing):
    """LedgerTables in one SQLite file.

    Parameters
    ----------
    url
        ``sqlite:///path.db``.
    batch_size
        Rows per ``executemany`` call.
    """

    def __init__(self, url: str, *, batch_size: int, busy_timeout: float = 30.0) -> None:
        self.url = url
        self.batch_size = batch_size
        path = _path_of(url)
        if path != ":memory:":
            parent = Path(path).parent
            if not parent.is_dir():
                raise StoreError(f"无法打开数据库 {path}：目录 {parent} 不存在")
        try:
            # Opened in one thread, used in another (API workers): one user at a time.
            self._db = sqlite3.connect(
                path, isolation_level=None, timeout=busy_timeout, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            # Large imports rebuild big key B-trees: a 256 MiB page cache (taken only as
            # needed) makes the province write ~40 % faster than SQLite's 2 MiB default.
            self._db.execute("PRAGMA cache_size = -262144")
            self._db.execute("PRAGMA temp_store = MEMORY")
            for statement in _create_statements():
                self._db.execute(statement)
            self._add_missing_columns()
        except sqlite3.Error as error:
            raise StoreError(f"无法打开数据库 {path}：{error}") from error

    def _add_missing_columns(self) -> None:
        """Bring a file written by an older version up to the current columns (all optional)."""
        for table, (columns, _) in _SCHEMAS.items():
            present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for column, kind in columns.items():
                if column not in present:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {_SQL_TYPES[kind]}")

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    # --- writing -----------------------------------------------------------------------

    def write(self, ledgers: LedgerTables, *, replace: bool = False) -> None:
        """Upsert ``ledgers`` in one transaction; with ``replace``, drop everything else."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if replace:
                    for table in _SCHEMAS:
                        self._db.execute(f"DELETE FROM {table}")
                for table in _SCHEMAS:
                    statement = _upsert_statement(table)
                    for batch in _batches(getattr(ledgers, table), table, self.batch_size):
                        self._db.executemany(statement, batch)
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES ('data_version', '1') "
                    "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
                )
                self._db.execute("COMMIT")
            except BaseException:
                # SQLite has already rolled back after some errors (a full disk): only roll
                # back what is still open, so the real error is the one reported.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            raise _write_error(error, self.url) from error

    # --- the problem ledger ----------------------------------------------------------------

    def ledger_register(self, items: Sequence[LedgerItem], events: Sequence[LedgerEvent]) -> list[str]:
        """Insert the items whose id is new, each with its registration event."""
        inserted: list[str] = []
        with self._transaction():
            for item, event in zip(items, events, strict=True):
                row = item_to_row(item)
                cursor = self._db.execute(
                    _insert("ledger_items", ITEM_FIELDS, ignore=True), [row[f] for f in ITEM_FIELDS]
                )
                if cursor.rowcount:
                    event_row = event_to_row(event)
                    self._db.execute(
                        _insert("ledger_history", EVENT_FIELDS), [event_row[f] for f in EVENT_FIELDS]
                    )
                    inserted.append(item.id)
        return inserted

    def ledger_update(self, item: LedgerItem, *, expected_version: int, event: LedgerEvent) -> None:
        """Replace an item and append its event if nobody changed it since ``expected_version``."""
        row = item_to_row(item)
        assignments = ", ".join(f'"{f}" = ?' for f in ITEM_FIELDS if f != "id")
        with self._transaction():
            cursor = self._db.execute(
                f"UPDATE ledger_items SET {assignments} WHERE id = ? AND version = ?",
                [*(row[f] for f in ITEM_FIELDS if f != "id"), item.id, expected_version],
            )
            if cursor.rowcount == 0:
                current = self._db.execute(
                    "SELECT version FROM ledger_items WHERE id = ?", [item.id]
                ).fetchone()
                if current is None:
                    raise NotFoundError(f"问题台账中没有编号为 {item.id} 的事项")
                raise StaleItemError(
                    f"问题台账 {item.id} 已被他人修改（版本 {expected_version} → {current[0]}），请刷新后重试"
                )
            event_row = event_to_row(event)
            self._db.execute(_insert("ledger_history", EVENT_FIELDS), [event_row[f] for f in EVENT_FIELDS])

    def ledger_version(self) -> int:
        """Return the rowid of the last event: history only grows, so it counts changes."""
        row = self._db.execute("SELECT MAX(rowid) FROM ledger_history").fetchone()
        return int(row[0] or 0)

    def ledger_item(self, item_id: str) -> LedgerItem | None:
        """Return one item, ``None`` when absent."""
        items = self._ledger_rows("ledger_items", ITEM_FIELDS, "id = ?", [item_id])
        return item_from_row(items[0]) if items else None

    def ledger_items(self) -> list[LedgerItem]:
        """Return every ledger item."""
        return [item_from_row(r) for r in self._ledger_rows("ledger_items", ITEM_FIELDS, "", [])]

    def ledger_history(self, item_id: str | None = None) -> list[LedgerEvent]:
        """Return an item's events (``None``: every item's), by item and oldest first."""
        if item_id is None:
            rows = self._ledger_rows("ledger_history", EVENT_FIELDS, "1 ORDER BY item_id, seq", [])
        else:
            rows = self._ledger_rows("ledger_history", EVENT_FIELDS, "item_id = ? ORDER BY seq", [item_id])
        return [event_from_row(r) for r in rows]

    def _ledger_rows(
        self, table: str, fields: Sequence[str], where: str, params: list[Any]
    ) -> list[dict[str, Any]]:
        sql = f"SELECT {', '.join(chr(34) + f + chr(34) for f in fields)} FROM {table}"
        if where:
            sql += f" WHERE {where}"
        return [dict(zip(fields, r, strict=True)) for r in self._db.execute(sql, params).fetchall()]

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise _write_error(error, self.url) from error
        try:
            yield
        except sqlite3.Error as error:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise _write_error(error, self.url) from error
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as error:
            raise StoreError(f"写入数据库失败，已回滚：{error}") from error

    # --- coordination requests and letters ---------------------------------------------------

    def coordination_register(
        self, requests: Sequence[coord.CoordinationRequest], events: Sequence[coord.CoordinationEvent]
    ) -> list[str]:
        """Insert the requests whose id is new, each with its registration event."""
        inserted: list[str] = []
        with self._transaction():
            for request, event in zip(requests, events, strict=True):
                row = coord.request_to_row(request)
                cursor = self._db.execute(
                    _insert("coordination_requests", coord.REQUEST_FIELDS, ignore=True),
                    [row[f] for f in coord.REQUEST_FIELDS],
                )
                if cursor.rowcount:
                    self._append_coordination_event(event)
                    inserted.append(request.id)
        return inserted

    def coordination_update(
        self, request: coord.CoordinationRequest, *, expected_version: int, event: coord.CoordinationEvent
    ) -> None:
        """Replace a request and append its event if nobody changed it since ``expected_version``."""
        with self._transaction():
            self._update_request(request, expected_version, event)

    def _update_request(
        self, request: coord.CoordinationRequest, expected_version: int, event: coord.CoordinationEvent
    ) -> None:
        row = coord.request_to_row(request)
        fields = [f for f in coord.REQUEST_FIELDS if f != "id"]
        assignments = ", ".join(f'"{f}" = ?' for f in fields)
        cursor = self._db.execute(
            f"UPDATE coordination_requests SET {assignments} WHERE id = ? AND version = ?",
            [*(row[f] for f in fields), request.id, expected_version],
        )
        if cursor.rowcount == 0:
            current = self._db.execute(
                "SELECT version FROM coordination_requests WHERE id = ?", [request.id]
            ).fetchone()
            if current is None:
                raise NotFoundError(f"没有编号为 {request.id} 的协调事项")
            raise StaleItemError(
                f"协调事项 {request.id} 已被他人修改（版本 {expected_version} → {current[0]}），请刷新后重试"
            )
        self._append_coordination_event(event)

    def _append_coordination_event(self, event: coord.CoordinationEvent) -> None:
        row = coord.event_to_row(event)
        self._db.execute(
            _insert("coordination_history", coord.EVENT_FIELDS), [row[f] for f in coord.EVENT_FIELDS]
        )

    def coordination_request(self, request_id: str) -> coord.CoordinationRequest | None:
        """Return one request, ``None`` when absent."""
        rows = self._ledger_rows("coordination_requests", coord.REQUEST_FIELDS, "id = ?", [request_id])
        return coord.request_from_row(rows[0]) if rows else None

    def coordination_requests(self) -> list[coord.CoordinationRequest]:
        """Return every request, by id."""
        rows = self._ledger_rows("coordination_requests", coord.REQUEST_FIELDS, "1 ORDER BY id", [])
        return [coord.request_from_row(r) for r in rows]

    def coordination_history(self, request_id: str | None = None) -> list[coord.CoordinationEvent]:
        """Return a request's events (``None``: every request's), by request and oldest first."""
        fields = coord.EVENT_FIELDS
        if request_id is None:
            rows = self._ledger_rows("coordination_history", fields, "1 ORDER BY request_id, seq", [])
        else:
            rows = self._ledger_rows(
                "coordination_history", fields, "request_id = ? ORDER BY seq", [request_id]
            )
        return [coord.event_from_row(r) for r in rows]

    def coordination_version(self) -> int:
        """Return events plus letters: both only grow."""
        row = self._db.execute(
            "SELECT (SELECT COUNT(*) FROM coordination_history) + (SELECT COUNT(*) FROM letters)"
        ).fetchone()
        return int(row[0] or 0)

    def letter_issue(self, letter: coord.Letter, *, prefix: str, assign: Any) -> coord.Letter:
        """Give the letter the next number of its issuer and year; keep it with ``assign``'s changes."""
        with self._transaction():
            last = self._db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM letters WHERE issuer = ? AND year = ?",
                [letter.issuer, letter.year],
            ).fetchone()[0]
            seq = int(last) + 1
            numbered = letter.model_copy(
                update={"seq": seq, "number": coord.letter_number(prefix, letter.year, seq)}
            )
            for request, expected, event in assign(numbered):
                self._update_request(request, expected, event)
            row = coord.letter_to_row(numbered)
            self._db.execute(_insert("letters", coord.LETTER_FIELDS), [row[f] for f in coord.LETTER_FIELDS])
        return numbered

    def letters(self) -> list[coord.Letter]:
        """Return every letter, by year, issuer and number."""
        rows = self._ledger_rows("letters", coord.LETTER_FIELDS, "1 ORDER BY year, issuer, seq", [])
        return [coord.letter_from_row(r) for r in rows]

    # --- status reports ----------------------------------------------------------------------

    def append_reports(self, frame: pd.DataFrame, *, by: str, at: dt.datetime) -> int:
        """Append reports in one transaction, numbered on after every report recorded."""
        if frame.empty:
            return 0
        rows = conform_reports(frame.assign(recorded_by=by, recorded_at=at.isoformat(timespec="seconds")))
        with self._transaction():
            last = int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM reports").fetchone()[0])
            rows["seq"] = range(last + 1, last + 1 + len(rows))
            values = [
                [None if isinstance(v, float) and np.isnan(v) else v for v in row]
                for row in rows.astype(object).itertuples(index=False)
            ]
            self._db.executemany(_insert("reports", list(RECORDED_COLUMNS)), values)
        return len(rows)

    def reports(self) -> pd.DataFrame:
        """Return every recorded report in ``seq`` order."""
        columns = list(RECORDED_COLUMNS)
        rows = self._db.execute(f"SELECT {', '.join(columns)} FROM reports ORDER BY seq").fetchall()
        return conform_reports(pd.DataFrame.from_records(rows, columns=columns))

    def reports_version(self) -> int:
        """Return the last ``seq`` (reports only grow: every append moves it)."""
        return int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM reports").fetchone()[0])

    # --- published analyses ------------------------------------------------------------

    def result_put(self, key: str, payload: bytes) -> None:
        """Publish an analysis result under ``key``, replacing every other (one transaction)."""
        with self._transaction():
            self._db.execute("DELETE FROM results")
            self._db.execute("INSERT INTO results (key, payload) VALUES (?, ?)", (key, payload))

    def result_get(self, key: str) -> bytes | None:
        """Return the result published under ``key``, ``None`` when there is none."""
        row = self._db.execute("SELECT payload FROM results WHERE key = ?", (key,)).fetchone()
        return bytes(row[0]) if row else None

    # --- reading -----------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Return the number of rows per table."""
        return {
            table: int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]) for table in _SCHEMAS
        }

    def data_version(self) -> int:
        """Return a number that grows with every write."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
        return int(row[0]) if row else 0

    def load(self) -> LedgerTables:
        """Return everything the store holds."""
        return LedgerTables(**{table: self._select(table, "", ()) for table in _SCHEMAS})

    def neighbourhood(self, node_id: str, *, depth: int = 1) -> LedgerTables:
        """Return the nodes within ``depth`` links of ``node_id`` and the links among them."""
        seen = {node_id}
        frontier = {node_id}
        for _ in range(depth):
            found: set[str] = set()
            for chunk in _chunks(sorted(frontier)):
                marks = ", ".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT supplier_id, buyer_id FROM links WHERE supplier_id IN ({marks}) "
                    f"OR buyer_id IN ({marks})",
                    [*chunk, *chunk],
                ).fetchall()
                found.update(node for row in rows for node in row)
            frontier = found - seen
            seen |= found
            if not frontier:
                break
        ids = sorted(seen)
        links = pd.concat([self._select("links", "supplier_id IN ({m})", chunk) for chunk in _chunks(ids)])
        links = links[links["buyer_id"].isin(seen)]
        return LedgerTables(
            firms=self._select_in("firms", "id", ids),
            projects=self._select_in("projects", "id", ids),
            links=conform(links, "links"),
            problems=self._select_in("problems", "subject_id", ids),
            materials=self._select("materials", "", ()),
        )

    def _select_in(self, table: str, column: str, ids: Sequence[str]) -> pd.DataFrame:
        parts = [self._select(table, f"{column} IN ({{m}})", chunk) for chunk in _chunks(ids)]
        return conform(pd.concat(parts) if parts else pd.DataFrame(), table)

    def _select(self, table: str, where: str, params: Sequence[Any]) -> pd.DataFrame:
        columns = list(_SCHEMAS[table][0])
        sql = f"SELECT {', '.join(columns)} FROM {table}"
        if where:
            sql += " WHERE " + where.format(m=", ".join("?" * len(params)))
        rows = self._db.execute(sql, list(params)).fetchall()
        return conform(pd.DataFrame.from_records(rows, columns=columns), table)


def _write_error(error: sqlite3.Error, url: str) -> StoreError:
    """One actionable line for a failed write (everything was rolled back)."""
    text = str(error)
    if "locked" in text or "busy" in text:
        return StoreError(f"数据库文件 {url} 被其他程序占用（正在写入），本次未写入任何数据，请稍后重试")
    if "full" in text:
        return StoreError(f"磁盘空间不足，无法写入 {url}；已回滚，原有数据未改变。请清理磁盘后重试")
    return StoreError(f"写入数据库失败，已回滚，原有数据未改变：{text}")


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]


def _batches(frame: pd.DataFrame, table: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
    """Yield rows as tuples of plain Python values (NaN and NA as NULL), ``size`` at a time."""
    columns = _SCHEMAS[table][0]
    frame = conform(frame, table)
    for start in range(0, len(frame), size):
        part = frame.iloc[start : start + size]
        arrays = []
        for column, kind in columns.items():
            values = part[column]
            if kind == "float":
                array = values.to_numpy(dtype=object)
                array[np.isnan(values.to_numpy(dtype=float))] = None
            elif kind == "int":
                array = values.astype(object).where(values.notna(), None).to_numpy(dtype=object)
                array = np.array([None if v is None else int(v) for v in array], dtype=object)
            elif kind == "bool":
                array = values.to_numpy(dtype=bool).astype(int).astype(object)
            else:
                array = values.to_numpy(dtype=object)
            arrays.append(array)
        yield list(zip(*arrays, strict=True))
