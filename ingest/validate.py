"""Lazy validation: every problem in every table at once, then the canonical ledgers.

:func:`validate` parses each :class:`~ingest.readers.RawTable`, checks each cell, then
checks across tables (ids, references, shares), and returns a :class:`Validation` with
every :class:`~chain_graph.errors.InputIssue` and the :class:`~chain_graph.model.LedgerTables`
built from the rows that passed. Rows that depend on a rejected row (a link to a firm
whose row is rejected) are rejected too, with code ``REJECTED_REFERENCE``.

Links are compared by material identity (:mod:`chain_graph.materials`, supply spec): the
duplicate-link and share-sum checks group ``钢板``, ``钢 板`` and a catalogue alias of
the same code as one material, with the catalogue (物料目录) rows that passed their own checks
— the catalogue that is written.

Cells are parsed once per distinct text (see :mod:`ingest.values`), so a large, regular
table costs little more than reading it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from chain_graph import objects
from chain_graph.errors import InputIssue, IssueCode
from chain_graph.materials import Catalogue, identities, normalise, split_aliases
from chain_graph.model import (
    FIRM_COLUMNS,
    LINK_COLUMNS,
    LedgerTables,
    conform,
    int_column,
    text_column,
    typed,
)
from chain_graph.ordering import repeated, runs, text_order
from chain_graph.problem_ledger import default_unit
from chain_graph.settings import Settings
from ingest.columnar import Coded, coded
from ingest.headers import map_headers
from ingest.layout import SkippedLine
from ingest.readers import RawTable
from ingest.schema import TABLES, TableSpec, spec_of
from ingest.values import PARSERS, ValueProblem, parse_plain

__all__ = ["Rejected", "ReportValidation", "Validation", "validate", "validate_reports"]


@dataclass(frozen=True)
class Rejected:
    """A rejected row: where it is, its cells as written, and every reason."""

    table: RawTable
    position: int
    issues: list[InputIssue]

    def cells(self) -> dict[str, str]:
        """Return the row as ``{header: text}``."""
        row = self.table.row(self.position)
        return {h: row[i] for i, h in enumerate(self.table.headers) if h}


@dataclass
class Validation:
    """The outcome of validating one data directory."""

    ledgers: LedgerTables
    issues: list[InputIssue] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    blocking: bool = False
    """True when a problem stops any import, even of the valid rows (a required table
    missing or unreadable)."""
    skipped: list[SkippedLine] = field(default_factory=list)
    """Lines read as print furniture (合计, signatures, notes, repeated headers) and files in
    no ledger format: not errors, listed so that a person can see nothing was lost."""

    @property
    def ok(self) -> bool:
        """True when there is no issue at all."""
        return not self.issues


class _Table:
    """One table while it is being validated: parsed values and per-row issues."""

    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.spec: TableSpec = spec_of(raw.source.table)
        self.n = len(raw.rows)
        self.built: dict[str, pd.Series] = {}
        """Parsed columns as values per cell, built when first asked for (:meth:`column`)."""
        self.position_of: dict[str, int] = {}
        """Where each parsed column is among the raw table's columns."""
        self.coded: dict[str, Coded] = {}
        """Parsed columns as codes into each distinct text's value (the column is ``uniques[codes]``)."""
        self.row_issues: dict[int, list[InputIssue]] = {}
        self.header_of: dict[str, str] = {}
        self.unusable = False

    def issue(self, position: int, column: str, value: object, code: IssueCode, message: str) -> InputIssue:
        found = InputIssue(
            code,
            message,
            file=self.raw.source.path.name,
            sheet=self.raw.sheet,
            row=self.raw.rows[position] if position >= 0 else 0,
            column=self.header_of.get(column, column),
            value=_shorten(value),
        )
        if position >= 0:
            self.row_issues.setdefault(position, []).append(found)
        return found

    def table_issue(self, code: IssueCode, message: str, column: str = "") -> InputIssue:
        return InputIssue(code, message, file=self.raw.source.path.name, sheet=self.raw.sheet, column=column)

    def ok_mask(self) -> np.ndarray:
        mask = np.full(self.n, not self.unusable)
        if self.row_issues:
            mask[list(self.row_issues)] = False
        return mask

    def parsed(self, name: str) -> Coded:
        """Return column ``name`` as codes into its values (all ``None``: the table has no such column)."""
        found = self.coded.get(name)
        if found is None:
            return Coded(np.zeros(self.n, dtype=np.intp), np.array([None], dtype=object))
        return found

    def column(self, name: str) -> pd.Series:
        """Return the values of column ``name`` per cell (``None``: blank or refused, or no such column)."""
        found = self.built.get(name)
        if found is None:
            found = pd.Series(self.parsed(name).cells(), dtype=object)
            if name in self.coded:
                self.built[name] = found
        return found

    def cell(self, name: str, position: int) -> object:
        """Return the value of column ``name`` at row ``position`` (``None``: blank, refused or none)."""
        return self.parsed(name).at(position)

    def value_codes(self, name: str) -> np.ndarray:
        """Return column ``name`` as integers, equal for equal values, ``-1`` for ``None``."""
        return _numbered(self.parsed(name))

    def values_at(self, name: str, positions: np.ndarray) -> np.ndarray:
        """Return the values of column ``name`` at ``positions`` (``None`` where there are none)."""
        return self.parsed(name)[positions].cells()

    def numbers(self, name: str) -> np.ndarray:
        """Return a number column as floats (NaN: blank, refused or no such column), converted per value."""
        return _floats(self.parsed(name))

    def valid_columns(self, names: Iterable[str] | None = None) -> dict[str, Coded]:
        """Return the columns ``names`` of the rows without an issue, coded.

        By default every column read (``_extra`` among them); a column not read is all
        ``None``, as :meth:`parsed` gives it.
        """
        ok = self.ok_mask()
        every = bool(ok.all())  # the usual ledger: no row left out, no copy of the codes
        chosen = self.coded if names is None else names
        return {name: self.parsed(name) if every else self.parsed(name)[ok] for name in chosen}

    def valid_frame(self, *, numbers: tuple[str, ...] = ()) -> pd.DataFrame:
        """Return the values of the rows without an issue, one column per column read.

        The columns ``numbers`` are floats (NaN: none given), converted once per distinct value.
        """
        valid = self.valid_columns([*(name for name in self.coded if name not in numbers), *numbers])
        columns = {name: column.cells() for name, column in valid.items() if name not in numbers}
        index = pd.RangeIndex(int(self.ok_mask().sum()))
        frame = pd.DataFrame(columns, index=index, dtype=object, copy=False)
        for name in numbers:
            frame[name] = _floats(valid[name])
        return frame

    def excel_row(self, position: int) -> int:
        return self.raw.rows[position]

    def text(self, name: str, position: int) -> str:
        """Return the cell of column ``name`` at row ``position`` as written (``""``: no such column)."""
        return str(self.raw.column(self.position_of[name]).at(position)) if name in self.position_of else ""

    def blank(self, name: str) -> np.ndarray:
        """Which cells of column ``name`` are blank (all of them when the table has no such column)."""
        if name not in self.position_of:
            return np.ones(self.n, dtype=bool)
        return self.raw.column(self.position_of[name]).blank()


