"""The 白名单推荐表 sheet, written as a real workbook and opened again as an official would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd

from chain_graph.gaps import analyze
from chain_graph.whitelist import nominations
from exports.whitelist import WHITELIST_COLUMNS, whitelist_sheets
from exports.workbook import write_xlsx
from tests.chain_graph.test_whitelist import CITY
from tests.defaults import SETTINGS

TODAY = dt.date(2026, 11, 28)


def test_the_nomination_workbook(tmp_path: Path) -> None:
    rows = nominations(analyze(CITY, settings=SETTINGS), CITY)
    path = tmp_path / "白名单推荐表.xlsx"
    write_xlsx(path, whitelist_sheets(rows, as_of=TODAY))
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert ws.title == "白名单推荐表"
    assert ws["A1"].value == "重点产业链供应链企业白名单推荐表（2026年11月28日）"
    assert [c.value for c in ws[2]] == [
        "序号",
        "企业名称",
        "所在县市区",
        "所属产业链",
        "风险敞口（万元）",
        "唯一供应的重点企业/项目数",
        "市外客户数",
        "生产状态",
        "推荐理由",
    ]
    assert ws.freeze_panes == "A3"
    table = [dict(zip([c.key for c in WHITELIST_COLUMNS], ws[k], strict=True)) for k in range(3, 7)]
    first, second, _, last = table
    assert [r["name"].value for r in table] == ["E1公司", "A公司", "B公司", "C公司"]
    assert first["rank"].value == 1
    assert isinstance(first["rank"].value, int)
    assert first["exposure"].value == 40000.0  # a number, with two decimals shown
    assert first["exposure"].number_format == "#,##0.00"
    assert second["single_source_buyers"].value == 1
    assert second["single_source_buyers"].data_type == "n"
    assert second["outside_buyers"].value == 1
    assert second["county"].value == "鹤城区"
    assert last["status"].value == "部分停产"
    assert last["reasons"].value == "供应市外 1 家企业"
    # widths for Chinese text: the name and the reasons columns are wide
    assert ws.column_dimensions["B"].width >= 28
    assert ws.column_dimensions["I"].width >= 48


def test_an_empty_list_says_so(tmp_path: Path) -> None:
    empty = pd.DataFrame({c.key: [] for c in WHITELIST_COLUMNS})
    path = tmp_path / "empty.xlsx"
    write_xlsx(path, whitelist_sheets(empty, as_of=TODAY))
    cells = [c for row in openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True) for c in row]
    assert "本期没有符合推荐条件的企业。" in cells
