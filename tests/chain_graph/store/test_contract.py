"""The store contract: every backend passes the same tests (SQLite file, real Neo4j server)."""

from __future__ import annotations

import datetime as dt
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from chain_graph.campaign import state_at
from chain_graph.errors import NotFoundError, StaleItemError, StoreError
from chain_graph.model import PROBLEM_COLUMNS, LedgerTables
from chain_graph.problem_ledger import Action, LedgerItem, ProblemLedger, apply
from chain_graph.store import Store, open_store
from chain_graph.store.base import RECORDED_COLUMNS
from ingest.loader import read_directory
from tests.defaults import SETTINGS

# A batch the backend itself refuses (not a Python error raised by the test): SQLite gets a
# row with too few values, Neo4j a batch of problems (columns) with a map as a property value.
_POISON: dict[str, Any] = {
    "SQLiteStore": [("only-one-value",)],
    "Neo4jStore": {
        **{column: ["W9"] for column in PROBLEM_COLUMNS},
        "subject_id": ["E1"],
        "status": [{"a": 1}],
    },
}


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest) -> Store:
    """Every contract test runs once per backend; both are empty with a batch size of 3."""
    fixture = {"sqlite": "sqlite_store", "neo4j": "neo4j_store"}[request.param]
    opened: Store = request.getfixturevalue(fixture)
    return opened


@pytest.fixture
def ledgers(canonical_dir: Path) -> LedgerTables:
    """The canonical data set, with every optional column and the materials catalogue (物料目录)."""
    validation = read_directory(canonical_dir, settings=SETTINGS)
    assert validation.ok
    read = validation.ledgers
    assert read.links["annual_value"].notna().any()
    assert read.links["annual_value"].isna().any()
    assert (read.links["material_code"] != "").any()
    assert len(read.materials) > 0
    return read


def _assert_same(a: LedgerTables, b: LedgerTables) -> None:
    a, b = a.canonical(), b.canonical()
    for name in LedgerTables.TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


def test_round_trip_of_every_field(store: Store, ledgers: LedgerTables) -> None:
    store.write(ledgers)
    _assert_same(store.load(), ledgers)


def test_rewrite_changes_nothing(store: Store, ledgers: LedgerTables) -> None:
    store.write(ledgers)
    store.write(ledgers)
    assert store.counts() == ledgers.counts()
    _assert_same(store.load(), ledgers)


@pytest.mark.parametrize("rows", [2, 3, 4, 7])
def test_batch_boundaries(store: Store, rows: int) -> None:
    firms = pd.DataFrame(
        {
            "id": [f"F{i}" for i in range(rows)],
            "name": "甲",
            "status": "normal",
            "capacity": [float(i) for i in range(rows)],
        }
    )
    ledgers = LedgerTables.from_frames(firms=firms)
    store.write(ledgers)
    assert store.counts()["firms"] == rows
    _assert_same(store.load(), ledgers)


TRICKY = [
    "怀化“鑫达”机械",
    "emoji 🏭🚚",
    "back\\slash",
    "quote ' and \" both",
    "tab\tnew\nline",
    "=SUM(A1)",
    "",
    "零宽\u200b字符",
]


def test_unicode_in_every_text_field(store: Store) -> None:
    n = len(TRICKY)
    firm_text = ("name", "address", "chain", "problem", "contact", "phone", "extra")
    firms = pd.DataFrame(dict.fromkeys(firm_text, TRICKY)).assign(
        id=[f"F{i}" for i in range(n)], adcode="431202", status="normal"
    )
    project_text = ("name", "address", "category", "owner", "lead_unit")
    projects = pd.DataFrame(dict.fromkeys(project_text, TRICKY)).assign(id=[f"P{i}" for i in range(n)])
    links = pd.DataFrame(
        {
            "supplier_id": [f"F{i}" for i in range(n)],
            "buyer_id": [f"P{i}" for i in range(n)],
            "material": TRICKY,
        }
    )
    problems = pd.DataFrame(
        {
            "id": [f"W{i}" for i in range(n)],
            "subject_id": "P0",
            "description": TRICKY,
            "responsible_unit": TRICKY,
        }
    )
    ledgers = LedgerTables.from_frames(firms=firms, projects=projects, links=links, problems=problems)
    store.write(ledgers)
    _assert_same(store.load(), ledgers)


def test_replace_drops_what_is_not_in_the_new_data(store: Store, ledgers: LedgerTables) -> None:
    store.write(ledgers)
    smaller = LedgerTables(
        firms=ledgers.firms.iloc[:1],
        projects=ledgers.projects.iloc[:0],
        links=ledgers.links.iloc[:0],
        problems=ledgers.problems.iloc[:0],
        materials=ledgers.materials.iloc[:1],
    )
    store.write(smaller, replace=True)
    assert store.counts() == {"firms": 1, "projects": 0, "links": 0, "problems": 0, "materials": 1}