def _shorten(value: object, limit: int = 60) -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def validate(
    raw_tables: Iterable[RawTable],
    *,
    settings: Settings,
    issues: Iterable[InputIssue] = (),
    blocking: bool = False,
    unread: Iterable[str] = (),
) -> Validation:
    """Validate raw tables and build the canonical ledgers from the rows that pass.

    Parameters
    ----------
    raw_tables
        The tables read from one data directory.
    settings
        For default responsible units of problems.
    issues
        Issues found before (discovery, unreadable files); carried into the result.
    blocking
        Whether those issues already stop any import (a required table unreadable).
    unread
        Tables that may hold ids but were not read (missing, unreadable, or perhaps in a
        file that was not recognised). When the import is stopped anyway, an id found in no
        table is not reported as unknown if its table is among these: it may well be in the
        file the user is told to fix, and hundreds of such issues would bury that cause.

    Returns
    -------
    Validation
        Its issues in order: files not recognised first (the likeliest cause of the rest),
        then by table, file, sheet and row.
    """
    found = list(issues)
    blocking = blocking or any(i.code in _BLOCKING for i in found)
    tables = {raw.source.table: _Table(raw) for raw in raw_tables}
    for table in tables.values():
        found.extend(_parse(table))
        if table.unusable and table.spec.required:
            blocking = True
    unknown = _unknown_kinds(set(unread)) if blocking else frozenset()
    read = _Ids(tables, ("enterprises", "suppliers", "projects"))
    found.extend(_check_firms(tables.get("enterprises"), tables.get("suppliers"), read=read))
    firm_ids = read.of(tables, ("enterprises", "suppliers"), valid_only=True)
    found.extend(_check_projects(tables.get("projects"), firm_ids, read=read))
    project_ids = read.of(tables, ("projects",), valid_only=True)
    all_firm_ids = read.of(tables, ("enterprises", "suppliers"))
    all_project_ids = read.of(tables, ("projects",))
    found.extend(_check_materials(tables.get("materials")))
    catalogue = _catalogue(tables.get("materials"))
    found.extend(
        _check_links(
            tables.get("links"),
            all_firm_ids,
            all_project_ids,
            unknown=unknown,
            catalogue=catalogue,
            read=read,
        )
    )
    found.extend(
        _check_problems(tables.get("problems"), all_firm_ids | all_project_ids, unknown=unknown, read=read)
    )
    _cascade(
        tables,
        firm_ids,
        project_ids,
        all_firm_ids=all_firm_ids,
        unjudged=all_firm_ids | all_project_ids if unknown else None,
        read=read,
    )
    ledgers = _build(tables, settings, read=read)
    rejected = [
        Rejected(t.raw, pos, t.row_issues[pos]) for t in tables.values() for pos in sorted(t.row_issues)
    ]
    order = {name: i for i, name in enumerate(TABLES)}
    found.sort(
        key=lambda i: (
            i.code is not IssueCode.FILE_UNRECOGNISED,
            order.get(_table_of(i, tables), -1),
            i.file,
            i.sheet,
            i.row,
        )
    )
    return Validation(ledgers, found, rejected, blocking)


def _unknown_kinds(unread: set[str]) -> frozenset[str]:
    """Which kinds of id (``firm``, ``project``) may be in a table that was not read."""
    kinds = {"firm"} if unread & {"enterprises", "suppliers"} else set()
    return frozenset(kinds | ({"project"} if "projects" in unread else set()))


def _table_of(issue: InputIssue, tables: dict[str, _Table]) -> str:
    for name, table in tables.items():
        if table.raw.source.path.name == issue.file and table.raw.sheet == issue.sheet:
            return name
    return ""


_BLOCKING = {IssueCode.TABLE_MISSING, IssueCode.TABLE_DUPLICATE, IssueCode.FILE_UNRECOGNISED}
"""Issues that stop any import, even of the valid rows: which table holds what is unsure."""


# --- cells -----------------------------------------------------------------------------


def _parse(table: _Table) -> list[InputIssue]:
    raw, spec = table.raw, table.spec
    issues: list[InputIssue] = list(raw.problems)
    table.unusable = bool(raw.problems)
    for problem in raw.problems:  # in the rejects file with its row, where it has one
        if problem.row in raw.rows:
            table.row_issues.setdefault(raw.rows.index(problem.row), []).append(problem)
    mapping = map_headers(spec, raw.headers)
    seen: dict[str, int] = {}
    for position, name in mapping.items():
        table.header_of.setdefault(name, raw.headers[position])
        if name in seen:
            issues.append(
                table.table_issue(
                    IssueCode.COLUMN_DUPLICATE,
                    f"“{raw.headers[seen[name]]}”与“{raw.headers[position]}”表示同一列，请删去一列",
                    raw.headers[position],
                )
            )
            table.unusable = True
        else:
            seen[name] = position
    for column in spec.columns:
        if column.required and column.name not in seen:
            issues.append(
                table.table_issue(
                    IssueCode.COLUMN_MISSING,
                    f"缺少必需的“{column.headers[0]}”列（可写作：{'、'.join(column.headers)}）",
                    column.headers[0],
                )
            )
            table.unusable = True
    if table.spec.name in {"enterprises", "suppliers", "projects"} and not (
        {"address", "adcode"} & set(seen)
    ):
        issues.append(
            table.table_issue(
                IssueCode.COLUMN_MISSING, "缺少“地址”或“行政区划代码”列（至少需要一列）", "地址"
            )
        )
        table.unusable = True
    # An optional ledger table with only its header (the template's 物料目录 left blank) has
    # nothing to import and nothing wrong; an empty required table or reports file has.
    if table.n == 0 and (spec.required or spec.name not in TABLES):
        issues.append(table.table_issue(IssueCode.TABLE_EMPTY, f"“{spec.label}”表没有数据行"))
        table.unusable = table.unusable or spec.required
    for column in spec.columns:
        if column.name not in seen:
            continue
        position = table.position_of[column.name] = seen[column.name]
        issues.extend(_parse_column(table, column.name, column.kind, column.required, raw.column(position)))
    table.coded["_extra"] = _extras(raw, set(mapping))
    return issues


def _parse_column(table: _Table, name: str, kind: str, required: bool, text: Coded) -> list[InputIssue]:
    """Parse one column, each distinct text once; its values and problems go back to its cells."""
    issues: list[InputIssue] = []
    codes = text.codes
    found, problems = _parse_distinct(kind, text.uniques)
    parsed = Coded(codes, found)
    table.coded[name] = parsed
    if required:
        for position in np.flatnonzero(text.blank()):
            issues.append(
                table.issue(
                    int(position), name, "", IssueCode.VALUE_MISSING, f"“{table.header_of[name]}”不能为空"
                )
            )
    bad = np.fromiter(problems, dtype=np.intp, count=len(problems))
    if len(bad):
        for position in np.flatnonzero(np.isin(codes, bad)):
            code = codes[position]
            problem = problems[int(code)]
            issues.append(table.issue(int(position), name, text.uniques[code], problem.code, problem.message))
    return issues


def _parse_distinct(kind: str, uniques: np.ndarray) -> tuple[np.ndarray, dict[int, ValueProblem]]:
    """Parse each distinct text (``""``: no value): all at once when plain, else one by one.

    Returns each text's value (``None``: none) and the problem of each text refused, by position.
    """
    found = np.full(len(uniques), None, dtype=object)
    problems: dict[int, ValueProblem] = {}
    filled = np.flatnonzero(uniques != "")
    plain = parse_plain(kind, uniques[filled])
    if plain is not None:
        found[filled] = plain
        return found, problems
    for i in filled.tolist():
        try:
            found[i] = PARSERS[kind](uniques[i])
        except ValueProblem as problem:
            problems[i] = problem
    return found, problems


