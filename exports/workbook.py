"""Writing tables as official-looking workbooks (openpyxl) and as CSV (UTF-8 with BOM).

A sheet has a title row across all columns, Chinese headers in the second row, the header
frozen, set column widths, dates as dates and numbers as numbers. Text that a spreadsheet
would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) is never a
formula: in xlsx it is a string cell marked *quote prefix* (Excel's own "this is text"
flag, invisible to the reader); in CSV it gets a leading apostrophe. Files are written to a
temporary name and renamed, so a failed export leaves no half-written file.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from chain_graph.records import plain
from ingest.rejects import neutralise

__all__ = ["Column", "Sheet", "atomic_path", "write_csv", "write_xlsx"]

Kind = Literal["text", "int", "float", "date", "datetime"]
_FORMATS = {"int": "0", "float": "#,##0.00", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_THIN = Side(style="thin", color="999999")


@dataclass(frozen=True)
class Column:
    """One column: the key in the rows, its Chinese header, its kind and width."""

    key: str
    header: str
    kind: Kind = "text"
    width: float = 14


@dataclass(frozen=True)
class Sheet:
    """One sheet: name (tab), title (first row), columns and rows."""

    name: str
    title: str
    columns: Sequence[Column]
    rows: pd.DataFrame
    notes: Sequence[str] = field(default=())


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
    if kind == "float":
        return float(value)
    if kind == "date":
        return value.date() if isinstance(value, dt.datetime) else value
    if kind == "datetime":
        return value
    return str(value)


def write_xlsx(path: Path, sheets: Sequence[Sheet]) -> None:
    """Write ``sheets`` as one workbook at ``path``."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    taken: set[str] = set()
    for sheet in sheets:
        ws = book.create_sheet(_sheet_name(sheet.name, taken))
        width = len(sheet.columns)
        ws.cell(row=1, column=1, value=sheet.title).font = Font(bold=True, size=16)
        ws.cell(row=1, column=1).alignment = Alignment(horizontal="center", vertical="center")
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(width, 1))
        ws.row_dimensions[1].height = 30
        for j, column in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=2, column=j, value=column.header)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN)
            ws.column_dimensions[get_column_letter(j)].width = column.width
        for i, row in enumerate(sheet.rows.to_dict("records"), start=3):
            for j, column in enumerate(sheet.columns, start=1):
                value = _value(row.get(column.key), column.kind)
                cell = ws.cell(row=i, column=j)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                    if value.startswith(_FORMULA_START):
                        cell.quotePrefix = True
                elif column.kind in _FORMATS:
                    cell.number_format = _FORMATS[column.kind]
        for k, note in enumerate(sheet.notes, start=len(sheet.rows) + 4):
            ws.cell(row=k, column=1, value=note).data_type = "s"
        ws.freeze_panes = "A3"
        ws.print_title_rows = "1:2"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
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
            for row in sheet.rows.to_dict("records"):
                writer.writerow([_csv_text(_value(row.get(c.key), c.kind)) for c in columns])


def _csv_text(value: Any) -> str:
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
    """Yield a temporary path next to ``path``; rename it to ``path`` if the block succeeds."""
    path = Path(path)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
