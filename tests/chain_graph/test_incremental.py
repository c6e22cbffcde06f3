"""Incremental re-analysis: hand-computed updates, and equality with a full analysis on random changes."""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain_graph.analysis import example_graph
from chain_graph.gaps import GapAnalysis, analyze
from chain_graph.graph import SupplyGraph, from_networkx
from chain_graph.incremental import ancestors, changed_nodes, descendants, update
from chain_graph.propagation import evaluate, reevaluate
from tests.chain_graph.test_analysis_properties import cyclic_graphs, supply_graphs
from tests.defaults import SETTINGS
from tests.fuzzing import examples


def _with(g: SupplyGraph, **capacities: float) -> SupplyGraph:
    capacity = g.capacity.copy()
    for node, value in capacities.items():
        capacity[g.index[node]] = value
    return g.with_capacity(capacity)


@pytest.fixture
def example() -> GapAnalysis:
    """The example graph's analysis with every lazy figure computed (so an update may reuse them)."""
    found = analyze(from_networkx(example_graph()), settings=SETTINGS)
    _ = found.restoration_order, found.exposure
    return found


def test_stopping_the_other_supplier_blocks_both(example: GapAnalysis) -> None:
    # U stops: E gets none of its steel (a = 0), so P gets no equipment: 1000 + 500 at risk.
    # Restoring S alone gives E 1 − 0.4 = 0.6 (900 万元 back), U alone 1 − 0.6 = 0.4 (600).
    after = update(example, _with(example.graph, U=0.0))
    assert after.availability() == {"S": 0.0, "U": 0.0, "E": 0.0, "P": 0.0}
    assert after.summary()["value_at_risk"] == 1500.0
    rows = after.blocked[["rank", "id", "recovered_value"]].to_dict("records")
    assert rows == [
        {"rank": 1, "id": "S", "recovered_value": pytest.approx(900.0)},
        {"rank": 2, "id": "U", "recovered_value": pytest.approx(600.0)},
    ]
    assert after.blocked.loc[1, "affected"] == ["E", "P"]
    assert after.starved == ["E"]


def test_a_report_of_full_capacity_clears_the_analysis(example: GapAnalysis) -> None:
    after = update(example, _with(example.graph, S=1.0))
    assert after.summary() == {
        "firms": 3,
        "projects": 1,
        "links": 3,
        "blocked": 0,
        "output_at_risk": 0.0,
        "investment_at_risk": 0.0,
        "value_at_risk": 0.0,
    }
    assert after.restoration_order.empty
    # Stopping E cuts E and P off (1500); S leaves E 1 − 0.6 = 0.4 (0.6 · 1500), U 0.6 (0.4 · 1500).
    exposure = after.exposure.round(6).to_dict("list")
    assert exposure == {"id": ["E", "S", "U"], "value_at_risk_if_stopped": [1500.0, 900.0, 600.0]}


def test_new_recovery_days_change_whether_the_stock_covers(example: GapAnalysis) -> None:
    # S recovers in 3 days now, E holds 5 days of its steel: the stock covers the stop.
    recovery = example.graph.recovery_days.copy()
    recovery[example.graph.index["S"]] = 3.0
    fields = {name: getattr(example.graph, name) for name in example.graph.__dataclass_fields__}
    after = update(example, SupplyGraph(**fields | {"recovery_days": recovery}))
    assert example.blocked.loc[0, "inventory_covers"] is False
    assert after.blocked.loc[0, "inventory_covers"] is True
    assert after.availability() == example.availability()


def _two_chains() -> nx.MultiDiGraph:
    """The example graph beside a separate chain V → F (enterprise, output 200)."""
    G = example_graph()
    G.add_node("V", capacity=1.0)
    G.add_node("F", is_enterprise=True, output_value=200.0)
    G.add_edge("V", "F", key="铝", w=1.0)
    return G


def test_a_change_outside_the_candidates_cones_keeps_the_restoration_order() -> None:
    before = analyze(from_networkx(_two_chains()), settings=SETTINGS)
    _ = before.restoration_order
    after = update(before, _with(before.graph, V=0.95))  # not blocked: the candidates stay {S}
    assert after.known_restoration is before.restoration_order
    assert after.summary()["value_at_risk"] == pytest.approx(900.0 + 200.0 * 0.05)


def test_a_newly_blocked_supplier_is_ranked_and_the_order_computed_again() -> None:
    before = analyze(from_networkx(_two_chains()), settings=SETTINGS)
    _ = before.restoration_order
    after = update(before, _with(before.graph, V=0.5))
    assert after.known_restoration is None
    assert after.blocked[["id", "recovered_value"]].to_dict("records") == [
        {"id": "S", "recovered_value": pytest.approx(900.0)},
        {"id": "V", "recovered_value": pytest.approx(100.0)},
    ]
    assert after.restoration_order["id"].tolist() == ["S", "V"]


