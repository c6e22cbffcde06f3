"""Every workbook prints as an official would hand it on, and is readable by colleagues."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from exports.workbook import Chart, Column, PictureSheet, Sheet, atomic_path, write_csv, write_xlsx

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


def _drawn(ws: object, kind: str) -> list[Any]:
    """The charts or images openpyxl read from a sheet's drawing (kept in private lists)."""
    return list(getattr(ws, f"_{kind}"))


RANKING = pd.DataFrame({"rank": [1, 2, 3], "unit": ["甲局", "乙's局", "丙局"], "rate": [0.95, 0.5, 0.1]})
RANKING_COLUMNS = (
    Column("rank", "排名", "int", 6),
    Column("unit", "责任单位", width=24),
    Column("rate", "按期办结率", "percent", 12),
)


@pytest.mark.parametrize("own_page", [False, True])
def test_a_chart_is_drawn_below_the_table_and_prints_with_it(tmp_path: Path, own_page: bool) -> None:
    chart = Chart("按期办结率", values="rate", categories="unit", rows=2, reverse=True, own_page=own_page)
    path = tmp_path / "t.xlsx"
    write_xlsx(path, [Sheet("排名's", "排名", RANKING_COLUMNS, RANKING, notes=("说明。",), chart=chart)])
    ws = cast(Worksheet, openpyxl.load_workbook(path).worksheets[0])
    (drawn,) = _drawn(ws, "charts")
    (series,) = drawn.series
    # Two of the three rows (rows=2), the series named by the header above its values.
    assert series.val.numRef.f == "'排名''s'!$C$3:$C$4"
    assert series.cat.strRef.f == "'排名''s'!$B$3:$B$4"
    assert series.tx.strRef.f == "'排名''s'!$C$2"
    assert drawn.x_axis.scaling.orientation == "maxMin"  # the first row on top
    assert (drawn.y_axis.scaling.min, drawn.y_axis.scaling.max) == (0, 1)
    assert drawn.y_axis.number_format.formatCode == "0%"
    assert drawn.y_axis.crosses == "max"  # reversed, the value axis stays at the bottom
    # Table rows 1-5, a blank, the note on row 7; the chart from row 9 (0-based 8), column B.
    assert (drawn.anchor._from.row, drawn.anchor._from.col) == (8, 1)
    height = max(6.0, 0.6 * 2 + 3)
    bottom = 9 + math.ceil(height / 0.53)
    # The print area covers the chart: 18 cm from column B reaches past the table's 3 columns.
    assert ws.print_area == f"'排名''s'!$A$1:$J${bottom}"
    # A page ends above the blank row before the chart (0-based row 7): the chart prints whole.
    assert [b.id for b in ws.row_breaks.brk] == ([7] if own_page else [])


def test_an_empty_table_gets_no_chart(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    chart = Chart("按期办结率", values="rate", categories="unit")
    write_xlsx(path, [Sheet("排名", "排名", RANKING_COLUMNS, RANKING.iloc[:0], chart=chart)])
    with zipfile.ZipFile(path) as package:
        assert not [n for n in package.namelist() if n.startswith(("xl/charts/", "xl/drawings/"))]
    assert _drawn(openpyxl.load_workbook(path).worksheets[0], "charts") == []


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


def test_a_picture_sheet_fits_its_picture_to_a_landscape_page(tmp_path: Path) -> None:
    png = _png(800, 500)
    path = tmp_path / "t.xlsx"
    write_xlsx(
        path,
        [
            Sheet("排名", "排名", RANKING_COLUMNS, RANKING),
            PictureSheet("区域分布图", "区域分布图<标题>", png),
            PictureSheet("第二张", "另一张", _png(400, 400)),
        ],
    )
    book = openpyxl.load_workbook(path)
    ws = cast(Worksheet, book["区域分布图"])
    assert ws["A1"].value == "区域分布图<标题>"
    assert ws["A1"].font.b
    assert ws.page_setup.orientation == "landscape"
    (image,) = _drawn(ws, "images")
    assert image.anchor._from.row == 2  # below the title, from A3
    with zipfile.ZipFile(path) as package:
        assert package.read("xl/media/image1.png") == png  # the picture itself, not re-encoded
        drawing = package.read("xl/drawings/drawing1.xml").decode()
    # 25 cm wide at 96 dpi (945 px), the height in proportion.
    width, height = round(25 / 2.54 * 96), round(500 * 25 / 2.54 * 96 / 800)
    assert f'<xdr:ext cx="{width * 9525}" cy="{height * 9525}"/>' in drawing
    assert len(_drawn(book["第二张"], "images")) == 1  # each sheet its own drawing


def test_a_picture_that_is_not_a_png_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PNG"):
        write_xlsx(tmp_path / "t.xlsx", [PictureSheet("图", "图", b"GIF89a....")])
    assert not (tmp_path / "t.xlsx").exists()
