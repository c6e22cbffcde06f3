"""Reading a 跨区域协调清单 workbook back: the interchange format between cities and the province.

A city sends the province the coordination list it exported
(:func:`exports.lists.coordination_sheets`); the province sends each city the rows whose
supplier is in that city. This module owns reading such a workbook into rows with the
English names of :func:`chain_graph.list_rows.coordination_rows`, so that consolidation
(:mod:`chain_graph.consolidation`) and matching (:mod:`chain_graph.incoming`) work on tables.

The sheet is the one named 跨区域协调清单, else the first. The header row is found by its
Chinese headers (:data:`exports.lists.COORDINATION_COLUMNS`, compared as
:func:`ingest.headers.normalize_header` does: ``影响产值(万元)`` is ``影响产值（万元）``) in the
top rows, so a title row above it is passed by. Below it, a row whose one filled cell is text
is a note or a footer (``注：…``, ``制表人：…``) and is passed by too; empty rows are skipped.

Figures come back as floats, ``NaN`` where a cell is empty; money may carry ``万元`` and
days ``天``, as in the ledgers (:data:`ingest.values.PARSERS`). The 合计 cell is merged over
a supplier's rows, so only the supplier's first row holds it: every row of the supplier
(same name, normalised, and same place) gets that value. A supplier whose rows give two
different 合计 is an error (``E050``), not a guess.

Reading is bounded as the ledgers' is (:mod:`ingest.readers`): the zip directory is checked
for a zip bomb before anything is unpacked, XML goes through defusedxml, one streaming pass
finds the last row (a million formatted empty rows cost one pass), and formulas saved without
a value or values right of the header are refused.

Every problem is located (file, sheet, Excel row, column) and coded; all are gathered and
raised at once as :class:`chain_graph.errors.CoordinationWorkbookError`.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from defusedxml import DefusedXmlException

from chain_graph.errors import CoordinationWorkbookError, InputIssue, IssueCode
from chain_graph.materials import normalise
from chain_graph.regions import divisions, resolve_addresses
from exports.lists import COORDINATION_COLUMNS
from ingest.headers import HEADER_SEARCH_ROWS, normalize_header
from ingest.readers import (
    _XML_ERRORS,
    ReadProblem,
    _cell_text,
    _entities_refused,
    _open_workbook,
    _scan_sheet,
)
from ingest.values import PARSERS, ValueProblem

__all__ = ["COORDINATION_SHEET", "ROW_COLUMNS", "read_coordination_workbook", "split_place"]

COORDINATION_SHEET = "跨区域协调清单"
"""The sheet read when the workbook has one of this name (else the first sheet)."""

_HEADER_COLUMNS = 64  # columns searched for the header: the list has 15
_REQUIRED = ("buyer", "supplier", "supplier_place", "material", "output", "investment", "total")
"""Columns without which a row cannot be consolidated; the others may be left out."""
_MONEY = ("output", "investment", "total")
_WHOLE = ("no", "stock_days", "recovery_days", "priority")
_NUMERIC = (*_MONEY, *_WHOLE)
_TEXT = tuple(c.key for c in COORDINATION_COLUMNS if c.key not in _NUMERIC)
_HEADERS = {normalize_header(c.header): c.key for c in COORDINATION_COLUMNS}
_LABELS = {c.key: c.header for c in COORDINATION_COLUMNS}
_PLACE_SPLIT = re.compile(r"[\s/、，,]+")

ROW_COLUMNS = [
    *(c.key for c in COORDINATION_COLUMNS),
    "supplier_province",
    "supplier_city",
    "supplier_county_name",
    "supplier_adcode",
    "source",
]
"""The columns of :func:`read_coordination_workbook`'s rows, in order."""