def test_neighbourhood(store: Store, ledgers: LedgerTables) -> None:
    # Canonical graph: S1 → E1, S2 → E1, S2 → E2, E1 → P1.
    store.write(ledgers)
    near = store.neighbourhood("E1", depth=1)
    assert sorted(near.firms["id"]) == ["E1", "S1", "S2"]
    assert sorted(near.projects["id"]) == ["P1"]
    assert len(near.links) == 3  # S1→E1, S2→E1, E1→P1 (S2→E2 leaves the neighbourhood)
    assert sorted(near.problems["id"]) == ["W1", "W2"]
    # The whole catalogue comes along: material identity needs it (supply spec).
    assert sorted(near.materials["code"]) == ["7208", "M-02"]
    far = store.neighbourhood("E1", depth=2)
    assert sorted(far.firms["id"]) == ["E1", "E2", "S1", "S2"]
    assert len(far.links) == 4
    alone = store.neighbourhood("nobody", depth=3)
    assert alone.firms.empty
    assert alone.links.empty


def test_failed_write_leaves_the_previous_content(
    store: Store, ledgers: LedgerTables, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write(ledgers)
    before = store.load()
    module = sys.modules[type(store).__module__]
    real = module._batches
    poison = _POISON[type(store).__name__]

    def failing(frame: pd.DataFrame, table: str, size: int) -> Iterator[Any]:
        yield from real(frame, table, size)
        if table == "problems":
            yield poison

    monkeypatch.setattr(module, "_batches", failing)
    changed = LedgerTables(
        firms=ledgers.firms.assign(name="改过的名字"),
        projects=ledgers.projects,
        links=ledgers.links,
        problems=ledgers.problems,
    )
    with pytest.raises(StoreError, match="已回滚"):
        store.write(changed, replace=True)
    _assert_same(store.load(), before)


def test_open_store_rejects_unknown_urls() -> None:
    from chain_graph.errors import ConfigError

    with pytest.raises(ConfigError):
        open_store("mysql://x", settings=SETTINGS)


def test_sqlite_store_in_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="不存在"):
        open_store(f"sqlite:///{tmp_path}/no/such/dir/x.db", settings=SETTINGS)


def test_data_version_grows_with_writes(store: Store, ledgers: LedgerTables) -> None:
    assert store.data_version() == 0
    store.write(ledgers)
    store.write(ledgers)
    assert store.data_version() == 2


# --- the problem ledger --------------------------------------------------------------------

_NOW = dt.datetime(2026, 11, 20, 9, 30)


def _ledger(store: Store) -> ProblemLedger:
    return ProblemLedger(store, clock=lambda: _NOW)


def _new_item(item_id: str = "W1", **changes: Any) -> LedgerItem:
    values: dict[str, Any] = {
        "id": item_id,
        "subject_id": "E1",
        "description": "原料断供 “急”",
        "responsible_unit": "市工业和信息化局",
        "co_units": ("鹤城区人民政府",),
        "deadline": dt.date(2026, 11, 30),
        "created_at": _NOW,
        "updated_at": _NOW,
    } | changes
    return LedgerItem(**values)


def test_ledger_register_is_idempotent(store: Store, ledgers: LedgerTables) -> None:
    store.write(ledgers)
    ledger = _ledger(store)
    assert ledger.register([_new_item("W1"), _new_item("W2")], by="导入") == ["W1", "W2"]
    assert ledger.register([_new_item("W1", description="改过"), _new_item("W3")], by="导入") == ["W3"]
    assert ledger.get("W1") == _new_item("W1")
    assert [e.action for e in ledger.history("W1")] == [Action.REGISTER]


def test_ledger_actions_keep_a_history(store: Store) -> None:
    ledger = _ledger(store)
    ledger.register([_new_item()], by="市工信局")
    ledger.act("W1", Action.START, by="鹤城区")
    ledger.act("W1", Action.EXTEND, by="鹤城区", note="设备未到", deadline=dt.date(2026, 12, 15))
    closed = ledger.act("W1", Action.CLOSE, by="鹤城区", note="已恢复供货")
    assert closed.version == 4
    assert ledger.get("W1") == closed
    history = ledger.history("W1")
    assert [(e.seq, e.action, e.by) for e in history] == [
        (1, Action.REGISTER, "市工信局"),
        (2, Action.START, "鹤城区"),
        (3, Action.EXTEND, "鹤城区"),
        (4, Action.CLOSE, "鹤城区"),
    ]
    assert history[2].detail == "期限 2026-11-30 → 2026-12-15"
    assert history[3].note == "已恢复供货"


