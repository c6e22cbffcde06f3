"""Reading ledger files: which file holds which table, and its cells as text.

A data directory holds ``NAME.csv`` / ``NAME.xlsx`` / ``NAME.xls`` / ``NAME.ods`` files
(first sheet) named after a table, or workbooks whose *sheets* are named after tables. Every
cell comes back as trimmed text with its Excel row number; :mod:`ingest.validate` parses the
text. Sheets laid out for printing (titles, two-row headers, merged cells, 合计 and
signature lines) are read as plain data by :mod:`ingest.layout`; the lines it skips are
kept on the table for the report. ``.xls`` and ``.ods`` are read by :mod:`ingest.formats`.

CSV encodings (UTF-8 with or without BOM, GB18030/GBK) are detected from the bytes.
Excel cells keep what the official saw: a ``0.85`` cell formatted as a percentage reads
``85%``, a date cell reads ``2020-04-30``.

Reading is bounded whatever the file claims: a workbook that would unpack to far more than
any ledger (a zip bomb) is refused from its directory before anything is unpacked; the
header is looked for in the first rows and columns only; one streaming pass over the sheet
finds its last row with a value (a sheet of a million formatted empty rows costs one pass,
not memory), formulas saved without a value, and values right of the header's last column
(refused, as in a CSV, rather than dropped). XML is parsed through defusedxml (entity bombs).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import numpy as np
import pandas as pd
from defusedxml import DefusedXmlException

from chain_graph.errors import InputIssue, IssueCode
from ingest import formats
from ingest.columnar import Coded, coded, read_coded_csv
from ingest.headers import HEADER_SEARCH_ROWS, find_header_row, map_headers
from ingest.layout import OTHER_FORMAT, MergeFill, SkippedLine, furniture, header_rows, is_numbering
from ingest.schema import TABLES, is_reports_name, spec_of, table_for_name, tables_like

__all__ = ["RawTable", "Source", "discover", "other_files", "read_table", "reports_source"]

_SNIFF_BYTES = 1 << 20
_MAX_UNPACKED = 1 << 30  # a full 1,048,576-row ledger sheet unpacks to a few hundred MB
_MAX_RATIO = 200  # sheet XML compresses 5-50 times; a zip bomb thousands of times
_RATIO_FLOOR = 64 << 20  # parts smaller than this may compress as well as they like
_HEADER_COLUMNS = 256  # columns searched for the header
_XML_ERRORS = (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, ParseError)
_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls", ".ods")
_OLD_FORMATS = (".xls", ".ods")


@dataclass(frozen=True, slots=True)
class Source:
    """Where one table is: a file, and the sheet for workbooks (``None``: first sheet)."""

    table: str
    path: Path
    sheet: str | None = None

    @property
    def sheet_label(self) -> str:
        """The sheet name for messages, ``""`` for CSV or an unnamed first sheet."""
        return self.sheet or ""


@dataclass(frozen=True)
class RawTable:
    """One table's cells as text.

    Attributes
    ----------
    source
        Where it was read from.
    sheet
        The sheet actually read (``""`` for CSV).
    headers
        The header row as written.
    columns
        One column per header position, trimmed text, empty rows dropped, as codes into
        its distinct texts (:class:`~ingest.columnar.Coded`): the validator parses, numbers
        and compares each distinct text once. :attr:`cells` is the same as a frame.
    rows
        Excel row number of each row.
    problems
        What makes the table unfit to write although it could be read (formulas saved
        without their value): reported with the table's other issues, and none of its
        rows is written.
    skipped
        Lines read as print furniture, not data (合计, signatures, notes, a repeated
        header): not validated, listed in the report.
    """

    source: Source
    sheet: str
    headers: list[str]
    columns: tuple[Coded, ...]
    rows: list[int]
    problems: tuple[InputIssue, ...] = ()
    skipped: tuple[SkippedLine, ...] = ()

    @classmethod
    def of_cells(
        cls, source: Source, sheet: str, headers: list[str], cells: pd.DataFrame, rows: list[int]
    ) -> RawTable:
        """Return the table of ``cells`` (one text column per header position), as they are."""
        return cls(
            source,
            sheet,
            headers,
            tuple(coded(cells[c].to_numpy(dtype=object)) for c in cells.columns),
            rows,
        )

    @functools.cached_property
    def cells(self) -> pd.DataFrame:
        """The table as a frame of text, one column per header position (built when first asked for)."""
        return pd.DataFrame(
            {position: column.cells() for position, column in enumerate(self.columns)},
            index=pd.RangeIndex(len(self.rows)),
            dtype=object,
            copy=False,
        )

    def column(self, position: int) -> Coded:
        """Return the column at ``position`` as codes into its distinct texts."""
        return self.columns[position]

    def row(self, position: int) -> list[str]:
        """Return the cells of the row at ``position``, one per header position."""
        return _row(self.columns, position)


class ReadProblem(Exception):
    """A file cannot be read at all; carries the located issue."""

    def __init__(self, issue: InputIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def discover(data_dir: Path) -> tuple[list[Source], list[InputIssue]]:
    """Find the ledger tables in a data directory.

    A file is a table when its name is a table name, or a workbook holding sheets named
    after tables. Any other ``.csv`` / ``.xlsx`` file is reported (``FILE_UNRECOGNISED``),
    with the tables its name, sheet names or header row suggest; it is never silently left
    out. A sheet not named after a table, in a workbook that has table sheets (the
    template's 填写说明), is left out, but named where a missing table may be in it. Status
    reports (a file or sheet named 复产填报, 状态填报, 周报表 or ``reports``) are recognised
    and passed by: they are a separate import (:func:`ingest.reports.read_reports`).

    Parameters
    ----------
    data_dir
        The directory of ledger files.

    Returns
    -------
    sources, issues
        One source per table found; issues for files not recognised, tables found twice,
        or required tables missing.
    """
    found: dict[str, list[Source]] = {}
    maybe: dict[str, list[str]] = {}  # table → places (file, file[sheet]) that may hold it
    issues: list[InputIssue] = []
    present = sorted(p for p in data_dir.iterdir() if p.is_file() and not p.name.startswith(("~$", ".")))
    files = [p for p in present if p.suffix.lower() in _SUFFIXES]
    for path in files:
        if is_reports_name(path.stem):
            continue  # status reports: imported on their own (ingest.reports), never with the ledgers
        table = table_for_name(path.stem)
        if table is not None:
            found.setdefault(table, []).append(Source(table, path))
            continue
        sheets: list[str] | None = [] if path.suffix.lower() == ".csv" else _sheet_names(path, issues)
        if sheets is None:
            continue  # not readable as a workbook: reported as such
        if any(map(is_reports_name, sheets)) and not any(map(table_for_name, sheets)):
            continue  # a workbook of status reports (the pre-filled 复产填报 template)
        named = [(sheet, table_for_name(sheet)) for sheet in sheets if not is_reports_name(sheet)]
        for sheet, sheet_table in named:
            if sheet_table is not None:
                found.setdefault(sheet_table, []).append(Source(sheet_table, path, sheet))
        if any(sheet_table is not None for _, sheet_table in named):
            for sheet, _ in named:
                for like in tables_like(sheet):
                    maybe.setdefault(like, []).append(f"{path.name}[{sheet}]")
            continue
        likely = _likely_tables(path, sheets)
        for like in likely:
            maybe.setdefault(like, []).append(path.name)
        issues.append(_unrecognised(path, likely, workbook=bool(sheets)))
    sources: list[Source] = []
    for name, spec in TABLES.items():
        candidates = found.get(name, [])
        if len(candidates) > 1:
            places = "、".join(c.path.name + (f"[{c.sheet}]" if c.sheet else "") for c in candidates)
            issues.append(
                InputIssue(
                    IssueCode.TABLE_DUPLICATE,
                    f"“{spec.label}”表出现了 {len(candidates)} 次（{places}），请只保留一份",
                    file=candidates[1].path.name,
                    sheet=candidates[1].sheet_label,
                )
            )
        if candidates:
            sources.append(candidates[0])
        elif spec.required:
            names = "、".join(spec.names)
            hint = "；它可能在未识别的 " + "、".join(maybe[name]) + " 中" if name in maybe else ""
            issues.append(
                InputIssue(
                    IssueCode.TABLE_MISSING,
                    f"缺少必需的“{spec.label}”表：请提供名为 {names} 或 {spec.name} 的 "
                    f".xlsx/.csv 文件，或同名工作表{hint}",
                    file=str(data_dir.name),
                )
            )
    return sources, issues


def other_files(data_dir: Path) -> list[SkippedLine]:
    """Return the files of a data directory that are not in a ledger format, for the report.

    A data directory may hold a 说明.txt or a scanned 盖章 PDF beside the sheets: they are not
    read, and they stop nothing, but the report names each one (with the table its name
    suggests), so that a ledger saved in another format is never silently left out.
    """
    found = []
    for other in sorted(p for p in data_dir.iterdir() if p.is_file() and not p.name.startswith(("~$", "."))):
        if other.suffix.lower() in _SUFFIXES:
            continue
        likely = tables_like(other.stem)
        hint = f"从文件名看可能是“{TABLES[likely[0]].label}”表，" if likely else ""
        found.append(
            SkippedLine(
                file=other.name,
                sheet="",
                row=0,
                kind=OTHER_FORMAT,
                text=f"不是台账文件格式，未读取：{hint}台账请存为 .xlsx、.xls、.ods 或 .csv",
            )
        )
    return found


def reports_source(path: Path) -> Source:
    """Return where the status reports are in a file given as a reports file.

    A CSV is the table; in a workbook, the sheet named after the reports (复产填报,
    状态填报, 周报表), else the first sheet.

    Raises
    ------
    ReadProblem
        When the workbook cannot be opened.
    """
    if path.suffix.lower() == ".csv":
        return Source("reports", path)
    issues: list[InputIssue] = []
    sheets = _sheet_names(path, issues)
    if sheets is None:
        raise ReadProblem(issues[0])
    return Source("reports", path, next((s for s in sheets if is_reports_name(s)), None))


def _likely_tables(path: Path, sheets: list[str]) -> list[str]:
    """Return the tables a file not named after one may be: by its name, its sheets', its header."""
    by_name = [like for name in (path.stem, *sheets) for like in tables_like(name)]
    return list(dict.fromkeys([*by_name, *_tables_by_header(path)]))


def _tables_by_header(path: Path) -> list[str]:
    """Return the tables whose header the file's first rows hold most of (best effort: ``[]``)."""
    try:
        head = _head_rows(path)
    except (ReadProblem, DefusedXmlException, UnicodeDecodeError, *_XML_ERRORS):
        return []
    scores: dict[str, int] = {}
    for spec in TABLES.values():
        index = find_header_row(spec, head)
        if index is not None:
            scores[spec.name] = len(set(map_headers(spec, head[index]).values()))
    best = max(scores.values(), default=0)
    return [name for name, score in scores.items() if score == best]


def _head_rows(path: Path) -> list[list[str]]:
    """Return the first rows of a CSV or of a workbook's first sheet, as text."""
    if path.suffix.lower() == ".csv":
        encoding = _detect_encoding(path)
        with path.open("rb") as handle:
            sample = handle.read(_SNIFF_BYTES)
        return list(_first_rows(codecs.getincrementaldecoder(encoding)().decode(sample, final=False)))
    if path.suffix.lower() in _OLD_FORMATS:
        grid = _old_grid(Source("", path))
        return _grid_rows(grid.rows, HEADER_SEARCH_ROWS)
    workbook = _open_workbook(path)
    try:
        rows = workbook.worksheets[0].iter_rows(max_row=HEADER_SEARCH_ROWS, max_col=_HEADER_COLUMNS)
        return [[_cell_text(cell) for cell in row] for row in rows]
    finally:
        workbook.close()


def _unrecognised(path: Path, likely: list[str], *, workbook: bool) -> InputIssue:
    what = (
        f"工作簿“{path.name}”的文件名和各工作表名都不是表名" if workbook else f"文件名“{path.name}”不是表名"
    )
    if likely:
        labels = "".join(f"“{TABLES[name].label}”" for name in likely)
        best = TABLES[likely[0]].label
        rename = f"请把文件改名为“{best}{path.suffix}”" + (f"，或把工作表改名为“{best}”" if workbook else "")
        advice = f"它可能是{labels}表：{rename}。"
    else:
        labels = "、".join(spec.label for spec in TABLES.values())
        advice = f"请按所装的表改名，表名为：{labels}（别名见导入说明）。"
    return InputIssue(
        IssueCode.FILE_UNRECOGNISED,
        f"{what}，不知道是哪张表，此文件未读取。{advice}",
        file=path.name,
    )


def _sheet_names(path: Path, issues: list[InputIssue]) -> list[str] | None:
    """Return a workbook's sheet names, or ``None`` (and the issue) when it cannot be opened."""
    if path.suffix.lower() in _OLD_FORMATS:
        try:
            if path.suffix.lower() == ".ods":
                _check_unpacked_size(path)
            return formats.sheet_names(path)
        except ReadProblem as problem:
            issues.append(problem.issue)
            return None
        except Exception as error:
            issues.append(_unreadable_old(path, error))
            return None
    try:
        workbook = _open_workbook(path)
    except ReadProblem as problem:
        issues.append(problem.issue)
        return None
    try:
        names: list[str] = workbook.sheetnames
        return names
    finally:
        workbook.close()


def _open_workbook(path: Path) -> Any:
    import openpyxl

    try:
        _check_unpacked_size(path)
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except DefusedXmlException as error:
        raise _entities_refused(path, "") from error
    except _XML_ERRORS as error:
        raise ReadProblem(
            InputIssue(
                IssueCode.FILE_UNREADABLE,
                f"无法作为 Excel 工作簿打开（{type(error).__name__}）：文件可能已损坏，"
                "或不是 .xlsx 格式（旧的 .xls 请在 Excel 中另存为 .xlsx）",
                file=path.name,
            )
        ) from error


def _entities_refused(path: Path, sheet: str) -> ReadProblem:
    return ReadProblem(
        InputIssue(
            IssueCode.FILE_UNREADABLE,
            "工作簿含有 XML 实体或文档类型声明（Excel 从不写出这样的文件，可能是恶意构造的），已拒绝读取",
            file=path.name,
            sheet=sheet,
        )
    )


def _check_unpacked_size(path: Path) -> None:
    """Refuse a workbook whose parts would unpack to far more than any ledger.

    The sizes come from the zip directory; zipfile never unpacks a part beyond its declared
    size (a part that lies fails its CRC check), so checking them bounds what is read.
    """
    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
    total = sum(part.file_size for part in parts)
    worst = max(parts, key=lambda part: part.file_size / max(part.compress_size, 1), default=None)
    ratio = worst.file_size / max(worst.compress_size, 1) if worst else 0.0
    bomb = worst is not None and worst.file_size > _RATIO_FLOOR and ratio > _MAX_RATIO
    if total > _MAX_UNPACKED or bomb:
        raise ReadProblem(
            InputIssue(
                IssueCode.WORKBOOK_TOO_LARGE,
                f"工作簿解压后约 {total / (1 << 20):,.0f} MB（其中 {worst.filename if worst else ''} "
                f"压缩了 {ratio:,.0f} 倍），远超任何台账，疑似“压缩炸弹”，已拒绝读取：请确认文件来源；"
                "真实的大台账请拆分或改用 CSV",
                file=path.name,
            )
        )


def read_table(source: Source) -> RawTable:
    """Read one table's header and cells.

    Raises
    ------
    ReadProblem
        When the file cannot be read, its encoding is unknown, or no header row is found.
    """
    suffix = source.path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(source)
    if suffix in _OLD_FORMATS:
        return _read_old(source)
    return _read_xlsx(source)


# --- CSV -------------------------------------------------------------------------------


def _detect_encoding(path: Path) -> str:
    with path.open("rb") as handle:
        sample = handle.read(_SNIFF_BYTES)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ReadProblem(
            InputIssue(
                IssueCode.ENCODING_UNKNOWN,
                "文件是 UTF-16 编码（Excel 的“Unicode 文本”）：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
                file=path.name,
            )
        )
    if b"\x00" in sample:
        raise ReadProblem(
            InputIssue(
                IssueCode.FILE_UNREADABLE,
                "文件含有二进制内容，不是文本 CSV（若是 Excel 文件，请使用 .xlsx 扩展名）",
                file=path.name,
            )
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ReadProblem(
        InputIssue(
            IssueCode.ENCODING_UNKNOWN,
            "无法识别文件编码：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
            file=path.name,
        )
    )


def _read_csv(source: Source) -> RawTable:
    path = source.path
    spec = spec_of(source.table)
    encoding = _detect_encoding(path)
    with path.open("rb") as handle:
        head_bytes = handle.read(_SNIFF_BYTES)
    head_text = codecs.getincrementaldecoder(encoding)().decode(head_bytes, final=False)
    # Old Mac line ends (CR only), as some export tools still write them.
    cr_only = b"\r" in head_bytes and b"\n" not in head_bytes
    head = list(_first_rows(head_text))
    found = header_rows(spec, head)
    if found is None:
        raise _no_header(source, "")
    _, header_index, headers = found
    first = header_index + 2  # the Excel row of the first data row
    # A file of CR line ends is pandas' to read (it is told so; Arrow would take a stray LF for one).
    columns = (
        None
        if cr_only
        else read_coded_csv(path, encoding=encoding, skip_rows=header_index + 1, head=head_text)
    )
    if columns is not None:  # the common file, read by Arrow: trimmed, coded
        fitted = _fit_columns(columns, headers, path)
        n = len(fitted[0].codes) if fitted else 0
        return _finish(source, "", headers, fitted, list(range(first, first + n)))
    rows_after = functools.partial(_pandas_csv, path, encoding=encoding, width=len(headers), cr_only=cr_only)
    read = rows_after(skip_rows=header_index + 1)
    blank = _blank_lines(head, header_index + 1) if not len(read) else 0
    if blank:  # pandas reads nothing after a blank line right under the header: skip it
        after = rows_after(skip_rows=header_index + 1 + blank)
        empty = pd.DataFrame([[""] * after.shape[1]] * blank, dtype=object)
        read = pd.concat([empty, after], ignore_index=True)
    cells = _fit_to_headers(read, headers, path)
    return _finish(source, "", headers, _trimmed_columns(cells), list(range(first, first + len(cells))))


def _blank_lines(head: list[list[str]], start: int) -> int:
    """Count the empty lines from row ``start`` of ``head`` (the first rows) on, when a row follows them."""
    return next((i for i, row in enumerate(head[start:]) if row), 0)


def _pandas_csv(
    path: Path, *, encoding: str, skip_rows: int, width: int, cr_only: bool = False
) -> pd.DataFrame:
    """Read a CSV's cells after ``skip_rows`` with pandas' C parser, as written (untrimmed).

    The reference reader: any file :func:`ingest.columnar.read_coded_csv` declines. A file
    that cannot be parsed is a located :class:`ReadProblem`; no data row is an empty table
    of ``width`` columns.
    """
    try:
        return pd.read_csv(
            path,
            encoding=encoding,
            header=None,
            skiprows=skip_rows,
            index_col=False,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            lineterminator="\r" if cr_only else None,
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=range(width), dtype=str)
    except UnicodeDecodeError as error:
        raise ReadProblem(
            InputIssue(
                IssueCode.ENCODING_UNKNOWN,
                f"文件编码不一致（在第 {error.start} 字节处无法按 {encoding} 解码）："
                "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
                file=path.name,
            )
        ) from error
    except (pd.errors.ParserError, ValueError) as error:
        raise ReadProblem(
            InputIssue(
                IssueCode.FILE_UNREADABLE,
                f"CSV 格式有误（各行列数不一致）：{str(error).strip()[:200]}",
                file=path.name,
            )
        ) from error


def _fit_columns(columns: list[Coded], headers: list[str], path: Path) -> list[Coded]:
    """:func:`_fit_to_headers` for coded columns (each distinct text looked at once)."""
    width = len(headers)
    n = len(columns[0].codes) if columns else 0
    if len(columns) > width:
        filled = np.zeros(n, dtype=bool)
        for column in columns[width:]:
            filled |= ~column.blank()
        if filled.any():
            raise _beyond_columns(path, width, int(filled.argmax()))
    blank = Coded(np.zeros(n, dtype=np.intp), np.array([""], dtype=object))
    return [*columns[:width], *[blank] * (width - len(columns))]


def _beyond_columns(path: Path, width: int, position: int) -> ReadProblem:
    """Refuse a value right of the header's last column (``position``: its row after the header)."""
    return ReadProblem(
        InputIssue(
            IssueCode.FILE_UNREADABLE,
            f"有数据超出表头的 {width} 列（表头之后第 {position + 1} 行）：请补上表头或删去多余的数据",
            file=path.name,
        )
    )


def _fit_to_headers(cells: pd.DataFrame, headers: list[str], path: Path) -> pd.DataFrame:
    """Drop empty trailing columns beyond the header; refuse filled ones."""
    width = len(headers)
    cells.columns = pd.RangeIndex(cells.shape[1])
    if cells.shape[1] > width:
        extra = cells.iloc[:, width:]
        filled = (extra.apply(lambda col: col.str.strip()) != "").any(axis=1).to_numpy()
        if filled.any():
            raise _beyond_columns(path, width, int(filled.argmax()))
        cells = cells.iloc[:, :width]
    for missing in range(cells.shape[1], width):
        cells[missing] = ""
    return cells


def _first_rows(text: str) -> Iterator[list[str]]:
    """Yield the first rows of a CSV, to find its header in.

    A cell longer than the csv module's field limit (a 1M-character cell) ends the search
    there: the rows before it are what the header is looked for in, and pandas, which reads
    the whole file, has no such limit (the value check reports the long cell itself).
    """
    reader = csv.reader(io.StringIO(text, newline=None))  # any line ends
    try:
        for count, row in enumerate(reader):
            if count >= HEADER_SEARCH_ROWS:
                return
            yield row
    except csv.Error:
        return


# --- XLSX ------------------------------------------------------------------------------


def _read_xlsx(source: Source) -> RawTable:
    spec = spec_of(source.table)
    workbook = _open_workbook(source.path)
    try:
        sheet = workbook[source.sheet] if source.sheet else workbook.worksheets[0]
        title = sheet.title
        head = [
            [_cell_text(cell) for cell in row]
            for row in sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, max_col=_HEADER_COLUMNS)
        ]
        found = header_rows(spec, head)
        if found is None:
            raise _no_header(source, title)
        _, header_index, headers = found
        while headers and not headers[-1]:
            headers.pop()
        width = len(headers)
        first_data_row = header_index + 2
        last_row: int | None = None
        problems: tuple[InputIssue, ...] = ()
        part = getattr(sheet, "_worksheet_path", None)  # openpyxl's read-only sheet: its XML
        if part:
            scan = _scan_sheet(source.path, part, first_row=first_data_row, width=width)
            if scan.first_uncached is not None:
                # Read on (those cells as empty) so every other issue of the table is listed too.
                problems = (_uncached_problem(source, scan, headers),)
            if scan.beyond is not None:
                raise _beyond_header(source, scan.beyond, width)
            last_row = scan.last_row
        fill = MergeFill(scan.merges if part else [])
        rows: list[list[str]] = []
        numbers: list[int] = []
        data = sheet.iter_rows(min_row=first_data_row, max_row=last_row, max_col=width)
        if last_row is not None and last_row < first_data_row:
            data = iter(())
        for number, row in enumerate(data, start=first_data_row):
            texts = [_cell_text(cell) for cell in row]
            if fill:
                texts = fill.apply(number, (texts + [""] * width)[:width])
            if any(texts):
                rows.append(texts)
                numbers.append(number)
    except DefusedXmlException as error:
        raise _entities_refused(source.path, source.sheet_label) from error
    except _XML_ERRORS as error:
        raise ReadProblem(
            InputIssue(
                IssueCode.FILE_UNREADABLE,
                f"读取工作表时出错（{type(error).__name__}）：文件可能已损坏",
                file=source.path.name,
                sheet=source.sheet_label,
            )
        ) from error
    finally:
        workbook.close()
    cells = pd.DataFrame([(r + [""] * width)[:width] for r in rows], columns=range(width), dtype=str)
    return _finish(
        source, title if source.sheet else "", headers, _trimmed_columns(cells), numbers, problems=problems
    )


@dataclass(frozen=True, slots=True)
class _SheetScan:
    """What one streaming pass over a sheet's XML found."""

    last_row: int  # the last row with any value (0: none)
    uncached: int  # formula cells of the table saved without their value
    first_uncached: tuple[int, int] | None  # (row, column) of the first one
    beyond: tuple[int, int] | None  # (row, column) of the first value right of the header
    merges: list[tuple[int, int, int, int]]  # merged ranges (first row, col, last row, col), 1-based


def _scan_sheet(path: Path, part: str, *, first_row: int, width: int) -> _SheetScan:
    """Find the last row holding a value and the table's formula cells saved without a value.

    Excel always saves a formula's last value; a file written by a program and never opened
    in Excel has none, and reading it would silently turn every such cell into an empty one.
    Memory stays flat: each row is dropped from the tree once read, so a sheet of a million
    formatted empty rows costs one pass and no more.
    """
    from defusedxml.ElementTree import iterparse
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, range_boundaries

    last = uncached = row = column = 0
    first: tuple[int, int] | None = None
    beyond: tuple[int, int] | None = None
    merges: list[tuple[int, int, int, int]] = []
    sheet_data: Any = None
    with zipfile.ZipFile(path) as archive, archive.open(part) as raw:
        for event, element in iterparse(raw, events=("start", "end")):
            tag = element.tag.rsplit("}", 1)[-1]
            if event == "start":
                if tag == "row":
                    row, column = int(element.get("r") or row + 1), 0
                elif tag == "sheetData":
                    sheet_data = element
                continue
            if tag == "c":
                column += 1
                if reference := element.get("r"):
                    letters, row = coordinate_from_string(reference)
                    column = column_index_from_string(letters)
                parts = {child.tag.rsplit("}", 1)[-1]: child for child in element}
                value = parts.get("v")
                saved = value is not None and (bool(value.text) or element.get("t") in {"str", "s"})
                if saved or "is" in parts or "f" in parts:
                    last = max(last, row)
                    if column > width and row >= first_row:
                        beyond = beyond or (row, column)
                if "f" in parts and not saved and row >= first_row and column <= width:
                    uncached += 1
                    first = first or (row, column)
            elif tag == "row" and sheet_data is not None:
                sheet_data.clear()
            elif tag == "mergeCell" and (ref := element.get("ref")):
                min_col, min_row, max_col, max_row = range_boundaries(ref)
                if None not in (min_col, min_row, max_col, max_row):
                    merges.append((int(min_row), int(min_col), int(max_row), int(max_col)))  # type: ignore[arg-type]
    return _SheetScan(last, uncached, first, beyond, merges)


def _beyond_header(source: Source, cell: tuple[int, int], width: int) -> ReadProblem:
    from openpyxl.utils.cell import get_column_letter

    row, column = cell
    return ReadProblem(
        InputIssue(
            IssueCode.FILE_UNREADABLE,
            f"有数据超出表头的 {width} 列（第一处在第 {row} 行 {get_column_letter(column)} 列）："
            "请为这一列补上表头，或删去多余的数据",
            file=source.path.name,
            sheet=source.sheet_label,
            row=row,
            column=get_column_letter(column),
        )
    )


def _uncached_problem(source: Source, scan: _SheetScan, headers: list[str]) -> InputIssue:
    assert scan.first_uncached is not None
    row, column = scan.first_uncached
    return InputIssue(
        IssueCode.FORMULA_WITHOUT_VALUE,
        f"有 {scan.uncached} 个公式单元格没有保存计算结果"
        f"（第一个在第 {row} 行“{headers[column - 1]}”列），"
        "读入将变成空值：请在 Excel 中打开此文件并保存后再导入，或把公式改为数值",
        file=source.path.name,
        sheet=source.sheet_label,
        row=row,
        column=headers[column - 1],
    )


def _cell_text(cell: Any) -> str:
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        if "%" in (getattr(cell, "number_format", "") or ""):
            return f"{round(value * 100, 9):g}%"
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value) if isinstance(value, float) else str(value)
    return str(value).strip()


