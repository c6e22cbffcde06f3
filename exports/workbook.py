"""Writing tables as official-looking workbooks and as CSV (UTF-8 with BOM).

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

A sheet may carry a bar chart of one of its columns (:class:`Chart`), drawn below the table
inside the print area; a picture (a map) gets a sheet of its own (:class:`PictureSheet`).

The workbook is written as SpreadsheetML text (:mod:`exports.spreadsheetml`): a column at a
time, each distinct cell once, so that a province's ledger of 700,000 cells takes about a
second, charts and pictures included.

Files are written to a temporary name and renamed, so a failed export leaves no
half-written file; they get the permissions the user's umask gives (0644 under 022).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
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

import numpy as np
import pandas as pd

from chain_graph.records import plain
from exports.spreadsheetml import (
    BarChart,
    Page,
    Part,
    Picture,
    Strings,
    Style,
    Styles,
    cell_xml,
    column_letter,
    legal,
    package,
    png_size,
    row_xml,
    worksheet_xml,
)
from ingest.rejects import neutralise

__all__ = [
    "Chart",
    "Column",
    "Kind",
    "PictureSheet",
    "Sheet",
    "atomic_path",
    "workbook_bytes",
    "write_csv",
    "write_xlsx",
]

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
_LINE = "808080"
"""The colour of the thin box round every cell of a table."""
_LINE_HEIGHT = 15.0
"""Points a line of 11 pt text takes in a row."""
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
class Chart:
    """A horizontal bar chart of a sheet's column ``values`` by its column ``categories``.

    It stands below the table and its notes (a blank row between), inside the print area,
    so that it prints with the table; ``own_page`` starts a page before it. ``rows`` draws
    only the first rows of the table (None: all). Values are shares (0–100 %); ``reverse``
    draws the first row on top; ``legend`` names the series beside the chart.
    """

    title: str
    values: str
    categories: str
    width: float = 18.0
    """Centimetres; the height follows the number of bars."""
    rows: int | None = None
    reverse: bool = False
    legend: bool = True
    own_page: bool = False


@dataclass(frozen=True)
class Sheet:
    """One sheet: name (tab), title (first row), columns and rows.

    ``notes`` are printed below the table; ``exported`` (the export date) in the footer;
    ``chart`` is drawn below them.
    """

    name: str
    title: str
    columns: Sequence[Column]
    rows: pd.DataFrame
    notes: Sequence[str] = field(default=())
    exported: dt.date | None = None
    chart: Chart | None = None


@dataclass(frozen=True)
class PictureSheet:
    """A sheet holding a title and a picture (PNG), fitted to one landscape page."""

    name: str
    title: str
    png: bytes


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
    return _kind_of(row.get(column.kind_key), column.kind)


def _kind_of(kind: Any, default: Kind) -> Kind:
    """Return a row's own kind of figure when it names one, else the column's ``default``."""
    return kind if kind in _FORMATS or kind == "text" else default


def _first_of_runs(rows: pd.DataFrame, key: str) -> list[bool]:
    """Whether each row opens a run of rows with the same ``key`` (the first row always does)."""
    values = rows[key].tolist()
    return [i == 0 or values[i] != values[i - 1] for i in range(len(values))]


def _display_width(text: str, *, wide: float = 2.0, narrow: float = 1.0) -> float:
    """Width of ``text`` in column width units at 11 pt (a CJK character is about two).

    A character is wide when Unicode says so (East Asian Width W or F).

    Examples
    --------
    >>> _display_width("钢材 A4")
    7.0
    """
    if text.isascii():
        return len(text) * narrow
    wide_count = len(_wide_characters().findall(text))
    return (len(text) - wide_count) * narrow + wide_count * wide


@functools.cache
def _wide_characters() -> re.Pattern[str]:
    """Return a pattern matching one wide character (East Asian Width W or F), made once.

    Every wide character lies between U+1100 and U+3FFFF (outside, only unassigned code
    points, which Python's ``unicodedata`` calls wide: counted narrow here).
    """
    wide = [code for code in range(0x1100, 0x40000) if unicodedata.east_asian_width(chr(code)) in "WF"]
    starts = [code for k, code in enumerate(wide) if k == 0 or wide[k - 1] != code - 1]
    ends = [code for k, code in enumerate(wide) if k == len(wide) - 1 or wide[k + 1] != code + 1]
    return re.compile(
        "[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in zip(starts, ends, strict=True)) + "]"
    )


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


def _header_style() -> Style:
    return Style(
        bold=True, size=None, fill="DDEBF7", border=_LINE, horizontal="center", vertical="center", wrap=True
    )


def _fitted(texts: Sequence[tuple[str, float]]) -> float | None:
    """Height of a row tall enough for its wrapped text (None: one line, the default).

    Neither Excel nor Calc fits a row's height to wrapped text on opening.
    """
    lines = _lines(texts)
    return lines * _LINE_HEIGHT if lines > 1 else None


def _column_values(column: Column, rows: pd.DataFrame) -> list[Any]:
    """Return a column's cell values, each of its row's kind (:func:`_value`)."""
    if column.key not in rows.columns:
        raw: list[Any] = [None] * len(rows)
    elif isinstance(rows[column.key].dtype, np.dtypes.DateTime64DType):
        raw = list(rows[column.key].array.to_pydatetime())  # not pandas' Timestamps: many times faster
    else:
        raw = rows[column.key].tolist()
    if column.kind_key is not None:
        kinds = rows[column.kind_key].tolist() if column.kind_key in rows.columns else [None] * len(rows)
        return [_value(v, _kind_of(k, column.kind)) for v, k in zip(raw, kinds, strict=True)]
    kind = column.kind
    # A value already of its kind's type (most are) is taken as it is: the same as _value, sooner.
    if kind == "text":
        return [v if type(v) is str else _value(v, kind) for v in raw]
    if kind in ("float", "percent"):
        return [v if type(v) is float and not math.isnan(v) else _value(v, kind) for v in raw]
    if kind == "int":
        return [v if type(v) is int else _value(v, kind) for v in raw]
    return [_value(v, kind) for v in raw]


def _column_cells(
    column: Column, values: Sequence[Any], *, rows: pd.DataFrame, styles: Styles, strings: Strings
) -> list[str]:
    """Return a column's cells (:func:`cell_xml`): bordered, text wrapped, figures formatted.

    A text that a spreadsheet would run as a formula is marked *quote prefix*; the cells of a
    ``merge_by`` run after its first are empty (one merged cell shows the value).
    """
    text = styles(Style(border=_LINE, vertical="center", wrap=True))
    quoted = styles(Style(border=_LINE, vertical="center", wrap=True, quote_prefix=True))
    figure = {
        kind: styles(Style(border=_LINE, vertical="center", number_format=_FORMATS.get(kind, "General")))
        for kind in ("text", *_FORMATS)
    }
    boxed = styles(Style(border=_LINE))
    if column.kind_key is not None and column.kind_key in rows.columns:
        kinds = [_kind_of(k, column.kind) for k in rows[column.kind_key].tolist()]
        cells = []
        for v, k in zip(values, kinds, strict=True):
            kept = legal(v) if isinstance(v, str) else v  # decides whether it reads as a formula
            style = (
                (quoted if kept.startswith(_FORMULA_START) else text) if isinstance(kept, str) else figure[k]
            )
            cells.append(cell_xml(kept, style, strings))
    else:  # a cell is the same for the same value: written once
        written: dict[Any, str] = {}
        cells = []
        for v in values:
            cell = written.get(v)
            if cell is None:
                kept = legal(v) if isinstance(v, str) else v  # decides whether it reads as a formula
                style = (
                    (quoted if kept.startswith(_FORMULA_START) else text)
                    if isinstance(kept, str)
                    else figure[column.kind]
                )
                cell = written[v] = cell_xml(kept, style, strings)
            cells.append(cell)
    if column.merge_by:
        empty = cell_xml(None, boxed, strings)
        opens = _first_of_runs(rows, column.merge_by)
        cells = [cell if first else empty for cell, first in zip(cells, opens, strict=True)]
    return cells


def _heights(columns: Sequence[Column], values: Sequence[Sequence[Any]]) -> dict[int, float]:
    """Return the height of each row (by index) that needs more than one line (:func:`_lines`)."""
    lines: dict[int, int] = {}
    widths: dict[str, float] = {}  # a ledger repeats its units and names: each measured once
    for column, column_values in zip(columns, values, strict=True):
        room = max(column.width - 1.5, 1.0)
        short = room / 2  # two units a character: a text this long never wraps
        for i, v in enumerate(column_values):
            if type(v) is str and len(v) > short:
                width = widths.get(v)
                if width is None:
                    width = widths[v] = _display_width(v)
                needed = math.ceil(width / room)
                if needed > lines.get(i, 1):
                    lines[i] = needed
    return {i: n * _LINE_HEIGHT for i, n in lines.items()}


def _table_rows(sheet: Sheet, styles: Styles, strings: Strings) -> Iterator[str]:
    """Yield the rows of ``sheet`` as XML: title, header, the table (bordered), the notes."""
    letters = [column_letter(j) for j in range(1, len(sheet.columns) + 1)]
    size, lines = _title_size(sheet.title, sum(c.width for c in sheet.columns) or 14)
    title = styles(Style(bold=True, size=size, horizontal="center", vertical="center", wrap=lines > 1))
    yield row_xml(1, [cell_xml(sheet.title, title, strings)], letters, height=lines * size * 1.5 + 8)
    head = styles(_header_style())
    height = _fitted([(c.header, c.width * 0.9) for c in sheet.columns])  # bold is wider
    yield row_xml(2, [cell_xml(c.header, head, strings) for c in sheet.columns], letters, height=height)
    rows = sheet.rows
    values = [_column_values(c, rows) for c in sheet.columns]
    heights = _heights(sheet.columns, values)
    columns = [
        _column_cells(c, v, rows=rows, styles=styles, strings=strings)
        for c, v in zip(sheet.columns, values, strict=True)
    ]
    for i, cells in enumerate(zip(*columns, strict=True)):
        yield row_xml(i + 3, cells, letters, height=heights.get(i))
    for k, note in enumerate(sheet.notes, start=len(rows) + 4):
        yield row_xml(k, [cell_xml(note, 0, strings)], letters)


def _merges(sheet: Sheet) -> list[str]:
    """Return the merged ranges: the title across the columns, each run of a ``merge_by`` column."""
    last = column_letter(max(len(sheet.columns), 1))
    merges = [f"A1:{last}1"] if len(sheet.columns) > 1 else []
    for j, column in enumerate(sheet.columns, start=1):
        if column.merge_by:
            opens = _first_of_runs(sheet.rows, column.merge_by)
            starts = [k for k, first in enumerate(opens) if first] + [len(opens)]
            letter = column_letter(j)
            merges += [
                f"{letter}{start + 3}:{letter}{end + 2}"
                for start, end in itertools.pairwise(starts)
                if end - start > 1
            ]
    return merges


def _page(sheet: Sheet, *, last_row: int, last_column: int) -> Page:
    """A4, one page wide, title and header on every page, page numbers and export date.

    The print area runs from A1 to ``last_column`` (1-based) of ``last_row``.
    """
    exported = f"&R导出日期：{sheet.exported:%Y-%m-%d}" if sheet.exported else ""
    last = column_letter(last_column)
    return Page(
        landscape=sum(c.width for c in sheet.columns) > _PORTRAIT_WIDTH,
        title_rows=(1, 2),
        area=f"$A$1:${last}${last_row}",
        footer=f"&C第 &P 页 共 &N 页{exported}",
    )


_CM_PER_ROW = 0.53
"""Height of a default row (15 pt) in centimetres: how many rows a chart covers."""
IMAGE_WIDTH_CM = 25.0
"""A picture's printed width on its sheet: one A4 landscape page inside the margins."""
_PIXELS_PER_CM = 96 / 2.54


_DEFAULT_WIDTH = 8.43
"""Width of a column the sheet does not set (characters of the default font)."""


def _width_cm(width: float) -> float:
    """Return a column's printed width in centimetres: ``width`` characters of 7 px and a 5 px margin."""
    return (math.floor(width * 7 + 0.5) + 5) / _PIXELS_PER_CM


def _last_column(widths: Sequence[float], *, start: int, cm: float) -> int:
    """Return the last column (1-based) a drawing ``cm`` wide reaches from column ``start`` (1-based).

    Examples
    --------
    >>> _last_column([6, 24, 10], start=2, cm=4.0), _last_column([6, 24, 10], start=2, cm=18.0)
    (2, 10)
    """
    column, room = start, cm
    while True:
        room -= _width_cm(widths[column - 1] if column <= len(widths) else _DEFAULT_WIDTH)
        if room <= 0:
            return column
        column += 1


def _chart(sheet: Sheet, chart: Chart, *, below: int) -> tuple[BarChart, int]:
    """Return ``chart`` drawn from two rows below row ``below``, and the last row it covers."""
    keys = [c.key for c in sheet.columns]
    bars = len(sheet.rows) if chart.rows is None else min(chart.rows, len(sheet.rows))
    height = max(6.0, 0.6 * bars + 3)
    top = below + 2
    drawn = BarChart(
        title=chart.title,
        values=(keys.index(chart.values) + 1, 3, bars + 2),
        categories=(keys.index(chart.categories) + 1, 3, bars + 2),
        anchor=(1, top - 1),
        size=(chart.width, height),
        reverse=chart.reverse,
        legend=chart.legend,
    )
    return drawn, top + math.ceil(height / _CM_PER_ROW)


def _table_part(sheet: Sheet, k: int, styles: Styles, strings: Strings, taken: set[str]) -> Part:
    widths = [c.width for c in sheet.columns]
    table_end = len(sheet.rows) + 2 + (len(sheet.notes) + 1 if sheet.notes else 0)  # with the notes
    last_row, last_column = table_end, max(len(widths), 1)
    drawings: list[BarChart] = []
    breaks: list[int] = []
    if sheet.chart is not None and len(sheet.rows):
        drawn, last_row = _chart(sheet, sheet.chart, below=table_end)
        drawings.append(drawn)
        if sheet.chart.own_page:
            breaks.append(table_end)  # the chart prints whole on a page of its own, a blank row above it
        # the print area reaches as far right as the chart
        last_column = max(last_column, _last_column(widths, start=2, cm=drawn.size[0]))
    page = _page(sheet, last_row=last_row, last_column=last_column)
    xml = worksheet_xml(
        _table_rows(sheet, styles, strings),
        widths=widths,
        dimension=f"A1:{column_letter(max(len(widths), 1))}{table_end}",
        page=page,
        merges=_merges(sheet),
        frozen_rows=2,
        selected=k == 0,
        row_breaks=breaks,
        drawing=bool(drawings),
    )
    return Part(_sheet_name(sheet.name, taken), xml, page, drawings)


def _picture_part(sheet: PictureSheet, k: int, styles: Styles, strings: Strings, taken: set[str]) -> Part:
    width, height = png_size(sheet.png)
    scale = IMAGE_WIDTH_CM * _PIXELS_PER_CM / width
    title = styles(Style(bold=True, size=14))
    page = Page(landscape=True, title_rows=None, area=None, centred=False)
    xml = worksheet_xml(
        [row_xml(1, [cell_xml(sheet.title, title, strings)], ["A"])],
        widths=[],
        dimension="A1",
        page=page,
        selected=k == 0,
        drawing=True,
    )
    picture = Picture(sheet.png, anchor=(0, 2), size=(round(width * scale), round(height * scale)))
    return Part(_sheet_name(sheet.name, taken), xml, page, [picture])


def workbook_bytes(sheets: Sequence[Sheet | PictureSheet]) -> bytes:
    """Return ``sheets`` as one workbook (``.xlsx``), each set up for printing."""
    styles, strings = Styles(), Strings()
    taken: set[str] = set()
    parts = [
        _picture_part(sheet, k, styles, strings, taken)
        if isinstance(sheet, PictureSheet)
        else _table_part(sheet, k, styles, strings, taken)
        for k, sheet in enumerate(sheets)
    ]
    return package(parts, styles, strings)


def write_xlsx(path: Path, sheets: Sequence[Sheet | PictureSheet]) -> None:
    """Write ``sheets`` as one workbook at ``path``."""
    content = workbook_bytes(sheets)
    with atomic_path(path) as tmp:
        tmp.write_bytes(content)


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