def test_imports_never_touch_the_ledger(store: Store, ledgers: LedgerTables) -> None:
    ledger = _ledger(store)
    ledger.register([_new_item()], by="a")
    store.write(ledgers, replace=True)
    store.write(ledgers, replace=True)
    assert ledger.get("W1") == _new_item()


def test_a_stale_version_is_refused(store: Store) -> None:
    ledger = _ledger(store)
    ledger.register([_new_item()], by="a")
    ledger.act("W1", Action.START, by="a")
    with pytest.raises(StaleItemError, match="请刷新后重试"):
        ledger.act("W1", Action.CLOSE, by="b", note="x", expected_version=1)
    with pytest.raises(NotFoundError):
        ledger.act("W9", Action.START, by="a")


def test_two_concurrent_closes_one_wins(store: Store, request: pytest.FixtureRequest) -> None:
    _ledger(store).register([_new_item()], by="a")
    item = store.ledger_item("W1")
    assert item is not None
    # Two officials read version 1 and close at the same moment, each through its own connection.
    stores = [open_store(store.url, settings=SETTINGS) for _ in range(2)]
    for opened in stores:
        request.addfinalizer(opened.close)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def close(target: Store, who: str) -> None:
        new, event = apply(item, Action.CLOSE, by=who, at=_NOW, note=f"{who}办结")
        barrier.wait()
        try:
            target.ledger_update(new, expected_version=item.version, event=event)
            outcomes.append("won")
        except StaleItemError:
            outcomes.append("reload")

    threads = [threading.Thread(target=close, args=(s, who)) for s, who in zip(stores, "甲乙", strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["reload", "won"]
    history = store.ledger_history("W1")
    assert [e.action for e in history] == [Action.REGISTER, Action.CLOSE]
    final = store.ledger_item("W1")
    assert final is not None
    assert final.version == 2
    assert final.closing_note == history[1].note


def test_ledger_version_counts_changes_and_whole_history(store: Store) -> None:
    ledger = _ledger(store)
    assert store.ledger_version() == 0
    ledger.register([_new_item("W2"), _new_item("W1")], by="a")
    first = store.ledger_version()
    assert first > 0
    ledger.act("W1", Action.START, by="b")
    assert store.ledger_version() > first
    assert [(e.item_id, e.seq) for e in store.ledger_history()] == [("W1", 1), ("W1", 2), ("W2", 1)]


# --- status reports (状态填报) ----------------------------------------------------------------

_NAN = float("nan")


def _reports(*rows: tuple[str, str, str, float, float]) -> pd.DataFrame:
    """Reports of (id, as_of, status, capacity, started), the other fields blank."""
    return pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "as_of": [r[1] for r in rows],
            "status": [r[2] for r in rows],
            "capacity": [r[3] for r in rows],
            "recovery_days": _NAN,
            "problem": "",
            "started": [r[4] for r in rows],
            "completed": _NAN,
            "workers": 12.0,
            "reporter": "鹤城区工信局“复产专班”",
        }
    )


def test_reports_are_appended_in_order_with_who_and_when(store: Store) -> None:
    assert store.reports_version() == 0
    assert list(store.reports().columns) == list(RECORDED_COLUMNS)
    assert store.reports().empty
    first = _reports(("E1", "2026-11-02", "partial", 40.0, _NAN), ("P1", "2026-11-02", "", _NAN, 1.0))
    assert store.append_reports(first, by="鹤城区", at=_NOW) == 2
    version = store.reports_version()
    assert version > 0
    later = _NOW + dt.timedelta(hours=1)
    assert store.append_reports(_reports(("E2", "2026-11-09", "normal", _NAN, 0.0)), by="市局", at=later) == 1
    assert store.reports_version() != version
    found = store.reports()
    assert list(found.columns) == list(RECORDED_COLUMNS)
    assert list(found["seq"]) == sorted(found["seq"])
    assert found["seq"].is_unique
    assert list(found["id"]) == ["E1", "P1", "E2"]
    assert list(found["recorded_by"]) == ["鹤城区", "鹤城区", "市局"]
    assert list(found["recorded_at"]) == [_NOW.isoformat(timespec="seconds")] * 2 + [
        later.isoformat(timespec="seconds")
    ]
    expected = pd.concat([first, _reports(("E2", "2026-11-09", "normal", _NAN, 0.0))], ignore_index=True)
    pd.testing.assert_frame_equal(found[list(expected.columns)], expected, check_dtype=False)
    assert found["started"].isna()[0]
    assert found.at[2, "started"] == 0.0


def test_appending_nothing_changes_nothing(store: Store) -> None:
    assert store.append_reports(_reports(), by="a", at=_NOW) == 0
    assert store.reports_version() == 0