def read_coordination_workbook(path: Path, *, source: str = "") -> pd.DataFrame:
    """Read the rows of a 跨区域协调清单 workbook.

    Parameters
    ----------
    path
        An ``.xlsx`` written by :func:`exports.lists.coordination_sheets` (or by hand in its
        layout).
    source
        The city that sent it (e.g. ``怀化市``), put on every row as ``source``.

    Returns
    -------
    pandas.DataFrame
        One row per table row, in sheet order, with the columns of
        :func:`chain_graph.list_rows.coordination_rows` that the workbook shows — ``no``,
        ``buyer``, ``buyer_county``, ``supplier``, ``supplier_place``, ``material``,
        ``problem``, ``request``, ``output``, ``investment``, ``total``, ``stock_days``,
        ``recovery_days``, ``priority``, ``route_to`` — then ``supplier_province``,
        ``supplier_city``, ``supplier_county_name`` (the names in 配套企业所在地),
        ``supplier_adcode`` (the most precise code those names give, ``""`` when none) and
        ``source``. Figures are floats, ``NaN`` where empty; text is ``""`` where empty.
        ``total`` is the supplier's 合计 on each of its rows (the workbook shows it once,
        merged over them).

    Raises
    ------
    CoordinationWorkbookError
        With every problem found: the file cannot be opened (``E001``) or would unpack to
        far more than any list (``E007``); no header row (``E006``); a required column
        missing (``E010``); a row without 配套企业 (``E051``); a cell that is not a number
        (``E021``), negative (``E022``), in 元 (``E027``) or a fraction of a day (``E023``);
        a supplier with two 合计 (``E050``); a formula saved without its value (``E029``).
    """
    try:
        table = _read_sheet(Path(path))
    except ReadProblem as problem:
        raise CoordinationWorkbookError([problem.issue]) from None
    return _rows(table, source=source)


@dataclass(frozen=True)
class _Sheet:
    """The cells of the table of one sheet, as text, with where each came from."""

    file: str
    sheet: str
    header_row: int
    columns: dict[str, int]  # key → position in the header
    cells: list[list[str]]
    rows: list[int]  # Excel row of each row of cells
    problems: tuple[InputIssue, ...]

    def issue(
        self, code: IssueCode, message: str, *, row: int = 0, key: str = "", value: str = ""
    ) -> InputIssue:
        """Return an issue located in this sheet, at the column of ``key`` (its Chinese header)."""
        return InputIssue(
            code,
            message,
            file=self.file,
            sheet=self.sheet,
            row=row,
            column=_LABELS.get(key, key),
            value=value,
        )


def _read_sheet(path: Path) -> _Sheet:
    """Find the header and read the table's cells (bounded as :mod:`ingest.readers` reads)."""
    workbook = _open_workbook(path)
    sheet_name = ""
    try:
        names: list[str] = workbook.sheetnames
        sheet_name = COORDINATION_SHEET if COORDINATION_SHEET in names else names[0]
        sheet = workbook[sheet_name]
        head = [
            [_cell_text(cell) for cell in row]
            for row in sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, max_col=_HEADER_COLUMNS)
        ]
        found = _find_header(head)
        if found is None:
            raise ReadProblem(_no_header(path, sheet_name))
        header_index, columns = found
        width = max(columns.values()) + 1
        first_row = header_index + 2
        scan = _scan_sheet(path, sheet._worksheet_path, first_row=first_row, width=width)
        problems: tuple[InputIssue, ...] = ()
        if scan.first_uncached is not None:
            row, column = scan.first_uncached
            problems = (
                InputIssue(
                    IssueCode.FORMULA_WITHOUT_VALUE,
                    f"有 {scan.uncached} 个公式单元格没有保存计算结果，读入将变成空值："
                    "请在 Excel 中打开此文件并保存后再导入，或把公式改为数值",
                    file=path.name,
                    sheet=sheet_name,
                    row=row,
                    column=head[header_index][column - 1],
                ),
            )
        cells: list[list[str]] = []
        numbers: list[int] = []
        if scan.last_row >= first_row:
            data = sheet.iter_rows(min_row=first_row, max_row=scan.last_row, max_col=width)
            for number, row_cells in enumerate(data, start=first_row):
                texts = ([_cell_text(cell) for cell in row_cells] + [""] * width)[:width]
                if any(texts):
                    cells.append(texts)
                    numbers.append(number)
    except DefusedXmlException as error:
        raise _entities_refused(path, sheet_name) from error
    except _XML_ERRORS as error:
        raise ReadProblem(
            InputIssue(
                IssueCode.FILE_UNREADABLE,
                f"读取工作表时出错（{type(error).__name__}）：文件可能已损坏",
                file=path.name,
                sheet=sheet_name,
            )
        ) from error
    finally:
        workbook.close()
    return _Sheet(path.name, sheet_name, header_index + 1, columns, cells, numbers, problems)


