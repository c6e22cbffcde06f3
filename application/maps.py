"""Map use cases: the chain maps a caller may see, rendered once per data version and visibility.

A county's maps show its own entities and their direct partners, never further
(:meth:`~application.visibility.Visibility.map_mask`); a map about one node answers "not
found" for another county's node. Console pages are cached in the snapshot by view,
options and visibility; the command line renders a standalone file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import networkx as nx
import pandas as pd

from application.visibility import Visibility
from application.workspace import Snapshot
from chain_graph.regions import region_name
from chain_graph.scenarios import Scenario, apply_scenario
from viz.render import MapPage, render_map
from viz.views import (
    city_view,
    facts,
    gap_view,
    impact_view,
    scenario_view,
    upstream_view,
    with_local_share,
)

__all__ = ["Assets", "Colour", "city_map", "gap_map", "impact_map", "scenario_map", "upstream_map"]

Assets = Literal["inline", "served"]
Colour = Literal["status", "local"]
"""What colours a chain map's nodes: their state, or their local share (本地配套率)."""


def _render(
    snap: Snapshot,
    view: nx.DiGraph,
    *,
    title: str,
    assets: Assets,
    link: str | None,
    note: str = "",
    subtitle: str = "",
) -> MapPage:
    return render_map(
        view,
        title=title,
        subtitle=subtitle,
        assets=assets,
        link=link,
        physics_limit=snap.settings.map_physics_limit,
        spring_limit=snap.settings.map_spring_limit,
        aggregate_limit=snap.settings.map_aggregate_limit,
        note=note,
    )


def _within(snap: Snapshot, vis: Visibility, view: nx.DiGraph) -> nx.DiGraph:
    """Return the part of ``view`` that ``vis`` may see.

    For a county: its own entities and their direct partners, and only the links with an
    own entity at one end (a link between two partners is theirs, not the county's).
    """
    if not vis.is_county or "aggregated_from" in view.graph:
        return view  # the whole city; or an overview of groups, which names no entity
    graph = snap.graph
    shown = set(graph.ids[vis.map_mask(graph)].astype(str).tolist())
    part = nx.DiGraph(view.subgraph([n for n in view.nodes if n in shown]))
    own = {n for n, data in part.nodes(data=True) if vis.sees(data.get("adcode"))}
    part.remove_edges_from([(s, d) for s, d in list(part.edges) if s not in own and d not in own])
    if "substitute_edges" in view.graph:  # a candidate for an own buyer, both shown
        part.graph["substitute_edges"] = [
            e
            for e in view.graph["substitute_edges"]
            if e["from"] in part and e["to"] in part and (e["from"] in own or e["to"] in own)
        ]
    return part


def _cached(snap: Snapshot, key: tuple[object, ...], assets: Assets, build: Callable[[], MapPage]) -> MapPage:
    if assets != "served":  # a standalone file is written once; nothing to share
        return build()
    return snap.memo(("map", *key), build)


def city_map(
    snap: Snapshot,
    vis: Visibility,
    *,
    chain: str | None = None,
    county: str | None = None,
    colour: Colour = "status",
    assets: Assets = "served",
    link: str | None = "/",
) -> MapPage:
    """Return the whole city's chain map, or one chain's or county's part (a county: its own part).

    ``colour="local"`` colours the enterprises and projects by their local share (本地配套率:
    by value, else by groups) instead of their state; a grouped overview keeps the states.
    """
    county = vis.county or county
    title = _area_title(snap, county=county, chain=chain) + ("·本地配套率" if colour == "local" else "")

    def build() -> MapPage:
        view = city_view(
            snap.facts, chain=chain, county=county, aggregate_limit=snap.settings.map_aggregate_limit
        )
        note = ""
        if colour == "local" and "aggregated_from" not in view.graph:
            view = with_local_share(view, _local_shares(snap))
        elif colour == "local":
            note = "节点较多，按汇总显示状态；选择一条产业链或一个县市区查看各企业的本地配套率。"
        return _render(snap, _within(snap, vis, view), title=title, assets=assets, link=link, note=note)

    return _cached(snap, ("city", chain, county, colour, vis.key), assets, build)


def _area_title(snap: Snapshot, *, county: str | None, chain: str | None) -> str:
    """Return a city map's title by names: "鹤城区产业链图", "怀化市·装备制造产业链图"."""
    home = snap.settings.home_adcode
    area = (region_name(county) or f"县市区 {county}") if county else (region_name(home) or "全市")
    return f"{area}{'·' + chain if chain else ''}产业链图"


