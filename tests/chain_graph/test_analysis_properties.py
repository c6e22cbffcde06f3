"""Invariants of the analysis on random graphs (hypothesis), checked against a naive oracle."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chain_graph.analysis import (
    availability,
    blocked,
    exposure,
    losses,
    recovery,
    restoration_order,
)
from chain_graph.gaps import analyze
from chain_graph.graph import from_networkx
from tests.chain_graph.oracle import naive_availability, naive_value_at_risk
from tests.defaults import SETTINGS
from tests.fuzzing import examples

MATERIALS = ["a", "b", "c"]


@st.composite
def supply_graphs(draw: st.DrawFn, max_nodes: int = 9) -> nx.MultiDiGraph:
    n = draw(st.integers(2, max_nodes))
    G = nx.MultiDiGraph()
    for i in range(n):
        kind = draw(st.sampled_from(["firm", "firm", "enterprise", "project"]))
        attrs: dict[str, object] = {
            "capacity": draw(st.sampled_from([0.0, 0.3, 0.5, 0.89, 0.9, 1.0])),
            "recovery_days": draw(st.none() | st.integers(0, 30)),
        }
        if kind == "enterprise":
            attrs |= {"is_enterprise": True, "output_value": draw(st.floats(0, 1000))}
        if kind == "project":
            attrs = {"kind": "project", "annual_plan": draw(st.floats(0, 1000))}
        G.add_node(f"N{i}", **attrs)
    shares: dict[tuple[str, str], float] = {}
    for _ in range(draw(st.integers(0, 3 * n))):
        s, b = draw(st.sampled_from(list(G.nodes))), draw(st.sampled_from(list(G.nodes)))
        m = draw(st.sampled_from(MATERIALS))
        if s == b or G.nodes[s].get("kind") == "project" or G.has_edge(s, b, key=m):
            continue
        room = 1.0 - shares.get((b, m), 0.0)
        w = round(draw(st.floats(0.05, 1.0)) * room, 6)
        if w <= 0:
            continue
        shares[(b, m)] = shares.get((b, m), 0.0) + w
        G.add_edge(
            s,
            b,
            key=m,
            w=w,
            critical=draw(st.booleans() | st.just(True)),
            stock_days=draw(st.none() | st.integers(0, 20)),
        )
    return G


PROPERTY = settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cyclic_graphs(draw: st.DrawFn) -> nx.MultiDiGraph:
    """Rings of firms, each taking a material from the previous one, some wholly (closed
    groups: a self-sustaining core when the whole ring is), the rest from an outside
    supplier; chords between rings and key enterprises downstream."""
    G = nx.MultiDiGraph()
    rings = draw(st.integers(1, 2))
    for r in range(rings):
        size = draw(st.integers(1, 4))
        for i in range(size):
            G.add_node(f"R{r}{i}", capacity=draw(st.sampled_from([0.0, 0.5, 0.89, 1.0])))
        for i in range(size):
            share = draw(st.sampled_from([1.0, 1.0, 0.7, 0.4]))
            G.add_edge(f"R{r}{(i - 1) % size}", f"R{r}{i}", key="r", w=share)
            if share < 1.0 and draw(st.booleans()):
                G.add_node(f"X{r}{i}", capacity=draw(st.sampled_from([0.0, 0.5, 1.0])))
                G.add_edge(f"X{r}{i}", f"R{r}{i}", key="r", w=round(1.0 - share, 6))
        G.add_node(f"E{r}", is_enterprise=True, output_value=draw(st.floats(1, 1000)))
        G.add_edge(f"R{r}{draw(st.integers(0, size - 1))}", f"E{r}", key="m", w=1.0)
    if rings == 2 and draw(st.booleans()):
        G.add_edge("R00", "R10", key="chord", w=draw(st.sampled_from([0.3, 1.0])))
    return G


@PROPERTY
@given(cyclic_graphs())
def test_recovery_on_rings_matches_the_naive_fixed_point(G: nx.MultiDiGraph) -> None:
    # Restoring a firm on a ring raises the ring from below; where the ring is a
    # self-sustaining core the engine must restart it from the top instead.
    g = from_networkx(G)
    assert availability(g).to_dict() == pytest.approx(naive_availability(G), abs=1e-9)
    now = naive_value_at_risk(G, naive_availability(G))
    for row in recovery(g, blocked(g, threshold=0.9)).to_dict("records"):
        restored = naive_availability(G, {row["id"]: 1.0})
        assert row["recovered_value"] == pytest.approx(now - naive_value_at_risk(G, restored), abs=1e-6)
    order = restoration_order(g, blocked(g, threshold=0.9))
    everything = naive_availability(G, {str(g.ids[x]): 1.0 for x in blocked(g, threshold=0.9)})
    final = float(order["cumulative_value"].iloc[-1]) if len(order) else 0.0
    assert final == pytest.approx(now - naive_value_at_risk(G, everything), abs=1e-6)


def _rule_step(G: nx.MultiDiGraph, a: Mapping[Hashable, float]) -> dict[Hashable, float]:
    """One application of the availability rule (the spec's, as the oracle iterates it)."""
    step: dict[Hashable, float] = {}
    for v, d in G.nodes(data=True):
        need: dict[str, float] = {}
        for s, _, key, e in G.in_edges(v, keys=True, data=True):
            if e.get("critical", True):
                need[key] = need.get(key, 0.0) + e.get("w", 1.0) * (1.0 - a[s])
        own = 1.0 if d.get("kind") == "project" else float(d.get("capacity", 1.0))
        step[v] = min([own] + [max(0.0, 1.0 - x) for x in need.values()])
    return step


@st.composite
def nearly_closed_rings(draw: st.DrawFn) -> nx.MultiDiGraph:
    """Rings whose links carry all or nearly all of each member's material (0.999 … 0.99999),
    the rest from an outside supplier, and a key enterprise downstream."""
    G = nx.MultiDiGraph()
    size = draw(st.integers(1, 4))
    for i in range(size):
        G.add_node(f"R{i}", capacity=draw(st.sampled_from([0.0, 0.5, 0.9, 1.0])))
    for i in range(size):
        share = draw(st.sampled_from([1.0, 0.99999, 0.9999, 0.999]))
        G.add_edge(f"R{(i - 1) % size}", f"R{i}", key="r", w=share)
        if share < 1.0:
            G.add_node(f"X{i}", capacity=draw(st.sampled_from([0.0, 0.3, 1.0])))
            G.add_edge(f"X{i}", f"R{i}", key="r", w=round(1.0 - share, 6))
    G.add_node("E", is_enterprise=True, output_value=draw(st.floats(1, 1000)))
    G.add_edge(f"R{draw(st.integers(0, size - 1))}", "E", key="m", w=1.0)
    return G


@PROPERTY
@given(nearly_closed_rings())
def test_nearly_closed_rings_settle_at_a_fixed_point_on_every_path(G: nx.MultiDiGraph) -> None:
    """The base availability is a fixed point of the rule, and each firm's restoration, walked
    up from the base as a scenario, equals a full evaluation of the restored graph (from the top).

    Without a self-sustaining core a ring has one fixed point, so being one is being right;
    the oracle's plain iteration would need millions of steps here.
    """
    g = from_networkx(G)
    a = availability(g).to_dict()
    assert _rule_step(G, a) == pytest.approx(a, abs=1e-9)
    for row in recovery(g, blocked(g, threshold=0.9)).to_dict("records"):
        H = G.copy()
        H.nodes[row["id"]]["capacity"] = 1.0
        restored = availability(H).to_dict()
        assert _rule_step(H, restored) == pytest.approx(restored, abs=1e-9)
        value = sum(d.get("output_value", 0.0) * (restored[v] - a[v]) for v, d in G.nodes(data=True))
        assert row["recovered_value"] == pytest.approx(value, abs=1e-6)


def _greatest_fixed_point(G: nx.MultiDiGraph) -> dict[Hashable, float]:
    """The spec's greatest fixed point, exactly: the greatest x with x ≤ rule(x), by linear programs.

    x ≤ rule(x) says, per firm, x = 0 or x ≤ capacity and x ≤ 1 − D of every group. For each
    set of firms held at 0 the rest is a lattice (the rule is monotone), whose greatest
    element maximises Σ x; the greatest of those over every set is the answer. Small graphs.
    """
    from itertools import product

    from scipy.optimize import linprog

    nodes = list(G.nodes)
    at = {v: i for i, v in enumerate(nodes)}
    best = np.zeros(len(nodes))
    groups: dict[tuple[Hashable, Hashable], list[tuple[Hashable, float]]] = {}
    for s, b, key, e in G.edges(keys=True, data=True):
        if e.get("critical", True):
            groups.setdefault((b, key), []).append((s, float(e.get("w", 1.0))))
    for zero in product([False, True], repeat=len(nodes)):
        rows, bounds = [], []
        for (b, _), links in groups.items():
            if zero[at[b]]:
                continue
            row = np.zeros(len(nodes))
            row[at[b]] += 1.0
            for s, w in links:
                row[at[s]] -= w
            rows.append(row)
            bounds.append(1.0 - sum(w for _, w in links))
        own = [1.0 if G.nodes[v].get("kind") == "project" else G.nodes[v].get("capacity", 1.0) for v in nodes]
        limits = [(0.0, 0.0 if zero[i] else own[i]) for i in range(len(nodes))]
        found = linprog(
            -np.ones(len(nodes)), A_ub=np.array(rows) if rows else None, b_ub=bounds or None, bounds=limits
        )
        if found.status == 0:
            best = np.maximum(best, found.x)
    return {v: float(best[at[v]]) for v in nodes}


@st.composite
def sustaining_rings(draw: st.DrawFn) -> nx.MultiDiGraph:
    """A ring of one to three firms taking all or nearly all of a material from the previous one
    (a self-sustaining core when all of it), some also from themselves, the rest from outside."""
    G = nx.MultiDiGraph()
    size = draw(st.integers(1, 3))
    for i in range(size):
        G.add_node(f"R{i}", capacity=draw(st.sampled_from([0.0, 0.5, 0.9, 1.0])))
    for i in range(size):
        own = draw(st.sampled_from([0.0, 0.0, 0.99999, 0.5]))
        share = round((1.0 - own) * draw(st.sampled_from([1.0, 1.0, 0.99999, 0.9])), 9)
        if size > 1 and share > 0:
            G.add_edge(f"R{(i - 1) % size}", f"R{i}", key="r", w=share)
        else:
            own = round(own + share, 9)
        if own:
            G.add_edge(f"R{i}", f"R{i}", key="r", w=own)
        rest = round(1.0 - own - (share if size > 1 else 0.0), 9)
        if rest > 0 and draw(st.booleans()):
            G.add_node(f"X{i}", capacity=draw(st.sampled_from([0.0, 0.5, 1.0])))
            G.add_edge(f"X{i}", f"R{i}", key="r", w=rest)
    return G


# Derandomised: the oracle is only as exact as linprog's tolerance, and in nearly closed
# systems an infeasibility of 1e-11 can become an error of 1e-6 or more (a review found
# such graphs); these examples are checked to be clear of it.
@settings(
    max_examples=examples(60), deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(sustaining_rings())
def test_sustaining_rings_settle_at_the_greatest_fixed_point(G: nx.MultiDiGraph) -> None:
    """Against the exact greatest fixed point (linear programs), where plain iteration from the
    top would stop short: a ring that may sustain itself settles at 0.99999 a step."""
    assert availability(G).to_dict() == pytest.approx(_greatest_fixed_point(G), abs=1e-7)


@PROPERTY
@given(supply_graphs())
def test_engine_matches_the_naive_fixed_point(G: nx.MultiDiGraph) -> None:
    expected = naive_availability(G)
    got = availability(G).to_dict()
    assert got == pytest.approx(expected, abs=1e-9)


@PROPERTY
@given(supply_graphs())
def test_availability_between_zero_and_own_capacity(G: nx.MultiDiGraph) -> None:
    g = from_networkx(G)
    a = g.base_availability
    assert np.all(a >= 0.0)
    assert np.all(a <= g.capacity + 1e-12)


@PROPERTY
@given(supply_graphs(), st.data())
def test_lowering_a_capacity_never_raises_an_availability(G: nx.MultiDiGraph, data: st.DataObject) -> None:
    firm = data.draw(st.sampled_from(list(G.nodes)))
    if G.nodes[firm].get("kind") == "project":
        return
    before = availability(G)
    lower = data.draw(st.floats(0.0, float(G.nodes[firm].get("capacity", 1.0))))
    G.nodes[firm]["capacity"] = lower
    after = availability(G)
    assert np.all(after.to_numpy() <= before.to_numpy() + 1e-12)


@PROPERTY
@given(supply_graphs())
def test_recovered_value_equals_a_full_recomputation(G: nx.MultiDiGraph) -> None:
    g = from_networkx(G)
    table = recovery(g, blocked(g, threshold=0.9))
    now = naive_value_at_risk(G, naive_availability(G))
    for row in table.to_dict("records"):
        restored = naive_availability(G, {row["id"]: 1.0})
        assert row["recovered_value"] == pytest.approx(now - naive_value_at_risk(G, restored), abs=1e-6)


@PROPERTY
@given(supply_graphs())
def test_restoration_order_ends_at_everything_restored(G: nx.MultiDiGraph) -> None:
    # Shares just short of 1 on a cycle converge too slowly for the oracle's plain iteration
    # (the engine takes Newton steps): those cases are worked out by hand below.
    assume(not any(0.999 < w < 1.0 for *_, w in G.edges(data="w")))
    g = from_networkx(G)
    candidates = blocked(g, threshold=0.9)
    order = restoration_order(g, candidates)
    now = losses(g).value
    restored = naive_availability(G, {str(g.ids[x]): 1.0 for x in candidates})
    expected = now - naive_value_at_risk(G, restored)
    final = float(order["cumulative_value"].iloc[-1]) if len(order) else 0.0
    assert final == pytest.approx(expected, abs=1e-6)
    assert np.all(np.diff(order["cumulative_value"].to_numpy()) >= -1e-9)


@PROPERTY
@given(supply_graphs())
def test_exposure_top_k_is_exact(G: nx.MultiDiGraph) -> None:
    g = from_networkx(G)
    now = naive_value_at_risk(G, naive_availability(G))
    has_out = {str(g.ids[x]) for x in g.src}
    brute = sorted(
        (
            (naive_value_at_risk(G, naive_availability(G, {v: 0.0})) - now, v)
            for v in has_out
            if G.nodes[v].get("kind") != "project"
        ),
        key=lambda t: (-round(t[0], 6), t[1]),
    )
    got = exposure(g, top=3)
    assert got["value_at_risk_if_stopped"].tolist() == pytest.approx([v for v, _ in brute[:3]], abs=1e-6)


@PROPERTY
@given(supply_graphs(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_row_order(G: nx.MultiDiGraph, rng: object) -> None:
    import random

    assert isinstance(rng, random.Random)
    nodes = list(G.nodes(data=True))
    edges = list(G.edges(keys=True, data=True))
    rng.shuffle(nodes)
    rng.shuffle(edges)
    H = nx.MultiDiGraph()
    H.add_nodes_from(nodes)
    H.add_edges_from(edges)
    a, b = (
        analyze(from_networkx(G), settings=SETTINGS).to_json(),
        analyze(from_networkx(H), settings=SETTINGS).to_json(),
    )
    assert b["availability"] == pytest.approx(a["availability"], abs=1e-12)
    assert [r["id"] for r in b["blocked"]] == [r["id"] for r in a["blocked"]]
    order_a, order_b = a["restoration_order"], b["restoration_order"]
    assert [r["id"] for r in order_b] == [r["id"] for r in order_a]
    assert [r["cumulative_value"] for r in order_b] == pytest.approx(
        [r["cumulative_value"] for r in order_a], abs=1e-6
    )
    assert [r["id"] for r in b["exposure"]] == [r["id"] for r in a["exposure"]]


def _nearly_closed_cycle(*, gap: float, leak: float, closing: float = 0.99999) -> nx.MultiDiGraph:
    """N0 → N1 (the whole material) and N1 → N0 (``closing`` of it); a stopped N2 supplies ``leak`` of N0's.

    N1 follows N0; N0 = 1 − leak − closing · (1 − N0), so N0 = N1 = 1 − leak / (1 − closing)
    (0 when that is negative), within capacities 1 − gap.
    """
    G = nx.MultiDiGraph()
    G.add_node("N0", capacity=1.0 - gap)
    G.add_node("N1", capacity=1.0 - gap, is_enterprise=True, output_value=1.0)
    G.add_node("N2", capacity=0.0)
    G.add_edge("N0", "N1", key="a", w=1.0, critical=True)
    G.add_edge("N1", "N0", key="a", w=closing, critical=True)
    if leak:
        G.add_edge("N2", "N0", key="a", w=leak, critical=True)
    return G


@pytest.mark.parametrize(
    ("gap", "leak", "expected"),
    [
        (0.0, 0.000005, 0.5),  # 1 − 0.000005 / 0.00001: far from both ends of the iteration
        (0.0, 0.0000025, 0.75),
        (0.4, 0.000005, 0.5),  # below its capacity 0.6
        (0.6, 0.000005, 0.4),  # its capacity binds
        (0.0, 0.00002, 0.0),  # the leak outweighs the cycle: stopped
    ],
)
def test_a_nearly_closed_cycle_settles_at_its_fixed_point(gap: float, leak: float, expected: float) -> None:
    """Shares of 0.99999 around a cycle: plain iteration moves 0.00001 of the way a step.

    Iterated from the top (capacity), 100,000 iterations would stop 0.37 of the way short
    (0.68 instead of 0.5); the engine's Newton steps reach the value worked out by hand.
    """
    a = availability(_nearly_closed_cycle(gap=gap, leak=leak))
    assert a["N0"] == pytest.approx(expected, abs=1e-9)
    assert a["N1"] == pytest.approx(expected, abs=1e-9)


def test_a_cycle_taking_more_than_its_whole_material_settles_at_the_greatest_fixed_point() -> None:
    """A takes 0.6 + 0.405 of its material from B and C (100.5 %: the ledgers allow it), who take
    0.999 from A and 0.001 from the stopped X: a difference grows 1.004-fold around the cycle.

    Everything stops (A = B = C = 0). Solving the cycle linearly would give its unstable
    fixed point (~0.996); walking a restoration of X up from the base would stop short of 1.
    """
    G = nx.MultiDiGraph()
    G.add_node("A", capacity=1.0, is_enterprise=True, output_value=1.0)
    for firm in ("B", "C"):
        G.add_node(firm, capacity=1.0)
        G.add_edge("A", firm, key="m", w=0.999, critical=True)
        G.add_edge("X", firm, key="m", w=0.001, critical=True)
    G.add_node("X", capacity=0.0)
    G.add_edge("B", "A", key="m", w=0.6, critical=True)
    G.add_edge("C", "A", key="m", w=0.405, critical=True)
    assert availability(G).to_dict() == pytest.approx({"A": 0.0, "B": 0.0, "C": 0.0, "X": 0.0}, abs=1e-9)
    g = from_networkx(G)
    rows = {row["id"]: row for row in recovery(g, blocked(g, threshold=0.9)).to_dict("records")}
    assert rows["X"]["recovered_value"] == pytest.approx(1.0, abs=1e-9)  # X restored: all run again


def test_restoration_order_through_a_nearly_closed_cycle() -> None:
    """Restored from the base upwards (a rise): found by the property above, once wrong (0.39 of the way)."""
    G = nx.MultiDiGraph()
    G.add_node("N0", capacity=0.0)
    G.add_node("N1", capacity=0.0, is_enterprise=True, output_value=1.0)
    G.add_edge("N0", "N1", w=1.0, critical=True)
    G.add_edge("N1", "N0", w=0.99999, critical=True)
    g = from_networkx(G)
    order = restoration_order(g, blocked(g, threshold=0.9))
    assert float(order["cumulative_value"].iloc[-1]) == pytest.approx(1.0, abs=1e-6)  # both restored


def test_recovery_through_a_nearly_closed_cycle_walked_up_from_the_base() -> None:
    """Restoring the stopped N2 of a nearly closed cycle lifts it from 0.5 to 1 − 0 = 1 (capacity 1)."""
    G = _nearly_closed_cycle(gap=0.0, leak=0.000005)
    g = from_networkx(G)
    rows = {row["id"]: row for row in recovery(g, blocked(g, threshold=0.9)).to_dict("records")}
    assert rows["N2"]["recovered_value"] == pytest.approx(0.5, abs=1e-9)  # N1: 0.5 → 1