def test_exposure_outside_the_reach_is_taken_not_evaluated() -> None:
    before = analyze(from_networkx(_two_chains()), settings=SETTINGS)
    _ = before.exposure
    after = update(before, _with(before.graph, V=0.95))
    known = after.known_exposure
    assert known is not None
    g = after.graph
    assert np.isnan(known[g.index_of(["V"])]).all()  # V's cone holds the change
    assert known[g.index_of(["S", "U", "E"])].tolist() == [0.0, 600.0, 600.0]


def test_ancestors_and_descendants_follow_critical_links_only() -> None:
    G = example_graph()
    G.add_node("T")
    G.add_edge("T", "E", key="漆", w=0.1, critical=False)
    g = from_networkx(G)
    assert g.ids[ancestors(g, g.index_of(["P"]))].tolist() == ["S", "U", "E", "P"]
    assert g.ids[descendants(g, g.index_of(["T"]))].tolist() == ["T"]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda G: G.nodes["S"].update(capacity=0.5), [0]),
        (lambda G: G.nodes["S"].update(recovery_days=3), [0]),
        (lambda G: G.nodes["E"].update(output_value=900.0), None),
        (lambda G: G.nodes["U"].update(name="新名称"), None),
        (lambda G: G.edges["S", "E", "钢"].update(w=0.5), None),
        (lambda G: G.add_edge("U", "P", key="钢", w=0.1), None),
    ],
)
def test_changed_nodes_or_none_when_more_than_capacities_changed(
    edit: Any, expected: list[int] | None
) -> None:
    G = example_graph()
    before = from_networkx(G)
    edit(G)
    found = changed_nodes(before, from_networkx(G))
    assert (found if found is None else found.tolist()) == expected


def test_an_update_refuses_a_graph_of_another_shape(example: GapAnalysis) -> None:
    G = example_graph()
    G.remove_edge("U", "E")
    with pytest.raises(ValueError, match="more than own capacities"):
        update(example, from_networkx(G))


def _close(a: Any, b: Any, path: str = "") -> None:
    """Assert the two JSON values equal: floats within 1e-9, everything else exactly."""
    if isinstance(a, dict):
        assert isinstance(b, dict)
        assert a.keys() == b.keys(), path
        for key in a:
            _close(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list)
        assert len(a) == len(b), path
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{path}[{k}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (
            path,
            a,
            b,
        )
    else:
        assert a == b, (path, a, b)


CHANGE = settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _changed(g: SupplyGraph, data: st.DataObject) -> SupplyGraph:
    """``g`` with a few firms' capacities and recovery days drawn anew."""
    firms = [str(x) for x in g.ids[~g.is_project]]
    if not firms:
        return g
    chosen = data.draw(st.lists(st.sampled_from(firms), max_size=3, unique=True))
    capacity, recovery = g.capacity.copy(), g.recovery_days.copy()
    for node in chosen:
        capacity[g.index[node]] = data.draw(st.sampled_from([0.0, 0.3, 0.5, 0.89, 0.9, 1.0]))
        recovery[g.index[node]] = data.draw(st.sampled_from([np.nan, 0.0, 7.0, 30.0]))
    fields = {name: getattr(g, name) for name in g.__dataclass_fields__}
    return SupplyGraph(**fields | {"capacity": capacity, "recovery_days": recovery})


@CHANGE
@given(supply_graphs(), st.data(), st.booleans())
def test_an_update_equals_the_full_analysis(G: nx.MultiDiGraph, data: st.DataObject, computed: bool) -> None:
    before = analyze(from_networkx(G), settings=SETTINGS)
    if computed:  # the lazy figures known before: the update reuses what the change misses
        _ = before.restoration_order, before.exposure
    after = _changed(before.graph, data)
    _close(update(before, after).to_json(), analyze(after, settings=SETTINGS).to_json())


@CHANGE
@given(supply_graphs(), st.data())
def test_updates_in_a_row_equal_the_full_analysis(G: nx.MultiDiGraph, data: st.DataObject) -> None:
    current = analyze(from_networkx(G), settings=SETTINGS)
    for _ in range(3):
        _ = current.restoration_order, current.exposure
        current = update(current, _changed(current.graph, data))
    _close(
        current.to_json(),
        analyze(current.graph.with_capacity(current.graph.capacity), settings=SETTINGS).to_json(),
    )


@CHANGE
@given(cyclic_graphs(), st.data())
def test_availability_on_cycles_is_the_full_evaluation_bit_for_bit(
    G: nx.MultiDiGraph, data: st.DataObject
) -> None:
    g = from_networkx(G)
    after = _changed(g, data)
    changed = changed_nodes(g, after)
    assert changed is not None
    got = reevaluate(after, g.structure, g.base_availability, changed)
    assert np.array_equal(got, evaluate(after, g.structure, [{}]).value)
