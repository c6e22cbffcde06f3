"""The exported workbooks and CSVs, opened again with openpyxl and csv as an official would."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from chain_graph.gaps import GapAnalysis, analyze
from chain_graph.list_rows import coordination_rows, local_rows
from chain_graph.model import LedgerTables
from chain_graph.problem_ledger import Action, LedgerItem, apply, registration
from exports.lists import COORDINATION_COLUMNS, coordination_sheets, ledger_sheets, local_sheets
from exports.workbook import write_csv, write_xlsx
from ingest.loader import read_directory
from tests.defaults import SETTINGS

INJECTED = '=HYPERLINK("http://evil.example/x","点我")'
TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def ledgers(canonical_dir: Path) -> LedgerTables:
    base = read_directory(canonical_dir, settings=SETTINGS).ledgers
    firms = base.firms.copy()
    # S1 (Changsha, stopped) is the one blocked supplier outside the city: give it a hostile name.
    firms.loc[firms["id"] == "S1", "name"] = INJECTED
    # S2 becomes a stopped local supplier in 中方县 (431221), for the county list.
    firms.loc[firms["id"] == "S2", ["adcode", "status"]] = ["431221", "stopped"]
    return LedgerTables(firms=firms, projects=base.projects, links=base.links, problems=base.problems)


@pytest.fixture
def analysis(ledgers: LedgerTables) -> GapAnalysis:
    return analyze(ledgers, settings=SETTINGS)


def test_coordination_workbook(tmp_path: Path, ledgers: LedgerTables, analysis: GapAnalysis) -> None:
    path = tmp_path / "协调清单.xlsx"
    write_xlsx(path, coordination_sheets(coordination_rows(analysis, ledgers), as_of=TODAY))
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert ws.title == "跨区域协调清单"
    assert ws["A1"].value == "跨区域协调清单（2026年11月28日）"
    assert [c.value for c in ws[2]] == [c.header for c in COORDINATION_COLUMNS]
    assert ws.freeze_panes == "A3"
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 1  # S1 supplies one direct buyer (E1) one material (钢材)
    row = dict(zip([c.header for c in COORDINATION_COLUMNS], rows[0], strict=True))
    s1 = analysis.blocked.set_index("id").loc["S1"]
    assert row["序号"] == 1
    assert row["需求企业/项目"] == "怀化甲机械有限公司"
    assert row["所在县市区"] == "鹤城区"
    assert row["配套企业所在地（省/市/县）"] == "湖南省 长沙市 雨花区"
    assert row["配套产品"] == "钢材"
    assert row["库存可用天数"] == 10
    # Restoring S1 lifts E1 from 0 to 0.6 (30000 · 0.6 = 18000) and P1, a tier further,
    # from 0 to 0.6 (20000 · 0.6 = 12000): the row holds E1's gain, 合计 both.
    assert row["影响产值（万元）"] == pytest.approx(18000.0)
    assert row["影响投资（万元）"] == 0.0
    assert row["合计（万元）"] == pytest.approx(30000.0) == s1["recovered_value"]
    assert ws.cell(row=3, column=9).data_type == "n"  # a number, not text
    assert ws.cell(row=3, column=9).number_format == "#,##0.00"
    assert ws.cell(row=3, column=1).number_format == "#,##0"
    assert row["优先级"] == 1
    assert row["建议协调单位"] == "省工业和信息化厅"
    # The injected formula is text: a string cell, shown as written, never evaluated.
    supplier = ws.cell(row=3, column=4)
    assert supplier.value == INJECTED
    assert supplier.data_type == "s"
    assert supplier.quotePrefix


def test_coordination_by_region_adds_a_sheet_per_target(
    tmp_path: Path, ledgers: LedgerTables, analysis: GapAnalysis
) -> None:
    path = tmp_path / "c.xlsx"
    write_xlsx(path, coordination_sheets(coordination_rows(analysis, ledgers), as_of=TODAY, by_region=True))
    assert openpyxl.load_workbook(path).sheetnames == ["跨区域协调清单", "长沙市"]


def test_coordination_csv_neutralises_formulas(
    tmp_path: Path, ledgers: LedgerTables, analysis: GapAnalysis
) -> None:
    path = tmp_path / "c.csv"
    write_csv(path, coordination_sheets(coordination_rows(analysis, ledgers), as_of=TODAY))
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [c.header for c in COORDINATION_COLUMNS]
    assert rows[1][3] == "'" + INJECTED


def test_coordination_csv_shows_the_total_once_per_supplier(
    tmp_path: Path, ledgers: LedgerTables, analysis: GapAnalysis
) -> None:
    # S2 outside the province and stopped: two rows (E1 steel, E2 chips) after S1's one.
    firms = ledgers.firms.copy()
    firms.loc[firms["id"] == "S2", "adcode"] = "440106"
    moved = LedgerTables(
        firms=firms, projects=ledgers.projects, links=ledgers.links, problems=ledgers.problems
    )
    path = tmp_path / "c.csv"
    write_csv(
        path, coordination_sheets(coordination_rows(analyze(moved, settings=SETTINGS), moved), as_of=TODAY)
    )
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["配套企业"], r["影响产值（万元）"], r["合计（万元）"], r["优先级"]) for r in rows] == [
        ("'" + INJECTED, "18000.00", "30000.00", "1"),
        ("武汉丁电子有限公司", "12000.00", "20000.00", "2"),
        ("武汉丁电子有限公司", "0.00", "", "2"),
    ]


def test_region_sheets_in_adcode_order(tmp_path: Path, ledgers: LedgerTables) -> None:
    # 广东省 (44) sorts before 长沙市 (4301) by name, after it by adcode.
    firms = ledgers.firms.copy()
    firms.loc[firms["id"] == "S2", "adcode"] = "440106"
    moved = LedgerTables(
        firms=firms, projects=ledgers.projects, links=ledgers.links, problems=ledgers.problems
    )
    rows = coordination_rows(analyze(moved, settings=SETTINGS), moved)
    path = tmp_path / "c.xlsx"
    write_xlsx(path, coordination_sheets(rows, as_of=TODAY, by_region=True))
    assert openpyxl.load_workbook(path).sheetnames == ["跨区域协调清单", "长沙市", "广东省"]


def test_local_workbook_has_one_sheet_per_county(
    tmp_path: Path, ledgers: LedgerTables, analysis: GapAnalysis
) -> None:
    path = tmp_path / "本地.xlsx"
    write_xlsx(path, local_sheets(local_rows(analysis, ledgers), as_of=TODAY))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["中方县"]
    ws = book["中方县"]
    assert ws["A1"].value == "本地配套企业督促复产清单（2026年11月28日）—中方县"
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert [(r[1], r[4], r[5]) for r in rows] == [
        ("武汉丁电子有限公司", "怀化甲机械有限公司", "钢材"),
        ("武汉丁电子有限公司", "芷江乙食品有限公司", "芯片"),
    ]
    assert all(r[12] == "中方县人民政府" for r in rows)
    # S2 alone lifts E1 to 0.4 (12000) and P1 to 0.4 (8000); E2's chips are not critical.
    assert [(r[6], r[8]) for r in rows] == [(pytest.approx(12000.0), pytest.approx(20000.0)), (0.0, None)]
    assert sorted(str(m) for m in ws.merged_cells.ranges) == ["A1:M1", "I3:I4"]  # 合计 once for S2
    assert [r[11] for r in rows] == [1, 1]


def test_ledger_workbook_dates_statuses_and_history(tmp_path: Path, ledgers: LedgerTables) -> None:
    at = dt.datetime(2026, 11, 20, 9, 0)
    item = LedgerItem(
        id="W1",
        subject_id="E1",
        supplier_id="S1",
        description=INJECTED,
        responsible_unit="市工业和信息化局",
        deadline=dt.date(2026, 11, 25),
        created_at=at,
        updated_at=at,
    )
    started, event = apply(item, Action.START, by="鹤城区", at=at)
    path = tmp_path / "台账.xlsx"
    write_xlsx(
        path, ledger_sheets([started], [registration(item, by="市工信局"), event], ledgers, today=TODAY)
    )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["问题台账", "办理记录"]
    ws = book["问题台账"]
    header = [c.value for c in ws[2]]
    values = dict(zip(header, next(ws.iter_rows(min_row=3, values_only=True)), strict=True))
    assert values["办理期限"] == dt.datetime(2026, 11, 25)
    assert ws.cell(row=3, column=header.index("办理期限") + 1).number_format == "yyyy-mm-dd"
    assert values["办理状态"] == "办理中"
    assert values["逾期天数"] == 3
    assert values["问题描述"] == INJECTED
    assert values["企业/项目"] == "怀化甲机械有限公司"
    history = list(book["办理记录"].iter_rows(min_row=3, values_only=True))
    assert [(r[1], r[3], r[4], r[6]) for r in history] == [
        (1, "市工信局", "挂号", "已挂号"),
        (2, "鹤城区", "开始办理", "办理中"),
    ]


def test_csv_refuses_tables_of_different_columns(tmp_path: Path, ledgers: LedgerTables) -> None:
    with pytest.raises(ValueError, match="same columns"):
        write_csv(tmp_path / "x.csv", ledger_sheets([], [], ledgers, today=TODAY))
    assert not (tmp_path / "x.csv").exists()
