"""Layouts officials use: what in a sheet is the table, and what is print furniture.

County offices lay their sheets out for printing and stamping (the ledger spec's "Layouts
officials use"). This module owns reading such a sheet as plain data, whatever the file
format, once its cells are text:

- the header may take **two rows** (a group cell such as 影响情况 over 影响产值 and 影响投资;
  a cell merged down both rows): it is read by its lower cells, the upper where the lower
  is empty (:func:`header_rows`);
- **merged cells** hold their value in every cell they cover (:class:`MergeFill`);
- lines that are not data — totals (合计, 小计, 总计 in the first columns), signatures and
  contacts (填表人, 审核人, 负责人, 联系电话 …), notes (说明, 注, 备注 at the start), a header row
  repeated inside the table — are skipped and kept as :class:`SkippedLine` for the report
  (:func:`line_kind`), so a person can see that nothing was lost.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ingest.columnar import Coded, coded
from ingest.headers import HEADER_SEARCH_ROWS, find_header_row, map_headers, normalize_header
from ingest.schema import TableSpec

__all__ = ["MergeFill", "SkippedLine", "furniture", "header_rows", "is_numbering", "line_kind"]

TOTALS = "合计行"
SIGNATURE = "签名、联系人行"
NOTE = "说明行"
REPEATED_HEADER = "重复的表头行"
NO_DATA = "无台账数据的行"
OTHER_FORMAT = "未读取的文件"

_FIRST_COLUMNS = 3
"""Totals are recognised in the first cells of a line (after a 序号)."""
_TOTAL = re.compile(r"^(合计|小计|总计|共计|总合计)")
_SIGNATURE = re.compile(
    r"^(填表人|填报人|制表人|审核人|审核|负责人|单位负责人|分管领导|联系人|联系电话|电话|手机|"
    r"填报单位|填报日期|填表日期|报送日期|制表日期)[:：\s]"
)
_NOTE = re.compile(r"^(说明|注|备注|附注|填表说明)(\d*|[一二三四五六七八九十]*)[:：、.．\s]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class SkippedLine:
    """A line of a sheet read as print furniture, not data: where it is, what, its text."""

    file: str
    sheet: str
    row: int
    kind: str
    text: str


def _squeezed(text: str) -> str:
    """Return ``text`` in NFKC with every blank removed (``合 计`` is ``合计``)."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


def is_numbering(header: str) -> bool:
    """Whether a header names the sheet's own line numbers (序号), which are no ledger data.

    Examples
    --------
    >>> is_numbering("序 号"), is_numbering("No."), is_numbering("企业编号")
    (True, True, False)
    """
    return normalize_header(header) in ("序号", "序", "no", "no.", "编序")


def line_kind(cells: Sequence[str], spec: TableSpec, headers: Sequence[str] = ()) -> str | None:
    """Return what kind of non-data line ``cells`` is, or ``None`` for a data line.

    One line of :func:`furniture` (``headers``: the table's header cells, for a repeated
    header and for lines holding nothing in a known column).

    Examples
    --------
    >>> from ingest.schema import TABLES
    >>> links = TABLES["links"]
    >>> line_kind(["合 计", "", "", "100"], links), line_kind(["", "小计：", "", ""], links)
    ('合计行', '合计行')
    >>> line_kind(["填表人：张三", "", "联系电话：0745-1234567"], links)
    '签名、联系人行'
    >>> line_kind(["注：占比为该企业该物料采购量的比例"], links)
    '说明行'
    >>> line_kind(["注塑件厂", "E1", "注塑件"], links) is None
    True
    >>> header = ["序号", "供应商编号", "需求方编号", "物料"]
    >>> line_kind(header, links, header), line_kind(["12", "", "", ""], links, header)
    ('重复的表头行', '')
    """
    width = max(len(cells), len(headers))
    trimmed = [text.strip() for text in cells]  # as the readers trim every cell
    columns = [coded(np.array([text], dtype=object)) for text in [*trimmed, *[""] * (width - len(cells))]]
    found = furniture(columns, spec, [*headers, *[""] * (width - len(headers))])[0]
    return None if found is None else str(found)


_TRIGGERS = np.array(list("合小总共填制审负单分联电手报说注备附"))
"""The first characters of every totals, signature and note line (the only ones looked at)."""


