"""The three exports officials exchange: 跨区域协调清单, 本地配套企业督促复产清单, 问题台账."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from chain_graph.list_rows import history_rows, ledger_rows
from chain_graph.model import LedgerTables
from chain_graph.problem_ledger import LedgerEvent, LedgerItem
from exports.supply import substitute_sheet
from exports.workbook import Column, Sheet

__all__ = [
    "COORDINATION_COLUMNS",
    "LOCAL_COLUMNS",
    "TOTAL_COLUMN",
    "coordination_sheets",
    "ledger_sheets",
    "local_sheets",
]

TOTAL_COLUMN = Column("total", "合计（万元）", "float", 12, merge_by="supplier_id")
"""合计: the supplier's whole recovered value (万元, through every tier), once per supplier.

影响产值/影响投资 on a row are what restoring the supplier gives that row's buyer, so their
column sums count no supplier twice; 合计 also counts the buyers further down the chain,
so it is at least the sum of the supplier's rows. It is shown once per supplier: one cell
merged over the supplier's rows in xlsx, on the supplier's first row in CSV (the others
empty), so that this column too sums to the suppliers' total.
"""

COORDINATION_COLUMNS = (
    Column("no", "序号", "int", 5),
    Column("buyer", "需求企业/项目", width=30),
    Column("buyer_county", "所在县市区", width=19),
    Column("supplier", "配套企业", width=30),
    Column("supplier_place", "配套企业所在地（省/市/县）", width=40),
    Column("material", "配套产品", width=14),
    Column("problem", "存在问题", width=44),
    Column("request", "协调诉求", width=40),
    Column("output", "影响产值（万元）", "float", 12),
    Column("investment", "影响投资（万元）", "float", 12),
    TOTAL_COLUMN,
    Column("stock_days", "库存可用天数", "int", 7),
    Column("recovery_days", "预计恢复天数", "int", 7),
    Column("priority", "优先级", "int", 5),
    Column("route_to", "建议协调单位", width=18),
)
"""The columns of the analysis spec, in its order, with 合计 after the values it totals.

Wide enough for a CJK character of two width units (as Excel and WPS show one), so that
most rows take one line: printed one page wide, a table of one-line rows takes the fewest
pages.
"""

LOCAL_COLUMNS = (
    Column("no", "序号", "int", 5),
    Column("supplier", "配套企业", width=30),
    Column("supplier_county", "所在县市区", width=19),
    Column("problem", "存在问题", width=44),
    Column("buyer", "影响企业/项目", width=30),
    Column("material", "配套产品", width=14),
    Column("output", "影响产值（万元）", "float", 12),
    Column("investment", "影响投资（万元）", "float", 12),
    TOTAL_COLUMN,
    Column("stock_days", "库存可用天数", "int", 7),
    Column("recovery_days", "预计恢复天数", "int", 7),
    Column("priority", "优先级", "int", 5),
    Column("route_to", "责任单位（属地）", width=18),
)

LEDGER_COLUMNS = (
    Column("id", "编号", width=22),
    Column("subject", "企业/项目", width=26),
    Column("supplier", "涉及配套企业", width=24),
    Column("category", "问题类别", width=10),
    Column("description", "问题描述", width=40),
    Column("responsible_unit", "责任单位", width=20),
    Column("co_units", "协办单位", width=20),
    Column("deadline", "办理期限", "date", 12),
    Column("status", "办理状态", width=10),
    Column("overdue_days", "逾期天数", "int", 9),
    Column("escalations", "督办次数", "int", 9),
    Column("closing_note", "办结情况", width=30),
    Column("created_at", "挂号时间", "datetime", 17),
    Column("updated_at", "最后更新", "datetime", 17),
)

HISTORY_COLUMNS = (
    Column("item_id", "编号", width=22),
    Column("seq", "序号", "int", 6),
    Column("at", "时间", "datetime", 17),
    Column("by", "操作人", width=16),
    Column("action", "操作", width=10),
    Column("from_status", "原状态", width=10),
    Column("to_status", "新状态", width=10),
    Column("note", "说明", width=40),
    Column("detail", "变更", width=30),
)


def coordination_sheets(
    rows: pd.DataFrame,
    *,
    as_of: dt.date,
    by_region: bool = False,
    substitutes: pd.DataFrame | None = None,
) -> list[Sheet]:
    """跨区域协调清单: one sheet, and with ``by_region`` one more per target province/city.

    ``rows`` are those of :func:`chain_graph.list_rows.coordination_rows` (as the caller may
    see them). The regions' sheets follow in adcode order (a region without one last); on
    them 优先级 stays the supplier's place in the whole list. ``substitutes`` (the rows of
    :func:`application.supply.substitute_rows` for these links) adds a last sheet,
    替代供应商: who else could supply each link.
    """
    title = f"跨区域协调清单（{as_of:%Y年%m月%d日}）"
    sheets = [Sheet("跨区域协调清单", title, COORDINATION_COLUMNS, rows, exported=as_of)]
    if by_region:
        for region, part in sorted(rows.groupby("target_region", sort=False), key=_region_order):
            numbered = part.assign(no=range(1, len(part) + 1))
            name = str(region) or "地区待核实"
            sheets.append(Sheet(name, f"{title}—{name}", COORDINATION_COLUMNS, numbered, exported=as_of))
    if substitutes is not None:
        sheets.append(substitute_sheet(substitutes, as_of=as_of))
    return sheets


def _region_order(group: tuple[object, pd.DataFrame]) -> tuple[bool, str]:
    """Sort key of a region (a county, a city, a province): its suppliers' smallest adcode.

    A region without a name or without codes comes last. A target is a county, a city of
    the province or another province, so the smallest county code of its suppliers orders
    the regions as their own adcodes do.
    """
    region, part = group
    codes = sorted(c for c in part["supplier_adcode"].astype(str) if c)
    return (not region or not codes, codes[0] if codes else "")


def local_sheets(rows: pd.DataFrame, *, as_of: dt.date) -> list[Sheet]:
    """本地配套企业督促复产清单: one sheet per county (属地), counties in adcode order.

    ``rows`` are those of :func:`chain_graph.list_rows.local_rows` (as the caller may see them).
    """
    title = f"本地配套企业督促复产清单（{as_of:%Y年%m月%d日}）"
    if rows.empty:
        notes = ("本期无受阻的本地配套企业。",)
        return [Sheet("本地配套企业", title, LOCAL_COLUMNS, rows, notes=notes, exported=as_of)]
    sheets = []
    for name, part in sorted(rows.groupby("supplier_county", sort=False), key=_region_order):
        numbered = part.assign(no=range(1, len(part) + 1))
        sheets.append(Sheet(str(name), f"{title}—{name}", LOCAL_COLUMNS, numbered, exported=as_of))
    return sheets


def ledger_sheets(
    items: Sequence[LedgerItem], events: Sequence[LedgerEvent], ledgers: LedgerTables, *, today: dt.date
) -> list[Sheet]:
    """问题台账 with status, then 办理记录 (every change of every item)."""
    return [
        Sheet(
            "问题台账",
            f"问题台账（截至{today:%Y年%m月%d日}）",
            LEDGER_COLUMNS,
            ledger_rows(items, ledgers, today=today),
            exported=today,
        ),
        Sheet("办理记录", "问题台账办理记录", HISTORY_COLUMNS, history_rows(events), exported=today),
    ]