# --- XLS and ODS -----------------------------------------------------------------------


def _old_grid(source: Source) -> formats.Grid:
    path = source.path
    try:
        if path.suffix.lower() == ".ods":
            _check_unpacked_size(path)
            return formats.read_ods(path, source.sheet)
        return formats.read_xls(path, source.sheet)
    except ReadProblem:
        raise
    except DefusedXmlException as error:
        raise _entities_refused(path, source.sheet_label) from error
    except Exception as error:
        raise ReadProblem(_unreadable_old(path, error, sheet=source.sheet_label)) from error


def _unreadable_old(path: Path, error: Exception, *, sheet: str = "") -> InputIssue:
    kind = "旧版 Excel（.xls）" if path.suffix.lower() == ".xls" else "OpenDocument 表格（.ods）"
    return InputIssue(
        IssueCode.FILE_UNREADABLE,
        f"无法作为{kind}读取（{type(error).__name__}）：文件可能已损坏或扩展名不符，"
        "请在 Excel 或 WPS 中打开后另存为 .xlsx",
        file=path.name,
        sheet=sheet,
    )


def _grid_rows(rows: list[tuple[int, list[str]]], count: int) -> list[list[str]]:
    """Return the first ``count`` sheet rows as lists of text (missing rows empty)."""
    by_number = dict(rows)
    return [by_number.get(n, []) for n in range(1, count + 1)]