def furniture(
    columns: Sequence[Coded], spec: TableSpec, headers: Sequence[str], *, filled: np.ndarray | None = None
) -> np.ndarray:
    """Classify every line of a table: what kind of non-data line it is, ``None`` for data.

    ``columns`` holds one column per header position (trimmed text, merged cells already
    filled), as codes into its distinct texts: every test below is made once per distinct
    text; ``filled`` is which cells are not ``""``, when the caller has it. Kinds:
    :data:`TOTALS` (合计/小计/总计 in the first cells), :data:`SIGNATURE` (a line starting
    填表人, 审核人, 联系电话 …), :data:`NOTE` (starting 说明, 注, 备注 with a colon or a number),
    :data:`REPEATED_HEADER` (the header's own names again), and ``""`` for a line with
    nothing in any known column (a pre-numbered 序号 only: left out without a word) or
    :data:`NO_DATA` (text only in columns the table does not know). Only lines whose first
    cells start with one of those words' first characters, or that repeat a header name,
    are looked at closely: a national ledger has millions of lines.
    """
    n = len(columns[0].codes) if columns else 0
    kinds = np.full(n, None, dtype=object)
    if n == 0:
        return kinds
    if filled is None:
        filled = np.column_stack([~c.blank() for c in columns])
    known = map_headers(spec, list(headers))
    repeated = np.zeros(n, dtype=int)
    for position in known:
        uniques = columns[position].uniques
        for variant in {headers[position].strip(), normalize_header(headers[position])} - {""}:
            if (found := uniques == variant).any():  # usually not: no pass over the lines then
                repeated += columns[position].flagged(found)
    candidates = repeated > 0
    for column in columns[:_FIRST_COLUMNS]:
        candidates |= column.flagged(np.isin(column.uniques.astype("U1"), _TRIGGERS))
    if known:  # without a known column (no header given) nothing can be told of it
        in_known = filled[:, sorted(known)].any(axis=1)
        unknown = [i for i in range(len(columns)) if i not in known]
        numbering = [i for i in unknown if is_numbering(headers[i])]
        other = [i for i in unknown if i not in numbering]
        in_other = filled[:, other].any(axis=1) if other else np.zeros(n, dtype=bool)
        kinds[~in_known & ~in_other] = ""
        kinds[~in_known & in_other] = NO_DATA
    picked = np.flatnonzero(candidates)
    if len(picked):
        first = [column[picked] for column in columns[:_FIRST_COLUMNS]]
        kinds[picked] = _closely(first, repeated[picked], known=len(known), old=kinds[picked])
    kinds[~filled.any(axis=1)] = None  # empty lines are dropped elsewhere
    return kinds


def _closely(columns: list[Coded], repeated: np.ndarray, *, known: int, old: np.ndarray) -> np.ndarray:
    """Classify the candidate lines of :func:`furniture` by the words of their first cells (``columns``).

    Each distinct text is squeezed and matched once; a line's note or signature is read in
    its first cell with words (its lead), its totals in any of them.
    """
    kinds = old.copy()
    totals, note, signature, led = (np.zeros(len(kinds), dtype=bool) for _ in range(4))
    for column in columns:
        present, inverse = np.unique(column.codes, return_inverse=True)
        texts = column.uniques[present]
        # Every furniture word starts with a Chinese character: of an ASCII text (an id, a
        # number) only whether it is blank matters, and the cells come trimmed. The others are
        # squeezed (``合 计`` is ``合计``).
        wide = np.flatnonzero(~np.fromiter(map(str.isascii, texts), dtype=bool, count=len(texts)))
        words = [_squeezed(text) for text in texts[wide]]
        filled = texts != ""
        filled[wide] = [bool(text) for text in words]
        leads = filled[inverse] & ~led
        # Every furniture word starts with a trigger: the others are not matched at all.
        starts = np.flatnonzero(np.isin(np.array(words, dtype=object).astype("U1"), _TRIGGERS))
        said, maybe = [words[i] for i in starts], wide[starts]
        totals |= _matched(_TOTAL, said, maybe, size=len(texts))[inverse]
        note |= leads & _matched(_NOTE, said, maybe, size=len(texts), end=" ")[inverse]
        signature |= leads & _matched(_SIGNATURE, said, maybe, size=len(texts), end=" ")[inverse]
        led |= leads
    kinds[repeated >= min(2, max(known, 1))] = REPEATED_HEADER
    kinds[note] = NOTE
    kinds[signature] = SIGNATURE
    kinds[totals] = TOTALS
    return kinds


