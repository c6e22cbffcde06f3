"""The 重点产业链供应链企业白名单推荐表: the city's nominations as an official sheet.

Rows are those of :func:`chain_graph.whitelist.nominations` (as the caller may see them,
:mod:`application.whitelist`); this module gives them their Chinese columns: production
status in words, exposure in 万元 with two decimals, counts as integers.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from chain_graph.labels import PRODUCTION_STATUS_LABELS
from exports.workbook import Column, Sheet

__all__ = ["WHITELIST_COLUMNS", "whitelist_sheets"]

WHITELIST_COLUMNS = (
    Column("rank", "序号", "int", 5),
    Column("name", "企业名称", width=28),
    Column("county", "所在县市区", width=12),
    Column("chain", "所属产业链", width=12),
    Column("exposure", "风险敞口（万元）", "float", 13),
    Column("single_source_buyers", "唯一供应的重点企业/项目数", "int", 12),
    Column("outside_buyers", "市外客户数", "int", 8),
    Column("status", "生产状态", width=9),
    Column("reasons", "推荐理由", width=48),
)
"""The nomination sheet's columns, in order."""


def whitelist_sheets(rows: pd.DataFrame, *, as_of: dt.date) -> list[Sheet]:
    """重点产业链供应链企业白名单推荐表: one sheet, its method in the notes.

    ``rows`` has the columns of :data:`chain_graph.whitelist.NOMINATION_COLUMNS`.
    """
    shown = rows.assign(status=[PRODUCTION_STATUS_LABELS.get(str(s), str(s)) for s in rows["status"]])
    notes: tuple[str, ...] = (
        "推荐范围：本市（县市区）向重点企业、重点项目或市外企业供货的配套企业。",
        "风险敞口：该企业若现在停产，全市重点企业产值和重点项目投资新增的风险额（其他企业不变）。",
        "唯一供应：关键物料由该企业供应的比例不低于唯一供应阈值的重点企业和重点项目。",
        "排序：风险敞口从大到小，再按唯一供应的重点企业/项目数、市外客户数从多到少。",
    )
    if rows.empty:
        notes = ("本期没有符合推荐条件的企业。", *notes)
    return [
        Sheet(
            "白名单推荐表",
            f"重点产业链供应链企业白名单推荐表（{as_of:%Y年%m月%d日}）",
            WHITELIST_COLUMNS,
            shown,
            notes=notes,
            exported=as_of,
        )
    ]