def _extras(raw: RawTable, known: set[int]) -> Coded:
    """Return the columns read but not in the schema, per row as one JSON object (``""``: none)."""
    extra = [i for i, h in enumerate(raw.headers) if i not in known and h]
    if not extra or not raw.rows:
        return Coded(np.zeros(len(raw.rows), dtype=np.intp), np.array([""], dtype=object))
    names = [raw.headers[i] for i in extra]
    block = np.column_stack([raw.column(i).cells() for i in extra])
    return coded(
        np.array(
            [
                json.dumps({k: v for k, v in zip(names, row, strict=True) if v}, ensure_ascii=False)
                if any(row)
                else ""
                for row in block
            ],
            dtype=object,
        )
    )


# --- across rows and tables -------------------------------------------------------------


def _duplicates(
    table: _Table, keys: list[str], code: IssueCode, what: str, *, read: _Ids | None = None
) -> list[InputIssue]:
    """Report each key (the values of ``keys``) given in more than one row.

    With ``read``, the first key is an id column numbered by it (hashed once for every check).
    """
    columns = [table.column(k).to_numpy(dtype=object) for k in keys]
    compared = [read.codes(table, keys[0]), *columns[1:]] if read is not None else columns
    issues: list[InputIssue] = []
    for positions in _repeated_rows(compared):
        rows = _rows(table, positions)
        key = [values[positions[0]] for values in columns]
        shown = key[0] if len(key) == 1 else " / ".join(str(k) for k in key)
        for position in positions:
            issues.append(
                table.issue(
                    position, keys[0], shown, code, f"{what}“{shown}”重复出现在第 {rows} 行，请合并为一行"
                )
            )
    return issues


def _rows(table: _Table, positions: list[int]) -> str:
    """Name the Excel rows of ``positions`` (sorted): the first five, then how many in all."""
    rows = "、".join(str(table.excel_row(p)) for p in positions[:5])
    return rows + (f" 等 {len(positions)}" if len(positions) > 5 else "")


def _repeated(keys: pd.DataFrame) -> list[list[int]]:
    """Return the positions of each key (a row of ``keys``) given more than once, in order.

    Rows with a missing part (``None``) are left out.
    """
    return _repeated_rows([keys[c].to_numpy(dtype=object) for c in keys.columns])


def _repeated_rows(columns: list[np.ndarray]) -> list[list[int]]:
    """Return the positions of each key (one value per column) given more than once.

    Keys in order of their first row, positions ascending; rows with a missing part left
    out. A column is either values (``None`` missing), hashed once into integers, or such
    integers already (``-1`` missing); the keys are then compared as one integer each.

    Examples
    --------
    >>> _repeated_rows([np.array(["a", "b", "a", None, "b"], dtype=object), np.array([1, 2, 1, 1, 3])])
    [[0, 2]]
    """
    combined, present = _combined(columns)
    given = np.flatnonzero(present)
    keys = combined[given]
    again = repeated(keys)
    given, keys = given[again], keys[again]
    return [given[part].tolist() for part in _groups(keys)]


def _groups(keys: np.ndarray) -> list[np.ndarray]:
    """Return the positions of each distinct key, keys in order of their first position.

    Examples
    --------
    >>> [part.tolist() for part in _groups(np.array([7, 3, 7, 5, 3]))]
    [[0, 2], [1, 4], [3]]
    """
    if not len(keys):
        return []
    group, _ = pd.factorize(keys)  # numbered in order of first position
    order, starts = runs(group)
    return np.split(order, starts[1:])


