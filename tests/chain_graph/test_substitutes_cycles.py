"""Substitutes on cycles, hand-computed, and the helpers that make them fast."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain_graph.substitutes import _Memo, _Pool, _skyline
from tests.chain_graph.test_analysis_properties import PROPERTY
from tests.chain_graph.test_substitutes import _moved_gain, _ranked


def _ring_with_outside_supplier() -> nx.MultiDiGraph:
    # A ⇄ B is a cycle. Stopped S gives A half its steel; B gives A all its parts and takes
    # half of its own from A, half from Z. V (a = 1) and W (a = 0.5, its ore supplier at
    # half) make steel. Today a(A) = min(0.5, a(B)), a(B) = 0.5 + 0.5·a(A): A 0.5, B 0.75.
    G = nx.MultiDiGraph()
    G.add_node("S", capacity=0.0)
    G.add_node("A")
    G.add_node("B", is_enterprise=True, output_value=10.0)
    G.add_node("E", is_enterprise=True, output_value=100.0)
    G.add_node("M", capacity=0.5)
    G.add_node("W", capacity=0.95)
    G.add_edge("S", "A", key="钢", w=0.5)
    G.add_edge("B", "A", key="件", w=1.0)
    G.add_edge("A", "B", key="件", w=0.5)
    G.add_edge("Z", "B", key="件", w=0.5)
    G.add_edge("A", "E", key="件", w=1.0)
    G.add_edge("V", "F", key="钢", w=1.0)
    G.add_edge("W", "F", key="钢", w=1.0)
    G.add_edge("M", "W", key="矿", w=1.0)
    return G


def test_a_link_into_a_cycle_from_outside() -> None:
    # To V: A = min(1, B), B = 0.5 + 0.5·A → A = B = 1: E +50, B +2.5.
    # To W: A = min(0.75, B) → A 0.75, B 0.875: E +25, B +1.25.
    G = _ring_with_outside_supplier()
    t = _ranked(G, "S")
    assert t["candidate_id"].tolist() == ["V", "W"]
    assert t["gain"].round(9).tolist() == [52.5, 26.25]
    assert [round(_moved_gain(G, "S", "A", "钢", y), 9) for y in ("V", "W")] == [52.5, 26.25]


def test_a_link_from_a_member_of_the_cycle_to_another() -> None:
    # A (own capacity 0.5) gives B half its parts and takes all of its own from B: A 0.5,
    # B 0.75. Moving A → B to Z (a = 1) breaks the cycle: B 1, A stays at 0.5: B +25.
    G = nx.MultiDiGraph()
    G.add_node("A", capacity=0.5)
    G.add_node("B", is_enterprise=True, output_value=100.0)
    G.add_edge("B", "A", key="件", w=1.0)
    G.add_edge("A", "B", key="件", w=0.5)
    G.add_edge("Z", "B", key="件", w=0.5)
    t = _ranked(G, "A")
    assert t["candidate_id"].tolist() == ["Z"]
    assert round(float(t["gain"].iloc[0]), 9) == 25.0 == round(_moved_gain(G, "A", "B", "件", "Z"), 9)


def test_a_candidate_on_the_buyers_cycle_closes_a_self_sustaining_core() -> None:
    # A → B → C → A, each taking all its parts from the previous; A's own capacity is 0.5,
    # so all three are at 0.5. Moving A → B to C leaves the core B ⇄ C, which runs at 1:
    # B +50, C +5 (A stays at 0.5).
    G = nx.MultiDiGraph()
    G.add_node("A", capacity=0.5)
    G.add_node("B", is_enterprise=True, output_value=100.0)
    G.add_node("C", is_enterprise=True, output_value=10.0)
    G.add_edge("A", "B", key="件", w=1.0)
    G.add_edge("B", "C", key="件", w=1.0)
    G.add_edge("C", "A", key="件", w=1.0)
    t = _ranked(G, "A")
    assert t["candidate_id"].tolist() == ["C"]
    assert round(float(t["gain"].iloc[0]), 9) == 55.0 == round(_moved_gain(G, "A", "B", "件", "C"), 9)


def test_a_candidate_below_the_buyers_cycle_closes_a_new_cycle() -> None:
    # A ⇄ B (B takes all of A's parts, A half of B's, half from Z); stopped S gives A half its
    # steel: A = B = 0.5. Y (own capacity 0.9) takes half its parts from B and makes steel:
    # a(Y) = 0.75. Moving S → A to Y: A = 0.5 + 0.5·a(Y), a(Y) = min(0.9, 0.5 + 0.5·A): from
    # the top, Y 0.9 and A = B = 0.95: E (buying B's parts) +45.
    G = nx.MultiDiGraph()
    G.add_node("S", capacity=0.0)
    G.add_node("Y", capacity=0.9)
    G.add_node("E", is_enterprise=True, output_value=100.0)
    G.add_edge("S", "A", key="钢", w=0.5)
    G.add_edge("B", "A", key="件", w=0.5)
    G.add_edge("Z", "A", key="件", w=0.5)
    G.add_edge("A", "B", key="件", w=1.0)
    G.add_edge("B", "E", key="件", w=1.0)
    G.add_edge("B", "Y", key="件", w=0.5)
    G.add_edge("Z", "Y", key="件", w=0.5)
    G.add_edge("Y", "F", key="钢", w=1.0)
    t = _ranked(G, "S")
    assert t["candidate_id"].tolist() == ["Y"]
    assert t.loc[0, "availability"] == pytest.approx(0.75)
    assert round(float(t["gain"].iloc[0]), 9) == 45.0 == round(_moved_gain(G, "S", "A", "钢", "Y"), 9)


def _pool(key: list[str], node: list[int]) -> _Pool:
    """A pool of these (material, node) members, in the pool's order: by material, then node."""
    code, keys = pd.factorize(np.array(key, dtype=object), sort=True)
    order = np.lexsort((np.array(node, dtype=np.int64), code))
    size = len(key)
    zeros = np.zeros(size, dtype=np.int32)
    return _Pool(
        pd.Index(keys),
        code[order].astype(np.int32),
        np.array(node, dtype=np.int32)[order],
        zeros,
        zeros.astype(np.int8),
        np.ones(size, dtype=bool),
        10,
    )


