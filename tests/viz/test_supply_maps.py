"""The supply spec on the maps: substitutes on the impact map, local share, the gap view (by hand).

Canonical graph: S1 (长沙, stopped) → E1 (钢材 60 %, 1200.5 万元), S2 (武汉) → E1 (钢材 40 %),
S2 → E2 (芯片, 300 万元), E1 → P1 (机电设备, local, 450 万元).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from chain_graph.gaps import GapAnalysis, analyze
from chain_graph.graph import build_graph
from ingest.loader import read_directory
from tests.defaults import SETTINGS
from viz.render import LOCAL_SHARE_BINS, NO_SHARE, SUBSTITUTE_COLOURS, MapPage, render_map
from viz.views import NodeFacts, city_view, facts, gap_view, impact_view, with_local_share


@pytest.fixture
def analysis(canonical_dir: Path) -> GapAnalysis:
    return analyze(build_graph(read_directory(canonical_dir, settings=SETTINGS).ledgers), settings=SETTINGS)


@pytest.fixture
def node_facts(analysis: GapAnalysis) -> NodeFacts:
    return facts(analysis.graph, home_adcode=SETTINGS.home_adcode, threshold=SETTINGS.blocked_threshold)


def _render(view: Any) -> MapPage:
    return render_map(view, title="t", physics_limit=100, spring_limit=100, aggregate_limit=1000)


def _data(page: MapPage) -> dict[str, list[dict[str, Any]]]:
    match = re.search(r'<script id="map-data" type="application/json">(.*?)</script>', page.html, re.S)
    assert match
    loaded: dict[str, list[dict[str, Any]]] = json.loads(match.group(1))
    return loaded


def test_the_impact_map_shows_the_substitutes(node_facts: NodeFacts, analysis: GapAnalysis) -> None:
    table = analysis.substitutes
    view = impact_view(node_facts, "S1", substitutes=table[table["supplier_id"] == "S1"])
    assert sorted(view.nodes) == ["E1", "P1", "S1", "S2"]  # S2, the candidate, joins the cone
    assert view.graph["substitute_edges"] == [
        {"from": "S2", "to": "E1", "material": "钢材", "rank": 1, "scope": "out_of_province", "gain": 30000.0}
    ]
    page = _render(view)
    edges = _data(page)["edges"]
    [dashed] = [e for e in edges if e.get("dashes") == [10, 6]]
    assert (dashed["from"], dashed["to"]) == ("S2", "E1")
    assert dashed["color"]["color"] == SUBSTITUTE_COLOURS["out_of_province"]
    assert "替代供应商第 1 位（省外）：钢材，可挽回 30,000 万元" in dashed["title"]
    assert "替代供应商（长虚线，按所在地着色）" in page.html
    # without candidates: the cone only, and no legend for them
    plain_view = impact_view(node_facts, "S1")
    assert sorted(plain_view.nodes) == ["E1", "P1", "S1"]
    assert "替代供应商" not in _render(plain_view).html


def test_a_chain_map_coloured_by_local_share(node_facts: NodeFacts) -> None:
    # E1: no local 钢材 (0 %); P1: its 机电设备 from E1, local (100 %); E2: none local
    view = with_local_share(city_view(node_facts), {"E1": 0.0, "P1": 1.0, "E2": 0.3})
    page = _render(view)
    colour = {n["id"]: n["color"]["background"] for n in _data(page)["nodes"]}
    bins = {label: c for _, c, label in LOCAL_SHARE_BINS}
    assert colour == {
        "E1": bins["低于 20%"],
        "P1": bins["80% 及以上"],
        "E2": bins["20%–40%"],
        "S1": NO_SHARE,
        "S2": NO_SHARE,
    }
    assert "本地配套率（颜色）" in page.html
    assert "状态（颜色）" not in page.html
    assert "本地配套率 30.0%" in next(n["title"] for n in _data(page)["nodes"] if n["id"] == "E2")


def test_the_gap_view_puts_each_material_between_its_suppliers_and_buyers(
    node_facts: NodeFacts, analysis: GapAnalysis
) -> None:
    view = gap_view(node_facts, analysis.gap_list, top=10)
    # 钢材 (7208 by the catalogue) from S1 and S2 into E1; 芯片 from S2 into E2
    assert sorted(view.edges) == [
        ("S1", "material:#7208"),
        ("S2", "material:#7208"),
        ("S2", "material:芯片"),
        ("material:#7208", "E1"),
        ("material:芯片", "E2"),
    ]
    assert view.edges["S1", "material:#7208"]["value"] == 1200.5
    assert view.edges["material:#7208", "E1"]["value"] == 1200.5  # S2's 40 % carries no value
    page = _render(view)
    nodes = {n["id"]: n for n in _data(page)["nodes"]}
    steel = nodes["material:#7208"]
    assert (steel["shape"], steel["color"]["background"]) == ("diamond", "#ffffff")
    assert "url" not in steel  # no firm page to open
    assert "缺口物料：钢材（补链清单第 1 位）" in steel["title"]
    assert "缺口物料（本地配套不足，空心）" in page.html
    assert sorted(gap_view(node_facts, analysis.gap_list, top=1)) == ["E1", "S1", "S2", "material:#7208"]
    assert len(gap_view(node_facts, pd.DataFrame(columns=analysis.gap_list.columns), top=5)) == 0
