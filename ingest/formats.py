"""Old-format ``.xls`` and OpenDocument ``.ods`` sheets: their cells as text, and merged ranges.

``.xlsx`` is streamed by :mod:`ingest.readers` (openpyxl). The other two formats offices
send are read here into the same shape — rows of text as the official saw them (a
percentage cell ``85%``, a date ``2026-12-15``, a whole number without ``.0``) and the
merged ranges — so that one layout step (:mod:`ingest.layout`) reads them all.

- ``.xls`` through xlrd (the maintained reader of the BIFF format), with its formatting
  records for number formats (percentages) and merged ranges. The format caps a sheet at
  65,536 rows and 256 columns; the file is read whole.
- ``.ods`` through one streaming pass over ``content.xml`` with defusedxml (no entities),
  after the same unpacked-size check as ``.xlsx`` (zip bombs). OpenDocument states each
  cell's type (``percentage``, ``date``, ``float`` …) and its spans, so nothing is guessed;
  repeated empty rows and columns (a sheet formatted to its end) are not expanded.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Grid", "read_ods", "read_xls", "sheet_names"]

_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODS_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_MAX_REPEAT = 1024
"""Repeated non-empty rows or columns expanded at most this many times (an empty one: never)."""


@dataclass
class Grid:
    """One sheet: its name, rows of cell text (1-based Excel row numbers), merged ranges.

    ``merges`` are ``(first_row, first_column, last_row, last_column)``, 1-based inclusive.
    """

    sheet: str
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)


def sheet_names(path: Path) -> list[str]:
    """Return the sheet names of an ``.xls`` or ``.ods`` workbook, in order."""
    if path.suffix.lower() == ".xls":
        import xlrd

        book = xlrd.open_workbook(str(path), on_demand=True)
        try:
            return list(book.sheet_names())
        finally:
            book.release_resources()
    return [grid.sheet for grid in _ods_tables(path, wanted=None, names_only=True)]


def _number_text(value: float, *, percent: bool) -> str:
    if percent:
        return f"{round(value * 100, 9):g}%"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


# --- .xls ------------------------------------------------------------------------------


def read_xls(path: Path, sheet: str | None) -> Grid:
    """Read one sheet (``None``: the first) of an ``.xls`` workbook."""
    import xlrd

    book = xlrd.open_workbook(str(path), formatting_info=True)
    try:
        found = book.sheet_by_name(sheet) if sheet else book.sheet_by_index(0)
        formats = {key: fmt.format_str for key, fmt in book.format_map.items()}
        grid = Grid(found.name)
        for r in range(found.nrows):
            texts = [_xls_text(book, found.cell(r, c), formats) for c in range(found.ncols)]
            while texts and not texts[-1]:
                texts.pop()
            if texts:
                grid.rows.append((r + 1, texts))
        # xlrd: (first_row, last_row + 1, first_col, last_col + 1), 0-based
        grid.merges = [(r0 + 1, c0 + 1, r1, c1) for r0, r1, c0, c1 in found.merged_cells]
        return grid
    finally:
        book.release_resources()


def _xls_text(book: Any, cell: Any, formats: dict[int, str]) -> str:
    import xlrd

    kind = cell.ctype
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if kind == xlrd.XL_CELL_TEXT:
        return str(cell.value).strip()
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "是" if cell.value else "否"
    if kind == xlrd.XL_CELL_ERROR:
        return str(xlrd.error_text_from_code.get(cell.value, "#错误"))
    if kind == xlrd.XL_CELL_DATE:
        moment = xlrd.xldate_as_datetime(cell.value, book.datemode)
        day: str = moment.date().isoformat() if moment.time() == dt.time() else moment.isoformat(" ")
        return day
    fmt = formats.get(book.xf_list[cell.xf_index].format_key, "") if cell.xf_index is not None else ""
    return _number_text(float(cell.value), percent="%" in fmt)


# --- .ods ------------------------------------------------------------------------------


def read_ods(path: Path, sheet: str | None) -> Grid:
    """Read one sheet (``None``: the first) of an ``.ods`` workbook."""
    for grid in _ods_tables(path, wanted=sheet, names_only=False):
        return grid
    raise KeyError(sheet)


def _ods_tables(path: Path, *, wanted: str | None, names_only: bool) -> list[Grid]:
    """Stream ``content.xml``: the sheets' names, and the cells of the one ``wanted``.

    With ``wanted=None`` and not ``names_only``, the first sheet is read.
    """
    from defusedxml.ElementTree import iterparse

    tag_table = f"{{{_ODS_TABLE}}}table"
    tag_row = f"{{{_ODS_TABLE}}}table-row"
    tag_cell = f"{{{_ODS_TABLE}}}table-cell"
    tag_covered = f"{{{_ODS_TABLE}}}covered-table-cell"
    found: list[Grid] = []
    current: Grid | None = None
    reading = False
    row = 0
    column = 0
    cells: list[str] = []
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as raw:
        for event, element in iterparse(raw, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == tag_table:
                    name = element.get(f"{{{_ODS_TABLE}}}name") or f"Sheet{len(found) + 1}"
                    current = Grid(name)
                    found.append(current)
                    reading = not names_only and (name == wanted or (wanted is None and len(found) == 1))
                    row = 0
                elif tag == tag_row and reading:
                    column, cells = 0, []
                continue
            if tag == tag_table:
                if reading:
                    return [current] if current is not None else []
                element.clear()
            elif not reading:
                if tag == tag_row:
                    element.clear()
            elif tag in (tag_cell, tag_covered):
                repeat = int(element.get(f"{{{_ODS_TABLE}}}number-columns-repeated") or 1)
                text = "" if tag == tag_covered else _ods_text(element)
                rows_spanned = int(element.get(f"{{{_ODS_TABLE}}}number-rows-spanned") or 1)
                columns_spanned = int(element.get(f"{{{_ODS_TABLE}}}number-columns-spanned") or 1)
                if (rows_spanned, columns_spanned) != (1, 1) and current is not None:
                    current.merges.append((row + 1, column + 1, row + rows_spanned, column + columns_spanned))
                if (
                    text or column + repeat <= _MAX_REPEAT
                ):  # a run of empty cells to the sheet's end: not kept
                    cells.extend([text] * min(repeat, _MAX_REPEAT))
                column += repeat
            elif tag == tag_row:
                repeat = int(element.get(f"{{{_ODS_TABLE}}}number-rows-repeated") or 1)
                while cells and not cells[-1]:
                    cells.pop()
                if cells and current is not None:
                    for k in range(min(repeat, _MAX_REPEAT)):
                        current.rows.append((row + k + 1, list(cells)))
                row += repeat
                element.clear()
    if names_only:
        return found
    return [g for g in found if g.sheet == wanted or wanted is None][:1]


def _ods_text(element: Any) -> str:
    kind = element.get(f"{{{_ODS_OFFICE}}}value-type") or ""
    if kind == "percentage":
        return _number_text(float(element.get(f"{{{_ODS_OFFICE}}}value") or 0), percent=True)
    if kind in ("float", "currency"):
        return _number_text(float(element.get(f"{{{_ODS_OFFICE}}}value") or 0), percent=False)
    if kind == "date":
        value = element.get(f"{{{_ODS_OFFICE}}}date-value") or ""
        return value.removesuffix("T00:00:00")
    if kind == "boolean":
        return "是" if element.get(f"{{{_ODS_OFFICE}}}boolean-value") == "true" else "否"
    paragraphs = ["".join(p.itertext()) for p in element.iter(f"{{{_ODS_TEXT}}}p")]
    return "\n".join(paragraphs).strip()
