"""How `chain-graph analyze` shows the analysis and a what-if: rich tables with Chinese labels."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from chain_graph.gaps import GapAnalysis
from chain_graph.regions import Scope

__all__ = ["print_report", "print_scenario"]


def _money(value: float) -> str:
    return f"{value:,.1f}"


def print_report(console: Console, result: GapAnalysis, *, top: int = 15) -> None:
    """Print headline figures, the top blocked suppliers with routing, and single sources."""
    summary = result.summary()
    head = Table(title="缺口分析摘要（金额：万元）")
    head.add_column("指标")
    head.add_column("数值", justify="right")
    for label, value in (
        ("企业（含供应商）", f"{summary['firms']:,}"),
        ("重点项目", f"{summary['projects']:,}"),
        ("供应关系", f"{summary['links']:,}"),
        ("堵点供应商（产能低于阈值且有下游）", f"{summary['blocked']:,}"),
        ("受上游拖累的企业", f"{len(result.starved):,}"),
        ("影响产值", _money(summary["output_at_risk"])),
        ("影响投资", _money(summary["investment_at_risk"])),
        ("合计影响", _money(summary["value_at_risk"])),
    ):
        head.add_row(label, value)
    console.print(head)

    blocked = Table(title=f"堵点供应商（前 {top} 名，按可恢复价值排序）")
    for column, justify in (
        ("名次", "right"),
        ("编号", "left"),
        ("名称", "left"),
        ("所在地", "left"),
        ("协调单位", "left"),
        ("可恢复价值", "right"),
        ("库存可用天数", "right"),
        ("影响企业/项目数", "right"),
    ):
        blocked.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in result.blocked.head(top).to_dict("records"):
        scope = Scope(row["scope"]).label
        place = f"{scope}·{row['target_region']}" if row["target_region"] else scope
        days = "" if row["days_to_impact"] is None else str(row["days_to_impact"])
        blocked.add_row(
            str(row["rank"]),
            row["id"],
            row["name"],
            place,
            row["route_to"] or "地址待核实",
            _money(row["recovered_value"]),
            days,
            str(len(row["affected"])),
        )
    console.print(blocked)

    lists = Table(title="协调清单")
    lists.add_column("清单")
    lists.add_column("企业数", justify="right")
    lists.add_row("本地配套企业督促复产清单（交县市区政府）", str(len(result.local_list())))
    lists.add_row("跨区域协调清单（报省工业和信息化厅）", str(len(result.coordination_list())))
    console.print(lists)

    single = result.single_source
    sources = Table(title=f"单一来源关键物料（共 {len(single)} 项，显示前 {min(top, len(single))} 项）")
    for column in ("需求方", "物料", "供应商", "占比%"):
        sources.add_column(column)
    for row in single.head(top).to_dict("records"):
        sources.add_row(row["buyer_id"], row["material"], row["supplier_id"], f"{row['share']:g}")
    console.print(sources)


def print_scenario(console: Console, data: dict[str, Any], *, top: int = 15) -> None:
    """Print what a what-if scenario changes against the current state (its JSON form)."""
    before, after, delta = data["summary_before"], data["summary_after"], data["delta"]
    table = Table(title=f"情景推演：{data['scenario']['name']}（金额：万元）")
    for column in ("指标", "当前", "情景", "变化"):
        table.add_column(column, justify="left" if column == "指标" else "right")
    table.add_row("堵点供应商", str(before["blocked"]), str(after["blocked"]), f"{delta['blocked']:+d}")
    for key, label in (
        ("output_at_risk", "影响产值"),
        ("investment_at_risk", "影响投资"),
        ("value_at_risk", "合计影响"),
    ):
        table.add_row(label, _money(before[key]), _money(after[key]), f"{delta[key]:+,.1f}")
    console.print(table)
    for move in data["scenario"].get("substitute", []):
        console.print(f"替代：{move['buyer']} 的“{move['material']}”由 {move['from']} 改由 {move['to']} 供应")
    changes = Table(title=f"开工率变化最大的企业和项目（前 {top} 个）")
    for column in ("编号", "名称", "当前", "情景", "影响变化"):
        changes.add_column(column, overflow="fold")
    for row in data["availability_changes"][:top]:
        changes.add_row(
            row["id"],
            row["name"],
            f"{row['before']:.0%}",
            f"{row['after']:.0%}",
            f"{row['value_at_risk_change']:+,.1f}",
        )
    console.print(changes)
