"""Writing tables as official-looking workbooks (openpyxl) and as CSV (UTF-8 with BOM).

A sheet has a title row across exactly its columns, Chinese headers in the second row, the
header frozen, set column widths, borders round every cell of the table, dates as dates and
numbers as numbers: counts as integers, money with two decimals, shares as percentages.
Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
tab or CR) is never a formula: in xlsx it is a string cell marked *quote prefix* (Excel's
own "this is text" flag, invisible to the reader); in CSV it gets a leading apostrophe.

Every sheet prints as an official would hand it on: A4, landscape when the table is wider
than a portrait page, all columns scaled to one page width with the rows flowing onto as
many pages as they need, the title and header rows repeated on every page, a footer
``第 N 页 共 M 页`` with the export date, and the print area set to the table and its notes.

Files are written to a temporary name and renamed, so a failed export leaves no
half-written file; they get the permissions the user's umask gives (0644 under 022).
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
import os
import re
import secrets
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.header_footer import HeaderFooterItem, _HeaderFooterPart
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from chain_graph.records import plain
from ingest.rejects import neutralise

__all__ = ["Column", "Kind", "Sheet", "atomic_path", "build_workbook", "write_csv", "write_xlsx"]

Kind = Literal["text", "int", "float", "percent", "date", "datetime"]
"""How a value is written: ``int`` for counts, ``float`` for money (two decimals),
``percent`` for a share given as a fraction (0.25 shows as 25.00%)."""

_FORMATS = {
    "int": "#,##0",
    "float": "#,##0.00",
    "percent": "0.00%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_THIN = Side(style="thin", color="808080")
_BOX = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN)
_TEXT = Alignment(vertical="center", wrap_text=True)
_CENTRED = Alignment(horizontal="center", vertical="center", wrap_text=True)
_FIGURE = Alignment(vertical="center")
_PORTRAIT_WIDTH = 95
"""Column width units (characters of the default font) a portrait A4 page holds at 100 %."""
_TITLE_SIZE = 16
_TITLE_SMALLEST = 12


@dataclass(frozen=True)
class Column:
    """One column: the key in the rows, its Chinese header, its kind and width.

    ``kind_key`` names a row field holding each row's own kind, for a column of mixed
    figures (a count, a rate, a sum of money). ``merge_by`` names a row field: over each
    run of rows with the same value of it, the column shows its value once — one cell
    merged over the run in xlsx, the first row of the run in CSV (the others left empty),
    so that a column sum counts each run once.
    """

    key: str
    header: str
    kind: Kind = "text"
    width: float = 14
    kind_key: str | None = None
    merge_by: str | None = None


@dataclass(frozen=True)
class Sheet:
    """One sheet: name (tab), title (first row), columns and rows.

    ``notes`` are printed below the table; ``exported`` (the export date) in the footer.
    """

    name: str
    title: str
    columns: Sequence[Column]
    rows: pd.DataFrame
    notes: Sequence[str] = field(default=())
    exported: dt.date | None = None


def _sheet_name(name: str, taken: set[str]) -> str:
    clean = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'")[:31] or "Sheet"
    candidate, n = clean, 1
    while candidate in taken:
        n += 1
        candidate = f"{clean[:28]}_{n}"
    taken.add(candidate)
    return candidate


def _value(value: Any, kind: Kind) -> Any:
    value = plain(value)
    if value is None:
        return None
    if kind == "int":
        return int(value)
    if kind in ("float", "percent"):
        return float(value)
    if kind == "date":
        return value.date() if isinstance(value, dt.datetime) else value
    if kind == "datetime":
        return value
    return str(value)


def _kind(row: dict[Any, Any], column: Column) -> Kind:
    if column.kind_key is None:
        return column.kind
    kind = row.get(column.kind_key)
    return kind if kind in _FORMATS or kind == "text" else column.kind


def _first_of_runs(rows: pd.DataFrame, key: str) -> list[bool]:
    """Whether each row opens a run of rows with the same ``key`` (the first row always does)."""
    values = rows[key].tolist()
    return [i == 0 or values[i] != values[i - 1] for i in range(len(values))]


def _display_width(text: str, *, wide: float = 2.0, narrow: float = 1.0) -> float:
    """Width of ``text`` in column width units at 11 pt (a CJK character is about two).

    Examples
    --------
    >>> _display_width("钢材 A4")
    7.0
    """
    return sum(wide if unicodedata.east_asian_width(ch) in "WF" else narrow for ch in text)


def _lines(texts: Sequence[tuple[str, float]]) -> int:
    """Lines the tallest of ``(text, column width)`` wraps into (a spreadsheet does not say).

    Examples
    --------
    >>> _lines([("怀化甲机械有限公司", 28), ("协调尽快恢复生产，保障特种钢材供应", 20)])
    2
    """
    return max((math.ceil(_display_width(t) / max(w - 1.5, 1.0)) for t, w in texts if t), default=1)


def _title_size(title: str, width: float) -> tuple[int, int]:
    """Font size and number of lines that show ``title`` whole across ``width`` units.

    Examples
    --------
    >>> _title_size("跨区域协调清单（2026年11月28日）", 266)
    (16, 1)
    >>> _title_size("产业链供应链保障工作周报告（2026年11月23日—11月29日）", 58)
    (12, 2)
    """
    needed = max(_display_width(title, wide=2.2, narrow=1.1), 1.0)
    room = 0.95 * width
    size = min(_TITLE_SIZE, math.floor(11 * room / needed))
    if size >= _TITLE_SMALLEST:
        return size, 1
    return _TITLE_SMALLEST, math.ceil(needed * _TITLE_SMALLEST / 11 / room)


def _write_title(ws: Worksheet, sheet: Sheet) -> None:
    last = max(len(sheet.columns), 1)
    size, lines = _title_size(sheet.title, sum(c.width for c in sheet.columns) or 14)
    cell = ws.cell(row=1, column=1, value=sheet.title)
    cell.font = Font(bold=True, size=size)
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=lines > 1)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
    ws.row_dimensions[1].height = lines * size * 1.5 + 8


def _write_table(ws: Worksheet, sheet: Sheet) -> None:
    for j, column in enumerate(sheet.columns, start=1):
        head = ws.cell(row=2, column=j, value=column.header)
        head.font = Font(bold=True)
        head.fill = PatternFill("solid", fgColor="DDEBF7")
        head.alignment = _CENTRED
        head.border = _BOX
        ws.column_dimensions[get_column_letter(j)].width = column.width
    _fit_height(ws, 2, [(c.header, c.width * 0.9) for c in sheet.columns])  # bold is wider
    records = sheet.rows.to_dict("records")
    opens = {c.merge_by: _first_of_runs(sheet.rows, c.merge_by) for c in sheet.columns if c.merge_by}
    for i, row in enumerate(records, start=3):
        texts: list[tuple[str, float]] = []
        for j, column in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=i, column=j)
            cell.border = _BOX
            if column.merge_by and not opens[column.merge_by][i - 3]:
                continue
            kind = _kind(row, column)
            value = _value(row.get(column.key), kind)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
                cell.alignment = _TEXT
                texts.append((value, column.width))
                if value.startswith(_FORMULA_START):
                    cell.quotePrefix = True
            else:
                cell.alignment = _FIGURE
                if kind in _FORMATS:
                    cell.number_format = _FORMATS[kind]
        _fit_height(ws, i, texts)
    for j, column in enumerate(sheet.columns, start=1):
        if column.merge_by:
            starts = [k for k, first in enumerate(opens[column.merge_by]) if first] + [len(records)]
            for start, end in itertools.pairwise(starts):
                if end - start > 1:
                    ws.merge_cells(start_row=start + 3, start_column=j, end_row=end + 2, end_column=j)


_LINE_HEIGHT = 15.0
"""Points a line of 11 pt text takes in a row."""


def _fit_height(ws: Worksheet, row: int, texts: Sequence[tuple[str, float]]) -> None:
    """Make ``row`` tall enough for its wrapped text: neither Excel nor Calc does on opening."""
    lines = _lines(texts)
    if lines > 1:
        ws.row_dimensions[row].height = lines * _LINE_HEIGHT


def _page_setup(ws: Worksheet, sheet: Sheet, *, last_row: int) -> None:
    """A4, one page wide, title and header on every page, page numbers and export date."""
    width = sum(c.width for c in sheet.columns)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if width > _PORTRAIT_WIDTH else "portrait"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages as the rows need
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.25, footer=0.3)
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = "1:2"
    ws.print_area = f"A1:{get_column_letter(max(len(sheet.columns), 1))}{last_row}"
    exported = f"导出日期：{sheet.exported:%Y-%m-%d}" if sheet.exported else None
    ws.HeaderFooter.oddFooter = HeaderFooterItem(
        center=_HeaderFooterPart("第 &P 页 共 &N 页"), right=_HeaderFooterPart(exported)
    )


def build_workbook(sheets: Sequence[Sheet]) -> Workbook:
    """Return ``sheets`` as one workbook, each set up for printing."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    taken: set[str] = set()
    for sheet in sheets:
        ws = book.create_sheet(_sheet_name(sheet.name, taken))
        _write_title(ws, sheet)
        _write_table(ws, sheet)
        last_row = len(sheet.rows) + 2
        for k, note in enumerate(sheet.notes, start=last_row + 2):
            ws.cell(row=k, column=1, value=note).data_type = "s"
            last_row = k
        ws.freeze_panes = "A3"
        _page_setup(ws, sheet, last_row=last_row)
    return book