def _matched(
    pattern: re.Pattern[str], words: list[str], positions: np.ndarray, *, size: int, end: str = ""
) -> np.ndarray:
    """Return which of ``size`` words match ``pattern``: ``words`` are those at ``positions``."""
    flags = np.zeros(size, dtype=bool)
    flags[positions] = [pattern.match(text + end) is not None for text in words]
    return flags


def header_rows(spec: TableSpec, head: Sequence[Sequence[str]]) -> tuple[int, int, list[str]] | None:
    """Find the header among the first rows: its first and last row index, and its cells.

    A one-row header is the first row with known headers (:func:`find_header_row`). Two
    rows are read as one header when the row under it holds only known headers (and
    cells repeated from above) — the lower cells of group headings — or when the row above
    it holds known headers (a heading merged down both rows); each column is then named
    by its lower cell, or its upper cell where the lower is empty.

    Examples
    --------
    >>> from ingest.schema import TABLES
    >>> spec = TABLES["enterprises"]
    >>> head = [["重点企业名单"], ["企业编号", "企业名称", "影响情况", ""],
    ...         ["", "", "年产值", "状态"], ["E1", "甲"]]
    >>> header_rows(spec, head)
    (1, 2, ['企业编号', '企业名称', '年产值', '状态'])
    >>> header_rows(spec, [["企业编号", "企业名称"], ["E1", "甲"]])
    (0, 0, ['企业编号', '企业名称'])
    """
    index = find_header_row(spec, head)
    if index is None:
        return None
    rows = [list(r) for r in head[:HEADER_SEARCH_ROWS]]
    if index + 1 < len(rows) and _lower_header(spec, rows[index], rows[index + 1]):
        return index, index + 1, _combined(rows[index], rows[index + 1])
    if index > 0 and _upper_header(spec, rows[index - 1]):
        return index - 1, index, _combined(rows[index - 1], rows[index])
    return index, index, [c.strip() for c in rows[index]]


def _lower_header(spec: TableSpec, upper: list[str], lower: list[str]) -> bool:
    filled = [(i, c.strip()) for i, c in enumerate(lower) if c and c.strip()]
    if not filled:
        return False
    known = map_headers(spec, lower)
    if not known:
        return False
    above = {i: normalize_header(c) for i, c in enumerate(upper)}
    return all(i in known or above.get(i) == normalize_header(text) for i, text in filled)


def _upper_header(spec: TableSpec, upper: list[str]) -> bool:
    filled = [c for c in upper if c and c.strip()]
    return len(filled) >= 2 and bool(map_headers(spec, upper))


def _combined(upper: list[str], lower: list[str]) -> list[str]:
    width = max(len(upper), len(lower))
    upper = upper + [""] * (width - len(upper))
    lower = lower + [""] * (width - len(lower))
    return [(low.strip() or up.strip()) for up, low in zip(upper, lower, strict=True)]


class MergeFill:
    """Give every cell of a merged range its top-left cell's value, row by row as they stream.

    Parameters
    ----------
    ranges
        Merged ranges as ``(first_row, first_column, last_row, last_column)``, 1-based and
        inclusive (Excel's numbering).

    Examples
    --------
    >>> fill = MergeFill([(3, 1, 4, 1), (5, 1, 5, 3)])
    >>> fill.apply(3, ["E1", "S1"]), fill.apply(4, ["", "S2"]), fill.apply(5, ["合计", "", ""])
    (['E1', 'S1'], ['E1', 'S2'], ['合计', '合计', '合计'])
    """

    def __init__(self, ranges: Sequence[tuple[int, int, int, int]]) -> None:
        self._by_row: dict[int, list[tuple[int, int, int, int]]] = {}
        for first_row, first_col, last_row, last_col in ranges:
            if (first_row, first_col) == (last_row, last_col):
                continue
            for row in range(first_row, last_row + 1):
                self._by_row.setdefault(row, []).append((first_row, first_col, last_row, last_col))
        self._anchors: dict[tuple[int, int], str] = {}

    def __bool__(self) -> bool:
        return bool(self._by_row)

    def apply(self, row: int, cells: list[str]) -> list[str]:
        """Return ``cells`` (of Excel row ``row``) with the merged ranges over it filled."""
        ranges = self._by_row.pop(row, None)
        if not ranges:
            return cells
        filled = list(cells)
        for first_row, first_col, _, last_col in ranges:
            key = (first_row, first_col)
            if row == first_row:
                self._anchors[key] = filled[first_col - 1] if first_col <= len(filled) else ""
            value = self._anchors.get(key, "")
            for column in range(first_col, min(last_col, len(filled)) + 1):
                filled[column - 1] = value
        return filled
