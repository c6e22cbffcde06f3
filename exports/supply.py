"""The supply spec's sheets: 补链清单 (the gap list) and 替代供应商 (substitute suppliers).

Rows come from :mod:`application.supply` (as the caller may see them); this module gives
them their Chinese columns: lists written out as text, shares as percentages, 万元 with two
decimals.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from chain_graph.labels import SCOPE_LABELS, SHARE_BASIS_LABELS
from chain_graph.records import plain
from exports.workbook import Column, Sheet

__all__ = ["GAP_COLUMNS", "SUBSTITUTE_COLUMNS", "gap_rows", "gap_sheets", "substitute_sheet"]

GAP_COLUMNS = (
    Column("rank", "序号", "int", 5),
    Column("material", "物料", width=16),
    Column("code", "物料编码", width=11),
    Column("chains", "所属产业链", width=16),
    Column("buyers", "本市采购方（家）", "int", 9),
    Column("buyers_output", "采购方产值（万元）", "float", 13),
    Column("value_total", "年采购额（万元）", "float", 13),
    Column("value_outside", "市外采购额（万元）", "float", 13),
    Column("local_share", "本地配套比例", "percent", 9),
    Column("share_basis", "计算口径", width=11),
    Column("suppliers_local", "本地供应商（家）", "int", 9),
    Column("suppliers_in_province", "省内市外供应商（家）", "int", 9),
    Column("suppliers_out_of_province", "省外供应商（家）", "int", 9),
    Column("suppliers_unknown", "地址待核实供应商（家）", "int", 9),
    Column("top_regions", "主要外部来源地（采购额）", width=40),
)
"""The gap list of the supply spec, in its order."""

SUBSTITUTE_COLUMNS = (
    Column("no", "序号", "int", 5),
    Column("supplier", "受阻配套企业", width=28),
    Column("buyer", "需求企业/项目", width=28),
    Column("material", "配套产品", width=14),
    Column("rank", "候选排序", "int", 7),
    Column("candidate", "替代供应商", width=28),
    Column("scope", "替代供应商所在地", width=12),
    Column("gain", "可挽回产值与投资（万元）", "float", 14),
    Column("gain_output", "其中产值（万元）", "float", 12),
    Column("gain_investment", "其中投资（万元）", "float", 12),
    Column("buyers", "已供应采购方（家）", "int", 9),
    Column("availability", "替代供应商可用度", "percent", 10),
)
"""Per link of a blocked supplier, its ranked candidates (supply spec, 替代供应商)."""


def _regions(regions: Any) -> str:
    """Write the top regions as ``长沙市 1,200.50 万元（1 条）；湖北省（1 条）``.

    A region none of whose links carry a value (value None) shows its links only.
    """
    parts = []
    for r in regions or []:
        value = plain(r.get("value"))
        amount = f" {value:,.2f} 万元" if value else ""
        parts.append(f"{r['region'] or '地区待核实'}{amount}（{r['links']} 条）")
    return "；".join(parts)


def gap_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Return the gap list with its lists and codes written as text (for a sheet or a page)."""
    return table.assign(
        chains=["、".join(c or []) for c in table["chains"]],
        top_regions=[_regions(r) for r in table["top_regions"]],
        share_basis=[SHARE_BASIS_LABELS.get(str(b), str(b)) for b in table["share_basis"]],
    )


def gap_sheets(table: pd.DataFrame, *, as_of: dt.date, threshold: float) -> list[Sheet]:
    """补链清单: one sheet, its threshold and method in the notes."""
    notes: tuple[str, ...] = (
        f"列入条件：本市重点企业和项目采购的物料中，本地配套比例低于 {threshold:.0%}"
        "（有采购额时按采购额计算，否则按采购方计算）。",
        "排序：市外采购额从大到小（无采购额的在后），再按采购方产值。",
    )
    if table.empty:
        notes = ("本期没有本地配套比例低于阈值的物料。", *notes)
    return [
        Sheet(
            "补链清单",
            f"产业链补链清单（{as_of:%Y年%m月%d日}）",
            GAP_COLUMNS,
            gap_rows(table),
            notes=notes,
            exported=as_of,
        )
    ]


def substitute_sheet(rows: pd.DataFrame, *, as_of: dt.date) -> Sheet:
    """替代供应商: the rows of :func:`application.supply.substitute_rows`, scopes in Chinese."""
    shown = rows.assign(scope=[SCOPE_LABELS.get(str(s), str(s)) for s in rows["scope"]])
    notes: tuple[str, ...] = (
        "每条受阻供应关系列出可替代的供应商：先本地、再省内市外、再省外，同一所在地按可挽回产值与投资从大到小。",
        "可挽回产值与投资：假设该需求方的该产品改由替代供应商供应（按替代供应商自身可用度），减少的影响产值与投资。",
    )
    if rows.empty:
        notes = ("本期受阻配套企业的供应关系没有可替代的供应商。", *notes)
    return Sheet(
        "替代供应商",
        f"受阻配套企业替代供应商（{as_of:%Y年%m月%d日}）",
        SUBSTITUTE_COLUMNS,
        shown,
        notes=notes,
        exported=as_of,
    )
