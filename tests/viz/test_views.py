"""Which nodes each map view holds, and what they mean, on the canonical ledgers (by hand).

Canonical graph: S1 (长沙, stopped) → E1 (钢材 60 %), S2 (武汉) → E1 (钢材 40 %), S2 → E2 (芯片,
non-critical), E1 → P1. E2 runs at 60 %.
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import networkx as nx
import pytest

from chain_graph.errors import NotFoundError
from chain_graph.graph import build_graph
from ingest.loader import read_directory
from tests.defaults import SETTINGS
from viz.layout import aggregate, layered_positions, spring_positions
from viz.views import NodeFacts, city_view, facts, impact_view, scenario_view, upstream_view


@pytest.fixture
def node_facts(canonical_dir: Path) -> NodeFacts:
    return facts(
        build_graph(read_directory(canonical_dir, settings=SETTINGS).ledgers),
        home_adcode="431200",
        threshold=0.9,
    )


def test_facts_by_hand(node_facts: NodeFacts) -> None:
    ids = list(node_facts.graph.ids.astype(str))
    fact = {i: (node_facts.kind[k], node_facts.status[k], node_facts.scope[k]) for k, i in enumerate(ids)}
    assert fact == {
        "E1": ("enterprise", "starved", "local"),  # runs at full capacity, held back to 0.4 by S1
        "E2": ("enterprise", "partial", "local"),
        "S1": ("supplier", "stopped", "in_province"),
        "S2": ("supplier", "normal", "out_of_province"),
        "P1": ("project", "starved", "local"),
    }
    assert node_facts.region[ids.index("S1")] == "长沙市"
    assert node_facts.region[ids.index("S2")] == "湖北省"


def test_city_view_holds_every_node_and_link(node_facts: NodeFacts) -> None:
    view = city_view(node_facts)
    assert sorted(view.nodes) == ["E1", "E2", "P1", "S1", "S2"]
    assert sorted(view.edges) == [("E1", "P1"), ("S1", "E1"), ("S2", "E1"), ("S2", "E2")]
    assert view.edges["S2", "E2"]["critical"] is False
    assert view.edges["S1", "E1"]["share"] == pytest.approx(0.6)
    assert view.nodes["E1"]["availability"] == pytest.approx(0.4)
    assert view.nodes["E1"]["value"] == 30000


@pytest.mark.parametrize(
    ("county", "nodes"), [("431228", ["E2", "S2"]), ("431202", ["E1", "P1", "S1", "S2"])]
)
def test_county_view_adds_direct_partners(node_facts: NodeFacts, county: str, nodes: list[str]) -> None:
    assert sorted(city_view(node_facts, county=county).nodes) == nodes


@pytest.mark.parametrize(
    ("depth", "nodes"), [(1, ["E1", "P1"]), (2, ["E1", "P1", "S1", "S2"]), (5, ["E1", "P1", "S1", "S2"])]
)
def test_upstream_tiers(node_facts: NodeFacts, depth: int, nodes: list[str]) -> None:
    view = upstream_view(node_facts, "P1", depth=depth)
    assert sorted(view.nodes) == nodes
    assert view.nodes["P1"]["focus"]


def test_impact_view_shows_availability_after_recovery(node_facts: NodeFacts) -> None:
    view = impact_view(node_facts, "S1")
    assert sorted(view.nodes) == ["E1", "P1", "S1"]
    assert view.nodes["E1"]["availability"] == pytest.approx(0.4)
    assert view.nodes["E1"]["after"] == pytest.approx(1.0)
    assert view.nodes["P1"]["after"] == pytest.approx(1.0)


def test_scenario_view_holds_what_moved(node_facts: NodeFacts) -> None:
    g = node_facts.graph
    capacity = g.capacity.copy()
    capacity[node_facts.position("S2")] = 0.0
    after = facts(g.with_capacity(capacity), home_adcode="431200", threshold=0.9)
    view = scenario_view(node_facts, after, changed=["S2"])
    # S2 stops: E1 loses its other 40 % of steel (0.4 → 0), P1 follows; E2's chips are not critical.
    assert sorted(view.nodes) == ["E1", "P1", "S2"]
    assert view.nodes["E1"]["after"] == pytest.approx(0.0)
    # drawn as the scenario leaves them (S2 was normal before), the state before kept for the tooltip
    assert (view.nodes["S2"]["status"], view.nodes["S2"]["status_before"]) == ("stopped", "normal")
    assert view.nodes["S2"]["after_label"] == "情景后"
    assert {n: d["change"] for n, d in view.nodes(data=True)} == {
        "S2": "newly_blocked",  # normal → stopped
        "E1": "worsened",  # starved before and after, 0.4 → 0
        "P1": "worsened",
    }


def test_a_substitution_is_drawn_from_the_new_supplier(node_facts: NodeFacts) -> None:
    from chain_graph.scenarios import Scenario, apply_scenario

    # E1's steel from S1 (stopped) moves to S2 (which already sells E1 the other 40 % of steel).
    move = {"buyer": "E1", "material": "钢材", "from": "S1", "to": "S2"}
    graph = apply_scenario(node_facts.graph, Scenario(substitute=[move]))
    after = facts(graph, home_adcode="431200", threshold=0.9)
    view = scenario_view(node_facts, after, moves=[("E1", "钢材", "S1", "S2")])
    assert view.edges["S1", "E1"]["change"] == "removed"  # S1 sells E1 nothing else
    assert view.edges["S2", "E1"]["change"] == "substitute"
    assert view.edges["S2", "E1"]["replaces"] == "长沙丙钢材有限公司"
    assert view.nodes["E1"]["change"] == "restored"  # starved at 0.4 → all its steel from S2: normal
    assert view.nodes["P1"]["change"] == "restored"


def test_unknown_node(node_facts: NodeFacts) -> None:
    with pytest.raises(NotFoundError, match="NOPE"):
        upstream_view(node_facts, "NOPE")


def test_layers_run_from_suppliers_to_projects(node_facts: NodeFacts) -> None:
    x = {node: xy[0] for node, xy in layered_positions(city_view(node_facts)).items()}
    assert x["S1"] == x["S2"] < x["E1"] < x["P1"]
    assert x["E2"] > x["S2"]


def test_a_cycle_shares_one_tier() -> None:
    view = nx.DiGraph([("A", "B"), ("B", "A"), ("B", "C")])
    for node in view:
        view.nodes[node].update(chain="", name=node)
    x = {node: xy[0] for node, xy in layered_positions(view).items()}
    assert x["A"] == x["B"] < x["C"]


@pytest.mark.parametrize("size", [0, 1, 2, 40])
def test_spring_positions_are_seeded_and_spread(size: int) -> None:
    star = nx.DiGraph([(f"S{k}", "E") for k in range(size - 1)])
    star.add_nodes_from(["E"] if size else [])
    first, again = spring_positions(star), spring_positions(star)
    assert first == again  # the same picture on every load
    assert sorted(first) == sorted(star.nodes)
    if size >= 2:
        xy = list(first.values())
        gaps = sorted(min(math.dist(a, b) for b in xy if b is not a) for a in xy)
        assert statistics.median(gaps) == pytest.approx(60.0, abs=0.2)  # the spacing


def test_spring_positions_keep_linked_nodes_closer() -> None:
    chain = nx.DiGraph([("A", "B"), ("B", "C"), ("C", "D"), ("D", "E"), ("E", "F")])
    pos = spring_positions(chain)
    assert math.dist(pos["A"], pos["B"]) < math.dist(pos["A"], pos["F"])


def test_aggregate_groups_by_place_chain_and_kind(node_facts: NodeFacts) -> None:
    overview = aggregate(city_view(node_facts))
    groups = {data["name"]: data["count"] for _, data in overview.nodes(data=True)}
    assert groups == {
        "鹤城区·装备制造·重点企业": 1,
        "芷江侗族自治县·食品加工·重点企业": 1,
        "长沙市·未分链·配套企业": 1,
        "湖北省·未分链·配套企业": 1,
        "鹤城区·未分链·重点项目": 1,
    }
    assert overview.number_of_edges() == 4


def test_overview_from_arrays_matches_grouping_the_view(node_facts: NodeFacts) -> None:
    from viz.views import overview

    grouped = aggregate(city_view(node_facts))
    direct = city_view(node_facts, aggregate_limit=2)
    assert direct.graph["aggregated_from"] == 5
    assert sorted(direct.nodes) == sorted(grouped.nodes)
    assert sorted(direct.edges) == sorted(grouped.edges)
    for node in grouped:
        for attribute in ("count", "stopped", "status", "scope", "name"):
            assert direct.nodes[node][attribute] == grouped.nodes[node][attribute], (node, attribute)
        assert direct.nodes[node]["availability"] == pytest.approx(grouped.nodes[node]["availability"])
    assert overview(node_facts, node_facts.graph.ids == "S1").number_of_nodes() == 1