def _combined(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Return one integer per row for the key its columns make, and which rows have every part.

    Equal keys get equal integers. A column is values (``None`` missing) or integer codes
    (``-1`` missing, never below), as for :func:`_repeated_rows`.
    """
    n = len(columns[0]) if columns else 0
    combined = np.zeros(n, dtype=np.int64)
    present = np.ones(n, dtype=bool)
    span = 1  # combined < span
    for values in columns:
        codes = values if values.dtype.kind in "iu" else pd.factorize(values)[0]  # None → -1
        present &= codes >= 0
        width = int(codes.max()) + 2 if n else 1
        if span * width >= 2**62:  # renumber before the product could overflow
            combined = pd.factorize(combined)[0].astype(np.int64)
            span = int(combined.max()) + 1 if n else 1
            if span * width >= 2**62:  # codes far apart: renumber them too (at most n)
                codes = np.where(codes >= 0, pd.factorize(codes)[0], -1)
                width = int(codes.max()) + 2
        combined = combined * width + (codes.astype(np.int64) + 1)
        span *= width
    return combined, present


def _check_firms(enterprises: _Table | None, suppliers: _Table | None, *, read: _Ids) -> list[InputIssue]:
    issues: list[InputIssue] = []
    for table in (enterprises, suppliers):
        if table is not None:
            issues += _duplicates(table, ["id"], IssueCode.DUPLICATE_ID, "编号", read=read)
            issues += _address_required(table)
    if enterprises is None or suppliers is None:
        return issues
    ent = read.first(enterprises)  # each id's first row among the enterprises, -1: none
    supplier_ids = suppliers.column("id")
    codes = read.codes(suppliers, "id")
    both = np.flatnonzero(codes >= 0)
    both = both[ent[codes[both]] >= 0]
    others = ent[codes[both]]
    differ = np.zeros(len(both), dtype=bool)
    for column in ("name", "address"):  # as typed first: the few that differ are compared closely
        mine_all = suppliers.column(column).to_numpy(dtype=object)[both]
        theirs_all = enterprises.column(column).to_numpy(dtype=object)[others]
        differ |= mine_all != theirs_all
    for position, other in zip(both[differ].tolist(), others[differ].tolist(), strict=True):
        firm_id = supplier_ids.iloc[position]
        for column, label in (("name", "名称"), ("address", "地址")):
            mine = _comparable(suppliers.column(column).iloc[position])
            theirs = _comparable(enterprises.column(column).iloc[other])
            if mine and theirs and mine != theirs:
                message = (
                    f"同一编号“{firm_id}”在重点企业表第 {enterprises.excel_row(other)} 行的{label}为"
                    f"“{theirs}”，与本行“{mine}”不一致：同一编号应为同一家企业"
                )
                issues.append(suppliers.issue(position, column, mine, IssueCode.FIRM_CONFLICT, message))
                enterprises.issue(other, column, theirs, IssueCode.FIRM_CONFLICT, message)
    return issues


def _comparable(value: object) -> str:
    return "".join(str(value).split()) if isinstance(value, str) else ""


def _address_required(table: _Table) -> list[InputIssue]:
    address = table.column("address").isna().to_numpy()
    adcode = table.column("adcode").isna().to_numpy()
    adcode_header = table.header_of.get("adcode")
    issues = []
    for position in np.flatnonzero(address & adcode):
        if any(i.column == adcode_header for i in table.row_issues.get(int(position), [])):
            continue  # the adcode is there but wrong; that is reported already
        issues.append(
            table.issue(
                int(position), "address", "", IssueCode.ADDRESS_REQUIRED, "“地址”和“行政区划代码”至少要填一项"
            )
        )
    return issues


def _check_projects(projects: _Table | None, firm_ids: np.ndarray, *, read: _Ids) -> list[InputIssue]:
    if projects is None:
        return []
    issues = _duplicates(projects, ["id"], IssueCode.DUPLICATE_ID, "项目编号", read=read)
    issues += _address_required(projects)
    given = read.codes(projects, "id") >= 0
    for position in map(int, np.flatnonzero(given & read.among(projects, "id", firm_ids))):
        project_id = projects.cell("id", position)
        issues.append(
            projects.issue(
                position,
                "id",
                project_id,
                IssueCode.PROJECT_ID_COLLISION,
                f"项目编号“{project_id}”与企业/供应商编号相同：项目与企业的编号不能重复",
            )
        )
    return issues


def _check_materials(materials: _Table | None) -> list[InputIssue]:
    """Check the catalogue (物料目录): codes unique once normalised, each name or alias of one code."""
    if materials is None:
        return []
    return _material_code_duplicates(materials) + _material_name_conflicts(materials)


def _material_code_duplicates(materials: _Table) -> list[InputIssue]:
    codes = materials.column("code")
    keys = codes.map(lambda code: normalise(code) if isinstance(code, str) else None)
    issues: list[InputIssue] = []
    for positions in _repeated(keys.to_frame()):
        rows = _rows(materials, positions)
        typed = list(dict.fromkeys(str(codes.iloc[p]) for p in positions))
        alike = (
            f"（{''.join(f'“{c}”' for c in typed[:5])}只差全角半角、大小写或空格，是同一编码）"
            if len(typed) > 1
            else ""
        )
        for position in positions:
            code = str(codes.iloc[position])
            message = f"物料编码“{code}”重复出现在第 {rows} 行{alike}：每个编码只能有一行，请合并为一行"
            issues.append(materials.issue(position, "code", code, IssueCode.MATERIAL_CODE_DUPLICATE, message))
    return issues


def _material_name_conflicts(materials: _Table) -> list[InputIssue]:
    """Report a name or alias already given to another code, at the later entry."""
    issues: list[InputIssue] = []
    owner: dict[str, tuple[str, str, int]] = {}  # spelling → (code's key, code as typed, position)
    rows = zip(materials.column("code"), materials.column("name"), materials.column("aliases"), strict=True)
    for position, (code, name, aliases) in enumerate(rows):
        if not isinstance(code, str):
            continue
        spellings = [("name", name)] if isinstance(name, str) else []
        if isinstance(aliases, str):
            spellings += [("aliases", alias) for alias in split_aliases(aliases)]
        said: set[str] = set()
        for column, spelling in spellings:
            key = normalise(spelling)
            if not key:
                continue
            first = owner.setdefault(key, (normalise(code), code, position))
            if first[0] == normalise(code) or key in said:
                continue
            said.add(key)
            message = (
                f"“{spelling}”在第 {materials.excel_row(first[2])} 行已是物料编码“{first[1]}”的名称或别名，"
                f"本行又归入编码“{code}”：一个名称只能对应一个编码，请删去其中一处"
            )
            issues.append(
                materials.issue(position, column, spelling, IssueCode.MATERIAL_NAME_CONFLICT, message)
            )
    return issues


def _catalogue(materials: _Table | None) -> Catalogue:
    """Return the catalogue as it will be written: its rows that passed their checks."""
    if materials is None:
        return Catalogue()
    return Catalogue(conform(_valid_frame(materials), "materials"))


def _material_identities(links: _Table, catalogue: Catalogue) -> Coded:
    """Each link's material identity (``None`` where its material is missing or unreadable).

    Worked out once per distinct pair of material and material code given.
    """
    material, code = links.value_codes("material"), links.value_codes("material_code")
    pair, _ = pd.factorize(material * (int(code.max(initial=-1)) + 2) + (code + 1))
    first = objects.first_rows(pair)  # each pair's first row, pairs in order
    names = links.values_at("material", first)
    named = np.flatnonzero(pd.notna(names))
    per_pair = np.full(len(first), None, dtype=object)
    per_pair[named] = identities(
        names[named], links.values_at("material_code", first)[named], catalogue=catalogue
    )
    return Coded(pair, per_pair)


def _same_material(links: _Table, positions: list[int], identity: str, catalogue: Catalogue) -> str:
    """Say why differently typed materials of ``positions`` are one material (``""`` when typed alike)."""
    spellings = list(dict.fromkeys(str(links.cell("material", p)) for p in positions))
    if len(spellings) < 2:
        return ""
    shown = "".join(f"“{s}”" for s in spellings[:5]) + ("等" if len(spellings) > 5 else "")
    if not identity.startswith("#"):
        return f"（{shown}只差全角半角、大小写或空格，是同一物料）"
    given = next((c for p in positions if isinstance(c := links.cell("material_code", p), str)), None)
    if given is not None:
        return f"（{shown}同属物料编码“{given}”，是同一物料）"
    return f"（{shown}在物料目录中同属编码“{catalogue.code_of(spellings[0])}”，是同一物料）"


def _check_links(
    links: _Table | None,
    firm_ids: np.ndarray,
    project_ids: np.ndarray,
    *,
    unknown: frozenset[str],
    catalogue: Catalogue,
    read: _Ids,
) -> list[InputIssue]:
    if links is None:
        return []
    issues: list[InputIssue] = []
    s_given, b_given = read.codes(links, "supplier_id") >= 0, read.codes(links, "buyer_id") >= 0
    none = np.zeros(links.n, dtype=bool)
    unknown_supplier = none if "firm" in unknown else s_given & ~read.among(links, "supplier_id", firm_ids)
    buyers = firm_ids | project_ids
    unknown_buyer = none if unknown else b_given & ~read.among(links, "buyer_id", buyers)
    self_link = read.same(links, "supplier_id", "buyer_id")
    for position in map(int, np.flatnonzero(unknown_supplier | unknown_buyer | self_link)):
        s, b = links.cell("supplier_id", position), links.cell("buyer_id", position)
        if unknown_supplier[position]:
            issues.append(
                links.issue(
                    position,
                    "supplier_id",
                    s,
                    IssueCode.UNKNOWN_REFERENCE,
                    f"供应商编号“{s}”在重点企业表和供应商表中都找不到",
                )
            )
        if unknown_buyer[position]:
            issues.append(
                links.issue(
                    position,
                    "buyer_id",
                    b,
                    IssueCode.UNKNOWN_REFERENCE,
                    f"需求方编号“{b}”在重点企业、供应商和重点项目表中都找不到",
                )
            )
        if self_link[position]:
            issues.append(
                links.issue(position, "buyer_id", b, IssueCode.SELF_LINK, "供应商与需求方是同一编号")
            )
    identity = _material_identities(links, catalogue)
    issues += _link_duplicates(links, identity, catalogue, read=read)
    issues += _share_sums(links, identity, catalogue, read=read)
    return issues


def _link_duplicates(links: _Table, identity: Coded, catalogue: Catalogue, *, read: _Ids) -> list[InputIssue]:
    """One supplier, buyer and material (by identity) twice; and one material name twice.

    The second case — two rows between one supplier and buyer with the same material name but
    different identities (different codes) — would be one row in the stores, which key a
    link on its material name.
    """
    # Only rows whose supplier and buyer come together again can repeat a link: the two
    # checks below look at those few (a national ledger's pairs are nearly all one row each).
    pair, present = _combined([read.codes(links, "supplier_id"), read.codes(links, "buyer_id")])
    again = np.flatnonzero(present & repeated(pair))
    pair = pair[again]
    issues: list[InputIssue] = []
    flagged: list[int] = []
    for found in _repeated_rows([pair, _numbered(identity[again])]):
        positions = again[found].tolist()
        flagged += positions
        rows = _rows(links, positions)
        same = _same_material(links, positions, str(identity.at(positions[0])), catalogue)
        for position in positions:
            s, b, m = (links.cell(name, position) for name in ("supplier_id", "buyer_id", "material"))
            message = f"供应关系“{s} / {b} / {m}”重复出现在第 {rows} 行{same}，请合并为一行"
            issues.append(links.issue(position, "material", m, IssueCode.DUPLICATE_LINK, message))
    rest = ~np.isin(again, flagged)
    rest_positions = again[rest]
    for found in _repeated_rows([pair[rest], _numbered(links.parsed("material")[rest_positions])]):
        positions = rest_positions[found].tolist()
        rows = _rows(links, positions)
        for position in positions:
            s, b, m = (links.cell(name, position) for name in ("supplier_id", "buyer_id", "material"))
            message = (
                f"供应商“{s}”到需求方“{b}”的物料“{m}”出现在第 {rows} 行，物料编码却不同："
                "同一物料请合并为一行并统一编码；不同物料请在物料名称上加以区分"
            )
            issues.append(links.issue(position, "material", m, IssueCode.DUPLICATE_LINK, message))
    return issues


def _share_sums(links: _Table, identity: Coded, catalogue: Catalogue, *, read: _Ids) -> list[InputIssue]:
    parsed = links.numbers("share")
    # A blank share counts as 100 %; a share that did not parse has its own issue and is
    # left out of the sum rather than counted as 100 % (that would blame its peers).
    share = np.where(np.isnan(parsed) & links.blank("share"), 100.0, parsed)
    key, present = _combined([read.codes(links, "buyer_id"), _numbered(identity)])
    summed = np.flatnonzero(present & ~np.isnan(share))
    flagged, flagged_totals = _over_limit(key[summed], share[summed], limit=_SHARE_LIMIT)
    flagged = summed[flagged]
    issues: list[InputIssue] = []
    for members in _groups(key[flagged]):
        positions = flagged[members].tolist()
        b = str(links.cell("buyer_id", positions[0]))
        same = _same_material(links, positions, str(identity.at(positions[0])), catalogue)
        total = flagged_totals[members[0]]
        for position in positions:
            m = links.cell("material", position)
            issues.append(
                links.issue(
                    position,
                    "share",
                    links.text("share", position),
                    IssueCode.SHARE_SUM_EXCEEDED,
                    f"需求方“{b}”的物料“{m}”{same}各供应商供应占比合计 {total:g}%，超过 100%",
                )
            )
    return issues


_SHARE_LIMIT = 100.5
"""The most one buyer's shares of one material may sum to (ledgers.md: "a sum over 100.5 is
an error"; the half point allows the officials' rounding)."""
_ROUNDING = 1e-9
"""How far over the limit a sum of written shares may come out only by binary rounding: the
written "7.65", "22.92" and "69.93" make exactly 100.5, but the exact sum of their doubles
rounds to 100.50000000000001. A billionth of a percentage point is far above such errors,
far below any share anyone writes."""


def _over_limit(groups: np.ndarray, values: np.ndarray, *, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the rows whose group's sum of ``values`` exceeds ``limit``, and that sum per row.

    A group is over when the exact sum of its values (:func:`math.fsum`, the same in any row
    order) exceeds ``limit`` by more than :data:`_ROUNDING`. Every group is summed plainly
    first (the rows sorted by group, then ``np.add.reduceat``); only the few whose plain sum
    is not below the limit by more than its error bound are summed exactly. ``groups`` are
    integers, ``values`` finite and not negative (shares are 0 … 100).

    Examples
    --------
    >>> groups = np.array([7, 3, 7, 3, 5, 5, 5, 5, 5])
    >>> values = np.array([60.0, 50.0, 41.0, 50.0, 19.7, 28.5, 7.2, 18.1, 27.0])
    >>> rows, sums = _over_limit(groups, values, limit=100.5)
    >>> rows.tolist(), sums.tolist()
    ([0, 2], [101.0, 101.0])
    """
    if not len(groups):
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    order, starts = runs(groups)  # the rows group by group (national: 0.05 s, hashing 0.5 s)
    ends = np.append(starts[1:], len(order))
    rough = np.add.reduceat(values[order], starts)
    # A plain sum of n terms is off by at most (n - 1)·ε·Σ|x|: (n + 2)·ε·Σx is ample (x ≥ 0).
    bound = (ends - starts + 2.0) * np.finfo(float).eps * rough
    over_rows, over_totals = [], []
    for g in np.flatnonzero(rough + bound > limit + _ROUNDING).tolist():
        rows = order[starts[g] : ends[g]]
        total = math.fsum(values[rows].tolist())
        if total > limit + _ROUNDING:
            over_rows.append(rows)
            over_totals.append(np.full(len(rows), total))
    if not over_rows:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    rows, totals = np.concatenate(over_rows), np.concatenate(over_totals)
    ascending = np.argsort(rows)
    return rows[ascending], totals[ascending]


def _check_problems(
    problems: _Table | None, subject_ids: np.ndarray, *, unknown: frozenset[str], read: _Ids
) -> list[InputIssue]:
    if problems is None:
        return []
    issues = _duplicates(problems, ["id"], IssueCode.DUPLICATE_ID, "问题编号")
    if unknown:
        return issues
    given = read.codes(problems, "subject_id") >= 0
    for position in map(int, np.flatnonzero(given & ~read.among(problems, "subject_id", subject_ids))):
        subject = problems.cell("subject_id", position)
        issues.append(
            problems.issue(
                position,
                "subject_id",
                subject,
                IssueCode.UNKNOWN_REFERENCE,
                f"对象编号“{subject}”在企业、供应商和项目表中都找不到",
            )
        )
    return issues


class _Ids:
    """Every firm and project id read, numbered once.

    Each id column's cells become numbers once (a hash lookup per cell, in C): the ids read
    are ``0 … size - 1``, in order of first appearance in the id tables; an id found in no id
    table is numbered after them, per column (so such numbers are compared within one column
    only: :meth:`same` compares those cells themselves); a blank or refused cell is ``-1``.
    A set of ids is then a boolean array over ``0 … size - 1``, and whether each cell is in
    it an array lookup: the reference checks, the duplicate checks and the cascade ask this
    of five million links several times.

    A column numbered here also takes the id tables' own string objects for the ids they
    hold (equal texts): the ledgers' links then point at their firms by object, and the graph
    finds each link's ends without hashing a string (:func:`chain_graph.objects.lookup`).
    """

    def __init__(self, tables: Mapping[str, _Table], names: tuple[str, ...]) -> None:
        read = [tables[n] for n in names if n in tables]
        values = [t.parsed("id") for t in read]
        numbers, uniques = pd.factorize(
            np.concatenate([v.uniques for v in values]) if values else np.empty(0, dtype=object)
        )
        self._objects = np.asarray(uniques, dtype=object)
        self._index = objects.TextIndex(self._objects)
        self.size = len(uniques)
        self._codes: dict[tuple[int, str], np.ndarray] = {}
        start = 0
        for table, value in zip(read, values, strict=True):
            mine = numbers[start : start + len(value.uniques)]
            self._codes[(id(table), "id")] = value.spread(mine)
            self._share(table, "id", value, mine)
            start += len(value.uniques)

    def codes(self, table: _Table, column: str) -> np.ndarray:
        """Return each cell of ``table``'s id ``column`` as a number (see the class)."""
        key = (id(table), column)
        if key not in self._codes:
            value = table.parsed(column)
            numbers = self._index.positions(value.uniques)
            other = np.flatnonzero((numbers < 0) & pd.notna(value.uniques))
            if len(other):
                numbers[other] = self.size + pd.factorize(value.uniques[other])[0]
            self._codes[key] = value.spread(numbers)
            self._share(table, column, value, numbers)
        return self._codes[key]

    def _share(self, table: _Table, column: str, value: Coded, numbers: np.ndarray) -> None:
        """Give the ids read of ``table``'s ``column`` (numbered ``numbers``) the one object of each id."""
        if column not in table.coded:
            return
        known = np.flatnonzero((numbers >= 0) & (numbers < self.size))
        shared = value.uniques.copy()
        shared[known] = self._objects[numbers[known]]
        table.coded[column] = Coded(value.codes, shared)
        table.built.pop(column, None)  # built again, of the shared objects, when asked for

    def among(self, table: _Table, column: str, ids: np.ndarray) -> np.ndarray:
        """Which cells of ``table``'s ``column`` are one of ``ids`` (a set of ids read, see :meth:`of`)."""
        codes = self.codes(table, column)
        inside = np.zeros(len(codes), dtype=bool)
        read = (codes >= 0) & (codes < self.size)
        inside[read] = ids[codes[read]]
        return inside

    def same(self, table: _Table, first: str, second: str) -> np.ndarray:
        """Which rows of ``table`` give one id in both columns ``first`` and ``second``."""
        one, other = self.codes(table, first), self.codes(table, second)
        same: np.ndarray = (one == other) & (one >= 0) & (one < self.size)
        unread = np.flatnonzero((one >= self.size) & (other >= self.size))  # numbered per column
        if len(unread):
            cells = [table.column(c).to_numpy(dtype=object)[unread] for c in (first, second)]
            same[unread] = cells[0] == cells[1]
        return same

    def of(
        self, tables: Mapping[str, _Table], names: tuple[str, ...], *, valid_only: bool = False
    ) -> np.ndarray:
        """Return the set of ids in the id column of the tables ``names``.

        With ``valid_only``, the ids of their rows without an issue (so far) only.
        """
        ids = np.zeros(self.size, dtype=bool)
        for name in names:
            table = tables.get(name)
            if table is not None:
                codes = self.codes(table, "id")
                ids[codes[table.ok_mask() & (codes >= 0)] if valid_only else codes[codes >= 0]] = True
        return ids

    def first(self, table: _Table) -> np.ndarray:
        """Return each id's first row in ``table`` (``-1``: not in it), over ``0 … size - 1``."""
        codes = self.codes(table, "id")
        found = np.full(self.size, -1, dtype=np.int64)
        given = np.flatnonzero(codes >= 0)
        numbers = codes[given]
        order, starts = runs(numbers)  # each id's rows together, in order of position
        found[numbers[order[starts]]] = given[order[starts]]
        return found


def _numbered(values: Coded) -> np.ndarray:
    """Return one integer per cell of ``values``, equal for equal values, ``-1`` for ``None``."""
    return values.spread(pd.factorize(values.uniques)[0])


def _with_issue(table: _Table) -> np.ndarray:
    """Which rows of ``table`` have an issue already."""
    flagged = np.zeros(table.n, dtype=bool)
    if table.row_issues:
        flagged[list(table.row_issues)] = True
    return flagged


def _cascade(
    tables: dict[str, _Table],
    firm_ids: np.ndarray,
    project_ids: np.ndarray,
    *,
    all_firm_ids: np.ndarray,
    unjudged: np.ndarray | None,
    read: _Ids,
) -> None:
    """Reject rows that point at rejected rows, so what is kept is self-consistent.

    With ``unjudged`` (the ids of every row read, when a table was not read), a row pointing
    at an id in none of them is left alone: whether that id exists is not known.
    """
    # A firm rejected in one table is rejected as a whole.
    bad_firms = all_firm_ids & ~firm_ids
    for name in ("enterprises", "suppliers"):
        table = tables.get(name)
        if table is None:
            continue
        for position in map(int, np.flatnonzero(read.among(table, "id", bad_firms) & ~_with_issue(table))):
            firm_id = table.cell("id", position)
            table.issue(
                position,
                "id",
                firm_id,
                IssueCode.REJECTED_REFERENCE,
                f"编号“{firm_id}”在另一张表中的行有错误，本行一并退回",
            )
    firm_ids = firm_ids & ~bad_firms
    nodes = firm_ids | project_ids
    links = tables.get("links")
    if links is not None:
        s_out = _outside(read, links, "supplier_id", nodes, unjudged)
        b_out = _outside(read, links, "buyer_id", nodes, unjudged)
        for position in map(int, np.flatnonzero((s_out | b_out) & ~_with_issue(links))):
            s, b = links.cell("supplier_id", position), links.cell("buyer_id", position)
            for column, node, out in (("supplier_id", s, s_out), ("buyer_id", b, b_out)):
                if out[position]:
                    links.issue(
                        position,
                        column,
                        node,
                        IssueCode.REJECTED_REFERENCE,
                        f"编号“{node}”所在的行有错误，本供应关系一并退回",
                    )
                    break
    problems = tables.get("problems")
    if problems is not None:
        outside = _outside(read, problems, "subject_id", nodes, unjudged) & ~_with_issue(problems)
        for position in map(int, np.flatnonzero(outside)):
            subject = problems.cell("subject_id", position)
            problems.issue(
                position,
                "subject_id",
                subject,
                IssueCode.REJECTED_REFERENCE,
                f"编号“{subject}”所在的行有错误，本问题一并退回",
            )


def _outside(
    read: _Ids, table: _Table, column: str, nodes: np.ndarray, unjudged: np.ndarray | None
) -> np.ndarray:
    """Which cells name no valid node, and an id that was judged (``unjudged``: every id read)."""
    out = ~read.among(table, column, nodes)
    return out if unjudged is None else out & read.among(table, column, unjudged)


# --- building the ledgers ---------------------------------------------------------------


def _valid_frame(table: _Table | None) -> pd.DataFrame:
    if table is None:
        return pd.DataFrame()
    return table.valid_frame()


def _build(tables: dict[str, _Table], settings: Settings, *, read: _Ids) -> LedgerTables:
    firm_tables = [tables.get("enterprises"), tables.get("suppliers")]
    numbers = [
        read.codes(t, "id")[t.ok_mask()] if t is not None else np.zeros(0, np.intp) for t in firm_tables
    ]
    sides = [t.valid_columns() if t is not None else {} for t in firm_tables]
    firms = _merge_firms(sides[0], sides[1], numbers=(numbers[0], numbers[1]))
    projects = _with_numbers(tables.get("projects"), ("total_investment", "annual_plan", "completed"))
    if len(projects):
        projects["annual_plan"] = projects["annual_plan"].fillna(0.0)
        projects["extra"] = projects["_extra"]
    problems = _defaults_for_problems(_valid_frame(tables.get("problems")), firms, settings)
    materials = _valid_frame(tables.get("materials"))
    if len(materials):
        materials["extra"] = materials["_extra"]
    return LedgerTables(
        firms=firms,
        projects=conform(projects, "projects"),
        links=_links(tables.get("links")),
        problems=conform(problems, "problems"),
        materials=conform(materials, "materials"),
    )


def _links(table: _Table | None) -> pd.DataFrame:
    """Return the valid links as the canonical table, built from the coded columns.

    Each text column is typed once per distinct value (:func:`_text`) rather than cell by
    cell by ``conform``. Defaults: a share not given is 100, a link not said critical or not
    is critical.
    """
    if table is None:
        return conform(pd.DataFrame(), "links")
    valid = table.valid_columns([*LINK_COLUMNS, "_extra"])
    critical = valid["critical"]
    columns = {
        "supplier_id": _text(valid["supplier_id"]),
        "buyer_id": _text(valid["buyer_id"]),
        "material": _text(valid["material"]),
        "share": _floats(valid["share"], 100.0),
        "critical": critical.spread(np.where(pd.isna(critical.uniques), True, critical.uniques).astype(bool)),
        "stock_days": int_column(_floats(valid["stock_days"])),
        "annual_value": _floats(valid["annual_value"]),
        "material_code": _text(valid["material_code"]),
        "extra": _text(valid["_extra"]),
    }
    return typed(pd.DataFrame(columns, copy=False), "links")


def _text(column: Coded, blank: str | None = None) -> pd.api.extensions.ExtensionArray:
    """Return ``column`` as a canonical text column, ``blank`` for a missing value (else ``""``)."""
    values = column.uniques if blank is None else np.where(pd.isna(column.uniques), blank, column.uniques)
    return text_column(values, column.codes)


def _floats(column: Coded, blank: float = np.nan) -> np.ndarray:
    """Return ``column`` as floats converted once per distinct value, ``blank`` for none (NaN)."""
    values = pd.to_numeric(pd.Series(column.uniques, dtype=object), errors="coerce").to_numpy(dtype=float)
    return column.spread(np.where(np.isnan(values), blank, values))


def _with_numbers(table: _Table | None, names: tuple[str, ...]) -> pd.DataFrame:
    """Return the valid rows of ``table`` with its columns ``names`` as floats (NaN: none given)."""
    if table is None:
        return pd.DataFrame()
    frame = table.valid_frame(numbers=names)
    return frame if len(frame) else table.valid_frame()


def _merge_firms(
    enterprises: Mapping[str, Coded],
    suppliers: Mapping[str, Coded],
    *,
    numbers: tuple[np.ndarray, np.ndarray],
) -> pd.DataFrame:
    """Merge the valid enterprise and supplier rows into one canonical firm per id.

    Each side is its valid rows' columns by name (``id`` and ``_extra`` among them; no
    columns: no rows), ``numbers`` each row's id as a number (equal for equal ids). As
    ``DataFrame.combine_first`` merged them (the reference in the tests): an enterprise's
    value wins, a supplier's fills it where it has none; rows in the order of the one side
    that has any, or of both when they hold the same ids in the same order, else by id
    (:func:`_outer_join`); the extra columns are merged key by key, the enterprise's winning.
    Each column is merged as codes into both sides' values and typed once per value
    (:func:`~chain_graph.model.text_column`), not cell by cell.
    """
    sides = [dict(side) if _row_count(side) else None for side in (enterprises, suppliers)]
    if sides[0] is None and sides[1] is None:
        return conform(pd.DataFrame(), "firms")
    if sides[0] is None or sides[1] is None:
        only = sides[0] or sides[1] or {}
        n = _row_count(only)
        at = [np.arange(n) if side is not None else np.full(n, -1) for side in sides]
        ids = only["id"].cells()
    elif np.array_equal(numbers[0], numbers[1]):  # the same ids in the same order: kept so
        at = [np.arange(len(numbers[0]))] * 2
        ids = enterprises["id"].cells()
    else:
        index = [pd.Index(side["id"].cells(), dtype=object, copy=False) for side in (enterprises, suppliers)]
        joined, left, right = _outer_join(index[0], index[1], numbers=numbers)
        at, ids = [left, right], joined.to_numpy(dtype=object)

    def merged(name: str) -> Coded:
        """Return the column ``name`` of the merged rows: the enterprise's value, else the supplier's."""
        parts = [side.get(name) if side is not None else None for side in sides]
        given = [part.uniques for part in parts if part is not None]
        uniques = np.concatenate([*given, np.array([None], dtype=object)])
        none, offset, codes = len(uniques) - 1, 0, []
        for part, rows in zip(parts, at, strict=True):
            if part is None:
                codes.append(np.full(len(rows), none))
            else:
                codes.append(np.where(rows >= 0, part.codes[rows] + offset, none))
                offset += len(part.uniques)
        return Coded(np.where(pd.isna(uniques)[codes[0]], codes[1], codes[0]), uniques)

    columns: dict[str, Any] = {}
    for name, kind in FIRM_COLUMNS.items():
        if name == "id":
            columns[name] = text_column(ids, np.arange(len(ids)))
        elif name in ("is_enterprise", "is_supplier"):
            columns[name] = at[name == "is_supplier"] >= 0
        elif name == "extra":
            columns[name] = _merged_extras(sides, at)
        elif name == "status":
            columns[name] = _text(merged(name), "normal")
        elif name in ("output_value", "tax"):
            columns[name] = _floats(merged(name), 0.0)
        elif kind == "float":
            columns[name] = _floats(merged(name))
        elif kind == "int":
            columns[name] = int_column(_floats(merged(name)))
        else:
            columns[name] = _text(merged(name))
    return typed(pd.DataFrame(columns, copy=False), "firms")


def _row_count(side: Mapping[str, Coded]) -> int:
    """Return the number of rows of one side of :func:`_merge_firms`."""
    return len(side["id"].codes) if "id" in side else 0


def _merged_extras(
    sides: list[dict[str, Coded] | None], at: list[np.ndarray]
) -> pd.api.extensions.ExtensionArray:
    """Return the merged rows' extra columns (JSON), the enterprise's keys winning over the supplier's."""
    cells = []
    for side, rows in zip(sides, at, strict=True):
        found = np.full(len(rows), None, dtype=object)
        if side is not None and "_extra" in side:
            given = np.flatnonzero(rows >= 0)
            found[given] = side["_extra"][rows[given]].cells()
        cells.append(found)
    mine, theirs = cells
    extras = np.where(pd.isna(mine), theirs, mine)
    both = np.flatnonzero((at[0] >= 0) & (at[1] >= 0))
    for i in both[theirs[both] != ""].tolist():  # the enterprise's extra columns win
        a, b = str(mine[i]), str(theirs[i])
        extras[i] = json.dumps({**json.loads(b), **json.loads(a)}, ensure_ascii=False) if a else b
    codes, values = objects.factorize(extras)
    values = np.append(values, np.array([None], dtype=object))  # "" for a row with no extra column
    return text_column(values, np.where(codes < 0, len(values) - 1, codes))


def _outer_join(
    left: pd.Index, right: pd.Index, *, numbers: tuple[np.ndarray, np.ndarray]
) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """``left.join(right, how="outer", return_indexers=True)`` of two indexes of distinct ids.

    The ids of both, sorted, and where each is in ``left`` and ``right`` (``-1``: not there).
    ``numbers`` holds each id as a number (equal for equal ids): ids are matched as integers,
    and only the million distinct ones sorted as text, not hashed (1.0 s → 0.2 s national).

    Examples
    --------
    >>> joined, at_left, at_right = _outer_join(
    ...     pd.Index(["F2", "F1"]), pd.Index(["F3", "F2"]), numbers=(np.array([5, 4]), np.array([9, 5]))
    ... )
    >>> joined.tolist(), at_left.tolist(), at_right.tolist()
    (['F1', 'F2', 'F3'], [1, 0, -1], [-1, 1, 0])
    """
    both = np.concatenate(numbers)
    order, starts = runs(both)
    first = order[starts]  # each number's first row
    distinct = both[first]
    ids = np.concatenate([left.to_numpy(object), right.to_numpy(object)])[first]
    order = text_order(ids)  # as the join sorts them: by code point
    where = np.full(int(distinct.max(initial=-1)) + 1, -1, dtype=np.intp)
    at = []
    for side in numbers:
        where[:] = -1
        where[side] = np.arange(len(side))
        at.append(where[distinct[order]])
    return pd.Index(ids[order], dtype=object, name=left.name), at[0], at[1]


def _defaults_for_problems(problems: pd.DataFrame, firms: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    if not len(problems):
        return problems
    problems = problems.copy()
    problems["category"] = problems.get("category", pd.Series(dtype=object))
    problems["category"] = problems["category"].where(problems["category"].notna(), "其他")
    problems["status"] = problems.get("status", pd.Series(dtype=object))
    problems["status"] = problems["status"].where(problems["status"].notna(), "registered")
    given = problems.get("responsible_unit", pd.Series([None] * len(problems), dtype=object))
    units = given.to_numpy(dtype=object)
    blank = np.flatnonzero([not isinstance(unit, str) for unit in units])
    if len(blank):  # the category's default unit, looked up once per category and kind of subject
        firm_ids = firms["id"].to_numpy(dtype=object) if len(firms) else np.zeros(0, dtype=object)
        subjects = problems["subject_id"].to_numpy(dtype=object)[blank]
        projects = objects.lookup(firm_ids, subjects) < 0  # the subjects hold their firms' id objects
        keys = list(zip(problems["category"].iloc[blank].tolist(), projects.tolist(), strict=True))
        default = {key: default_unit(key[0], is_project=key[1], settings=settings) for key in set(keys)}
        units = units.copy()
        units[blank] = [default[key] for key in keys]
    problems["responsible_unit"] = units
    problems["extra"] = problems["_extra"]
    return problems


# --- status reports (状态填报) --------------------------------------------------------------

_REPORT_OUT = (
    "id",
    "as_of",
    "status",
    "capacity",
    "recovery_days",
    "problem",
    "started",
    "completed",
    "workers",
    "reporter",
)
_FIRM_ONLY = ("status", "capacity", "recovery_days")
_PROJECT_ONLY = ("started", "completed")
_REPORT_TEXT = ("id", "as_of", "status", "problem", "reporter")


@dataclass
class ReportValidation:
    """The outcome of validating status reports: the rows that passed, and every issue."""

    reports: pd.DataFrame
    """The valid rows in the columns of ``chain_graph.campaign.REPORT_COLUMNS`` but ``seq``
    (the store assigns it): ``as_of`` ISO text, ``started`` 1.0 / 0.0 / NaN, blanks ``""``."""
    issues: list[InputIssue] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is no issue at all (only then is anything recorded)."""
        return not self.issues


def validate_reports(
    raw_tables: Iterable[RawTable],
    *,
    ledgers: LedgerTables,
    today: dt.date,
    county: str = "",
    issues: Iterable[InputIssue] = (),
) -> ReportValidation:
    """Validate status reports (状态填报) against the base ledgers.

    Besides each cell (as for the ledgers), a report must name a firm or project of
    ``ledgers``, be dated no later than ``today``, and give each field only to what it
    applies to: 生产状态, 产能恢复率 and 预计恢复天数 to firms, 是否开复工 and 累计完成投资 to
    projects (``FIELD_NOT_APPLICABLE``; a value the overlay would drop is refused rather than
    silently ignored). One id and date twice in one import is ``DUPLICATE_ID``: which one is
    meant is unsure (a later import of the same id and date is a correction).

    Parameters
    ----------
    raw_tables
        The reports tables read, one per file.
    ledgers
        The store's base ledgers: which ids exist, which are projects, where they are.
    today
        No report may be dated after it.
    county
        A county's adcode: a report about an entity of any other county (or of none) is an
        unknown id, answered exactly as an id that does not exist. ``""``: the whole city.
    issues
        Issues found before (files that could not be read); carried into the result.

    Returns
    -------
    ReportValidation
        Its issues by file, sheet and row.
    """
    found = list(issues)
    adcode_of = dict(zip(ledgers.firms["id"], ledgers.firms["adcode"], strict=True))
    projects = dict(zip(ledgers.projects["id"], ledgers.projects["adcode"], strict=True))
    known = {**adcode_of, **projects}
    tables = [_Table(raw) for raw in raw_tables]
    seen: dict[tuple[str, str], tuple[int, str]] = {}
    for table in tables:
        found.extend(_parse(table))
        found.extend(_duplicates(table, ["id", "as_of"], IssueCode.DUPLICATE_ID, "同一对象同一日期的填报"))
        found.extend(_check_reports(table, known, frozenset(projects), today=today, county=county))
        found.extend(_repeated_across_files(table, seen))
    found.sort(key=lambda i: (i.file, i.sheet, i.row))
    frames = [_report_frame(_valid_frame(t)) for t in tables]
    rejected = [Rejected(t.raw, pos, t.row_issues[pos]) for t in tables for pos in sorted(t.row_issues)]
    valid = pd.concat(frames, ignore_index=True) if frames else _report_frame(pd.DataFrame())
    return ReportValidation(valid, found, rejected)


def _check_reports(
    table: _Table, known: Mapping[str, str], projects: frozenset[str], *, today: dt.date, county: str
) -> list[InputIssue]:
    issues: list[InputIssue] = []
    ids, dates = table.column("id"), table.column("as_of")
    for position, (given, day) in enumerate(zip(ids, dates, strict=True)):
        node = given if isinstance(given, str) else None
        if node is not None and (node not in known or (county and known[node] != county)):
            issues.append(
                table.issue(
                    position,
                    "id",
                    node,
                    IssueCode.UNKNOWN_REFERENCE,
                    f"对象编号“{node}”在企业、供应商和项目表中都找不到",
                )
            )
            node = None
        if isinstance(day, str) and day > today.isoformat():
            issues.append(
                table.issue(
                    position,
                    "as_of",
                    day,
                    IssueCode.DATE_IN_FUTURE,
                    f"填报日期 {day} 晚于今天（{today.isoformat()}）：只能填报已经发生的情况",
                )
            )
        if node is None:
            continue
        is_project = node in projects
        for name in _PROJECT_ONLY if not is_project else _FIRM_ONLY:
            value = table.column(name).iloc[position]
            if value is not None:
                header = table.header_of.get(name, name)
                what, other = ("项目", "企业") if is_project else ("企业", "重点项目")
                issues.append(
                    table.issue(
                        position,
                        name,
                        table.text(name, position),
                        IssueCode.FIELD_NOT_APPLICABLE,
                        f"“{header}”只适用于{other}，“{node}”是{what}：请留空",
                    )
                )
    return issues


def _repeated_across_files(table: _Table, seen: dict[tuple[str, str], tuple[int, str]]) -> list[InputIssue]:
    """Flag an id and date given already by an earlier file of the same import."""
    issues: list[InputIssue] = []
    here = table.raw.source.path.name + (f"[{table.raw.sheet}]" if table.raw.sheet else "")
    for position, key in enumerate(zip(table.column("id"), table.column("as_of"), strict=True)):
        if not (isinstance(key[0], str) and isinstance(key[1], str)):
            continue
        first = seen.setdefault(key, (id(table), f"{here} 第 {table.excel_row(position)} 行"))
        if first[0] != id(table):  # within one table, the duplicate check has said it
            issues.append(
                table.issue(
                    position,
                    "id",
                    key[0],
                    IssueCode.DUPLICATE_ID,
                    f"“{key[0]}”在 {key[1]} 的填报已在 {first[1]} 出现：同一对象同一日期只能填报一次",
                )
            )
    return issues


def _report_frame(valid: pd.DataFrame) -> pd.DataFrame:
    """Return the valid rows as reports: blanks ``""`` in text, NaN in numbers, 是/否 as 1.0 / 0.0."""
    return pd.DataFrame({name: _report_column(valid, name, len(valid)) for name in _REPORT_OUT})


def _report_column(valid: pd.DataFrame, name: str, n: int) -> pd.Series:
    values = valid[name] if name in valid else pd.Series([None] * n, dtype=object)
    values = values.reset_index(drop=True)
    if name in _REPORT_TEXT:
        return values.where(values.notna(), "").astype(str).astype(object)
    if name == "started":
        return values.map(lambda v: np.nan if v is None else float(bool(v))).astype(float)
    return pd.to_numeric(values.where(values.notna(), np.nan)).astype(float)
