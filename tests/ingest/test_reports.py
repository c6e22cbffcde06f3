"""Status reports (状态填报): Chinese headers, a located error per mistake, a separate import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest

from chain_graph.errors import ConfigError, IssueCode
from chain_graph.model import LedgerTables
from ingest.loader import read_directory
from ingest.reports import read_reports
from ingest.validate import ReportValidation
from tests.defaults import SETTINGS
from tests.ledger_files import write_csv, write_xlsx

TODAY = dt.date(2026, 11, 20)
HEADERS = ["对象编号", "填报日期", "生产状态", "产能恢复率", "预计恢复天数", "存在问题", "是否开复工"]
HEADERS += ["累计完成投资", "在岗人数", "填报人"]
# E1 and P1 are of 鹤城区 (431202), E2 of 芷江 (431228); S1, S2 out of the city.
GOOD: list[list[object]] = [
    ["E1", "2026.11.02", "部分停产", "50％", "7天", "缺钢材", "", "", "120", "鹤城区工信局"],
    ["P1", "2026年11月2日", "", "", "", "", "是", "1.2亿元", "80", "张三"],
    ["E2", "2026-11-09", "正常", "", "", "", "", "", "", ""],
]


@pytest.fixture
def ledgers(canonical_dir: Path) -> LedgerTables:
    return read_directory(canonical_dir, settings=SETTINGS).ledgers


def _read(
    tmp_path: Path, rows: Sequence[Sequence[object]], ledgers: LedgerTables, *, county: str = ""
) -> ReportValidation:
    path = write_csv(tmp_path / "复产填报.csv", [HEADERS, *rows])
    return read_reports([path], ledgers=ledgers, today=TODAY, county=county)


def test_chinese_headers_and_values_as_officials_type_them(tmp_path: Path, ledgers: LedgerTables) -> None:
    path = write_csv(tmp_path / "状态填报.csv", [HEADERS, *GOOD], encoding="gbk")
    found = read_reports([path], ledgers=ledgers, today=TODAY)
    assert found.ok, found.issues
    rows = found.reports.set_index("id")
    assert list(found.reports.columns) == [
        "id",
        "as_of",
        "status",
        "capacity",
        "recovery_days",
        "problem",
        "started",
        "completed",
        "workers",
        "reporter",
    ]
    assert rows.loc["E1", "as_of"] == "2026-11-02"
    assert rows.loc["E1", "status"] == "partial"
    assert rows.loc["E1", "capacity"] == 50.0
    assert rows.loc["E1", "recovery_days"] == 7.0
    assert rows.loc["E1", "workers"] == 120.0
    assert rows["started"].isna()["E1"]
    assert rows.loc["P1", "as_of"] == "2026-11-02"
    assert rows.loc["P1", "started"] == 1.0
    assert rows.loc["P1", "completed"] == 12000.0
    assert rows.loc["P1", "status"] == ""
    assert rows.loc["E2", "problem"] == ""
    assert rows["capacity"].isna()["E2"]


@pytest.mark.parametrize(
    ("row", "code", "column"),
    [
        (["", "2026-11-03", "正常", "", "", "", "", "", "", ""], IssueCode.VALUE_MISSING, "对象编号"),
        (["E1", "", "正常", "", "", "", "", "", "", ""], IssueCode.VALUE_MISSING, "填报日期"),
        (["E1", "11月2日", "", "", "", "", "", "", "", ""], IssueCode.BAD_DATE, "填报日期"),
        (["E1", "2026-11-21", "", "", "", "", "", "", "", ""], IssueCode.DATE_IN_FUTURE, "填报日期"),
        (["E1", "2026-11-03", "半停", "", "", "", "", "", "", ""], IssueCode.UNKNOWN_WORD, "生产状态"),
        (["E1", "2026-11-03", "", "120%", "", "", "", "", "", ""], IssueCode.OUT_OF_RANGE, "产能恢复率"),
        (["E1", "2026-11-03", "", "", "1.5", "", "", "", "", ""], IssueCode.NOT_AN_INTEGER, "预计恢复天数"),
        (["E1", "2026-11-03", "", "", "", "", "", "", "-3", ""], IssueCode.OUT_OF_RANGE, "在岗人数"),
        (["P1", "2026-11-03", "", "", "", "", "也许", "", "", ""], IssueCode.UNKNOWN_WORD, "是否开复工"),
        (["P1", "2026-11-03", "", "", "", "", "", "500元", "", ""], IssueCode.AMBIGUOUS_UNIT, "累计完成投资"),
        (["X9", "2026-11-03", "正常", "", "", "", "", "", "", ""], IssueCode.UNKNOWN_REFERENCE, "对象编号"),
        (
            ["E1", "2026-11-03", "", "", "", "", "是", "", "", ""],
            IssueCode.FIELD_NOT_APPLICABLE,
            "是否开复工",
        ),
        (
            ["E1", "2026-11-03", "", "", "", "", "", "300", "", ""],
            IssueCode.FIELD_NOT_APPLICABLE,
            "累计完成投资",
        ),
        (
            ["P1", "2026-11-03", "停产", "", "", "", "", "", "", ""],
            IssueCode.FIELD_NOT_APPLICABLE,
            "生产状态",
        ),
        (
            ["P1", "2026-11-03", "", "80", "", "", "", "", "", ""],
            IssueCode.FIELD_NOT_APPLICABLE,
            "产能恢复率",
        ),
    ],
)
def test_each_mistake_is_located(
    tmp_path: Path, ledgers: LedgerTables, row: list[object], code: IssueCode, column: str
) -> None:
    found = _read(tmp_path, [GOOD[0], row], ledgers)
    assert not found.ok
    [issue] = found.issues
    assert (issue.code, issue.file, issue.row, issue.column) == (code, "复产填报.csv", 3, column)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in issue.message)
    assert list(found.reports["id"]) == ["E1"]


def test_a_countys_return_refuses_another_countys_entity_as_unknown(
    tmp_path: Path, ledgers: LedgerTables
) -> None:
    own = ["E1", "2026-11-02", "正常", "", "", "", "", "", "", ""]
    foreign = _read(
        tmp_path, [own, ["E2", "2026-11-02", "正常", "", "", "", "", "", "", ""]], ledgers, county="431202"
    )
    unknown = _read(
        tmp_path, [own, ["X9", "2026-11-02", "正常", "", "", "", "", "", "", ""]], ledgers, county="431202"
    )
    [a] = foreign.issues
    [b] = unknown.issues
    assert (
        (a.code, a.row, a.column) == (b.code, b.row, b.column) == (IssueCode.UNKNOWN_REFERENCE, 3, "对象编号")
    )
    assert a.message.replace("E2", "?") == b.message.replace("X9", "?")
    # Suppliers out of the city are no county's: also refused. The city may report on all.
    outside = _read(
        tmp_path, [["S1", "2026-11-02", "停产", "", "", "", "", "", "", ""]], ledgers, county="431202"
    )
    assert [i.code for i in outside.issues] == [IssueCode.UNKNOWN_REFERENCE]
    assert _read(tmp_path, [own, GOOD[2]], ledgers).ok


def test_one_id_and_date_twice_is_refused_in_a_file_and_across_files(
    tmp_path: Path, ledgers: LedgerTables
) -> None:
    again = ["E1", "2026-11-02", "正常", "", "", "", "", "", "", ""]
    found = _read(tmp_path, [GOOD[0], again], ledgers)
    assert [(i.code, i.row) for i in found.issues] == [
        (IssueCode.DUPLICATE_ID, 2),
        (IssueCode.DUPLICATE_ID, 3),
    ]
    first = write_csv(tmp_path / "a.csv", [HEADERS, GOOD[0]])
    second = write_csv(tmp_path / "b.csv", [HEADERS, again, GOOD[2]])
    across = read_reports([first, second], ledgers=ledgers, today=TODAY)
    [issue] = across.issues
    assert (issue.code, issue.file, issue.row) == (IssueCode.DUPLICATE_ID, "b.csv", 2)
    assert "a.csv 第 2 行" in issue.message


def test_a_workbook_with_a_title_row_and_a_guide_sheet(tmp_path: Path, ledgers: LedgerTables) -> None:
    path = write_xlsx(
        tmp_path / "鹤城区填报.xlsx",
        {"填写说明": [["请填写"]], "周报表": [["鹤城区复产填报（截至 2026-11-20）"], HEADERS, GOOD[0]]},
    )
    found = read_reports([path], ledgers=ledgers, today=TODAY)
    assert found.ok, found.issues
    assert list(found.reports["id"]) == ["E1"]
    bad = write_xlsx(tmp_path / "b.xlsx", {"周报表": [["标题"], HEADERS, ["E1", "明天"]]})
    [issue] = read_reports([bad], ledgers=ledgers, today=TODAY).issues
    assert (issue.sheet, issue.row, issue.code) == ("周报表", 3, IssueCode.BAD_DATE)


def test_a_missing_column_and_an_empty_file(tmp_path: Path, ledgers: LedgerTables) -> None:
    path = write_csv(tmp_path / "r.csv", [["对象编号", "生产状态"], ["E1", "正常"]])
    [issue] = read_reports([path], ledgers=ledgers, today=TODAY).issues
    assert (issue.code, issue.column) == (IssueCode.COLUMN_MISSING, "填报日期")
    empty = write_csv(tmp_path / "e.csv", [HEADERS])
    assert [i.code for i in read_reports([empty], ledgers=ledgers, today=TODAY).issues] == [
        IssueCode.TABLE_EMPTY
    ]


@pytest.mark.parametrize("name", ["missing.csv", "notes.txt"])
def test_a_path_that_is_no_reports_file_is_a_usage_error(
    tmp_path: Path, ledgers: LedgerTables, name: str
) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="填报文件"):
        read_reports([tmp_path / name], ledgers=ledgers, today=TODAY)


@pytest.mark.parametrize("where", ["file", "sheet"])
def test_a_directory_of_ledgers_passes_a_reports_file_by(canonical_dir: Path, where: str) -> None:
    before = read_directory(canonical_dir, settings=SETTINGS)
    if where == "file":
        write_csv(canonical_dir / "复产填报.csv", [HEADERS, ["X9", "坏日期"]])
    else:
        write_xlsx(canonical_dir / "鹤城区.xlsx", {"填写说明": [["说明"]], "状态填报": [HEADERS, ["X9"]]})
    after = read_directory(canonical_dir, settings=SETTINGS)
    assert after.ok, after.issues
    assert before.ledgers.counts() == after.ledgers.counts()
