"""The domain model: firms, projects, supply links and problems as canonical tables.

The bureau's ledgers (台账) become four tables with fixed columns, held together in
:class:`LedgerTables`. Enterprises (重点企业) and suppliers (配套企业) share one id space and
are merged into one *firms* table with ``is_enterprise`` / ``is_supplier`` flags. Tables,
not objects, are the unit of exchange because a province holds millions of rows; single
records are read with :meth:`LedgerTables.firm` and friends where a caller needs one.

Missing text is ``""``; a missing optional number is ``NaN`` (``capacity`` not given is
different from ``capacity = 100``: the analysis then falls back on the status).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FIRM_COLUMNS",
    "LINK_COLUMNS",
    "LINK_KEY",
    "MATERIAL_COLUMNS",
    "PROBLEM_COLUMNS",
    "PROJECT_COLUMNS",
    "LedgerTables",
    "ProblemCategory",
    "ProblemStatus",
    "ProductionStatus",
    "ProjectLevel",
    "conform",
    "int_column",
    "text_column",
    "typed",
]


class ProductionStatus(StrEnum):
    """生产状态 of a firm."""

    NORMAL = "normal"  # 正常
    PARTIAL = "partial"  # 部分停产
    STOPPED = "stopped"  # 停产


class ProjectLevel(StrEnum):
    """项目级别."""

    NATIONAL = "national"  # 国家级
    PROVINCIAL = "provincial"  # 省级
    CITY = "city"  # 市级


class ProblemCategory(StrEnum):
    """问题类别, as the city's work plan names them."""

    LABOUR = "用工"
    MATERIALS = "原材料"
    LOGISTICS = "物流运输"
    FINANCE = "资金"
    APPROVAL = "审批"
    ENERGY = "电力燃气"
    OTHER = "其他"


class ProblemStatus(StrEnum):
    """办理状态 of a problem ledger item (挂号 → 办理中 → 已销号)."""

    REGISTERED = "registered"  # 挂号
    IN_PROGRESS = "in_progress"  # 办理中
    CLOSED = "closed"  # 已销号


# Canonical columns and their kinds: "text", "float" (NaN when absent), "int" (nullable),
# "bool". Stores and the ingest layer both follow these.
FIRM_COLUMNS: dict[str, str] = {
    "id": "text",
    "name": "text",
    "address": "text",
    "adcode": "text",
    "adcode_source": "text",
    "chain": "text",
    "output_value": "float",
    "tax": "float",
    "status": "text",
    "capacity": "float",
    "recovery_days": "int",
    "problem": "text",
    "contact": "text",
    "phone": "text",
    "is_enterprise": "bool",
    "is_supplier": "bool",
    "extra": "text",
}
PROJECT_COLUMNS: dict[str, str] = {
    "id": "text",
    "name": "text",
    "address": "text",
    "adcode": "text",
    "adcode_source": "text",
    "level": "text",
    "category": "text",
    "total_investment": "float",
    "annual_plan": "float",
    "completed": "float",
    "owner": "text",
    "lead_unit": "text",
    "extra": "text",
}
LINK_COLUMNS: dict[str, str] = {
    "supplier_id": "text",
    "buyer_id": "text",
    "material": "text",
    "share": "float",
    "critical": "bool",
    "stock_days": "int",
    "annual_value": "float",
    "material_code": "text",
    "extra": "text",
}
MATERIAL_COLUMNS: dict[str, str] = {
    "code": "text",
    "name": "text",
    "aliases": "text",
    "chain": "text",
    "extra": "text",
}
PROBLEM_COLUMNS: dict[str, str] = {
    "id": "text",
    "subject_id": "text",
    "category": "text",
    "description": "text",
    "responsible_unit": "text",
    "deadline": "text",
    "status": "text",
    "extra": "text",
}
LINK_KEY = ("supplier_id", "buyer_id", "material")
"""A link is identified by supplier, buyer and material."""

_SCHEMAS = {
    "firms": FIRM_COLUMNS,
    "projects": PROJECT_COLUMNS,
    "links": LINK_COLUMNS,
    "problems": PROBLEM_COLUMNS,
    "materials": MATERIAL_COLUMNS,
}
_KEYS: dict[str, list[str]] = {
    "firms": ["id"],
    "projects": ["id"],
    "links": list(LINK_KEY),
    "problems": ["id"],
    "materials": ["code"],
}