def test_a_correction_is_a_later_row_and_the_replaced_row_stays(store: Store, ledgers: LedgerTables) -> None:
    store.write(ledgers)
    store.append_reports(_reports(("E2", "2026-11-02", "partial", 40.0, _NAN)), by="芷江", at=_NOW)
    store.append_reports(_reports(("E2", "2026-11-02", "partial", 65.0, _NAN)), by="芷江", at=_NOW)
    history = store.reports()
    assert list(history["capacity"]) == [40.0, 65.0]
    at = state_at(store.load(), history, as_of=dt.date(2026, 11, 2)).firms.set_index("id")
    assert at.at["E2", "capacity"] == 65.0


def test_imports_never_touch_the_reports(store: Store, ledgers: LedgerTables) -> None:
    store.append_reports(_reports(("E1", "2026-11-02", "stopped", 0.0, _NAN)), by="a", at=_NOW)
    recorded, version = store.reports(), store.reports_version()
    store.write(ledgers, replace=True)
    store.write(LedgerTables.from_frames(), replace=True)
    pd.testing.assert_frame_equal(store.reports(), recorded)
    assert store.reports_version() == version


def test_reports_are_append_only_in_the_store_itself(store: Store) -> None:
    store.append_reports(_reports(("E1", "2026-11-02", "stopped", 0.0, _NAN)), by="a", at=_NOW)
    if store.url.startswith("sqlite"):  # triggers refuse a change or a deletion
        import sqlite3

        db: sqlite3.Connection = store._db  # type: ignore[attr-defined]
        for statement in ("UPDATE reports SET capacity = 100", "DELETE FROM reports"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement)
    else:  # a second report under a recorded number is refused (the number is unique)
        import neo4j.exceptions

        with pytest.raises(neo4j.exceptions.ConstraintError):
            store._driver.execute_query("CREATE (:Report {seq: 1, id: 'E9'})")  # type: ignore[attr-defined]
    assert list(store.reports()["capacity"]) == [0.0]


def test_two_appends_at_once_are_numbered_one_after_the_other(
    store: Store, request: pytest.FixtureRequest
) -> None:
    stores = [open_store(store.url, settings=SETTINGS) for _ in range(2)]
    for opened in stores:
        request.addfinalizer(opened.close)
    barrier = threading.Barrier(2)

    def append(target: Store, who: str) -> None:
        rows = _reports(*[(f"{who}{i}", "2026-11-02", "normal", _NAN, _NAN) for i in range(5)])
        barrier.wait()
        target.append_reports(rows, by=who, at=_NOW)

    threads = [threading.Thread(target=append, args=(s, who)) for s, who in zip(stores, "AB", strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = store.reports()
    assert sorted(found["seq"]) == list(range(1, 11))
    for who in "AB":  # each append is one block of numbers
        seqs = found.loc[found["recorded_by"] == who, "seq"].tolist()
        assert seqs == list(range(seqs[0], seqs[0] + 5))


def test_an_older_sqlite_file_gains_the_new_columns(tmp_path: Path, ledgers: LedgerTables) -> None:
    """A file written before the supply columns existed opens, reads and takes them."""
    import sqlite3

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE links (supplier_id TEXT NOT NULL DEFAULT '', buyer_id TEXT NOT NULL DEFAULT '', "
        "material TEXT NOT NULL DEFAULT '', share REAL, critical INTEGER NOT NULL DEFAULT 0, "
        "stock_days INTEGER, extra TEXT NOT NULL DEFAULT '', PRIMARY KEY (supplier_id, buyer_id, material))"
    )
    db.execute("INSERT INTO links VALUES ('S1', 'E1', '钢', 60.0, 1, 5, '')")
    db.commit()
    db.close()
    with open_store(f"sqlite:///{path}", settings=SETTINGS) as store:
        old = store.load().links
        assert old["annual_value"].isna().all()
        assert old["material_code"].tolist() == [""]
        store.write(ledgers, replace=True)
        _assert_same(store.load(), ledgers)


def test_a_published_result_replaces_the_one_before(store: Store) -> None:
    assert store.result_get("v1-1") is None
    big = bytes(range(256)) * (5 * 2**20 // 256 + 7)  # more than one part in Neo4j
    store.result_put("v1-1", b"first")
    store.result_put("v1-2", big)
    assert store.result_get("v1-2") == big
    assert store.result_get("v1-1") is None  # only the current result is kept
    store.result_put("v1-2", b"again")  # the same version analysed twice: the last one stands
    assert store.result_get("v1-2") == b"again"
    store.write(LedgerTables())  # a data write leaves the result to its key's version
    assert store.result_get("v1-2") == b"again"