def write_xlsx(path: Path, sheets: Sequence[Sheet]) -> None:
    """Write ``sheets`` as one workbook at ``path``."""
    book = build_workbook(sheets)
    with atomic_path(path) as tmp:
        book.save(tmp)


def write_csv(path: Path, sheets: Sequence[Sheet]) -> None:
    """Write the rows of ``sheets`` (all with the same columns) as one CSV with a header row.

    Raises
    ------
    ValueError
        When the sheets have different columns (a CSV holds one table).
    """
    columns = sheets[0].columns if sheets else ()
    if any(sheet.columns != columns for sheet in sheets):
        msg = "CSV holds one table: every sheet must have the same columns"
        raise ValueError(msg)
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.header for c in columns])
        for sheet in sheets:
            opens = {c.merge_by: _first_of_runs(sheet.rows, c.merge_by) for c in columns if c.merge_by}
            for i, row in enumerate(sheet.rows.to_dict("records")):
                writer.writerow(
                    ["" if c.merge_by and not opens[c.merge_by][i] else _csv_text(row, c) for c in columns]
                )


def _csv_text(row: dict[Any, Any], column: Column) -> str:
    kind = _kind(row, column)
    value = _value(row.get(column.key), kind)
    if value is None:
        return ""
    if kind == "percent":
        return f"{value * 100:.2f}%"
    return _csv_value(value)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.2f}"
    return neutralise(str(value))


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` if the block succeeds.

    The temporary file is created as ``open`` creates a file (mode 0666 less the umask),
    not as :func:`tempfile.mkstemp` does (0600), so the file keeps the user's permissions.
    """
    path = Path(path)
    folder = path.parent or Path(".")
    while True:
        tmp = folder / f".{path.name}.{secrets.token_hex(6)}"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


IMAGE_WIDTH_CM = 25.0
"""A picture's printed width on its sheet: one A4 landscape page inside the margins."""


def image_sheet(book: Workbook, name: str, png: bytes, *, title: str) -> None:
    """Add a sheet holding a title and a picture (PNG), fitted to one landscape page."""
    import io

    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font

    sheet = book.create_sheet(name)
    sheet["A1"] = title
    sheet["A1"].font = Font(bold=True, size=14)
    image = Image(io.BytesIO(png))
    scale = IMAGE_WIDTH_CM / 2.54 * 96 / image.width
    image.width, image.height = round(image.width * scale), round(image.height * scale)
    sheet.add_image(image, "A3")
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
