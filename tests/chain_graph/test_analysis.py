"""Hand-computed answers for every definition of the analysis spec."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from chain_graph.analysis import (
    availability,
    blocked,
    exposure,
    losses,
    rank_blocked,
    recovery,
    restoration_order,
    single_source,
    starved,
)
from chain_graph.graph import from_networkx
from tests.defaults import SETTINGS


def _graph(
    nodes: dict[str, dict[str, object]], edges: list[tuple[str, str, str, dict[str, object]]]
) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    for node, attrs in nodes.items():
        G.add_node(node, **attrs)
    for s, b, m, attrs in edges:
        G.add_edge(s, b, key=m, **attrs)
    return G


def _ids(G: nx.MultiDiGraph, positions: np.ndarray) -> list[str]:
    g = from_networkx(G)
    return [str(x) for x in g.ids[positions]]


@pytest.fixture
def three_tiers() -> nx.MultiDiGraph:
    # T3 (stopped) -50%-> T2 -100%-> T1 -80%-> E (output 1000)
    return _graph(
        {
            "T3": {"capacity": 0.0, "recovery_days": 30},
            "T2": {},
            "T1": {},
            "E": {"is_enterprise": True, "output_value": 1000.0},
        },
        [
            ("T3", "T2", "铸件", {"w": 0.5, "stock_days": 12}),
            ("T2", "T1", "轴承", {"w": 1.0, "stock_days": 3}),
            ("T1", "E", "整机", {"w": 0.8}),
        ],
    )


def test_three_tier_chain(three_tiers: nx.MultiDiGraph) -> None:
    a = availability(three_tiers)
    # T2: 1 − 0.5·1 = 0.5; T1: 1 − 1·0.5 = 0.5; E: 1 − 0.8·0.5 = 0.6
    assert a.to_dict() == pytest.approx({"T3": 0.0, "T2": 0.5, "T1": 0.5, "E": 0.6})
    assert losses(three_tiers).output == pytest.approx(400.0)
    assert _ids(three_tiers, blocked(three_tiers, threshold=0.9)) == ["T3"]
    assert _ids(three_tiers, starved(three_tiers, threshold=0.9)) == ["T2", "T1", "E"]
    [row] = recovery(three_tiers, blocked(three_tiers, threshold=0.9)).to_dict("records")
    assert row["recovered_value"] == pytest.approx(400.0)
    assert row["recovered_output"] == pytest.approx(400.0)
    assert row["recovered_investment"] == 0.0
    assert row["affected"] == ["E"]  # only enterprises and projects are listed
    assert row["days_to_impact"] == 12  # T3's own outgoing link, not T2's
    assert row["inventory_covers"] is False  # 30 days to recover > 12 days of stock


@pytest.fixture
def shared_material() -> nx.MultiDiGraph:
    # S1 (partial, 50 %) covers 60 % of E's steel, S2 (stopped) 30 %, 10 % comes from outside.
    return _graph(
        {
            "S1": {"capacity": 0.5},
            "S2": {"capacity": 0.0, "recovery_days": 5},
            "E": {"is_enterprise": True, "output_value": 100.0},
        },
        [("S1", "E", "钢材", {"w": 0.6}), ("S2", "E", "钢材", {"w": 0.3, "stock_days": 7})],
    )


def test_two_suppliers_share_one_material(shared_material: nx.MultiDiGraph) -> None:
    # A = 1 − 0.6·0.5 − 0.3·1 = 0.4
    assert availability(shared_material)["E"] == pytest.approx(0.4)
    table = recovery(shared_material, blocked(shared_material, threshold=0.9))
    # Restoring either gives A = 0.7: 30 万元 each, a tie.
    assert table["recovered_value"].tolist() == pytest.approx([30.0, 30.0])
    ranked = rank_blocked(table)
    # Tie on value: known days to impact (S2: 7) before unknown (S1).
    assert ranked["id"].tolist() == ["S2", "S1"]
    assert ranked["rank"].tolist() == [1, 2]
    assert ranked["inventory_covers"].tolist() == [True, None]


def test_restoration_order_breaks_ties_by_id(shared_material: nx.MultiDiGraph) -> None:
    g = from_networkx(shared_material)
    order = restoration_order(g, blocked(g, threshold=0.9))
    assert order.to_dict("records") == [
        {"id": "S1", "marginal_value": pytest.approx(30.0), "cumulative_value": pytest.approx(30.0)},
        {"id": "S2", "marginal_value": pytest.approx(30.0), "cumulative_value": pytest.approx(60.0)},
    ]


def test_restoration_order_prefers_the_bigger_marginal_gain() -> None:
    # Both A and B feed E's only material 50/50; C alone feeds project P.
    G = _graph(
        {
            "A": {"capacity": 0.0},
            "B": {"capacity": 0.0},
            "C": {"capacity": 0.0},
            "E": {"is_enterprise": True, "output_value": 100.0},
            "P": {"kind": "project", "annual_plan": 60.0},
        },
        [("A", "E", "x", {"w": 0.5}), ("B", "E", "x", {"w": 0.5}), ("C", "P", "y", {"w": 1.0})],
    )
    g = from_networkx(G)
    order = restoration_order(g, blocked(g, threshold=0.9)).to_dict("records")
    # Alone: A 50, B 50, C 60. C first (60), then A (50, tie with B to the smaller id), then B.
    assert [r["id"] for r in order] == ["C", "A", "B"]
    assert [r["marginal_value"] for r in order] == pytest.approx([60.0, 50.0, 50.0])
    assert order[-1]["cumulative_value"] == pytest.approx(160.0)


def test_non_critical_link_never_lowers_availability() -> None:
    G = _graph(
        {"X": {"capacity": 0.0}, "E": {"is_enterprise": True, "output_value": 10.0}},
        [("X", "E", "包装", {"w": 1.0, "critical": False, "stock_days": 2})],
    )
    assert availability(G)["E"] == 1.0
    [row] = recovery(G, blocked(G, threshold=0.9)).to_dict("records")
    assert row["id"] == "X"  # still blocked: it has an outgoing link
    assert row["recovered_value"] == 0.0
    assert row["affected"] == []
    assert row["days_to_impact"] is None  # only critical links count
    assert row["inventory_covers"] is None


def test_cycle_with_a_stopped_feeder() -> None:
    # X (stopped) covers half of A's r; A and B cover half of each other's p and q.
    G = _graph(
        {"X": {"capacity": 0.0}, "A": {}, "B": {"is_enterprise": True, "output_value": 100.0}},
        [("X", "A", "r", {"w": 0.5}), ("A", "B", "p", {"w": 0.5}), ("B", "A", "q", {"w": 0.5})],
    )
    # a(A) = min(1 − 0.5, 1 − 0.5(1 − a(B))), a(B) = 1 − 0.5(1 − a(A)) → a(A) = 0.5, a(B) = 0.75
    assert availability(G).to_dict() == pytest.approx({"X": 0.0, "A": 0.5, "B": 0.75})
    [row] = recovery(G, blocked(G, threshold=0.9)).to_dict("records")
    assert row["recovered_value"] == pytest.approx(25.0)


def test_cycle_of_full_mutual_dependence_stays_up() -> None:
    # The greatest fixed point: two firms that need each other fully, both running, stay at 1.
    G = _graph(
        {"A": {}, "B": {"is_enterprise": True, "output_value": 1.0}},
        [("A", "B", "p", {"w": 1.0}), ("B", "A", "q", {"w": 1.0})],
    )
    assert availability(G).to_dict() == {"A": 1.0, "B": 1.0}


def test_cycle_of_stopped_suppliers_restored_together() -> None:
    # A and B are both stopped and need each other fully: restoring one alone helps nothing.
    G = _graph(
        {"A": {"capacity": 0.0}, "B": {"capacity": 0.0}, "E": {"is_enterprise": True, "output_value": 10.0}},
        [("A", "B", "p", {"w": 1.0}), ("B", "A", "q", {"w": 1.0}), ("A", "E", "m", {"w": 1.0})],
    )
    g = from_networkx(G)
    assert recovery(g, blocked(g, threshold=0.9))["recovered_value"].tolist() == [0.0, 0.0]
    order = restoration_order(g, blocked(g, threshold=0.9)).to_dict("records")
    assert [r["marginal_value"] for r in order] == pytest.approx([0.0, 10.0])


def test_restoring_a_stopped_member_of_a_self_sustaining_pair_lifts_both() -> None:
    # A (stopped) and B take all of a material from each other: a(A) = a(B) = 0. With A
    # restored, "both running" is consistent again and is the greatest fixed point, though
    # rising from the current values would stay at 0.
    G = _graph(
        {"A": {"capacity": 0.0}, "B": {"is_enterprise": True, "output_value": 10.0}},
        [("A", "B", "p", {"w": 1.0}), ("B", "A", "q", {"w": 1.0})],
    )
    assert availability(G).to_dict() == {"A": 0.0, "B": 0.0}
    [row] = recovery(G, blocked(G, threshold=0.9)).to_dict("records")
    assert row["recovered_value"] == pytest.approx(10.0)
    assert row["affected"] == ["B"]


def test_restoring_a_member_of_a_ring_with_outside_supply() -> None:
    # A (c = 0.5) and B take 60 % of a material from each other and 40 % from S, U (running):
    # no self-sustaining core, so the rise is walked up from the current values.
    # Now: a(A) = 0.5, a(B) = 1 − 0.6·0.5 = 0.7. A restored: a(A) = 1 − 0.6(1 − a(B)),
    # a(B) = 1 − 0.6(1 − a(A)) → both 1.
    G = _graph(
        {"A": {"capacity": 0.5}, "B": {"is_enterprise": True, "output_value": 100.0}, "S": {}, "U": {}},
        [
            ("A", "B", "p", {"w": 0.6}),
            ("S", "B", "p", {"w": 0.4}),
            ("B", "A", "q", {"w": 0.6}),
            ("U", "A", "q", {"w": 0.4}),
        ],
    )
    assert availability(G).to_dict() == pytest.approx({"A": 0.5, "B": 0.7, "S": 1.0, "U": 1.0})
    [row] = recovery(G, blocked(G, threshold=0.9)).to_dict("records")
    assert row["recovered_value"] == pytest.approx(30.0)


def test_supplier_that_is_also_a_key_enterprise() -> None:
    G = _graph(
        {
            "K": {"is_enterprise": True, "output_value": 500.0, "capacity": 0.5},
            "E": {"is_enterprise": True, "output_value": 1000.0},
        },
        [("K", "E", "电机", {"w": 1.0})],
    )
    assert losses(G).output == pytest.approx(500 * 0.5 + 1000 * 0.5)
    [row] = recovery(G, blocked(G, threshold=0.9)).to_dict("records")
    assert row["recovered_value"] == pytest.approx(750.0)
    assert row["affected"] == ["E", "K"]  # equal gains, by id; K's own output counts


def test_blocked_firm_with_no_key_node_downstream() -> None:
    G = _graph({"Z": {"capacity": 0.0}, "Y": {}}, [("Z", "Y", "螺丝", {"w": 1.0})])
    [row] = recovery(G, blocked(G, threshold=0.9)).to_dict("records")
    assert row["recovered_value"] == 0.0
    assert row["affected"] == []
    assert _ids(G, starved(G, threshold=0.9)) == ["Y"]


def test_projects_lose_investment() -> None:
    G = _graph(
        {"S": {"capacity": 0.2}, "P": {"kind": "project", "annual_plan": 300.0}},
        [("S", "P", "水泥", {"w": 0.5})],
    )
    # A = 1 − 0.5·0.8 = 0.6 → investment at risk 300·0.4 = 120
    assert losses(G).investment == pytest.approx(120.0)
    [row] = recovery(G, blocked(G, threshold=0.9)).to_dict("records")
    assert row["recovered_investment"] == pytest.approx(120.0)
    assert row["recovered_output"] == 0.0


def test_exposure_counts_the_firm_itself_and_its_cone(three_tiers: nx.MultiDiGraph) -> None:
    top = exposure(three_tiers, top=2).to_dict("records")
    # T1 stopped: E = 1 − 0.8 = 0.2 → 800 at risk, +400; T2 stopped: T1 = 0, E = 0.2, +400;
    # T3 is stopped already (+0); E supplies no one, so it is not a candidate.
    assert top == [
        {"id": "T1", "value_at_risk_if_stopped": pytest.approx(400.0)},
        {"id": "T2", "value_at_risk_if_stopped": pytest.approx(400.0)},
    ]


def test_single_source_threshold_and_critical_only() -> None:
    G = _graph(
        {"A": {}, "B": {}, "E": {}},
        [
            ("A", "E", "x", {"w": 0.8}),
            ("B", "E", "y", {"w": 0.79}),
            ("B", "E", "z", {"w": 0.95, "critical": False}),
        ],
    )
    assert single_source(G, threshold=0.8).to_dict("records") == [
        {"buyer_id": "E", "material": "x", "supplier_id": "A", "share": 80.0}
    ]


def test_unknown_output_and_plan_weigh_nothing() -> None:
    """A ledger without the output or plan column: the values are unknown, not NaN weights.

    Found by the ingest fuzzer: a renamed header left every output NaN and the restoration
    order failed on NaN losses.
    """
    import numpy as np
    import pandas as pd

    from chain_graph.gaps import analyze
    from chain_graph.model import LedgerTables

    firms = pd.DataFrame(
        {
            "id": ["E0", "S1"],
            "name": ["甲", "乙"],
            "status": ["normal", "stopped"],
            "is_enterprise": [True, False],
            "is_supplier": [False, True],
        }
    )
    projects = pd.DataFrame({"id": ["P0"], "name": ["项目"]})
    links = pd.DataFrame(
        {
            "supplier_id": ["S1", "E0"],
            "buyer_id": ["E0", "P0"],
            "material": ["钢", "机"],
            "share": [100.0, 100.0],
            "critical": [True, True],
        }
    )
    result = analyze(LedgerTables.from_frames(firms=firms, projects=projects, links=links), settings=SETTINGS)
    assert (result.losses.output, result.losses.investment) == (0.0, 0.0)
    assert list(result.blocked["id"]) == ["S1"]
    assert np.isfinite(result.restoration_order["cumulative_value"]).all()


@pytest.mark.parametrize(
    ("values", "first"),
    [
        ((10.0, 10.0 + 0.9e-6), "A"),  # within 1e-6: a tie, so the sooner stock-out (A) ranks first
        ((10.0, 10.0 + 1.1e-6), "B"),  # beyond it: the larger value ranks first
        ((1.0000004, 1.0000006), "A"),  # a tie, though rounding to 6 decimals would split them
        ((1.0000014, 1.0000006), "A"),  # within 1e-6 again, where rounding would make them equal
    ],
)
def test_recovered_values_within_1e_6_are_ties(values: tuple[float, float], first: str) -> None:
    table = pd.DataFrame({"id": ["A", "B"], "recovered_value": list(values), "days_to_impact": [2, 5]})
    assert rank_blocked(table)["id"].tolist()[0] == first


def test_ties_do_not_chain() -> None:
    # Each step is within 1e-6, but C is 1.2e-6 below A: A and B tie, C ranks after them.
    table = pd.DataFrame(
        {
            "id": ["A", "B", "C"],
            "recovered_value": [5.0, 5.0 - 0.6e-6, 5.0 - 1.2e-6],
            "days_to_impact": [9, 1, 0],
        }
    )
    assert rank_blocked(table)["id"].tolist() == ["B", "A", "C"]


def test_recovery_gains_follow_affected(three_tiers: nx.MultiDiGraph) -> None:
    # T3 stopped: T2 = T1 = 0.5, E = 1 − 0.8·0.5 = 0.6. Restored: E = 1, a rise of 0.4;
    # T2 and T1 rise too but carry no value, so only E is affected.
    [row] = recovery(three_tiers, blocked(three_tiers, threshold=0.9)).to_dict("records")
    assert row["affected"] == ["E"]
    assert row["gains"] == pytest.approx([0.4])
    assert row["recovered_value"] == pytest.approx(1000.0 * 0.4)


def test_single_source_columns_are_text_even_when_empty() -> None:
    """Found in review: an empty result's id columns came out as objects, not text."""
    graph = from_networkx(_graph({"A": {}, "E": {}}, [("A", "E", "x", {"w": 0.8})]))
    empty, found = single_source(graph, threshold=1.5), single_source(graph, threshold=0.8)
    assert empty.empty
    assert len(found) == 1
    for column in ("buyer_id", "material", "supplier_id"):
        assert empty[column].dtype == found[column].dtype
        assert pd.api.types.is_string_dtype(empty[column])
