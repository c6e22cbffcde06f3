"""Every workbook prints as an official would hand it on, and is readable by colleagues."""

from __future__ import annotations

import csv
import datetime as dt
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from exports.workbook import Column, Sheet, atomic_path, write_csv, write_xlsx

DAY = dt.date(2026, 11, 28)
NARROW = (Column("item", "指标", width=30), Column("value", "数值", "float", 18, kind_key="kind"))
WIDE = tuple(Column(f"c{k}", f"列{k}", width=20) for k in range(8))


def _sheet(columns: tuple[Column, ...], rows: pd.DataFrame, *, title: str = "标题") -> Sheet:
    return Sheet("表", title, columns, rows, notes=("说明。",), exported=DAY)


@pytest.fixture
def umask_022() -> Iterator[None]:
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


@pytest.mark.parametrize(("columns", "orientation"), [(NARROW, "portrait"), (WIDE, "landscape")])
def test_page_setup(tmp_path: Path, columns: tuple[Column, ...], orientation: str) -> None:
    rows = pd.DataFrame([{c.key: 1.0 for c in columns}] * 3)
    path = tmp_path / "t.xlsx"
    write_xlsx(path, [_sheet(columns, rows)])
    ws = openpyxl.load_workbook(path).worksheets[0]
    last = get_column_letter(len(columns))
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    assert ws.page_setup.orientation == orientation
    setup = ws.sheet_properties.pageSetUpPr
    assert setup is not None
    assert setup.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.print_title_rows == "$1:$2"
    assert ws.print_area == f"'表'!$A$1:${last}$7"  # title, header, 3 rows, a blank, the note
    assert [str(r) for r in ws.merged_cells.ranges] == [f"A1:{last}1"]
    footer = ws.oddFooter
    assert footer is not None
    assert footer.center.text == "第 &P 页 共 &N 页"
    assert footer.right.text == "导出日期：2026-11-28"
    assert ws["A3"].border.left.style == "thin"


@pytest.mark.parametrize(
    ("kind", "value", "number_format", "shown"),
    [
        ("int", 300, "#,##0", "300"),  # a count: 300 家, never 300.00 家
        ("float", 1234.5, "#,##0.00", "1234.50"),  # money
        ("percent", 0.6616, "0.00%", "66.16%"),  # a share
    ],
)
def test_a_column_of_mixed_figures_formats_each_row(
    tmp_path: Path, kind: str, value: float, number_format: str, shown: str
) -> None:
    rows = pd.DataFrame([{"item": "指标", "value": value, "kind": kind}])
    write_xlsx(tmp_path / "t.xlsx", [_sheet(NARROW, rows)])
    cell = openpyxl.load_workbook(tmp_path / "t.xlsx").worksheets[0]["B3"]
    assert (cell.value, cell.number_format) == (value, number_format)
    assert type(cell.value) is type(value)
    write_csv(tmp_path / "t.csv", [_sheet(NARROW, rows)])
    with (tmp_path / "t.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle))[1] == ["指标", shown]


def test_a_long_title_wraps_over_exactly_the_columns(tmp_path: Path) -> None:
    title = "产业链供应链保障工作周报告（2026年11月23日—11月29日）"
    write_xlsx(tmp_path / "t.xlsx", [_sheet(NARROW, pd.DataFrame(columns=["item", "value"]), title=title)])
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx").worksheets[0]
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:B1"]
    assert ws["A1"].alignment.wrap_text
    assert ws.row_dimensions[1].height >= 2 * ws["A1"].font.size


def test_merged_column_shows_each_run_once(tmp_path: Path) -> None:
    columns = (Column("who", "企业"), Column("sum", "合计", "float", merge_by="who"))
    rows = pd.DataFrame({"who": ["A", "A", "B", "C", "C", "C"], "sum": [5.0, 5.0, 2.0, 1.0, 1.0, 1.0]})
    write_xlsx(tmp_path / "t.xlsx", [_sheet(columns, rows)])
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx").worksheets[0]
    assert sorted(str(r) for r in ws.merged_cells.ranges) == ["A1:B1", "B3:B4", "B6:B8"]
    assert [ws.cell(row=r, column=2).value for r in range(3, 9)] == [5.0, None, 2.0, 1.0, None, None]
    write_csv(tmp_path / "t.csv", [_sheet(columns, rows)])
    with (tmp_path / "t.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert [r[1] for r in csv.reader(handle)] == ["合计", "5.00", "", "2.00", "1.00", "", ""]


@pytest.mark.usefixtures("umask_022")
@pytest.mark.parametrize("write", [write_xlsx, write_csv])
def test_files_get_the_umask_permissions(tmp_path: Path, write: object) -> None:
    path = tmp_path / "t.out"
    write(path, [_sheet(NARROW, pd.DataFrame([{"item": "a", "value": 1.0}]))])  # type: ignore[operator]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["t.out"]  # no temporary file left


def _fail_inside(path: Path, modes: list[int]) -> None:
    with atomic_path(path) as tmp:
        modes.append(stat.S_IMODE(tmp.stat().st_mode))
        raise RuntimeError


@pytest.mark.usefixtures("umask_022")
def test_atomic_path_leaves_nothing_when_the_write_fails(tmp_path: Path) -> None:
    modes: list[int] = []
    with pytest.raises(RuntimeError):
        _fail_inside(tmp_path / "t.xlsx", modes)
    assert modes == [0o644]
    assert list(tmp_path.iterdir()) == []
