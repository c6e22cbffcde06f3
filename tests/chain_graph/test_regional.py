"""The regional distribution (区域分布), by hand on a small ledger, and its sums on random graphs."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.visibility import Visibility
from chain_graph.gaps import GapAnalysis, analyze
from chain_graph.graph import from_networkx
from chain_graph.regional import regional_distribution
from ingest.loader import read_directory
from tests.chain_graph.test_analysis_properties import supply_graphs
from tests.defaults import SETTINGS
from tests.fuzzing import examples
from tests.ledger_files import CANONICAL, ENTERPRISES, LINKS, SUPPLIERS, write_canonical

# The canonical ledgers, plus (a = availability, RV = recovered value, 万元):
#   S4 广州 440106 (stopped) -塑料 50 %-> E2 芷江;  S7 深圳 440305 (stopped) -塑料 10 %-> E2
#     a(E2) = min(0.6 own, 1 − 0.5 − 0.1) = 0.4; restoring S4 gives 0.6 (RV 0.2 × 5000 = 1000),
#     restoring S7 gives 0.5 (RV 0.1 × 5000 = 500).
#   S5 芷江 431228 (partial 50 %) -包装 40 %-> E3 芷江 (output 1000): a = 0.8, RV 200.
#   S6, an address naming no place (stopped) -螺丝 50 %-> E4 洪江市 (output 2000): a = 0.5, RV 1000.
#   S1 长沙 (canonical): RV 30000 = E1 30000 × 0.6 + P1 20000 × 0.6, both 鹤城区.
ENTERPRISES_PLUS: list[list[object]] = [
    *ENTERPRISES,
    ["E3", "芷江丙包装用户厂", "", "431228", "食品加工", "1000", "10", "normal", ""],
    ["E4", "洪江丁机械厂", "", "431281", "装备制造", "2000", "10", "normal", ""],
]
SUPPLIERS_PLUS: list[list[object]] = [
    *SUPPLIERS,
    ["S4", "广州庚塑料有限公司", "", "440106", "stopped", "", "", ""],
    ["S7", "深圳壬塑料有限公司", "", "440305", "stopped", "", "", ""],
    ["S5", "芷江辛包装厂", "", "431228", "partial", "50", "", ""],
    ["S6", "某某螺丝厂", "某工业园", "", "stopped", "", "", ""],
]
LINKS_PLUS: list[list[object]] = [
    *LINKS,
    ["S4", "E2", "塑料", "50", "yes", "", "", ""],
    ["S7", "E2", "塑料", "10", "yes", "", "", ""],
    ["S5", "E3", "包装", "40", "yes", "", "", ""],
    ["S6", "E4", "螺丝", "50", "yes", "", "", ""],
]


@pytest.fixture
def analysis(tmp_path: Path) -> GapAnalysis:
    tables: dict[str, list[list[object]]] = {
        **CANONICAL,
        "enterprises": ENTERPRISES_PLUS,
        "suppliers": SUPPLIERS_PLUS,
        "links": LINKS_PLUS,
    }
    ledgers = read_directory(write_canonical(tmp_path / "data", tables), settings=SETTINGS).ledgers
    return analyze(ledgers, settings=SETTINGS)


def test_canonical_has_one_city(canonical_dir: Path) -> None:
    result = analyze(read_directory(canonical_dir, settings=SETTINGS).ledgers, settings=SETTINGS)
    found = regional_distribution(result)
    assert found.cities.to_dict("records") == [
        {"adcode": "430100", "name": "长沙市", "suppliers": 1, "value": pytest.approx(30000.0)}
    ]
    assert found.provinces.empty
    assert found.counties.empty
    assert found.flows[["source", "target", "suppliers"]].to_dict("records") == [
        {"source": "430100", "target": "431202", "suppliers": 1}
    ]
    assert found.flows["value"].tolist() == pytest.approx([30000.0])


def test_by_province_city_county_and_unknown(analysis: GapAnalysis) -> None:
    found = regional_distribution(analysis)
    assert found.provinces[["adcode", "name", "suppliers"]].to_dict("records") == [
        {"adcode": "440000", "name": "广东省", "suppliers": 2}
    ]
    assert found.provinces["value"].tolist() == pytest.approx([1500.0])
    assert found.cities["value"].tolist() == pytest.approx([30000.0])
    assert found.counties[["adcode", "name", "suppliers"]].to_dict("records") == [
        {"adcode": "431228", "name": "芷江侗族自治县", "suppliers": 1}
    ]
    assert found.counties["value"].tolist() == pytest.approx([200.0])
    assert found.unknown_suppliers == 1
    assert found.unknown_value == pytest.approx(1000.0)
    assert found.suppliers == 5
    assert found.value == pytest.approx(32700.0)


def test_flows_go_to_the_held_back_entities_counties(analysis: GapAnalysis) -> None:
    flows = regional_distribution(analysis).flows
    got = {(f["source"], f["target"]): (f["suppliers"], f["value"]) for f in flows.to_dict("records")}
    assert got == {
        ("430100", "431202"): (1, pytest.approx(30000.0)),
        ("440000", "431228"): (2, pytest.approx(1500.0)),
        ("431228", "431228"): (1, pytest.approx(200.0)),
    }  # S6 (no address) has no source: its 1000 to 洪江市 is in the unknown total only
    assert flows["value"].is_monotonic_decreasing


def test_a_county_counts_what_holds_back_its_own(analysis: GapAnalysis) -> None:
    vis = Visibility.of_county("431228")  # 芷江: E2, E3, S5
    g = analysis.graph
    found = regional_distribution(analysis, own=vis.own_mask(g), shown=vis.map_mask(g))
    assert found.provinces["value"].tolist() == pytest.approx([1500.0])
    assert found.cities.empty  # S1 holds back 鹤城区's E1 and P1 only
    assert found.counties["value"].tolist() == pytest.approx([200.0])
    assert found.unknown_suppliers == 0  # S6 holds back 洪江市's E4
    assert set(found.flows["target"]) == {"431228"}


def test_own_without_shown_is_refused(analysis: GapAnalysis) -> None:
    with pytest.raises(ValueError, match="shown"):
        regional_distribution(analysis, own=np.ones(analysis.graph.n, dtype=bool))


def test_level_names(analysis: GapAnalysis) -> None:
    found = regional_distribution(analysis)
    assert found.level("province") is found.provinces
    with pytest.raises(ValueError, match="level"):
        found.level("town")


CODES = ["431202", "431228", "431200", "430111", "420106", "440305", ""]
HOME = ["431202", "431228", "431281", "431200"]


@st.composite
def placed_graphs(draw: st.DrawFn) -> nx.MultiDiGraph:
    G = draw(supply_graphs())
    for _, data in G.nodes(data=True):
        valued = data.get("is_enterprise") or data.get("kind") == "project"
        data["adcode"] = draw(st.sampled_from(HOME if valued else CODES))
    return G


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(placed_graphs())
def test_region_totals_sum_to_the_blocked_total_less_unknown(G: nx.MultiDiGraph) -> None:
    result = analyze(from_networkx(G), settings=SETTINGS)
    found = regional_distribution(result)
    placed = sum(float(t["value"].sum()) for t in (found.provinces, found.cities, found.counties))
    total = float(result.blocked["recovered_value"].sum())
    scale = max(1.0, total)
    assert placed == pytest.approx(total - found.unknown_value, abs=1e-9 * scale)
    counted = sum(int(t["suppliers"].sum()) for t in (found.provinces, found.cities, found.counties))
    assert counted == len(result.blocked) - found.unknown_suppliers
    # Every valued entity is in the home city: a placed supplier's flows are its whole value.
    assert float(found.flows["value"].sum()) == pytest.approx(placed, abs=1e-6 * scale)
