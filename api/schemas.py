"""The API's pydantic schemas: one Public shape per resource, lists as ``{data, count}``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from chain_graph.model import ProblemCategory, ProblemStatus
from chain_graph.problem_ledger import Action
from chain_graph.report import FIRST_YEAR, LAST_YEAR

T = TypeVar("T")

__all__ = [
    "ActionRequest",
    "BlockedPublic",
    "FirmPublic",
    "GapPublic",
    "ImportIssue",
    "ImportResult",
    "LedgerCreate",
    "LedgerEventPublic",
    "LedgerItemPublic",
    "LinkPublic",
    "Page",
    "ProjectPublic",
    "ReportImportResult",
    "ReportPublic",
    "RequestRow",
    "WhitelistRow",
]


class Page(BaseModel, Generic[T]):
    """A page of a list: the rows asked for and how many there are in all."""

    data: list[T]
    count: int = Field(description="Rows matching the filters, before limit/offset.")


class FirmPublic(BaseModel):
    """A firm: enterprise (重点企业), supplier (配套企业) or both."""

    id: str
    name: str
    address: str
    adcode: str
    county: str
    chain: str
    status: str
    capacity: float | None
    output_value: float | None
    is_enterprise: bool
    is_supplier: bool
    availability: float | None = Field(description="a(v) from the analysis, 0–1.")


class ProjectPublic(BaseModel):
    """A key construction project (重点建设项目)."""

    id: str
    name: str
    adcode: str
    county: str
    level: str
    annual_plan: float | None
    availability: float | None


class LinkPublic(BaseModel):
    """A supply link supplier → buyer."""

    supplier_id: str
    buyer_id: str
    material: str
    share: float | None
    critical: bool
    stock_days: int | None


class BlockedPublic(BaseModel):
    """A blocked supplier with its routing and what it holds back."""

    rank: int
    id: str
    name: str
    scope: str
    route_to: str | None
    target_region: str | None
    recovered_value: float
    recovered_output: float
    recovered_investment: float
    days_to_impact: int | None
    inventory_covers: bool | None
    affected: list[str]


class RequestRow(BaseModel):
    """One row of the coordination or local list: (blocked supplier, direct buyer, material)."""

    no: int
    buyer_id: str
    buyer: str
    buyer_county: str
    supplier_id: str
    supplier: str
    supplier_place: str
    supplier_county: str
    material: str
    problem: str
    request: str
    output: float
    """What restoring the supplier gives this row's buyer (万元): a column sum counts no one twice."""
    investment: float
    total: float
    """The supplier's whole recovered value through every tier (万元), the same on its rows."""
    stock_days: int | None
    recovery_days: int | None
    priority: int
    route_to: str
    target_region: str
    scope: str


class GapRegion(BaseModel):
    """A region supplying a gap material from outside the city: what it supplies (万元), by how many links."""

    region: str
    value: float | None
    links: int


class GapPublic(BaseModel):
    """One row of the 补链清单: a material the city's buyers get mostly from outside (supply spec)."""

    rank: int
    material: str
    code: str | None
    chains: list[str]
    buyers: int
    buyers_output: float | None
    value_total: float | None
    value_outside: float | None
    local_share: float
    share_basis: str = Field(description="value（按采购额）或 groups（按采购方-物料组）")
    suppliers_local: int
    suppliers_in_province: int
    suppliers_out_of_province: int
    suppliers_unknown: int
    top_regions: list[GapRegion]


class WhitelistRow(BaseModel):
    """One firm of the 重点产业链供应链企业白名单推荐表: a home-city supplier the city nominates."""

    rank: int = Field(description="Its place in the city's list (1…n), also in a county's view.")
    id: str
    name: str
    adcode: str
    county: str
    chain: str
    exposure: float = Field(description="风险敞口：停产将新增的全市风险产值与投资（万元）。")
    single_source_buyers: int = Field(description="以其为唯一供应来源的重点企业和重点项目数。")
    outside_buyers: int = Field(description="市外客户数（所在地已知的）。")
    key_buyers: int = Field(description="其供应的重点企业和重点项目数。")
    status: str = Field(description="生产状态：normal、partial、stopped。")
    reasons: str = Field(description="推荐理由。")


