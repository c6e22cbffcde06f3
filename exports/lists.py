"""The three exports officials exchange: 跨区域协调清单, 本地配套企业督促复产清单, 问题台账."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from chain_graph.list_rows import history_rows, ledger_rows
from chain_graph.model import LedgerTables
from chain_graph.problem_ledger import LedgerEvent, LedgerItem
from exports.workbook import Column, Sheet

__all__ = ["coordination_sheets", "ledger_sheets", "local_sheets"]

COORDINATION_COLUMNS = (
    Column("no", "序号", "int", 6),
    Column("buyer", "需求企业/项目", width=28),
    Column("buyer_county", "所在县市区", width=12),
    Column("supplier", "配套企业", width=28),
    Column("supplier_place", "配套企业所在地（省/市/县）", width=24),
    Column("material", "配套产品", width=16),
    Column("problem", "存在问题", width=30),
    Column("request", "协调诉求", width=30),
    Column("output", "影响产值（万元）", "float", 14),
    Column("investment", "影响投资（万元）", "float", 14),
    Column("stock_days", "库存可用天数", "int", 10),
    Column("recovery_days", "预计恢复天数", "int", 10),
    Column("priority", "优先级", "int", 8),
    Column("route_to", "建议协调单位", width=22),
)
"""The columns of the analysis spec, in its order."""

LOCAL_COLUMNS = (
    Column("no", "序号", "int", 6),
    Column("supplier", "配套企业", width=28),
    Column("supplier_county", "所在县市区", width=12),
    Column("problem", "存在问题", width=30),
    Column("buyer", "影响企业/项目", width=28),
    Column("material", "配套产品", width=16),
    Column("output", "影响产值（万元）", "float", 14),
    Column("investment", "影响投资（万元）", "float", 14),
    Column("stock_days", "库存可用天数", "int", 10),
    Column("recovery_days", "预计恢复天数", "int", 10),
    Column("priority", "优先级", "int", 8),
    Column("route_to", "责任单位（属地）", width=22),
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


def coordination_sheets(rows: pd.DataFrame, *, as_of: dt.date, by_region: bool = False) -> list[Sheet]:
    """跨区域协调清单: one sheet, and with ``by_region`` one more per target province/city.

    ``rows`` are those of :func:`chain_graph.list_rows.coordination_rows` (as the caller may see them).
    """
    title = f"跨区域协调清单（{as_of:%Y年%m月%d日}）"
    sheets = [Sheet("跨区域协调清单", title, COORDINATION_COLUMNS, rows)]
    if by_region:
        for region, part in rows.groupby("target_region", sort=True):
            numbered = part.assign(no=range(1, len(part) + 1))
            name = str(region) or "地区待核实"
            sheets.append(Sheet(name, f"{title}—{region}", COORDINATION_COLUMNS, numbered))
    return sheets


def local_sheets(rows: pd.DataFrame, *, as_of: dt.date) -> list[Sheet]:
    """本地配套企业督促复产清单: one sheet per county (属地), counties by name.

    ``rows`` are those of :func:`chain_graph.list_rows.local_rows` (as the caller may see them).
    """
    title = f"本地配套企业督促复产清单（{as_of:%Y年%m月%d日}）"
    if rows.empty:
        return [Sheet("本地配套企业", title, LOCAL_COLUMNS, rows, notes=("本期无受阻的本地配套企业。",))]
    sheets = []
    for name, part in rows.groupby("supplier_county", sort=True):
        numbered = part.assign(no=range(1, len(part) + 1))
        sheets.append(Sheet(str(name), f"{title}—{name}", LOCAL_COLUMNS, numbered))
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
        ),
        Sheet("办理记录", "问题台账办理记录", HISTORY_COLUMNS, history_rows(events)),
    ]
