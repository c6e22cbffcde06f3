"""Workbooks written as SpreadsheetML text, read back by openpyxl: what goes in comes out.

Whatever a ledger holds (any text, control characters, a formula, a number, a date) is
read back as it was written: text as a string cell (a formula start marked quote prefix),
numbers as numbers, dates as dates; XML-illegal characters are dropped, nothing else.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exports.spreadsheetml import Strings, Style, Styles, cell_xml
from exports.workbook import Column, Sheet, _display_width, workbook_bytes

DAY = dt.date(2026, 11, 28)
COLUMNS = (
    Column("text", "文本", width=20),
    Column("count", "数量", "int", 8),
    Column("money", "金额", "float", 12),
    Column("share", "比例", "percent", 9),
    Column("day", "日期", "date", 12),
    Column("at", "时间", "datetime", 17),
)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _read(rows: pd.DataFrame, columns: tuple[Column, ...] = COLUMNS) -> openpyxl.Workbook:
    content = workbook_bytes([Sheet("表", "标题", columns, rows, notes=("说明。",), exported=DAY)])
    return openpyxl.load_workbook(io.BytesIO(content))


texts = st.text(st.characters(codec="utf-8"), max_size=40)  # no lone surrogates


@settings(max_examples=60, deadline=None)
@given(st.lists(texts, min_size=1, max_size=5))
def test_any_text_reads_back_as_text_formulas_never_run(values: list[str]) -> None:
    ws = _read(pd.DataFrame({"text": values}), COLUMNS[:1]).worksheets[0]
    for k, value in enumerate(values, start=3):
        cell = ws.cell(row=k, column=1)
        kept = _ILLEGAL.sub("", value)
        assert (cell.value or "") == kept
        if kept:
            assert cell.data_type == "s"
            assert bool(cell.quotePrefix) == kept.startswith(FORMULA_START)


def test_figures_and_dates_read_back_with_their_formats() -> None:
    rows = pd.DataFrame(
        {
            "text": ["甲", None],
            "count": [3, None],
            "money": [1234.5, float("nan")],
            "share": [0.25, None],
            "day": [dt.date(2026, 12, 1), None],
            "at": pd.Series([pd.Timestamp("2026-11-28 18:30"), pd.NaT]),  # datetime64
        }
    )
    ws = _read(rows).worksheets[0]
    first = [ws.cell(row=3, column=j) for j in range(1, 7)]
    assert [c.value for c in first] == [
        "甲",
        3,
        1234.5,
        0.25,
        dt.datetime(2026, 12, 1),
        dt.datetime(2026, 11, 28, 18, 30),
    ]
    assert [c.number_format for c in first[1:]] == [
        "#,##0",
        "#,##0.00",
        "0.00%",
        "yyyy-mm-dd",
        "yyyy-mm-dd hh:mm",
    ]
    assert type(first[1].value) is int
    assert [ws.cell(row=4, column=j).value for j in range(1, 7)] == [None] * 6  # missing: empty
    assert ws.cell(row=4, column=3).border.left.style == "thin"  # still in the table's box
    assert ws["A6"].value == "说明。"


def test_the_package_holds_each_text_and_style_once() -> None:
    rows = pd.DataFrame({"text": ["钢材", "钢材", "=1", "钢材"]})
    content = workbook_bytes([Sheet("表", "标题", COLUMNS[:1], rows)])
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        strings = book.read("xl/sharedStrings.xml").decode()
        styles = book.read("xl/styles.xml").decode()
    assert strings.count("<si>") == 4  # 标题, 文本, 钢材, =1
    # default, title, header, text, quoted text, a figure of each kind, an empty boxed cell
    assert re.search(r'<cellXfs count="(\d+)">', styles).group(1) == str(1 + 1 + 1 + 2 + 6 + 1)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "xml"),
    [
        (None, ' s="3"/>'),
        ("", ' s="3"/>'),
        (True, ' s="3" t="b"><v>1</v></c>'),
        (7, ' s="3"><v>7</v></c>'),
        (0.1, ' s="3"><v>0.1</v></c>'),
        (float("inf"), ' s="3"/>'),
        (dt.date(1900, 3, 1), ' s="3"><v>61</v></c>'),  # Excel's day 61 (its 1900 leap-day bug before)
        (dt.datetime(2026, 11, 28, 12), ' s="3"><v>46354.5</v></c>'),
    ],
)
def test_cell_values(value: object, xml: str) -> None:
    assert cell_xml(value, 3, Strings()) == xml


def test_styles_are_numbered_once_each() -> None:
    styles = Styles()
    boxed = Style(border="808080")
    assert (styles(Style()), styles(boxed), styles(Style(bold=True)), styles(boxed)) == (0, 1, 2, 1)


@pytest.mark.parametrize(
    ("text", "width"),
    [("钢材 A4", 7.0), ("ABC", 3.0), ("（一）", 6.0), ("—“”", 3.0), ("𠀀", 2.0), ("", 0.0)],
)
def test_display_width_counts_wide_characters_twice(text: str, width: float) -> None:
    assert _display_width(text) == width


@pytest.mark.parametrize(
    ("typed", "kept", "quoted"),
    [
        ("\x01=SUM(A1)", "=SUM(A1)", True),  # a formula once the illegal character is dropped
        ("_x000D_ 已核实", "_x000D_ 已核实", False),  # OOXML's escape form, typed: shown as typed
        ("a_x0041_b", "a_x0041_b", False),
    ],
)
def test_what_a_cell_keeps_is_what_is_checked_and_shown(typed: str, kept: str, quoted: bool) -> None:
    cell = _read(pd.DataFrame({"text": [typed]}), COLUMNS[:1]).worksheets[0].cell(row=3, column=1)
    assert cell.value == kept
    assert bool(cell.quotePrefix) is quoted