def _find_header(head: list[list[str]]) -> tuple[int, dict[str, int]] | None:
    """Return the header row's index and its columns: the first row naming 配套企业 and two more."""
    for index, row in enumerate(head):
        columns: dict[str, int] = {}
        for position, text in enumerate(row):
            key = _HEADERS.get(normalize_header(text))
            if key is not None:
                columns.setdefault(key, position)
        if "supplier" in columns and len(columns) >= 3:
            return index, columns
    return None


def _no_header(path: Path, sheet: str) -> InputIssue:
    expected = "、".join(_LABELS[k] for k in _REQUIRED)
    return InputIssue(
        IssueCode.HEADER_NOT_FOUND,
        f"前 {HEADER_SEARCH_ROWS} 行中找不到跨区域协调清单的表头（至少应有：{expected}）",
        file=path.name,
        sheet=sheet,
    )


def _rows(table: _Sheet, *, source: str) -> pd.DataFrame:
    """Parse the cells into the rows of the list, gathering every problem."""
    issues = list(table.problems)
    for key in _REQUIRED:
        if key not in table.columns:
            issues.append(
                table.issue(
                    IssueCode.COLUMN_MISSING,
                    f"缺少必需的“{_LABELS[key]}”列（表头在第 {table.header_row} 行）",
                    row=table.header_row,
                    key=key,
                )
            )
    if issues and any(i.code is IssueCode.COLUMN_MISSING for i in issues):
        raise CoordinationWorkbookError(issues)
    records: list[dict[str, Any]] = []
    excel_rows: list[int] = []
    for texts, row in zip(table.cells, table.rows, strict=True):
        if _is_note(texts, table.columns):
            continue
        record = _record(table, texts, row, issues)
        records.append(record)
        excel_rows.append(row)
    frame = pd.DataFrame(records, columns=[*_TEXT, *_NUMERIC])
    frame[list(_NUMERIC)] = frame[list(_NUMERIC)].astype(float)
    frame["total"] = _supplier_totals(table, frame, excel_rows, issues)
    if issues:
        raise CoordinationWorkbookError(issues)
    places = pd.DataFrame(
        [split_place(p) for p in frame["supplier_place"]],
        columns=["supplier_province", "supplier_city", "supplier_county_name", "supplier_adcode"],
        index=frame.index,
    )
    frame = pd.concat([frame, places], axis=1).assign(source=source)
    return frame[ROW_COLUMNS]


def _is_note(texts: list[str], columns: Mapping[str, int]) -> bool:
    """Whether a row below the header is a note or footer: one filled cell, of text, not a figure.

    A row with its figures filled and its supplier missing is a table row (and an error).
    """
    filled = [(p, t) for p, t in enumerate(texts) if t]
    if len(filled) != 1:
        return False
    position, text = filled[0]
    number_positions = {columns[k] for k in _NUMERIC if k in columns} - {columns.get("no")}
    return (
        position not in number_positions and position != columns.get("supplier") and not _looks_numeric(text)
    )


def _looks_numeric(text: str) -> bool:
    try:
        PARSERS["money"](text)
    except ValueProblem:
        return False
    return True


def _record(table: _Sheet, texts: list[str], row: int, issues: list[InputIssue]) -> dict[str, Any]:
    """One table row: text as written, figures parsed (problems appended to ``issues``)."""
    record: dict[str, Any] = {}
    for key in _TEXT:
        record[key] = texts[table.columns[key]] if key in table.columns else ""
    if not record["supplier"]:
        issues.append(
            table.issue(
                IssueCode.SUPPLIER_MISSING,
                "此行没有“配套企业”：每行应写明受阻的配套企业，请补上或删去此行",
                row=row,
                key="supplier",
            )
        )
    for key in _NUMERIC:
        text = texts[table.columns[key]] if key in table.columns else ""
        record[key] = math.nan
        if not text:
            continue
        try:
            record[key] = float(_PARSE[key](text))
        except ValueProblem as problem:
            issues.append(
                table.issue(
                    problem.code, f"{problem.message}：“{text[:60]}”", row=row, key=key, value=text[:60]
                )
            )
    return record


def _whole(text: str) -> int:
    """序号, 优先级: a whole number from 1."""
    value = PARSERS["int"](text)  # a whole number, not negative: its messages speak of days
    if value < 1:
        raise ValueProblem(IssueCode.OUT_OF_RANGE, "应为从 1 起的整数")
    return int(value)