def _local_shares(snap: Snapshot) -> dict[str, float]:
    """Each home buyer's local share: by value where its links carry values, else by groups."""
    table = snap.analysis.local_supply.enterprises
    share = table["local_rate_value"].fillna(table["local_rate_groups"])
    return {str(i): float(v) for i, v in zip(table["id"], share, strict=True) if pd.notna(v)}


def gap_map(snap: Snapshot, vis: Visibility, *, top: int, assets: Assets = "served") -> MapPage:
    """Return the first ``top`` materials of the 补链清单 between their outside suppliers and home buyers."""

    def build() -> MapPage:
        view = gap_view(snap.facts, snap.analysis.gap_list, top=top)
        return _render(
            snap,
            _within(snap, vis, view),
            title=f"补链清单：本地配套不足的物料（前 {top} 种）",
            assets=assets,
            link="/",
            note="空心菱形为本地配套不足的物料：左侧是供应它的市外企业，右侧是本市采购它的企业和项目。",
        )

    return _cached(snap, ("gaps", top, vis.key), assets, build)


def upstream_map(
    snap: Snapshot,
    vis: Visibility,
    node_id: str,
    *,
    depth: int,
    assets: Assets = "served",
    link: str | None = "/",
) -> MapPage:
    """Return an enterprise's or project's suppliers, tier by tier, up to ``depth`` tiers."""
    vis.require(node_id, snap.adcode_of)
    name = snap.name_of[node_id]

    def build() -> MapPage:
        view = _within(snap, vis, upstream_view(snap.facts, node_id, depth=depth))
        return _render(snap, view, title=f"{name}：上游配套（{depth} 层）", assets=assets, link=link)

    return _cached(snap, ("upstream", node_id, depth, vis.key), assets, build)


def impact_map(
    snap: Snapshot, vis: Visibility, node_id: str, *, assets: Assets = "served", link: str | None = "/"
) -> MapPage:
    """Return what a supplier holds back (its downstream), and availability if it recovered."""
    vis.require(node_id, snap.adcode_of)
    name = snap.name_of[node_id]

    def build() -> MapPage:
        candidates = snap.analysis.substitutes_of(node_id)
        view = _within(snap, vis, impact_view(snap.facts, node_id, substitutes=candidates))
        return _render(snap, view, title=f"{name}：影响范围（复产前后可用度）", assets=assets, link=link)

    return _cached(snap, ("impact", node_id, vis.key), assets, build)


def scenario_map(snap: Snapshot, vis: Visibility, scenario: Scenario, *, outcome: dict[str, Any]) -> MapPage:
    """Return the nodes a what-if changes, coloured by what it did to them, with the totals before and after.

    ``outcome`` is the what-if's result (:func:`application.scenarios.what_if`, which
    checks the scenario against ``vis``), run by the caller within its time limit. Kept like
    the what-if itself (bounded by the memo): the same scenario asked again, or from its
    what-if page, is not drawn again.
    """
    from application.scenarios import check_scenario

    check_scenario(snap, vis, scenario)

    def build() -> MapPage:
        graph = apply_scenario(snap.graph, scenario)
        settings = snap.settings
        after = facts(graph, home_adcode=settings.home_adcode, threshold=settings.blocked_threshold)
        changed = [*scenario.stop, *scenario.restore, *scenario.capacity]
        moves = [(m.buyer, m.material, m.from_, m.to) for m in scenario.substitute]
        view = scenario_view(snap.facts, after, changed=changed, moves=moves)
        before, now = outcome["summary_before"], outcome["summary_after"]
        totals = (
            f"风险产值和投资 {before['value_at_risk']:,.0f} → {now['value_at_risk']:,.0f} 万元　"
            f"受阻配套企业 {before['blocked']} → {now['blocked']} 家"
        )
        return _render(
            snap,
            _within(snap, vis, view),
            title="情景推演：可用度变化",
            subtitle=totals,
            assets="served",
            link="/",
            note="颜色为情景对节点的影响（情景后的状态）；悬停查看每个节点情景前后的状态和可用度。"
            + ("绿色长虚线为替代后的供应，红色点线为被替代的原供应。" if moves else ""),
        )

    return _cached(snap, ("scenario", vis.key, scenario.model_dump_json()), "served", build)
