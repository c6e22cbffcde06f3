"""Substitute suppliers: hand-computed rankings and the gain against a full recomputation."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from chain_graph.analysis import blocked
from chain_graph.graph import SupplyGraph, from_networkx
from chain_graph.substitutes import substitutes
from tests.chain_graph.oracle import naive_availability, naive_value_at_risk
from tests.chain_graph.test_analysis_properties import PROPERTY, cyclic_graphs, supply_graphs

THRESHOLD = 0.9


def _local(g: SupplyGraph) -> np.ndarray:
    return np.full(g.n, "local", dtype=object)


def _ranked(
    G: nx.MultiDiGraph, supplier: str, *, scope: dict[str, str] | None = None, top: int = 5
) -> pd.DataFrame:
    g = from_networkx(G)
    scopes = np.array([(scope or {}).get(str(v), "local") for v in g.ids], dtype=object)
    return substitutes(g, g.index_of([supplier]), threshold=THRESHOLD, top=top, scope=scopes)


def _moved_gain(G: nx.MultiDiGraph, supplier: str, buyer: str, material: str, to: str) -> float:
    """Value at risk now minus after the move, by the naive oracle on a rebuilt networkx graph."""
    before = naive_value_at_risk(G, naive_availability(G))
    H = G.copy()
    data = dict(H.edges[supplier, buyer, material])
    H.remove_edge(supplier, buyer, key=material)
    H.add_edge(to, buyer, key=f"{material}←{supplier}", **(data | {"material": material}))
    return before - naive_value_at_risk(H, naive_availability(H))


def test_ranking_is_scope_then_gain_then_buyers_then_id() -> None:
    # S (stopped) supplies 50 % of E's steel. Candidates: A, B local (A supplies 2 buyers,
    # B 1), C in province with a higher gain, D local at half availability, Z local like A.
    G = nx.MultiDiGraph()
    G.add_node("S", capacity=0.0)
    G.add_node("E", is_enterprise=True, output_value=100.0)
    G.add_node("Half", capacity=0.5)
    for v in ("A", "B", "C", "D", "Z"):
        G.add_node(v)
    for v in ("F1", "F2"):
        G.add_node(v, is_enterprise=True, output_value=1.0)
    G.add_edge("S", "E", key="钢", w=0.5)
    G.add_edge("A", "F1", key="钢", w=0.2)
    G.add_edge("A", "F2", key="钢", w=0.2)
    G.add_edge("Z", "F1", key="钢", w=0.2)
    G.add_edge("Z", "F2", key="钢", w=0.2)
    G.add_edge("B", "F1", key="钢", w=0.2)
    G.add_edge("C", "F2", key="钢", w=0.2)
    G.add_edge("D", "F1", key="钢", w=0.2)
    G.add_edge("Half", "D", key="矿", w=1.0)
    t = _ranked(G, "S", scope={"C": "in_province"})
    # local first: A and Z (gain 50, two buyers each; A before Z by id), B (50, one buyer),
    # D (a = 0.5: E's steel deficit 0.25 → gain 25); then C in province (gain 50).
    assert t["candidate_id"].tolist() == ["A", "Z", "B", "D", "C"]
    assert t["gain"].round(9).tolist() == [50.0, 50.0, 50.0, 25.0, 50.0]
    assert t["buyers"].tolist() == [2, 2, 1, 1, 1]
    assert t["rank"].tolist() == [1, 2, 3, 4, 5]
    assert _ranked(G, "S", scope={"C": "in_province"}, top=2)["candidate_id"].tolist() == ["A", "Z"]


def test_the_buyer_and_the_supplier_itself_are_not_candidates() -> None:
    # E makes steel too (for F), but for the link S → E it is the buyer: not a candidate
    # there. S supplies steel to T as well: never its own substitute.
    G = nx.MultiDiGraph()
    G.add_node("S", capacity=0.0)
    G.add_node("E", is_enterprise=True, output_value=10.0)
    G.add_edge("S", "E", key="钢")
    G.add_edge("S", "T", key="钢")
    G.add_edge("E", "F", key="钢")
    G.add_edge("U", "F", key="钢", w=0.0)
    t = _ranked(G, "S")
    assert set(t.loc[t["buyer_id"] == "E", "candidate_id"]) == {"U"}
    assert set(t.loc[t["buyer_id"] == "T", "candidate_id"]) == {"E", "U"}  # E is not T's buyer


def test_a_stopped_firm_is_not_a_candidate_but_a_starved_one_is_with_its_availability() -> None:
    G = nx.MultiDiGraph()
    G.add_node("S", capacity=0.0)
    G.add_node("X", capacity=0.89)  # own capacity below the threshold: not a candidate
    G.add_node("Y", capacity=0.95)
    G.add_node("M", capacity=0.2)
    G.add_node("E", is_enterprise=True, output_value=1000.0)
    G.add_edge("S", "E", key="钢", w=0.8)
    G.add_edge("X", "F", key="钢")
    G.add_edge("Y", "F", key="钢")
    G.add_edge("M", "Y", key="矿", w=0.5)  # a(Y) = min(0.95, 1 − 0.5·0.8) = 0.6
    t = _ranked(G, "S")
    assert t["candidate_id"].tolist() == ["Y"]
    assert t.loc[0, "availability"] == 0.6
    # E: deficit 0.8 → 0.8·(1 − 0.6) = 0.32, a(E) 0.2 → 0.68: gain 480
    assert round(float(t["gain"].iloc[0]), 9) == 480.0


def test_a_candidate_downstream_of_the_buyer_closes_a_self_sustaining_cycle() -> None:
    # S (stopped) is E's only steel supplier; Y makes steel for P but takes all of its parts
    # from E. Today E and Y are both at 0. Moving E's steel to Y closes the cycle E ⇄ Y,
    # whose greatest fixed point is everything running: the gain is E's and P's whole value.
    G = nx.MultiDiGraph()
    G.add_node("S", capacity=0.0)
    G.add_node("E", is_enterprise=True, output_value=100.0)
    G.add_node("P", kind="project", annual_plan=50.0)
    G.add_edge("S", "E", key="钢", w=1.0)
    G.add_edge("E", "Y", key="零件", w=1.0)
    G.add_edge("Y", "P", key="钢", w=1.0)
    t = _ranked(G, "S")
    assert t["candidate_id"].tolist() == ["Y"]
    assert round(float(t["gain"].iloc[0]), 9) == 150.0
    assert round(_moved_gain(G, "S", "E", "钢", "Y"), 9) == 150.0


def test_a_buyer_on_a_cycle_is_solved_exactly() -> None:
    G = nx.MultiDiGraph()
    G.add_node("S", capacity=0.0)
    G.add_node("B", is_enterprise=True, output_value=100.0)
    G.add_node("C", is_enterprise=True, output_value=10.0)
    G.add_node("Y")
    G.add_edge("S", "B", key="钢", w=0.6)
    G.add_edge("B", "C", key="件", w=0.5)
    G.add_edge("C", "B", key="件", w=0.5)
    G.add_edge("Y", "Q", key="钢", w=1.0)
    t = _ranked(G, "S")
    assert round(float(t["gain"].iloc[0]), 6) == round(_moved_gain(G, "S", "B", "钢", "Y"), 6)
    assert float(t["gain"].iloc[0]) > 0


def test_two_spellings_of_one_material_find_each_other() -> None:
    G = nx.MultiDiGraph()
    G.add_node("S", capacity=0.0)
    G.add_node("E", is_enterprise=True, output_value=10.0)
    G.add_edge("S", "E", key="Ｑ235 钢板")
    G.add_edge("U", "F", key="q235钢板")
    assert _ranked(G, "S")["candidate_id"].tolist() == ["U"]


def test_a_link_that_is_not_critical_gains_nothing() -> None:
    G = nx.MultiDiGraph()
    G.add_node("S", capacity=0.0)
    G.add_node("E", is_enterprise=True, output_value=10.0)
    G.add_edge("S", "E", key="漆", critical=False)
    G.add_edge("U", "F", key="漆")
    t = _ranked(G, "S")
    assert t["candidate_id"].tolist() == ["U"]
    assert t["gain"].tolist() == [0.0]


def _check_against_oracle(G: nx.MultiDiGraph, top: int) -> None:
    g = from_networkx(G)
    stuck = blocked(g, threshold=THRESHOLD)
    t = substitutes(g, stuck, threshold=THRESHOLD, top=top, scope=_local(g))
    capacity = dict(zip(g.ids.astype(str), g.capacity, strict=True))
    for key, part in t.groupby(["supplier_id", "buyer_id", "material"]):
        supplier, buyer, material = (str(k) for k in key)
        makers = sorted(
            {
                s
                for s, _, key in G.edges(keys=True)
                if key == material and s not in (supplier, buyer) and capacity[s] >= THRESHOLD - 1e-12
            }
        )
        gains = {y: _moved_gain(G, supplier, buyer, material, y) for y in makers}
        buyers = {y: len({b for s, b, k in G.edges(keys=True) if s == y and k == material}) for y in makers}
        ranked = sorted(makers, key=lambda y: (-round(gains[y], 6), -buyers[y], y))[:top]
        assert len(part) == len(ranked)
        got = zip(part["candidate_id"].tolist(), part["gain"].tolist(), strict=True)
        for (candidate, gain), y in zip(got, ranked, strict=True):
            assert abs(gain - gains[candidate]) < 1e-6, (candidate, gains)
            assert abs(gains[y] - gain) < 1e-6  # the same ranking, up to equal gains


@PROPERTY
@given(supply_graphs(), st.integers(1, 3))
def test_gains_and_ranking_match_a_full_recomputation(G: nx.MultiDiGraph, top: int) -> None:
    _check_against_oracle(G, top)


@PROPERTY
@given(cyclic_graphs(), st.integers(1, 3))
def test_gains_on_cycles_match_a_full_recomputation(G: nx.MultiDiGraph, top: int) -> None:
    _check_against_oracle(G, top)


@PROPERTY
@given(supply_graphs())
def test_moving_a_link_to_a_fully_available_candidate_lowers_no_availability(G: nx.MultiDiGraph) -> None:
    g = from_networkx(G)
    base = g.base_availability
    for link in range(len(g.src)):
        for y in np.flatnonzero((base >= 1.0) & ~g.is_project):
            if y in (g.src[link], g.dst[link]):
                continue
            moved = g.with_sources(np.array([link]), np.array([y]))
            assert (moved.base_availability >= base - 1e-9).all()


def test_no_blocked_supplier_means_no_rows() -> None:
    G = nx.MultiDiGraph([("S", "E", "钢")])
    g = from_networkx(G)
    assert substitutes(g, [], threshold=THRESHOLD, top=5, scope=_local(g)).empty


@PROPERTY
@given(supply_graphs(), st.data())
def test_some_suppliers_alone_get_the_rows_the_whole_batch_gives_them(
    G: nx.MultiDiGraph, data: st.DataObject
) -> None:
    """A link's candidates depend on the graph and that link only: any subset ranks the same."""
    g = from_networkx(G)
    stuck = blocked(g, threshold=THRESHOLD)
    whole = substitutes(g, stuck, threshold=THRESHOLD, top=3, scope=_local(g))
    some = data.draw(st.lists(st.sampled_from(stuck.tolist()), unique=True) if len(stuck) else st.just([]))
    alone = substitutes(g, np.array(some, dtype=np.int64), threshold=THRESHOLD, top=3, scope=_local(g))
    ids = set(g.ids[some].astype(str).tolist())
    expected = whole[whole["supplier_id"].astype(str).isin(ids)]
    if expected.empty:
        assert alone.empty
        return
    key = ["supplier_id", "buyer_id", "material", "rank"]
    pd.testing.assert_frame_equal(
        alone.sort_values(key).reset_index(drop=True), expected.sort_values(key).reset_index(drop=True)
    )


@PROPERTY
@given(supply_graphs())
def test_links_ranked_in_small_batches_get_the_same_rows(G: nx.MultiDiGraph) -> None:
    """Batches only bound memory: the rows do not depend on how the links are cut."""
    from unittest import mock

    import chain_graph.substitutes as module

    g = from_networkx(G)
    stuck = blocked(g, threshold=THRESHOLD)
    whole = substitutes(g, stuck, threshold=THRESHOLD, top=3, scope=_local(g))
    with mock.patch.object(module, "_LINKS", (2, 2)):
        batched = substitutes(g, stuck, threshold=THRESHOLD, top=3, scope=_local(g))
    pd.testing.assert_frame_equal(batched, whole)