_PARSE: dict[str, Callable[[str], Any]] = {
    "output": PARSERS["money"],
    "investment": PARSERS["money"],
    "total": PARSERS["money"],
    "stock_days": PARSERS["int"],
    "recovery_days": PARSERS["int"],
    "no": _whole,
    "priority": _whole,
}


def _supplier_totals(
    table: _Sheet, frame: pd.DataFrame, excel_rows: list[int], issues: list[InputIssue]
) -> pd.Series:
    """Each row's supplier's 合计: the value its rows hold (the merged cell's, on its first row)."""
    if frame.empty:
        return frame["total"]
    key = frame["supplier"].map(normalise) + "\x00" + frame["supplier_place"].map(normalise)
    totals: dict[str, float] = {}
    for position, (supplier, value) in enumerate(zip(key, frame["total"], strict=True)):
        if math.isnan(value):
            continue
        seen = totals.setdefault(supplier, value)
        if not math.isclose(seen, value, rel_tol=1e-9, abs_tol=1e-9):
            issues.append(
                table.issue(
                    IssueCode.TOTAL_CONFLICT,
                    f"同一配套企业“{frame['supplier'].iat[position]}”的合计前后不一"
                    f"（{seen:g} 与 {value:g}）：合计是该企业的总影响，每家企业只填一个数",
                    row=excel_rows[position],
                    key="total",
                    value=f"{value:g}",
                )
            )
    return key.map(totals).astype(float)


def split_place(place: str) -> tuple[str, str, str, str]:
    """Split 配套企业所在地 (``省 市 县``) into its names and the most precise adcode.

    Names are matched against the division table level by level, each within the one
    before (so ``市辖区`` or a county name that several cities have is no trouble); a
    municipality written without its city level (``北京市 朝阳区``) is understood. A place
    that is not written in parts is resolved as an address. Parts that match nothing are
    kept as written, in the levels left.

    Returns
    -------
    province, city, county, adcode
        Names (``""`` where not given) and the code (``""`` when nothing is recognised).

    Examples
    --------
    >>> split_place("湖南省 长沙市 望城区")
    ('湖南省', '长沙市', '望城区', '430112')
    >>> split_place("湖北省 武汉市")
    ('湖北省', '武汉市', '', '420100')
    >>> split_place("湖南省长沙市雨花区")
    ('湖南省', '长沙市', '雨花区', '430111')
    >>> split_place("某省 某市")
    ('某省', '某市', '', '')
    """
    parts = [p for p in _PLACE_SPLIT.split(place.strip()) if p]
    if len(parts) == 1:
        code = resolve_addresses(parts)[0]
        if code:
            return (*_level_names(code), code)
    names = ["", "", ""]
    code = ""
    for position, part in enumerate(parts):
        found = _child(code, part)
        if found is None:
            # What is not recognised is kept as written, in the levels below the last known.
            start = _level(code) + 1 if code else 0
            for level, rest in zip(range(start, 3), parts[position:], strict=False):
                names[level] = rest
            break
        code = found
        names[_level(found)] = part
    return names[0], names[1], names[2], code


def _level(code: str) -> int:
    """0 for a province, 1 for a city, 2 for a county."""
    return 0 if code.endswith("0000") else 1 if code.endswith("00") else 2


def _level_names(code: str) -> tuple[str, str, str]:
    names = divisions()
    province = names.get(code[:2] + "0000", "")
    city = "" if code.endswith("0000") else names.get(code[:4] + "00", "")
    county = "" if code.endswith("00") else names.get(code, "")
    return province, city, county


@functools.cache
def _codes_by_name() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for code, name in divisions().items():
        found.setdefault(name, []).append(code)
    return {name: tuple(sorted(codes)) for name, codes in found.items()}


def _child(parent: str, name: str) -> str | None:
    """Return the one division named ``name`` below ``parent`` (``""``: the country), if one."""
    prefix = parent[: 2 * (_level(parent) + 1)] if parent else ""
    candidates = [
        c
        for c in _codes_by_name().get(name, ())
        if c.startswith(prefix) and c != parent and (not parent or _level(c) > _level(parent))
    ]
    # 北京市 is both the province and its city: the upper level is meant first.
    shallowest = [c for c in candidates if _level(c) == min(map(_level, candidates))]
    return shallowest[0] if len(shallowest) == 1 else None