def conform(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Return ``frame`` with exactly the canonical columns of ``table``, in order and typed.

    Parameters
    ----------
    frame
        A table with at least the canonical columns (missing ones are filled empty).
    table
        One of ``firms``, ``projects``, ``links``, ``problems``, ``materials``.

    Returns
    -------
    pandas.DataFrame
        A new frame with a fresh ``RangeIndex``.

    Examples
    --------
    >>> t = conform(pd.DataFrame({"id": ["F1"], "name": ["甲"]}), "firms")
    >>> list(t.columns)[:3], t.loc[0, "status"], bool(t.loc[0, "is_supplier"])
    (['id', 'name', 'address'], '', False)
    """
    schema = _SCHEMAS[table]
    out: dict[str, Any] = {}
    n = len(frame)
    for column, kind in schema.items():
        if column in frame.columns:
            values = frame[column]
        else:
            values = pd.Series([None] * n, index=frame.index, dtype=object)
        out[column] = _typed(values.reset_index(drop=True), kind)
    return pd.DataFrame(out, columns=list(schema), copy=False)  # the columns are new already


def _typed(values: pd.Series, kind: str) -> pd.Series:
    if kind == "text":
        return _filled(values, "").astype(str)
    if kind == "float":
        return pd.to_numeric(values, errors="coerce").astype("float64")
    if kind == "int":
        return pd.to_numeric(values, errors="coerce").astype("Int64")
    return values if values.dtype == bool else _filled(values, False).astype(bool)


def _filled(values: pd.Series, blank: object) -> pd.Series:
    """Return ``values`` as a new object array, ``blank`` for each missing one (copied once).

    Always a copy: the conformed frame must not share an array with its input behind pandas'
    back (copy-on-write tracks only what pandas itself shares).
    """
    cells = values.to_numpy(dtype=object)
    copied = False
    # Every cell a text (or a flag) is a quicker test than isna, and the usual case.
    if pd.api.types.infer_dtype(cells, skipna=False) not in ("string", "boolean", "empty"):
        missing = pd.isna(cells)
        if missing.any():
            cells, copied = cells.copy(), True
            cells[missing] = blank
    return pd.Series(cells, index=values.index, dtype=object, copy=not copied)


_DTYPES: dict[str, Any] = {
    "text": pd.StringDtype("python", na_value=np.nan),  # what ``astype(str)`` gives (chain_graph/__init__)
    "float": np.dtype("float64"),
    "int": pd.Int64Dtype(),
    "bool": np.dtype(bool),
}
"""The dtype of each kind of column, as :func:`conform` makes it."""


def text_column(values: np.ndarray, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Return the canonical text column whose cells are ``values[codes]``.

    ``values`` are the distinct values (texts, or ``None`` for ``""``); each is typed once,
    as :func:`conform` types a text cell, and the cells are then taken by position. A column
    of five million cells costs one array take instead of :func:`conform`'s passes over
    every cell (national links: ~1.5 s).

    Examples
    --------
    >>> text_column(np.array(["甲", None], dtype=object), np.array([0, 1, 0])).tolist()
    ['甲', '', '甲']
    """
    distinct = _filled(pd.Series(values, dtype=object), "").astype(_DTYPES["text"]).array
    return distinct.take(codes)


def int_column(numbers: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Return the canonical integer column of ``numbers`` (floats holding integers, NaN: none).

    Examples
    --------
    >>> int_column(np.array([3.0, np.nan])).tolist()
    [3, <NA>]
    """
    missing = np.isnan(numbers)
    whole = np.where(missing, 0, numbers)
    if not (np.isfinite(whole).all() and (np.abs(whole) < 2**53).all() and (whole == np.trunc(whole)).all()):
        msg = "integers expected (whole numbers, at most 2**53 apart from zero)"
        raise ValueError(msg)
    return pd.arrays.IntegerArray(whole.astype(np.int64), missing)


def typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Return ``frame``, which its maker built canonical already, after checking it column by column.

    The columns must be those of ``table``, in order and of their dtypes, on a ``RangeIndex``
    from 0; text columns must hold no missing value, which is not checked here (cell by cell,
    that is what :func:`conform` costs): build them with :func:`text_column`.

    Raises
    ------
    ValueError
        When a column is missing, extra, out of order or of another dtype.

    Examples
    --------
    >>> frame = conform(pd.DataFrame({"id": ["F1"]}), "firms")
    >>> typed(frame, "firms") is frame
    True
    """
    schema = _SCHEMAS[table]
    found = {str(column): frame[column].dtype for column in frame.columns}
    wrong = [c for c, kind in schema.items() if c not in found or found[c] != _DTYPES[kind]]
    if list(found) != list(schema) or wrong or not frame.index.equals(pd.RangeIndex(len(frame))):
        msg = f"{table}: not canonical ({wrong or list(found)})"
        raise ValueError(msg)
    return frame


def _empty(table: str) -> pd.DataFrame:
    return conform(pd.DataFrame(), table)


@dataclass(frozen=True)
class LedgerTables:
    """The canonical tables of one city's data.

    Attributes
    ----------
    firms, projects, links, problems, materials
        Tables with the columns of ``FIRM_COLUMNS``, ``PROJECT_COLUMNS``,
        ``LINK_COLUMNS``, ``PROBLEM_COLUMNS`` and ``MATERIAL_COLUMNS`` (the optional
        物料目录 of the supply spec; empty when the city keeps none).
    """

    firms: pd.DataFrame = field(default_factory=lambda: _empty("firms"))
    projects: pd.DataFrame = field(default_factory=lambda: _empty("projects"))
    links: pd.DataFrame = field(default_factory=lambda: _empty("links"))
    problems: pd.DataFrame = field(default_factory=lambda: _empty("problems"))
    materials: pd.DataFrame = field(default_factory=lambda: _empty("materials"))

    TABLES = ("firms", "projects", "links", "problems", "materials")

    @classmethod
    def from_frames(cls, **frames: pd.DataFrame) -> LedgerTables:
        """Build from any subset of the tables, conforming each one."""
        unknown = set(frames) - set(cls.TABLES)
        if unknown:
            msg = f"unknown tables: {sorted(unknown)}"
            raise ValueError(msg)
        return cls(**{name: conform(frame, name) for name, frame in frames.items()})

    def counts(self) -> dict[str, int]:
        """Return the number of rows of each table."""
        return {name: len(getattr(self, name)) for name in self.TABLES}

    def canonical(self) -> LedgerTables:
        """Return the same content sorted by key, for comparing two loads.

        Examples
        --------
        >>> a = LedgerTables.from_frames(firms=pd.DataFrame({"id": ["B", "A"], "name": ["乙", "甲"]}))
        >>> list(a.canonical().firms["id"])
        ['A', 'B']
        """
        return LedgerTables(
            **{
                name: conform(getattr(self, name), name)
                .sort_values(_KEYS[name], kind="stable")
                .reset_index(drop=True)
                for name in self.TABLES
            }
        )