def test_pool_members_are_found_by_material_and_node_in_query_order() -> None:
    pool = _pool(["钢", "钢", "件", "件"], [3, 7, 3, 5])
    owner, member = pool.members(
        np.array(["钢", "件", "漆", "钢"], dtype=object),
        [np.array([1, 3, 7]), np.array([5, 7]), np.array([3]), np.array([2, 4])],
    )
    found = [
        (i, pool.keys[pool.code[m]], int(pool.node[m]))
        for i, m in zip(owner.tolist(), member.tolist(), strict=True)
    ]
    assert found == [(0, "钢", 3), (0, "钢", 7), (1, "件", 5)]


def test_pool_makers_of_a_material() -> None:
    pool = _pool(["钢", "钢", "件", "件"], [7, 3, 5, 3])
    assert pool.nodes_of("钢").tolist() == [3, 7]
    assert pool.nodes_of("漆").tolist() == []
    assert pool.kept_makers("件")[0].tolist() == [3, 5]
    assert pool.kept_makers("件")[1].tolist() == [0, 1]


def test_pool_members_of_no_query_or_an_empty_pool() -> None:
    owner, member = _pool(["钢"], [3]).members(np.array([], dtype=object), [])
    assert owner.size == member.size == 0
    owner, member = _pool([], []).members(np.array(["钢"], dtype=object), [np.array([3])])
    assert owner.size == member.size == 0


def test_the_memo_returns_the_latest_gains_and_nan_where_unknown() -> None:
    memo = _Memo()
    memo.add(np.array([1, 2]), np.array([0.5, 0.5]), np.array([[1.0, 0.0], [2.0, 0.0]]))
    memo.add(np.array([1]), np.array([0.25]), np.array([[3.0, 1.0]]))
    found, gains = memo.get(np.array([1, 1, 2, 2]), np.array([0.25, 0.5, 0.5, 0.25]))
    assert found.tolist() == [True, True, True, False]
    memo.add(np.array([2]), np.array([0.5]), np.array([[4.0, 2.0]]))
    found_again, again = memo.get(np.array([2]), np.array([0.5]))
    assert gains[:3].tolist() == [[3.0, 1.0], [1.0, 0.0], [2.0, 0.0]]
    assert np.isnan(gains[3]).all()
    assert found_again.tolist() == [True]
    assert again.tolist() == [[4.0, 2.0]]


@PROPERTY
@given(
    st.lists(st.tuples(st.integers(0, 2), st.sampled_from([0.0, 0.5, 0.9, 1.0])), max_size=40),
    st.integers(1, 4),
    st.randoms(use_true_random=False),
)
def test_the_skyline_keeps_who_has_fewer_than_keep_above_in_its_class_and_above_it(
    members: list[tuple[int, float]], keep: int, random: object
) -> None:
    # Kept: fewer than `keep` of the same group and value with a smaller tiebreak, and fewer
    # than `keep` of the same group with a higher value and a smaller tiebreak.
    group = np.array([m[0] for m in members], dtype=np.int64)
    value = np.array([m[1] for m in members])
    tiebreak = np.arange(len(members))
    random.shuffle(tiebreak)  # type: ignore[attr-defined]
    expected = [
        sum(
            group[j] == group[i] and value[j] == value[i] and tiebreak[j] < tiebreak[i]
            for j in range(len(members))
        )
        < keep
        and sum(
            group[j] == group[i] and value[j] > value[i] and tiebreak[j] < tiebreak[i]
            for j in range(len(members))
        )
        < keep
        for i in range(len(members))
    ]
    assert _skyline(group, value, tiebreak, keep=keep).tolist() == expected
