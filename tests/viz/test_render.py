"""The generated map pages: offline, escaped, with a legend and the expected nodes per view."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain_graph.graph import build_graph
from chain_graph.model import LedgerTables
from ingest.loader import read_directory
from tests.defaults import SETTINGS
from tests.fuzzing import examples
from viz.render import OVERVIEW_EDGES_PER_GROUP, MapPage, render_map, strongest_edges
from viz.views import NodeFacts, city_view, facts, impact_view, upstream_view

HOSTILE = "<img src=x onerror=alert(1)></script><script>alert(2)</script>"


@pytest.fixture
def node_facts(canonical_dir: Path) -> NodeFacts:
    base = read_directory(canonical_dir, settings=SETTINGS).ledgers
    firms = base.firms.copy()
    firms.loc[firms["id"] == "S1", "name"] = HOSTILE
    ledgers = LedgerTables(firms=firms, projects=base.projects, links=base.links, problems=base.problems)
    return facts(build_graph(ledgers), home_adcode="431200", threshold=0.9)


def _data(page: MapPage) -> dict[str, list[dict[str, Any]]]:
    match = re.search(r'<script id="map-data" type="application/json">(.*?)</script>', page.html, re.S)
    assert match
    loaded: dict[str, list[dict[str, Any]]] = json.loads(match.group(1))
    return loaded


def test_served_page_names_no_other_host(node_facts: NodeFacts) -> None:
    page = render_map(
        city_view(node_facts),
        title="全市",
        assets="served",
        physics_limit=SETTINGS.map_physics_limit,
        spring_limit=SETTINGS.map_spring_limit,
        aggregate_limit=SETTINGS.map_aggregate_limit,
    )
    # The one address on the page is the SVG namespace of the SVG download, a name, not a host:
    assert re.findall(r"https?://[^\s\"'<>]*", page.html) == ["http://www.w3.org/2000/svg"]
    assert '<script src="/static/vis/vis-network.min.js"></script>' in page.html


def test_inline_page_loads_nothing(node_facts: NodeFacts) -> None:
    page = render_map(
        city_view(node_facts),
        title="全市",
        assets="inline",
        link=None,
        physics_limit=SETTINGS.map_physics_limit,
        spring_limit=SETTINGS.map_spring_limit,
        aggregate_limit=SETTINGS.map_aggregate_limit,
    )
    # vis-network's licence comments name their home pages; nothing is *loaded* from anywhere:
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page.html)
    assert not re.search(r"url\(\s*[\"']?(https?:)?//", page.html)
    assert "<link" not in page.html
    assert "vis.Network" in page.html


def test_labels_are_escaped(node_facts: NodeFacts) -> None:
    page = render_map(
        city_view(node_facts),
        title=HOSTILE,
        assets="served",
        physics_limit=SETTINGS.map_physics_limit,
        spring_limit=SETTINGS.map_spring_limit,
        aggregate_limit=SETTINGS.map_aggregate_limit,
    )
    assert "<img src=x" not in page.html
    assert "<script>alert(2)" not in page.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.html  # the title, as text
    labels = [n["label"] for n in _data(page)["nodes"]]
    assert HOSTILE in labels  # the JSON holds the name as it is; vis-network draws it as text


def test_legend_is_on_the_page(node_facts: NodeFacts) -> None:
    html = render_map(
        city_view(node_facts),
        title="全市",
        physics_limit=SETTINGS.map_physics_limit,
        spring_limit=SETTINGS.map_spring_limit,
        aggregate_limit=SETTINGS.map_aggregate_limit,
    ).html
    for label in (
        "图例",
        "重点企业",
        "重点项目",
        "配套企业",
        "正常",
        "部分停产",
        "停产",
        "断供（上游受阻）",
        "本地",
        "省内市外",
        "省外",
        "地址待核实",
        "虚线：非关键物料",
    ):
        assert label in html, label


@pytest.mark.parametrize(
    ("build", "nodes", "edges"),
    [
        (city_view, 5, 4),
        (lambda f: upstream_view(f, "P1", depth=1), 2, 1),
        (lambda f: impact_view(f, "S1"), 3, 2),
    ],
)
def test_node_counts_per_view(
    node_facts: NodeFacts, build: Callable[[NodeFacts], nx.DiGraph], nodes: int, edges: int
) -> None:
    page = render_map(
        build(node_facts),
        title="t",
        physics_limit=SETTINGS.map_physics_limit,
        spring_limit=SETTINGS.map_spring_limit,
        aggregate_limit=SETTINGS.map_aggregate_limit,
    )
    data = _data(page)
    assert (page.nodes, len(data["nodes"]), len(data["edges"])) == (nodes, nodes, edges)
    assert page.mode == "physics"


def test_encoding(node_facts: NodeFacts) -> None:
    nodes = {
        n["id"]: n
        for n in _data(
            render_map(
                city_view(node_facts),
                title="t",
                physics_limit=SETTINGS.map_physics_limit,
                spring_limit=SETTINGS.map_spring_limit,
                aggregate_limit=SETTINGS.map_aggregate_limit,
            )
        )["nodes"]
    }
    assert (nodes["E1"]["shape"], nodes["P1"]["shape"], nodes["S1"]["shape"]) == ("dot", "square", "triangle")
    assert nodes["S1"]["color"]["background"] == "#D55E00"  # stopped
    assert nodes["E1"]["color"]["background"] == "#CC79A7"  # starved
    assert nodes["S2"]["borderWidth"] == 4  # out of province
    assert nodes["E1"]["size"] > nodes["E2"]["size"]  # 30000 vs 5000 万元
    assert nodes["E1"]["url"] == "/console/firms/E1"
    edges = {
        (e["from"], e["to"]): e
        for e in _data(
            render_map(
                city_view(node_facts),
                title="t",
                physics_limit=SETTINGS.map_physics_limit,
                spring_limit=SETTINGS.map_spring_limit,
                aggregate_limit=SETTINGS.map_aggregate_limit,
            )
        )["edges"]
    }
    assert edges["S2", "E2"]["dashes"] is True
    assert edges["S1", "E1"]["width"] > edges["S2", "E1"]["width"]  # 60 % vs 40 %


def test_big_views_get_server_positions_then_an_overview(node_facts: NodeFacts) -> None:
    spring = render_map(city_view(node_facts), title="t", physics_limit=3, spring_limit=5, aggregate_limit=9)
    assert spring.mode == "spring"
    assert all("x" in n and n["physics"] is False for n in _data(spring)["nodes"])
    assert '"physics": {"enabled": false' in spring.html
    laid = render_map(city_view(node_facts), title="t", physics_limit=3, spring_limit=3, aggregate_limit=9)
    assert laid.mode == "layout"
    assert all("x" in n and n["physics"] is False for n in _data(laid)["nodes"])
    overview = render_map(
        city_view(node_facts), title="t", physics_limit=2, spring_limit=2, aggregate_limit=4
    )
    assert overview.mode == "aggregate"
    assert "按县市区/地区和产业链汇总显示" in overview.html
    urls = [n["url"] for n in _data(overview)["nodes"]]
    assert "/maps/city?chain=%E8%A3%85%E5%A4%87%E5%88%B6%E9%80%A0&county=431202" in urls


def test_map_command_writes_a_utf8_file(canonical_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    out = tmp_path / "影响.html"
    result = CliRunner().invoke(
        app, ["map", str(canonical_dir), "--view", "impact", "--id", "S1", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = out.read_bytes().decode("utf-8")  # raises if the file is not UTF-8
    assert "长沙丙钢材有限公司" in html
    missing = CliRunner().invoke(app, ["map", str(canonical_dir), "--view", "upstream", "-o", str(out)])
    assert missing.exit_code == 2
    assert "需要 --id" in missing.output


def test_the_county_filter_lists_home_counties_first_by_adcode_with_names(node_facts: NodeFacts) -> None:
    page = render_map(city_view(node_facts), title="t", physics_limit=9, spring_limit=9, aggregate_limit=9)
    choices = re.search(r'<select id="f-place">(.*?)</select>', page.html, re.S)
    assert choices
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', choices.group(1))
    options = {label: re.findall(r'<option value="(\d+)">([^<]+)</option>', body) for label, body in groups}
    assert options == {
        "本市县市区": [("431202", "鹤城区"), ("431228", "芷江侗族自治县")],
        "其他地区": [("420106", "武汉市武昌区"), ("430111", "长沙市雨花区")],
    }
    nodes = {n["id"]: n for n in _data(page)["nodes"]}
    assert (nodes["E2"]["place"], nodes["S1"]["place"]) == ("431228", "430111")


@pytest.mark.parametrize("link", [None, "http://console.example/"])
def test_a_standalone_file_links_back_to_the_console_only_when_told(
    node_facts: NodeFacts, link: str | None
) -> None:
    page = render_map(
        city_view(node_facts), title="t", link=link, physics_limit=9, spring_limit=9, aggregate_limit=9
    )
    bar = re.search(r'<div id="console-bar">(.*?)</div>', page.html)
    assert bar
    assert ("<nav>" in bar.group(1), "← 返回控制台" in bar.group(1)) == (False, link is not None)
    if link:
        assert f'href="{link}console/"' in bar.group(1)
    framed = page.framed("<nav>menu</nav>")
    assert "<nav>menu</nav>" in framed
    assert "返回控制台" not in framed


@st.composite
def _overviews(draw: st.DrawFn) -> nx.DiGraph:
    n = draw(st.integers(2, 12))
    view = nx.DiGraph(aggregated_from=100)
    view.add_nodes_from(f"g{i}" for i in range(n))
    for s, d in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60)):
        if s != d:
            view.add_edge(f"g{s}", f"g{d}", links=draw(st.integers(1, 9)), critical=draw(st.booleans()))
    return view


@settings(max_examples=examples(100), deadline=None)
@given(_overviews(), st.integers(1, 4))
def test_an_overview_keeps_each_groups_strongest_edges(view: nx.DiGraph, per_node: int) -> None:
    kept, hidden = strongest_edges(view, per_node=per_node)
    assert set(kept.nodes) == set(view.nodes)  # no group disappears
    assert set(kept.edges) <= set(view.edges)
    assert hidden == view.number_of_edges() - kept.number_of_edges()

    def strongest_first(edges: Any) -> list[tuple[str, str]]:
        def key(e: tuple[str, str]) -> tuple[int, bool, str, str]:
            return (-view.edges[e]["links"], not view.edges[e]["critical"], e[0], e[1])

        return sorted(edges, key=key)

    for node in view.nodes:
        for edges in (view.out_edges(node), view.in_edges(node)):
            assert set(strongest_first(edges)[:per_node]) <= set(kept.edges)


def test_a_dense_overview_says_how_many_edges_it_draws() -> None:
    view = nx.DiGraph(aggregated_from=1000)
    group: dict[str, Any] = {"count": 10, "stopped": 0, "value": 100.0, "availability": 1.0}
    group |= {"status": "normal", "scope": "local", "region": "鹤城区", "chain": ""}
    for i in range(8):
        view.add_node(f"s{i}", kind="supplier", name=f"组{i}", county_code="", **group)
        view.add_node(f"e{i}", kind="enterprise", name=f"企{i}", county_code="431202", **group)
    for i in range(8):
        for j in range(8):
            view.add_edge(f"s{i}", f"e{j}", links=1 + (i + j) % 5, critical=False, share=0.0, material="")
    page = render_map(view, title="t", physics_limit=150, spring_limit=1500, aggregate_limit=5000)
    assert page.mode == "aggregate"
    assert page.edges < 64
    assert f"只画出每个分组供应关系最多的上下游各 {OVERVIEW_EDGES_PER_GROUP} 条" in page.html
    assert "分组之间共有 64 条连线" in page.html
