"""The 补链清单 and 替代供应商 sheets, written and opened again as an official would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd

from exports.supply import GAP_COLUMNS, SUBSTITUTE_COLUMNS, gap_sheets, substitute_sheet
from exports.workbook import write_xlsx

INJECTED = '=HYPERLINK("http://evil.example/x","点我")'
TODAY = dt.date(2026, 11, 28)


def _gaps() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": [1, 2],
            "material": [INJECTED, "轴承"],
            "code": ["7208", ""],
            "chains": [["装备制造", "食品加工"], []],
            "buyers": [2, 1],
            "buyers_output": [35000.0, 500.0],
            "value_total": [1300.5, float("nan")],
            "value_outside": [1200.5, float("nan")],
            "local_share": [100 / 1300.5, 0.0],
            "share_basis": ["value", "groups"],
            "suppliers_local": [1, 0],
            "suppliers_in_province": [1, 0],
            "suppliers_out_of_province": [0, 2],
            "suppliers_unknown": [0, 0],
            "top_regions": [[{"region": "长沙市", "value": 1200.5, "links": 1}], []],
        }
    )


def test_the_gap_list_workbook(tmp_path: Path) -> None:
    path = tmp_path / "补链清单.xlsx"
    write_xlsx(path, gap_sheets(_gaps(), as_of=TODAY, threshold=0.3))
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert ws["A1"].value == "产业链补链清单（2026年11月28日）"
    assert [c.value for c in ws[2]] == [c.header for c in GAP_COLUMNS]
    assert ws.freeze_panes == "A3"
    assert ws.print_title_rows == "$1:$2"
    first, second = (dict(zip([c.key for c in GAP_COLUMNS], ws[k], strict=True)) for k in (3, 4))
    # the hostile name is text, flagged as such: never a formula
    assert first["material"].value == INJECTED
    assert first["material"].data_type == "s"
    assert first["material"].quotePrefix
    assert first["chains"].value == "装备制造、食品加工"
    assert first["value_outside"].value == 1200.5
    assert first["local_share"].value == 100 / 1300.5
    assert first["local_share"].number_format == "0.00%"
    assert first["buyers"].value == 2
    assert first["share_basis"].value == "按采购额"
    assert first["top_regions"].value == "长沙市 1,200.50 万元（1 条）"
    assert second["value_outside"].value is None  # no value: an empty cell, not 0
    assert second["share_basis"].value == "按采购方"
    assert "本地配套比例低于 30%" in str(ws["A6"].value)


def test_an_empty_gap_list_says_so(tmp_path: Path) -> None:
    [sheet] = gap_sheets(_gaps().iloc[:0], as_of=TODAY, threshold=0.3)
    assert sheet.notes[0] == "本期没有本地配套比例低于阈值的物料。"


def test_the_substitutes_sheet(tmp_path: Path) -> None:
    rows = pd.DataFrame(
        {
            "no": [1, 1],
            "supplier": ["长沙丙钢材有限公司"] * 2,
            "buyer": ["怀化甲机械有限公司"] * 2,
            "material": ["钢材"] * 2,
            "rank": [1, 2],
            "candidate": [INJECTED, "武汉丁电子有限公司"],
            "scope": ["local", "out_of_province"],
            "gain": [30000.0, 30000.0],
            "gain_output": [18000.0, 18000.0],
            "gain_investment": [12000.0, 12000.0],
            "buyers": [1, 1],
            "availability": [0.5, 1.0],
        }
    )
    path = tmp_path / "替代.xlsx"
    write_xlsx(path, [substitute_sheet(rows, as_of=TODAY)])
    ws = openpyxl.load_workbook(path)["替代供应商"]
    assert [c.value for c in ws[2]] == [c.header for c in SUBSTITUTE_COLUMNS]
    first = dict(zip([c.key for c in SUBSTITUTE_COLUMNS], ws[3], strict=True))
    assert first["candidate"].quotePrefix
    assert first["scope"].value == "本地"
    assert first["gain"].value == 30000.0
    assert first["availability"].number_format == "0.00%"
    assert ws["G4"].value == "省外"
