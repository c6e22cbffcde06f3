"""The province's 跨区域协调汇总 workbook: the consolidated requests, ranked, and per target province."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from chain_graph.consolidation import consolidated_ranking
from exports.workbook import Column, Sheet

__all__ = ["CONSOLIDATION_COLUMNS", "consolidation_sheets"]

CONSOLIDATION_COLUMNS = (
    Column("no", "序号", "int", 5),
    Column("supplier", "配套企业", width=30),
    Column("supplier_place", "配套企业所在地（省/市/县）", width=40),
    Column("target_city", "所在市州", width=16),
    Column("requesters", "提出协调的城市", width=24),
    Column("requester_count", "城市数", "int", 7),
    Column("buyers", "需求企业/项目", width=40),
    Column("materials", "配套产品", width=20),
    Column("output", "影响产值（万元）", "float", 12),
    Column("investment", "影响投资（万元）", "float", 12),
    Column("total", "合计（万元）", "float", 12),
    Column("stock_days", "最短库存可用天数", "int", 9),
    Column("recovery_days", "最长预计恢复天数", "int", 9),
    Column("rank", "优先级", "int", 5),
)
"""One row per supplier; 合计 is the sum of each city's 合计 (no buyer counted twice)."""


def consolidation_sheets(rows: pd.DataFrame, *, as_of: dt.date) -> list[Sheet]:
    """跨区域协调汇总: a 汇总 sheet ranked by value, then one sheet per target province.

    Parameters
    ----------
    rows
        The rows of :func:`chain_graph.consolidation.consolidate`.
    as_of
        The date in the titles and footers.

    Returns
    -------
    list of Sheet
        汇总 first (by 优先级, i.e. value), then the provinces in adcode order (a province
        not recognised last, as 地区待核实), each by city then value; 优先级 stays the
        supplier's place in the whole list.
    """
    title = f"跨区域协调汇总（{as_of:%Y年%m月%d日}）"
    ranked = consolidated_ranking(rows)
    sheets = [Sheet("汇总", title, CONSOLIDATION_COLUMNS, _numbered(ranked), exported=as_of)]
    if rows.empty:
        return sheets
    order = rows.assign(_code=rows["province_adcode"].replace("", "999999"))
    for _, part in order.groupby("_code", sort=True):
        name = str(part["target_province"].iat[0]) if part["province_adcode"].iat[0] else "地区待核实"
        sheets.append(Sheet(name, f"{title}—{name}", CONSOLIDATION_COLUMNS, _numbered(part), exported=as_of))
    return sheets


def _numbered(part: pd.DataFrame) -> pd.DataFrame:
    return part.reset_index(drop=True).assign(no=range(1, len(part) + 1))
