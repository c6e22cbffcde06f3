"""Header matching: how a header cell as typed maps to a canonical column.

Headers are compared after NFKC (full-width → half-width), trimming, dropping internal
white space and required-field markers (``*``), lower-casing, and dropping a unit suffix
in brackets: ``年产值(万元)``, ``年产值（万元）`` and ``年产值`` are one header.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ingest.schema import TableSpec

__all__ = ["HEADER_SEARCH_ROWS", "find_header_row", "map_headers", "normalize_header"]

HEADER_SEARCH_ROWS = 10
"""The header row is looked for within this many rows at the top of a sheet."""

_UNIT_SUFFIX = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]$")
_NOISE = re.compile(r"[\s*※]+")


def normalize_header(text: object) -> str:
    """Return the comparable form of a header cell.

    Examples
    --------
    >>> normalize_header(" 年产值（万元） "), normalize_header("*企业 名称"), normalize_header("ID")
    ('年产值', '企业名称', 'id')
    """
    value = unicodedata.normalize("NFKC", str(text or "")).strip()
    value = _NOISE.sub("", value)
    value = _UNIT_SUFFIX.sub("", value)
    return value.lower()


def _lookup(spec: TableSpec) -> dict[str, str]:
    found: dict[str, str] = {}
    for column in spec.columns:
        for header in (column.name, *column.headers):
            found.setdefault(normalize_header(header), column.name)
    return found


def map_headers(spec: TableSpec, headers: Sequence[str]) -> dict[int, str]:
    """Map header positions to canonical column names; unknown headers are left out.

    When two cells map to one column, the first wins (the caller reports the second).

    Examples
    --------
    >>> from ingest.schema import TABLES
    >>> map_headers(TABLES["links"], ["供应商编号", "需求方编号", "物料", "备注"])
    {0: 'supplier_id', 1: 'buyer_id', 2: 'material'}
    """
    lookup = _lookup(spec)
    mapping: dict[int, str] = {}
    for position, header in enumerate(headers):
        column = lookup.get(normalize_header(header))
        if column is not None:
            mapping[position] = column
    return mapping


def find_header_row(spec: TableSpec, rows: Sequence[Sequence[str]]) -> int | None:
    """Return the index of the header row among the first rows, or ``None``.

    The header row is the first row within :data:`HEADER_SEARCH_ROWS` in which at least
    two cells (one, for a one-column sheet) are known headers of the table; title rows
    above it are skipped.

    Examples
    --------
    >>> from ingest.schema import TABLES
    >>> find_header_row(TABLES["links"], [["怀化市供应关系表"], [], ["供应商编号", "需求方编号"]])
    2
    """
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [c for c in row if str(c or "").strip()]
        if not cells:
            continue
        matched = len(set(map_headers(spec, list(row)).values()))
        if matched >= min(2, len(cells)) and matched > 0:
            return index
    return None
