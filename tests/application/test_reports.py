"""Status-report use cases: import all or nothing, who sees which reports, the 下发 rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from application import reports
from application.visibility import Visibility
from application.workspace import Workspace
from chain_graph.errors import ConfigError, IssueCode, NotFoundError
from chain_graph.settings import Settings
from ingest.loader import read_directory
from tests.defaults import SETTINGS
from tests.ledger_files import write_csv

TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 10, 0)
HEADERS = ["对象编号", "填报日期", "产能恢复率", "是否开复工", "在岗人数"]
HECHENG, ZHIJIANG = Visibility.of_county("431202"), Visibility.of_county("431228")


@pytest.fixture
def ws(tmp_path: Path, canonical_dir: Path) -> Iterator[Workspace]:
    settings = Settings(store=f"sqlite:///{tmp_path}/w.db", auth_db=str(tmp_path / "auth.db"))
    opened = Workspace(settings)
    with opened.store() as store:
        store.write(read_directory(canonical_dir, settings=SETTINGS).ledgers)
    yield opened
    opened.close()


def _file(tmp_path: Path, *rows: list[object]) -> Path:
    return write_csv(tmp_path / "复产填报.csv", [HEADERS, *rows])


def test_the_workspace_reads_the_reports_again_only_after_an_append(ws: Workspace, tmp_path: Path) -> None:
    empty = ws.reports()
    assert empty.empty
    assert ws.reports() is empty
    path = _file(tmp_path, ["E1", "2026-11-02", "40", "", "10"])
    outcome = reports.import_reports(ws, ws.snapshot(), HECHENG, [path], by="鹤城区", today=TODAY, at=NOW)
    assert outcome.written
    assert outcome.appended == 1
    first = ws.reports()
    assert list(first["id"]) == ["E1"]
    assert ws.reports() is first


def test_an_import_with_one_bad_row_records_nothing(ws: Workspace, tmp_path: Path) -> None:
    path = _file(tmp_path, ["E1", "2026-11-02", "40", "", ""], ["E2", "2026-11-02", "40", "", ""])
    outcome = reports.import_reports(ws, ws.snapshot(), HECHENG, [path], by="鹤城区", today=TODAY, at=NOW)
    assert not outcome.written
    assert [(i.code, i.row, i.value) for i in outcome.validation.issues] == [
        (IssueCode.UNKNOWN_REFERENCE, 3, "E2")
    ]
    assert ws.reports().empty


def test_who_sees_which_reports(ws: Workspace, tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        ["E1", "2026-11-02", "40", "", ""],
        ["E2", "2026-11-09", "70", "", ""],
        ["E1", "2026-11-16", "90", "", ""],
    )
    city = Visibility.whole_city()
    snap = ws.snapshot()
    assert reports.import_reports(ws, snap, city, [path], by="市局", today=TODAY, at=NOW).written
    assert list(reports.recorded(ws, snap, city)["id"]) == ["E1", "E2", "E1"]
    assert list(reports.recorded(ws, snap, HECHENG)["as_of"]) == ["2026-11-02", "2026-11-16"]
    assert list(reports.recorded(ws, snap, ZHIJIANG)["id"]) == ["E2"]
    window = reports.recorded(ws, snap, city, since=dt.date(2026, 11, 3), until=dt.date(2026, 11, 16))
    assert list(window["as_of"]) == ["2026-11-09", "2026-11-16"]
    assert list(reports.recorded(ws, snap, city, node_id="E2")["capacity"]) == [70.0]
    with pytest.raises(NotFoundError):
        reports.recorded(ws, snap, HECHENG, node_id="E2")  # as for an id that does not exist
    with pytest.raises(NotFoundError):
        reports.recorded(ws, snap, city, node_id="X9")
    [row] = reports.public(reports.recorded(ws, snap, ZHIJIANG))
    assert row["started"] is None
    assert row["recovery_days"] is None
    assert row["recorded_by"] == "市局"


def test_the_prefilled_rows_are_the_countys_state_at_today(ws: Workspace, tmp_path: Path) -> None:
    path = _file(tmp_path, ["E1", "2026-11-02", "40", "", "15"], ["P1", "2026-11-02", "", "是", ""])
    assert reports.import_reports(ws, ws.snapshot(), HECHENG, [path], by="x", today=TODAY, at=NOW).written
    rows = reports.prefilled(ws, ws.snapshot(), county="431202", today=TODAY).set_index("id")
    assert list(rows.index) == ["E1", "P1"]
    assert rows.at["E1", "capacity"] == 40.0
    assert rows.at["E1", "workers"] == 15.0
    assert rows.at["P1", "started"] == 1.0
    assert set(rows["as_of"]) == {"2026-11-20"}
    before = reports.prefilled(ws, ws.snapshot(), county="431202", today=dt.date(2026, 11, 1))
    assert before.set_index("id")["capacity"].isna()["E1"]  # the report is dated after
    with pytest.raises(ConfigError, match="没有重点规模企业或重点项目"):
        reports.prefilled(ws, ws.snapshot(), county="110101", today=TODAY)