class LedgerItemPublic(BaseModel):
    """A ledger item as the API shows it."""

    id: str
    subject_id: str
    subject: str
    supplier_id: str
    category: ProblemCategory
    description: str
    responsible_unit: str
    co_units: list[str]
    deadline: dt.date | None
    status: ProblemStatus
    overdue_days: int
    escalations: int
    closing_note: str
    source: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class LedgerEventPublic(BaseModel):
    """One entry of an item's history."""

    seq: int
    at: dt.datetime
    by: str
    action: Action
    from_status: ProblemStatus | None
    to_status: ProblemStatus
    note: str
    detail: str


def _in_ledger_years(day: dt.date) -> dt.date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        msg = f"日期应在 {FIRST_YEAR} 年到 {LAST_YEAR} 年之间，当前为 {day}"
        raise ValueError(msg)
    return day


Deadline = Annotated[dt.date, AfterValidator(_in_ledger_years)]
"""A deadline in the ledgers' years (2000–2100)."""
Unit = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
"""The name of a government unit."""


class LedgerCreate(BaseModel):
    """A new ledger item (挂号)."""

    model_config = ConfigDict(extra="forbid")

    subject_id: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=2000)
    category: ProblemCategory = ProblemCategory.OTHER
    supplier_id: str = Field(default="", max_length=64)
    responsible_unit: Unit | None = None
    co_units: list[Unit] = Field(default_factory=list, max_length=10)
    deadline: Deadline | None = None


class ActionRequest(BaseModel):
    """An action on an item; ``version`` is the one the user saw (optimistic check)."""

    model_config = ConfigDict(extra="forbid")

    action: Action
    version: int = Field(ge=1, le=1_000_000_000)
    note: str = Field(default="", max_length=2000)
    deadline: Deadline | None = None


class ImportIssue(BaseModel):
    """One located problem of an upload."""

    code: str
    message: str
    file: str
    sheet: str
    row: int
    column: str
    value: str


class SkippedLinePublic(BaseModel):
    """A line read as print furniture (合计, signature, note, repeated header), or a file not read."""

    file: str
    sheet: str
    row: int = Field(description="Excel row number (0 for a whole file).")
    kind: str = Field(
        description="合计行, 签名、联系人行, 说明行, 重复的表头行, 无台账数据的行, 未读取的文件."
    )
    text: str


class ImportResult(BaseModel):
    """What an import did (or why it did nothing)."""

    written: bool
    issues: list[ImportIssue]
    skipped: list[SkippedLinePublic] = Field(
        default_factory=list, description="Lines and files not read as data (not errors)."
    )
    rejected_rows: int
    counts_before: dict[str, int]
    counts_after: dict[str, int]
    rejects_url: str | None


class ReportPublic(BaseModel):
    """A recorded status report (状态填报): an observation of a firm or project at a date."""

    seq: int = Field(
        description="Order of recording: of two reports of one id and date, the later is the correction."
    )
    id: str
    as_of: str = Field(description="填报日期 (ISO date).")
    status: str = Field(description="生产状态: normal, partial, stopped, or empty (not given).")
    capacity: float | None = Field(description="产能恢复率 (%).")
    recovery_days: float | None
    problem: str
    started: bool | None = Field(description="是否开复工 (projects).")
    completed: float | None = Field(description="累计完成投资 (万元, projects).")
    workers: float | None
    reporter: str
    recorded_by: str
    recorded_at: str


class ReportImportResult(BaseModel):
    """What an import of status reports did (or why it recorded nothing)."""

    written: bool
    appended: int
    issues: list[ImportIssue]
