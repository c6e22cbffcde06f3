"""Gap analysis (缺口分析): the figures of the analysis spec, on a supply graph.

Every function takes the graph first (a :class:`~chain_graph.graph.SupplyGraph`, or a
``networkx.MultiDiGraph`` with the attributes documented in :mod:`chain_graph.graph`) and
returns plain tables. Availabilities come from :mod:`chain_graph.propagation`; what a
change does is always computed on the changed node's downstream cone only.

The examples use :func:`example_graph`, small enough to check by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import networkx as nx
import numpy as np
import pandas as pd

from chain_graph.graph import SupplyGraph, from_networkx
from chain_graph.ordering import lexsort_codes, stable_order
from chain_graph.propagation import Pairs, evaluate, shifted_deficits

__all__ = [
    "Losses",
    "availability",
    "blocked",
    "example_graph",
    "exposure",
    "exposure_of",
    "exposure_search",
    "key_enterprises",
    "losses",
    "recovery",
    "restoration_order",
    "single_source",
    "starved",
    "tie_groups",
    "weighted_availability",
]

GraphLike: TypeAlias = "SupplyGraph | nx.MultiDiGraph"
AFFECTED_EPSILON = 1e-9
_CHUNK = 4096  # scenarios per evaluation: bounded by the changed pairs they create


def example_graph() -> nx.MultiDiGraph:
    """Return a four-node graph for examples and tests.

    Stopped supplier S (recovers in 10 days) covers 60 % of enterprise E's steel (E holds
    5 days of stock), U the other 40 %; E (output 1000 万元) supplies all of project P's
    equipment (annual plan 500 万元)::

        S(c=0) ─钢 60%─▶ E ─设备 100%─▶ P
        U(c=1) ─钢 40%─▶ E

    Examples
    --------
    >>> sorted(example_graph().edges(keys=True))
    [('E', 'P', '设备'), ('S', 'E', '钢'), ('U', 'E', '钢')]
    """
    G = nx.MultiDiGraph()
    G.add_node("S", capacity=0.0, recovery_days=10)
    G.add_node("U")
    G.add_node("E", is_enterprise=True, output_value=1000.0)
    G.add_node("P", kind="project", annual_plan=500.0)
    G.add_edge("S", "E", key="钢", w=0.6, stock_days=5)
    G.add_edge("U", "E", key="钢", w=0.4)
    G.add_edge("E", "P", key="设备", w=1.0)
    return G


def _graph(graph: GraphLike) -> SupplyGraph:
    return graph if isinstance(graph, SupplyGraph) else from_networkx(graph)


def availability(graph: GraphLike) -> pd.Series:
    """Availability a(v) of every firm and project (the spec's greatest fixed point).

    Examples
    --------
    >>> G = example_graph()
    >>> availability(G).round(6).to_dict()
    {'S': 0.0, 'U': 1.0, 'E': 0.4, 'P': 0.4}
    """
    g = _graph(graph)
    return pd.Series(g.base_availability, index=pd.Index(g.ids, name="id"), name="availability")


@dataclass(frozen=True)
class Losses:
    """Value at risk (万元)."""

    output: float
    investment: float

    @property
    def value(self) -> float:
        """Output at risk plus investment at risk."""
        return self.output + self.investment


def losses(graph: GraphLike) -> Losses:
    """Output at risk (enterprises), investment at risk (projects) and their sum.

    Examples
    --------
    >>> L = losses(example_graph())
    >>> round(L.output, 6), round(L.investment, 6), round(L.value, 6)
    (600.0, 300.0, 900.0)
    """
    g = _graph(graph)
    gap = 1.0 - g.base_availability
    return Losses(float(np.sum(g.output_weight * gap)), float(np.sum(g.investment_weight * gap)))


def key_enterprises(graph: GraphLike, *, output_threshold: float, tax_threshold: float) -> np.ndarray:
    """Mask of the key scale enterprises (重点规模企业) among the nodes.

    A firm of the enterprises table is one when its annual output value is at least
    ``output_threshold`` 万元 or its tax at least ``tax_threshold`` 万元 (the settings
    ``key_output_threshold`` and ``key_tax_threshold``; the plan's 2 亿元 and 500 万元).

    Examples
    --------
    >>> G = example_graph()
    >>> G.add_node("F", is_enterprise=True, output_value=100.0, tax=500.0)
    >>> g = from_networkx(G)
    >>> g.ids[key_enterprises(g, output_threshold=1000, tax_threshold=500)].tolist()
    ['E', 'F']
    >>> g.ids[key_enterprises(g, output_threshold=1001, tax_threshold=501)].tolist()
    []
    """
    g = _graph(graph)
    output = np.nan_to_num(g.output_value, nan=0.0)
    tax = np.nan_to_num(g.tax, nan=0.0)
    key: np.ndarray = g.is_enterprise & ((output >= output_threshold) | (tax >= tax_threshold))
    return key


def weighted_availability(graph: GraphLike, mask: np.ndarray) -> float:
    """Output-weighted availability Σ output·a / Σ output of the enterprises in ``mask``.

    The share of their normal output the chosen enterprises can reach now (1.0 when they
    have no output). With ``mask`` the key scale enterprises, this is the figure the plan
    measures against its 90 % target.

    Examples
    --------
    >>> g = from_networkx(example_graph())
    >>> weighted_availability(g, key_enterprises(g, output_threshold=0, tax_threshold=0))
    0.4
    """
    g = _graph(graph)
    output = np.where(mask, g.output_weight, 0.0)
    total = float(output.sum())
    return float((output * g.base_availability).sum() / total) if total > 0 else 1.0


def _has_out_links(g: SupplyGraph) -> np.ndarray:
    out = np.zeros(g.n, dtype=bool)
    out[g.src] = True
    return out


def blocked(graph: GraphLike, *, threshold: float) -> np.ndarray:
    """Positions of blocked firms: own capacity below ``threshold`` and supplying someone.

    Examples
    --------
    >>> g = from_networkx(example_graph())
    >>> g.ids[blocked(g, threshold=0.9)].tolist()
    ['S']
    """
    g = _graph(graph)
    return np.flatnonzero(~g.is_project & (g.capacity < threshold) & _has_out_links(g))


def starved(graph: GraphLike, *, threshold: float) -> np.ndarray:
    """Positions of starved firms: own capacity at or above ``threshold``, availability below.

    Examples
    --------
    >>> g = from_networkx(example_graph())
    >>> g.ids[starved(g, threshold=0.9)].tolist()
    ['E']
    """
    g = _graph(graph)
    return np.flatnonzero(~g.is_project & (g.capacity >= threshold) & (g.base_availability < threshold))


def _scenario_totals(g: SupplyGraph, pairs: Pairs, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Per scenario: change of output at risk and of investment at risk (new − base)."""
    delta = g.base_availability[pairs.node] - pairs.value  # positive: availability fell
    output = g.output_weight[pairs.node] * delta
    investment = g.investment_weight[pairs.node] * delta
    return (
        np.bincount(pairs.scenario, weights=output, minlength=count),
        np.bincount(pairs.scenario, weights=investment, minlength=count),
    )


def _evaluate_chunked(
    g: SupplyGraph, changes: Sequence[Mapping[int, float]]
) -> Iterable[tuple[int, int, Pairs]]:
    """Evaluate scenarios ``_CHUNK`` at a time: (first scenario, count, pairs)."""
    for start in range(0, len(changes), _CHUNK):
        part = changes[start : start + _CHUNK]
        yield (
            start,
            len(part),
            evaluate(g, g.structure, part, base=g.base_availability, deficit=g.group_deficit),
        )


def recovery(graph: GraphLike, firms: Sequence[int] | np.ndarray) -> pd.DataFrame:
    """Compute what restoring each given firm to full capacity recovers, others unchanged.

    Parameters
    ----------
    graph
        The supply graph.
    firms
        Node positions (usually :func:`blocked`).

    Returns
    -------
    pandas.DataFrame
        One row per firm, in the given order: ``id``, ``recovered_value``,
        ``recovered_output``, ``recovered_investment`` (万元), ``affected`` (ids of the
        enterprises and projects whose availability rises by more than 1e-9, largest gain
        first, then by id), ``gains`` (their rises of availability, in the order of
        ``affected``), ``days_to_impact`` and ``inventory_covers``.

    Examples
    --------
    >>> g = from_networkx(example_graph())
    >>> row = recovery(g, blocked(g, threshold=0.9)).iloc[0]
    >>> row["id"], float(row["recovered_value"]), row["affected"], row["days_to_impact"]
    ('S', 900.0, ['E', 'P'], 5)
    >>> [round(x, 6) for x in row["gains"]], row["inventory_covers"]
    ([0.6, 0.6], False)
    """
    g = _graph(graph)
    firms = np.asarray(firms, dtype=np.int64)
    output = np.zeros(len(firms))
    investment = np.zeros(len(firms))
    affected: list[list[str]] = [[] for _ in firms]
    gains: list[list[float]] = [[] for _ in firms]
    valued = g.is_enterprise | g.is_project
    changes = [{int(x): 1.0} for x in firms]
    for start, count, pairs in _evaluate_chunked(g, changes):
        lost_output, lost_investment = _scenario_totals(g, pairs, count)
        output[start : start + count] = -lost_output
        investment[start : start + count] = -lost_investment
        gain = pairs.value - g.base_availability[pairs.node]
        hit = (gain > AFFECTED_EPSILON) & valued[pairs.node]
        for k, ids, rises in _affected(g, pairs.scenario[hit], pairs.node[hit], gain[hit]):
            affected[start + k] = ids
            gains[start + k] = rises
    days = _days_to_impact(g, firms)
    recovery_days = g.recovery_days[firms]
    covers: list[bool | None] = [
        None if np.isnan(r) or d is None else bool(r <= d) for r, d in zip(recovery_days, days, strict=True)
    ]
    return pd.DataFrame(
        {
            "id": g.ids[firms].astype(str) if len(firms) else np.zeros(0, dtype=object),
            "recovered_value": output + investment,
            "recovered_output": output,
            "recovered_investment": investment,
            "affected": affected,
            "gains": gains,
            "days_to_impact": pd.Series(days, dtype=object),
            "inventory_covers": pd.Series(covers, dtype=object),
        }
    )


def _affected(
    g: SupplyGraph, scenario: np.ndarray, node: np.ndarray, gain: np.ndarray
) -> Iterable[tuple[int, list[str], list[float]]]:
    """Per scenario, the ids of its gaining nodes and their gains: largest gain first, then by id."""
    if scenario.size == 0:
        return
    order = np.lexsort((g.id_rank[node], -gain, scenario))
    scenario = scenario[order]
    ids, rises = g.id_texts[node[order]].tolist(), gain[order].tolist()
    cuts = np.flatnonzero(np.r_[True, scenario[1:] != scenario[:-1]])
    ends = np.r_[cuts[1:], len(scenario)]
    for k, start, end in zip(scenario[cuts].tolist(), cuts.tolist(), ends.tolist(), strict=True):
        yield k, ids[start:end], rises[start:end]


def _days_to_impact(g: SupplyGraph, firms: np.ndarray) -> list[int | None]:
    known = g.critical & ~np.isnan(g.stock_days)
    smallest = pd.Series(g.stock_days[known]).groupby(g.src[known]).min()
    days = smallest.reindex(firms).to_numpy()
    return [None if np.isnan(d) else int(d) for d in days.tolist()]


RANK_TIE = 1e-6
"""万元: recovered values this close to the top of their group rank as ties (then days, id)."""


def tie_groups(values: np.ndarray) -> np.ndarray:
    """Return the tie group of each of ``values`` (0: the largest group), for a descending rank.

    Sorted from the largest down, a value opens a new group when it lies more than
    :data:`RANK_TIE` below the first value of the current group; so every member of a group
    is within the tolerance of its largest member, and the rule does not chain.

    Examples
    --------
    >>> tie_groups(np.array([5.0, 5.0 - 0.9e-6, 5.0 - 1.1e-6, 1.0000006, 1.0000004])).tolist()
    [0, 0, 1, 2, 2]
    """
    order = np.argsort(-values, kind="stable")
    groups = np.empty(len(values), dtype=np.int64)
    group, top = -1, np.inf
    for position in order.tolist():
        value = float(values[position])
        if value < top - RANK_TIE or group < 0:
            group, top = group + 1, value
        groups[position] = group
    return groups


def rank_blocked(table: pd.DataFrame) -> pd.DataFrame:
    """Order blocked firms: recovered value desc, days to impact asc (unknown last), id.

    Recovered values within :data:`RANK_TIE` (1e-6 万元) of the largest of their group are
    ties (:func:`tie_groups`): a difference that small is rounding, not a reason to rank.

    Examples
    --------
    >>> t = pd.DataFrame({"id": ["A", "B", "C"], "recovered_value": [1.0000004, 1.0000006, 0.5],
    ...                   "days_to_impact": [3, 7, None]})
    >>> rank_blocked(t)[["rank", "id"]].to_dict("records")
    [{'rank': 1, 'id': 'A'}, {'rank': 2, 'id': 'B'}, {'rank': 3, 'id': 'C'}]
    """
    key = pd.DataFrame(
        {
            "group": tie_groups(table["recovered_value"].to_numpy(dtype=float)),
            "days_missing": table["days_to_impact"].isna(),
            "days": pd.to_numeric(table["days_to_impact"]).fillna(0),
            "id": table["id"],
        },
        index=table.index,
    )
    order = key.sort_values(["group", "days_missing", "days", "id"], kind="stable").index
    ranked = table.loc[order].reset_index(drop=True)
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    return ranked


def _losses_after(g: SupplyGraph, changes: Sequence[Mapping[int, float]]) -> np.ndarray:
    """Drop of value at risk (万元) in each scenario: base − scenario (positive: recovered)."""
    totals = np.zeros(len(changes))
    for start, count, pairs in _evaluate_chunked(g, changes):
        out, inv = _scenario_totals(g, pairs, count)
        totals[start : start + count] = -(out + inv)
    return totals


def restoration_order(graph: GraphLike, candidates: Sequence[int] | np.ndarray) -> pd.DataFrame:
    """Greedy order of restoring firms: each pick recovers the most given those before it.

    Parameters
    ----------
    graph
        The supply graph.
    candidates
        Node positions of the firms to order (the top blocked firms by recovered value).

    Returns
    -------
    pandas.DataFrame
        ``id``, ``marginal_value`` and ``cumulative_value`` (万元) in pick order. Ties within
        1e-9 go to the smaller id.

    Examples
    --------
    >>> g = from_networkx(example_graph())
    >>> restoration_order(g, blocked(g, threshold=0.9)).round(6).to_dict("records")
    [{'id': 'S', 'marginal_value': 900.0, 'cumulative_value': 900.0}]
    """
    g = _graph(graph)
    remaining = sorted((str(g.ids[x]), int(x)) for x in candidates)
    cumulative = 0.0
    rows = []
    current = g  # the graph with the picks so far restored: marginals are measured on it
    while remaining:
        marginal = _losses_after(current, [{x: 1.0} for _, x in remaining])
        best = int(np.argmax(marginal))
        best = int(np.flatnonzero(marginal >= marginal[best] - 1e-9)[0])  # sorted by id
        node_id, x = remaining.pop(best)
        cumulative += float(marginal[best])
        rows.append({"id": node_id, "marginal_value": float(marginal[best]), "cumulative_value": cumulative})
        current = _restored(current, x)
    return pd.DataFrame(rows, columns=["id", "marginal_value", "cumulative_value"])


def _restored(g: SupplyGraph, node: int) -> SupplyGraph:
    """Return the graph with ``node`` at full capacity; availability is updated on its cone."""
    pairs = evaluate(g, g.structure, [{node: 1.0}], base=g.base_availability, deficit=g.group_deficit)
    availability = g.base_availability.copy()
    availability[pairs.node] = pairs.value
    capacity = g.capacity.copy()
    capacity[node] = 1.0
    restored = g.with_capacity(capacity)
    restored.__dict__["base_availability"] = availability
    restored.__dict__["group_deficit"] = shifted_deficits(
        g.structure, g.group_deficit, pairs.node, pairs.value - g.base_availability[pairs.node]
    )
    return restored


def _upper_bounds(g: SupplyGraph) -> np.ndarray:
    """Bound each node's exposure from above, for an exact top-k by branch and bound.

    A drop δ of availability passes through a critical link at most multiplied by its
    share, so for a node y outside cycles the loss from a drop δ at y is at most
    ``δ·lin(y) + fixed(y)``, with ``lin(y) = weight(y) + Σ w·lin(z)`` over links to nodes z
    outside cycles, and ``fixed(y)`` the sum of the bounds U_T of the cycles T it feeds.
    A cycle can at worst lose everything it has: U_T = Σ_{v∈T} weight(v)·a(v) plus what
    its out-links can pass on. Stopping x drops it by a(x): bound = a(x)·lin(x) + fixed(x),
    or U_T for x on cycle T.
    """
    s = g.structure
    a = g.base_availability
    weight = g.weight
    lin = np.zeros(g.n)
    fixed = np.zeros(g.n)
    cycle_bound = np.zeros(int(s.component.max()) + 1 if g.n else 0)
    crit = np.flatnonzero(g.critical)
    src, dst, w = g.src[crit], g.dst[crit], g.w[crit]
    leaves = s.component[src] != s.component[dst]
    src, dst, w = src[leaves], dst[leaves], w[leaves]
    by_level = stable_order(s.level)
    bounds = np.searchsorted(s.level[by_level], np.arange(s.levels + 1))
    edge_level = s.level[src]
    edge_order = stable_order(edge_level)
    edge_bounds = np.searchsorted(edge_level[edge_order], np.arange(s.levels + 1))
    for lv in range(s.levels - 1, -1, -1):
        nodes = by_level[bounds[lv] : bounds[lv + 1]]
        edges = edge_order[edge_bounds[lv] : edge_bounds[lv + 1]]
        e_src, e_dst, e_w = src[edges], dst[edges], w[edges]
        into_cycle = s.cyclic[e_dst]
        passed_fixed = np.where(into_cycle, cycle_bound[s.component[e_dst]], fixed[e_dst])
        passed_lin = np.where(into_cycle, 0.0, e_w * lin[e_dst])
        plain = nodes[~s.cyclic[nodes]]
        lin[plain] = weight[plain] + np.bincount(e_src, weights=passed_lin, minlength=g.n)[plain]
        fixed[plain] = np.bincount(e_src, weights=passed_fixed, minlength=g.n)[plain]
        looping = nodes[s.cyclic[nodes]]
        if looping.size:
            from_cycle = s.cyclic[e_src]
            size = cycle_bound.size
            cycle_bound += np.bincount(
                s.component[looping], weights=weight[looping] * a[looping], minlength=size
            )
            passed = a[e_src] * passed_lin + passed_fixed
            cycle_bound += np.bincount(
                s.component[e_src[from_cycle]], weights=passed[from_cycle], minlength=size
            )
    return np.where(s.cyclic, cycle_bound[s.component], a * lin + fixed)


def exposure_of(graph: GraphLike, firms: Sequence[int] | np.ndarray) -> np.ndarray:
    """Compute the exposure of each given firm: the extra value at risk (万元) if it stopped now.

    Each firm is stopped (c = 0) alone, others unchanged, as in :func:`exposure`; the
    scenarios are evaluated together, a batch at a time, each on its firm's downstream
    cone. A firm stopped already has exposure 0.

    Parameters
    ----------
    graph
        The supply graph.
    firms
        Node positions of firms (stopping a project would count its own planned work).

    Returns
    -------
    numpy.ndarray
        One value per firm, in the given order.

    Examples
    --------
    >>> g = from_networkx(example_graph())
    >>> exposure_of(g, g.index_of(["U", "S", "E"])).round(6).tolist()
    [600.0, 0.0, 600.0]
    """
    g = _graph(graph)
    drops = _losses_after(g, [{int(x): 0.0} for x in np.asarray(firms, dtype=np.int64)])
    stopped: np.ndarray = 0.0 - drops  # 0.0 - turns -0.0 into 0.0
    return stopped


def exposure(graph: GraphLike, *, top: int) -> pd.DataFrame:
    """Find the firms whose stopping now would add the most value at risk (exposure index).

    Exact: firms are evaluated in order of an upper bound of their exposure until no
    remaining bound can beat the ``top``-th exact value (:func:`exposure_search`).

    Returns
    -------
    pandas.DataFrame
        ``id`` and ``value_at_risk_if_stopped`` (万元), largest first, ties to the smaller id.

    Examples
    --------
    Stopping E or U cuts E and P off entirely (1500 万元 at risk instead of 900); stopping
    S changes nothing, it is stopped already:

    >>> exposure(example_graph(), top=20).round(6).to_dict("records")
    [{'id': 'E', 'value_at_risk_if_stopped': 600.0}, {'id': 'U', 'value_at_risk_if_stopped': 600.0}, \
{'id': 'S', 'value_at_risk_if_stopped': 0.0}]
    """
    found, _ = exposure_search(graph, top=top)
    return found


def exposure_search(
    graph: GraphLike, *, top: int, known: np.ndarray | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Return :func:`exposure`'s table and the exact exposure of every firm the search evaluated.

    Parameters
    ----------
    graph
        The supply graph.
    top
        Firms listed.
    known
        Per node, an exposure already known exactly on this graph, NaN where unknown (an
        earlier search's values where a change did not reach: :mod:`chain_graph.incremental`).
        Those firms are not evaluated again; the search and its result are the same.

    Returns
    -------
    tuple of pandas.DataFrame and numpy.ndarray
        The table, and per node the exposure the search used (NaN where it never needed one).

    Examples
    --------
    >>> g = from_networkx(example_graph())
    >>> table, values = exposure_search(g, top=1)
    >>> table["id"].tolist(), values.round(6).tolist()
    (['E'], [0.0, 600.0, 600.0, nan])
    """
    g = _graph(graph)
    firms = np.flatnonzero(~g.is_project & _has_out_links(g))
    bound = _upper_bounds(g)[firms]
    order = firms[np.lexsort((g.id_rank[firms], -bound))]
    values_used = np.full(g.n, np.nan)
    best: list[tuple[float, str]] = []
    position = 0
    batch = 256
    while position < len(order):
        chunk = order[position : position + batch]
        values = np.full(len(chunk), np.nan) if known is None else known[chunk].copy()
        unknown = np.isnan(values)
        if unknown.any():
            values[unknown] = exposure_of(g, chunk[unknown])
        values_used[chunk] = values
        # kept as negatives: ascending = worst first, ties to the smaller id
        best.extend((-float(v), str(g.ids[x])) for v, x in zip(values, chunk, strict=True))
        best.sort()
        best = best[:top]
        position += len(chunk)
        batch = min(batch * 2, _CHUNK)
        if len(best) >= top and position < len(order):
            next_bound = float(bound[np.searchsorted(firms, order[position])])
            if next_bound < -best[-1][0] - 1e-9:
                break
    table = pd.DataFrame(
        [{"id": i, "value_at_risk_if_stopped": 0.0 - v} for v, i in best],
        columns=["id", "value_at_risk_if_stopped"],
    )
    return table, values_used


def single_source(graph: GraphLike, *, threshold: float) -> pd.DataFrame:
    """Critical materials one supplier covers at ``threshold`` or more of a buyer's need.

    Returns
    -------
    pandas.DataFrame
        ``buyer_id``, ``material``, ``supplier_id``, ``share`` (percent), sorted by buyer,
        material, supplier.

    Examples
    --------
    >>> single_source(example_graph(), threshold=0.8).to_dict("records")
    [{'buyer_id': 'P', 'material': '设备', 'supplier_id': 'E', 'share': 100.0}]
    """
    g = _graph(graph)
    hit = np.flatnonzero(g.critical & (g.w >= threshold - 1e-12))
    id_rank = g.id_rank  # integer ranks of the ids: far cheaper than sorting strings
    codes, materials = pd.factorize(g.material[hit])
    material_rank = np.argsort(np.argsort(materials.astype(str), kind="stable"))
    src, dst = g.src[hit], g.dst[hit]
    order = lexsort_codes((id_rank[src], material_rank[codes], id_rank[dst]))
    hit, src, dst = hit[order], src[order], dst[order]
    ids = g.id_texts
    return pd.DataFrame(
        {
            "buyer_id": ids[dst],
            "material": _texts(g.material[hit]),
            "supplier_id": ids[src],
            "share": np.round(g.w[hit] * 100.0, 9),
        }
    ).astype({"buyer_id": str, "material": str, "supplier_id": str})  # text even when empty


def _texts(values: np.ndarray) -> np.ndarray:
    """Return ``values`` (materials) as Python strings: as they are when they are (not through ``U``)."""
    if pd.api.types.infer_dtype(values, skipna=False) in ("string", "empty"):
        return values
    texts: np.ndarray = values.astype(str).astype(object)
    return texts
