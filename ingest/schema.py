"""The ledger tables as officials keep them: table names, headers and value kinds.

This is ``../shared/spec/ledgers.md`` (and the optional columns and 物料目录 of
``supply.md``) as data. Each column has its canonical English header, the Chinese headers
officials use, a value kind (how a cell is parsed, see :mod:`ingest.values`) and whether a
value is required.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "REPORTS",
    "TABLES",
    "ColumnSpec",
    "Kind",
    "TableSpec",
    "is_reports_name",
    "spec_of",
    "table_for_name",
    "tables_like",
]

Kind = Literal[
    "id",
    "text",
    "money",
    "percent",
    "int",
    "count",
    "bool",
    "date",
    "adcode",
    "status",
    "level",
    "category",
    "problem_status",
]


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of a ledger table."""

    name: str
    headers: tuple[str, ...]
    kind: Kind = "text"
    required: bool = False
    hint: str = ""
    """What the template says about the column, where its kind's hint says too little."""


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One ledger table: its names and columns."""

    name: str
    names: tuple[str, ...]
    required: bool
    columns: tuple[ColumnSpec, ...]

    @property
    def label(self) -> str:
        """The Chinese name shown to users."""
        return self.names[0]

    def column(self, name: str) -> ColumnSpec:
        """Return the column called ``name``."""
        return next(c for c in self.columns if c.name == name)


_ADDRESS = ColumnSpec("address", ("地址", "企业地址", "所在地"))
_ADCODE = ColumnSpec("adcode", ("行政区划代码", "区划代码"), "adcode")
_STATUS = ColumnSpec("status", ("生产状态", "状态"), "status")
_CAPACITY = ColumnSpec("capacity", ("产能恢复率", "产能利用率"), "percent")
_CONTACT = ColumnSpec("contact", ("联系人",))
_PHONE = ColumnSpec("phone", ("联系电话", "电话"))
_CODE_HINT = "物料编码（HS 编码、国民经济行业分类或本市编码均可）；全角半角、大小写、空格不影响比对"

TABLES: dict[str, TableSpec] = {
    "enterprises": TableSpec(
        "enterprises",
        ("重点企业", "重点规模企业"),
        True,
        (
            ColumnSpec("id", ("企业编号", "统一社会信用代码"), "id", required=True),
            ColumnSpec("name", ("企业名称",), required=True),
            _ADDRESS,
            _ADCODE,
            ColumnSpec("chain", ("产业链", "所属产业链")),
            ColumnSpec("output_value", ("年产值", "产值"), "money"),
            ColumnSpec("tax", ("年纳税额", "纳税额", "税收"), "money"),
            _STATUS,
            _CAPACITY,
            _CONTACT,
            _PHONE,
        ),
    ),
    "projects": TableSpec(
        "projects",
        ("重点项目", "重点建设项目"),
        False,
        (
            ColumnSpec("id", ("项目编号",), "id", required=True),
            ColumnSpec("name", ("项目名称",), required=True),
            ColumnSpec("address", ("建设地点", "地址")),
            _ADCODE,
            ColumnSpec("level", ("项目级别",), "level"),
            ColumnSpec("category", ("项目类别",)),
            ColumnSpec("total_investment", ("总投资",), "money"),
            ColumnSpec("annual_plan", ("年度计划投资",), "money"),
            ColumnSpec("completed", ("已完成投资", "本年完成投资"), "money"),
            ColumnSpec("owner", ("业主单位",)),
            ColumnSpec("lead_unit", ("牵头单位", "责任单位")),
        ),
    ),
    "suppliers": TableSpec(
        "suppliers",
        ("供应商", "配套企业", "上游供应商"),
        True,
        (
            ColumnSpec("id", ("供应商编号", "统一社会信用代码"), "id", required=True),
            ColumnSpec("name", ("供应商名称", "配套企业名称", "企业名称"), required=True),
            ColumnSpec("address", ("地址", "所在地")),
            _ADCODE,
            _STATUS,
            ColumnSpec("capacity", ("产能恢复率",), "percent"),
            ColumnSpec("recovery_days", ("预计恢复天数",), "int"),
            ColumnSpec("problem", ("存在问题", "困难问题")),
            _CONTACT,
            _PHONE,
        ),
    ),
    "links": TableSpec(
        "links",
        ("供应关系", "配套关系"),
        True,
        (
            ColumnSpec("supplier_id", ("供应商编号", "配套企业编号"), "id", required=True),
            ColumnSpec("buyer_id", ("采购方编号", "需求方编号"), "id", required=True),
            ColumnSpec(
                "material",
                ("物料", "配套产品", "供应产品"),
                required=True,
                hint="必填；全角半角、大小写、空格不影响比对，同一物料的其他叫法可登记在物料目录的别名中",
            ),
            ColumnSpec("share", ("供应占比",), "percent"),
            ColumnSpec("critical", ("关键物料", "是否关键"), "bool"),
            ColumnSpec("stock_days", ("库存可用天数",), "int"),
            ColumnSpec(
                "annual_value",
                ("年采购额", "采购金额"),
                "money",
                hint="万元：需求方一年向该供应商采购该物料的金额；可写 1,200.5 或 1.2亿元",
            ),
            ColumnSpec("material_code", ("物料编码", "产品编码"), hint=_CODE_HINT),
        ),
    ),
    "problems": TableSpec(
        "problems",
        ("问题台账", "问题清单"),
        False,
        (
            ColumnSpec("id", ("问题编号",), "id", required=True),
            ColumnSpec("subject_id", ("企业编号", "项目编号", "对象编号"), "id", required=True),
            ColumnSpec("category", ("问题类别",), "category"),
            ColumnSpec("description", ("问题描述",), required=True),
            ColumnSpec("responsible_unit", ("责任单位",)),
            ColumnSpec("deadline", ("完成时限",), "date"),
            ColumnSpec("status", ("办理状态",), "problem_status"),
        ),
    ),
    "materials": TableSpec(
        "materials",
        ("物料目录", "产品目录", "物料编码表"),
        False,
        (
            ColumnSpec(
                "code",
                ("物料编码", "产品编码"),
                required=True,
                hint="必填，不能重复（全角半角、大小写、空格不同的也算重复）；供应关系表的物料编码填这里的编码",
            ),
            ColumnSpec("name", ("物料名称", "产品名称")),
            ColumnSpec(
                "aliases",
                ("别名", "其他名称"),
                hint="同一物料的其他叫法，多个用 ；、， 分隔；一个名称只能属于一个编码",
            ),
            ColumnSpec("chain", ("所属产业链", "产业链")),
        ),
    ),
}


REPORTS = TableSpec(
    "reports",
    ("复产填报", "状态填报", "周报表"),
    False,
    (
        ColumnSpec("id", ("对象编号", "企业编号", "项目编号"), "id", required=True),
        ColumnSpec("as_of", ("填报日期", "截至日期", "日期"), "date", required=True),
        _STATUS,
        ColumnSpec("capacity", ("产能恢复率",), "percent"),
        ColumnSpec("recovery_days", ("预计恢复天数",), "int"),
        ColumnSpec("problem", ("存在问题",)),
        ColumnSpec("started", ("是否开复工",), "bool"),
        ColumnSpec("completed", ("累计完成投资",), "money"),
        ColumnSpec("workers", ("在岗人数",), "count"),
        ColumnSpec("reporter", ("填报人", "填报单位")),
    ),
)
"""The status reports (状态填报, campaign spec): a separate kind of import, never one of the
base ledgers of :data:`TABLES` (reading a directory of ledgers passes a reports file by)."""


def spec_of(table: str) -> TableSpec:
    """Return the spec of a base table or of the reports.

    Examples
    --------
    >>> spec_of("links").label, spec_of("reports").label
    ('供应关系', '复产填报')
    """
    return REPORTS if table == REPORTS.name else TABLES[table]


def is_reports_name(name: str) -> bool:
    """Whether a file or sheet name is a name of the status reports.

    Examples
    --------
    >>> is_reports_name("状态填报"), is_reports_name(" Reports "), is_reports_name("重点企业")
    (True, True, False)
    """
    from ingest.headers import normalize_header

    key = normalize_header(name)
    return key in {normalize_header(n) for n in (*REPORTS.names, REPORTS.name)}


def table_for_name(name: str) -> str | None:
    """Return the canonical table a file or sheet name stands for, or ``None``.

    Examples
    --------
    >>> table_for_name("配套企业"), table_for_name(" LINKS "), table_for_name("其他")
    ('suppliers', 'links', None)
    """
    from ingest.headers import normalize_header

    key = normalize_header(name)
    for spec in TABLES.values():
        if key == spec.name or key in {normalize_header(n) for n in spec.names}:
            return spec.name
    return None


_CLOSE = 0.5
"""How alike (difflib's ratio) a name must be to a table name to be offered as that table."""


def tables_like(name: str) -> list[str]:
    """Return the tables a file or sheet name that is no table name may stand for, closest first.

    A name that contains a table's name (``broken_重点企业``, ``重点项目2024``) stands for that
    table, the longest name contained first; otherwise the tables whose names difflib finds
    close (a typo such as ``供应关糸``, a name such as ``企业台账``), most alike first.

    Parameters
    ----------
    name
        A file name without its suffix, or a sheet name.

    Returns
    -------
    list of str
        Canonical table names; empty when nothing is alike.

    Examples
    --------
    >>> tables_like("broken_重点企业"), tables_like("供应关糸"), tables_like("月报")
    (['enterprises'], ['links', 'suppliers'], [])
    >>> tables_like("企业台账（修订）")
    ['enterprises', 'suppliers', 'problems']
    """
    from ingest.headers import normalize_header

    key = normalize_header(name)
    names = [(normalize_header(n), spec.name) for spec in TABLES.values() for n in (*spec.names, spec.name)]
    contained = sorted((n for n in names if n[0] in key), key=lambda n: -len(n[0]))
    if contained:
        return list(dict.fromkeys(table for _, table in contained))
    alike = sorted(
        ((difflib.SequenceMatcher(None, key, n).ratio(), table) for n, table in names),
        key=lambda scored: -scored[0],
    )
    return list(dict.fromkeys(table for ratio, table in alike if ratio >= _CLOSE))