def _read_old(source: Source) -> RawTable:
    """Read a ``.xls`` or ``.ods`` sheet: the same layout rules as a ``.xlsx`` one."""
    spec = spec_of(source.table)
    grid = _old_grid(source)
    fill = MergeFill(grid.merges)
    filled = [(n, fill.apply(n, texts) if fill else texts) for n, texts in grid.rows]
    head = _grid_rows(filled, HEADER_SEARCH_ROWS)
    found = header_rows(spec, [row[:_HEADER_COLUMNS] for row in head])
    if found is None:
        raise _no_header(source, grid.sheet)
    _, header_index, headers = found
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    first_data_row = header_index + 2
    for number, texts in filled:
        if number >= first_data_row and any(c for c in texts[width:]):
            column = width + next(i for i, c in enumerate(texts[width:]) if c) + 1
            raise _beyond_header(source, (number, column), width)
    data = [(n, (c + [""] * width)[:width]) for n, c in filled if n >= first_data_row]
    cells = pd.DataFrame([c for _, c in data], columns=range(width), dtype=str)
    sheet = grid.sheet if source.sheet else ""
    return _finish(source, sheet, headers, _trimmed_columns(cells), [n for n, _ in data])


# --- common ----------------------------------------------------------------------------


def _finish(
    source: Source,
    sheet: str,
    headers: list[str],
    columns: list[Coded],
    rows: list[int],
    *,
    problems: tuple[InputIssue, ...] = (),
) -> RawTable:
    """Drop empty and furniture lines and 序号 columns of trimmed, coded ``columns``."""
    n = len(rows)
    filled = np.column_stack([~c.blank() for c in columns]) if columns else np.zeros((n, 0), dtype=bool)
    keep = filled.any(axis=1)
    kinds = furniture(columns, spec_of(source.table), headers, filled=filled)
    data = pd.isna(kinds)  # None: a data line; "" or a kind: not one
    skipped = tuple(
        SkippedLine(
            file=source.path.name,
            sheet=sheet,
            row=rows[i],
            kind=str(kinds[i]),
            text=" ".join(dict.fromkeys(text for text in _row(columns, i) if text))[:120],
        )
        for i in np.flatnonzero(keep & ~data & (kinds != "")).tolist()
    )
    keep = keep & data
    kept_rows = rows
    if not keep.all():  # the usual ledger keeps every line: no copy then
        kept_rows = np.asarray(rows, dtype=np.int64)[keep].tolist()
        columns = [column[keep] for column in columns]
    numbering = [i for i, h in enumerate(headers) if is_numbering(h)]
    if numbering:  # 序号: the sheet's own line numbers, not ledger data
        kept = [i for i in range(len(headers)) if i not in numbering]
        headers = [headers[i] for i in kept]
        columns = [columns[i] for i in kept]
    return RawTable(source, sheet, headers, tuple(columns), kept_rows, problems, skipped)


def _row(columns: Sequence[Coded], position: int) -> list[str]:
    """Return the cells of ``columns`` at row ``position``."""
    return [str(column.at(position)) for column in columns]


def _trimmed_columns(cells: pd.DataFrame) -> list[Coded]:
    """Trim each column of ``cells`` and encode it as codes into its distinct texts."""
    columns = []
    for column in cells.columns:
        values = cells[column].to_numpy(dtype=object)
        trimmed = np.empty(len(values), dtype=object)  # objects: numpy would make fixed-width text
        trimmed[:] = list(map(str.strip, values))
        columns.append(coded(trimmed))
    return columns


def _no_header(source: Source, sheet: str) -> ReadProblem:
    spec = spec_of(source.table)
    expected = "、".join(c.headers[0] for c in spec.columns if c.required)
    return ReadProblem(
        InputIssue(
            IssueCode.HEADER_NOT_FOUND,
            f"前 {HEADER_SEARCH_ROWS} 行中找不到“{spec.label}”表的表头（至少应有：{expected}）",
            file=source.path.name,
            sheet=sheet,
        )
    )
