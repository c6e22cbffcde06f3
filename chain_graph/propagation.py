"""The availability engine: the spec's greatest fixed point, for many scenarios at once.

Availability (see the analysis spec) is the greatest fixed point of

    A_m(v) = max(0, 1 − Σ_{critical links s→v of material m} w · (1 − a(s)))
    a(v)   = min(c(v), min_m A_m(v))

:class:`Structure` precomputes what every evaluation needs: critical in-links grouped by
(buyer, material), out-links, and a topological *level* per node from the condensation of
the strongly connected components (all nodes of one cycle share a level).
:func:`evaluate` either computes the base availability of every node, or, for K scenarios
(each a set of nodes with a new own capacity), the new availability of every node that
changes in each scenario:

* nodes are visited level by level, so a node outside cycles is computed once, from final
  inputs, exactly (one pass in topological order, as the spec says for a DAG);
* a scenario is followed only through buyers whose availability moves by more than
  ``1e-12``; everywhere else the base availability stands;
* nodes of a cycle are iterated until nothing moves by more than ``1e-13``: from the top
  (a = c) when a scenario raises a capacity, from the base (a valid start from above)
  when it only lowers capacities; either way the iteration decreases monotonically to
  the greatest fixed point.

Every step is a numpy vector operation over (scenario, node) pairs: the base availability
of the national synthetic graph (5M links) takes under a second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from chain_graph.graph import SupplyGraph

__all__ = ["Pairs", "Structure", "evaluate"]

TOLERANCE = 1e-13
MAX_CYCLE_ITERATIONS = 100_000
_ROUND = 8  # iterations between dropping the scenarios whose cycles have settled


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, s + c)`` for every (s, c), vectorised."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    offsets = np.repeat(starts - (ends - counts), counts)
    ranges: np.ndarray = np.arange(total, dtype=np.int64) + offsets
    return ranges


@dataclass(frozen=True, eq=False)
class Structure:
    """Derived arrays of a :class:`SupplyGraph` that every evaluation reuses."""

    n: int
    in_ptr: np.ndarray  # critical in-links of node v: in_*[in_ptr[v]:in_ptr[v + 1]]
    in_src: np.ndarray
    in_w: np.ndarray
    in_group_start: np.ndarray  # True at the first link of each (buyer, material) group
    out_ptr: np.ndarray  # critical out-links: out_dst[out_ptr[v]:out_ptr[v + 1]]
    out_dst: np.ndarray
    level: np.ndarray  # topological level of each node's strongly connected component
    component: np.ndarray
    cyclic: np.ndarray  # node sits on a cycle of critical links
    levels: int
    member_ptr: np.ndarray  # nodes of component c: members[member_ptr[c]:member_ptr[c + 1]]
    members: np.ndarray

    @classmethod
    def of(cls, graph: SupplyGraph) -> Structure:
        """Precompute the structure of ``graph`` (critical links only matter)."""
        n = graph.n
        crit = np.flatnonzero(graph.critical)
        src, dst = graph.src[crit], graph.dst[crit]
        material_code, _ = pd.factorize(graph.material[crit])
        order = np.lexsort((material_code, dst))
        in_src, in_dst, in_mat = src[order], dst[order], material_code[order]
        in_ptr = np.searchsorted(in_dst, np.arange(n + 1))
        group_start = np.ones(len(order), dtype=bool)
        if len(order) > 1:
            group_start[1:] = (in_dst[1:] != in_dst[:-1]) | (in_mat[1:] != in_mat[:-1])
        out_order = np.argsort(src, kind="stable")
        out_ptr = np.searchsorted(src[out_order], np.arange(n + 1))
        component, level, cyclic, levels = _levels(n, src, dst)
        members = np.argsort(component, kind="stable")
        member_ptr = np.searchsorted(component[members],
                                     np.arange(int(component.max(initial=-1)) + 2))
        return cls(n, in_ptr, in_src, graph.w[crit][order], group_start, out_ptr,
                   dst[out_order], level, component, cyclic, levels, member_ptr, members)


def _levels(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray, int]:
    """Strongly connected components and the longest-path level of each in the condensation."""
    matrix = csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    count, component = connected_components(matrix, directed=True, connection="strong")
    size = np.bincount(component, minlength=count)
    cyclic = (size[component] > 1)
    cyclic[src[src == dst]] = True
    cs, cd = component[src], component[dst]
    keep = cs != cd
    pairs = _sorted_unique(cs[keep].astype(np.int64) * count + cd[keep])
    cs, cd = pairs // count, pairs % count
    out_ptr = np.searchsorted(cs, np.arange(count + 1))
    indegree = np.bincount(cd, minlength=count)
    level = np.zeros(count, dtype=np.int64)
    frontier = np.flatnonzero(indegree == 0)
    depth = 0
    while frontier.size:
        level[frontier] = depth
        starts, ends = out_ptr[frontier], out_ptr[frontier + 1]
        targets = cd[_ranges(starts, ends - starts)]
        drop = np.bincount(targets, minlength=count)
        indegree -= drop
        frontier = np.flatnonzero((drop > 0) & (indegree == 0))
        depth += 1
    return component, level[component], cyclic, max(depth, 1)


@dataclass(frozen=True, eq=False)
class Pairs:
    """(scenario, node) pairs of an evaluation and their new availability."""

    scenario: np.ndarray
    node: np.ndarray
    value: np.ndarray


def evaluate(
    graph: SupplyGraph,
    structure: Structure,
    changes: Sequence[Mapping[int, float]],
    *,
    base: np.ndarray | None = None,
) -> Pairs:
    """Availability of every node (``base=None``), or where each scenario changes it.

    Parameters
    ----------
    graph, structure
        The graph and its :class:`Structure`.
    changes
        One mapping per scenario: node position → new own capacity.
    base
        Availability of the unchanged graph, used outside the cones. ``None`` computes
        the base itself: then ``changes`` must be ``[{}]`` and every node is evaluated.

    Returns
    -------
    Pairs
        With ``base``: for every scenario k, its changed nodes and every node whose
        availability moves by more than ``CHANGE_EPSILON``, with its new availability
        (any other node keeps its base availability). Without: every node, scenario 0.
    """
    n = structure.n
    if base is not None:
        seeds = np.array([k * n + v for k, ch in enumerate(changes) for v in ch], dtype=np.int64)
        seed_capacity = np.array([c for ch in changes for c in ch.values()], dtype=float)
        return _evaluate_changes(graph, structure, seeds, seed_capacity, base)
    keys = np.arange(n, dtype=np.int64)
    capacity = graph.capacity.copy()
    value = capacity.copy()
    lookup = pd.Index(keys)
    order = np.argsort(structure.level, kind="stable")
    bounds = np.searchsorted(structure.level[order], np.arange(structure.levels + 1))
    for lv in range(structure.levels):
        members = order[bounds[lv]:bounds[lv + 1]]
        _settle(structure, keys, lookup, np.zeros(n), value=value, capacity=capacity,
                members=members)
    return Pairs(np.zeros(n, dtype=np.int64), keys, value)


def _settle(structure: Structure, keys: np.ndarray, lookup: pd.Index, base: np.ndarray, *,
            value: np.ndarray, capacity: np.ndarray, members: np.ndarray) -> None:
    """Compute the pairs of one level in place: once outside cycles, iterated on cycles."""
    if members.size == 0:
        return
    cyclic = structure.cyclic[keys[members] % structure.n]
    plain = members[~cyclic]
    if plain.size:
        value[plain] = _Gather(structure, keys, lookup, base, plain).apply(value, capacity)
    looping = members[cyclic]
    n = structure.n
    for _ in range(0, MAX_CYCLE_ITERATIONS, _ROUND):
        if looping.size == 0:
            break
        gather = _Gather(structure, keys, lookup, base, looping)
        for _ in range(_ROUND):
            new = gather.apply(value, capacity)
            moved = np.abs(new - value[looping]) > TOLERANCE
            value[looping] = new
            if not moved.any():
                return
        # Scenarios are independent: keep iterating only those still moving.
        still = _sorted_unique(keys[looping[moved]] // n)
        scenario = keys[looping] // n
        position = np.minimum(np.searchsorted(still, scenario), still.size - 1)
        looping = looping[still[position] == scenario]


CHANGE_EPSILON = 1e-12
"""A change this small is not passed on (the rule never amplifies a change, so the error
this leaves anywhere is at most this much)."""


def _evaluate_changes(graph: SupplyGraph, structure: Structure, seeds: np.ndarray,
                      seed_capacity: np.ndarray, base: np.ndarray) -> Pairs:
    """Evaluate scenarios level by level, following only the pairs whose value changed.

    A pair (k, v) is evaluated when a critical supplier of v changed in scenario k (or v is
    a seed); a pair that stays within ``CHANGE_EPSILON`` of the base ends the walk there.

    Cycles: in a scenario that only lowers capacities the new availability is below the
    base everywhere, so the base is a valid start from above and a cycle is walked like the
    rest, member by member as changes reach them. A scenario that raises a capacity may
    lift a whole cycle at once (firms that sustain each other), so the cycle's members all
    come in and are iterated from the top.
    """
    n = structure.n
    seed_lookup = pd.Index(seeds)
    lowering = np.ones(int(seeds.max(initial=-1)) // n + 1 if seeds.size else 0, dtype=bool)
    raised = seeds[seed_capacity > graph.capacity[seeds % n]] // n
    lowering[raised] = False
    pending: list[list[np.ndarray]] = [[] for _ in range(structure.levels)]
    seed_level = structure.level[seeds % n]
    for lv in np.unique(seed_level):
        pending[int(lv)].append(seeds[seed_level == lv])
    changed_keys = np.zeros(0, dtype=np.int64)
    changed_values = np.zeros(0)
    for lv in range(structure.levels):
        if not pending[lv]:
            continue
        keys = _sorted_unique(np.concatenate(pending[lv]))
        pending[lv] = []
        keys, new_values, seeded = _settle_level(
            graph, structure, base, keys, lowering=lowering, seed_lookup=seed_lookup,
            seed_capacity=seed_capacity, done=(changed_keys, changed_values))
        moved = np.abs(new_values - base[keys % n]) > CHANGE_EPSILON
        keep = moved | seeded
        changed_keys = np.concatenate([changed_keys, keys[keep]])
        changed_values = np.concatenate([changed_values, new_values[keep]])
        _push_successors(structure, keys[moved], pending, lv)
    return Pairs(changed_keys // n, changed_keys % n, changed_values)


def _settle_level(graph: SupplyGraph, structure: Structure, base: np.ndarray, keys: np.ndarray,
                  *, lowering: np.ndarray, seed_lookup: pd.Index, seed_capacity: np.ndarray,
                  done: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compute one level's pairs; returns the keys (cycle members added), values, seed mask."""
    n = structure.n
    lifting = structure.cyclic[keys % n] & ~lowering[keys // n]
    if lifting.any():
        keys = _with_cycle_members(structure, keys, only=lifting)
    done_keys, done_values = done
    previous: pd.Series | None = None
    while True:
        node = keys % n
        capacity = graph.capacity[node].copy()
        at = seed_lookup.get_indexer(pd.Index(keys))
        capacity[at >= 0] = seed_capacity[at[at >= 0]]
        walked = structure.cyclic[node] & lowering[keys // n]
        start = capacity.copy()
        start[walked] = np.minimum(capacity[walked], base[node[walked]])
        if previous is not None:  # warm start: the last round's values are still above
            known = previous.index.get_indexer(pd.Index(keys))
            start[known >= 0] = previous.to_numpy()[known[known >= 0]]
        all_keys = np.concatenate([done_keys, keys])
        value = np.concatenate([done_values, start])
        members = np.arange(done_keys.size, all_keys.size)
        _settle(structure, all_keys, pd.Index(all_keys), base, value=value,
                capacity=np.concatenate([np.zeros(done_keys.size), capacity]), members=members)
        values = value[members]
        moved = walked & (np.abs(values - base[node]) > CHANGE_EPSILON)
        fresh = _same_level_successors(structure, keys[moved], keys)
        if fresh.size == 0:
            return keys, values, at >= 0
        previous = pd.Series(values, index=keys)
        keys = _sorted_unique(np.concatenate([keys, fresh]))


def _buyers(structure: Structure, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every critical buyer of the given pairs: (buyer pair key, supplier node, buyer node)."""
    n = structure.n
    node = keys % n
    starts = structure.out_ptr[node]
    counts = structure.out_ptr[node + 1] - starts
    target = structure.out_dst[_ranges(starts, counts)]
    return np.repeat(keys // n, counts) * n + target, np.repeat(node, counts), target


def _same_level_successors(structure: Structure, keys: np.ndarray, present: np.ndarray
                           ) -> np.ndarray:
    """Buyers on the same cycle as the given pairs that are not among ``present`` yet."""
    if keys.size == 0:
        return keys
    reached, source, target = _buyers(structure, keys)
    same = structure.component[target] == structure.component[source]
    reached = _sorted_unique(reached[same])
    position = np.minimum(np.searchsorted(present, reached), max(present.size - 1, 0))
    fresh: np.ndarray = reached[present[position] != reached] if present.size else reached
    return fresh


def _with_cycle_members(structure: Structure, keys: np.ndarray, *, only: np.ndarray
                        ) -> np.ndarray:
    """Add, for the selected pairs on a cycle, the other members of that cycle."""
    n = structure.n
    on_cycle = keys[only]
    if on_cycle.size == 0:
        return keys
    component = structure.component[on_cycle % n]
    starts = structure.member_ptr[component]
    counts = structure.member_ptr[component + 1] - starts
    members = structure.members[_ranges(starts, counts)]
    expanded = np.repeat(on_cycle // n, counts) * n + members
    return _sorted_unique(np.concatenate([keys, expanded]))


def _push_successors(structure: Structure, keys: np.ndarray, pending: list[list[np.ndarray]],
                     level: int) -> None:
    """Queue the critical buyers of changed pairs at their own (later) levels."""
    if keys.size == 0:
        return
    reached, _, target = _buyers(structure, keys)
    target_level = structure.level[target]
    later = target_level > level  # a same-level buyer is on the same cycle: the level's walk
    reached, target_level = reached[later], target_level[later]
    order = np.argsort(target_level, kind="stable")
    reached, target_level = reached[order], target_level[order]
    if reached.size == 0:
        return
    cuts = np.flatnonzero(np.r_[True, target_level[1:] != target_level[:-1]])
    for start, stop in zip(cuts, np.r_[cuts[1:], reached.size], strict=True):
        pending[int(target_level[start])].append(reached[start:stop])


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting: numpy's hash-based unique is far slower on int64 keys."""
    ordered = np.sort(values)
    if ordered.size == 0:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    unique: np.ndarray = ordered[keep]
    return unique


class _Gather:
    """The critical in-links of a set of pairs, resolved once, applied many times.

    Each in-link's source is looked up among the pairs of the same scenario (a hash
    lookup); a source outside the scenario's cone keeps its base availability.
    """

    def __init__(self, structure: Structure, keys: np.ndarray, lookup: pd.Index,
                 base: np.ndarray, members: np.ndarray) -> None:
        n = structure.n
        self.members = members
        node = keys[members] % n
        starts = structure.in_ptr[node]
        counts = structure.in_ptr[node + 1] - starts
        self.empty = int(counts.sum()) == 0
        if self.empty:
            return
        edge = _ranges(starts, counts)
        owner = np.repeat(np.arange(members.size), counts)
        source = structure.in_src[edge]
        position = lookup.get_indexer(np.repeat(keys[members] // n, counts) * n + source)
        self.found = position >= 0
        self.position = position[self.found]
        self.outside = base[source]
        self.w = structure.in_w[edge]
        self.segment = np.flatnonzero(structure.in_group_start[edge])
        segment_owner = owner[self.segment]
        self.first = np.flatnonzero(np.r_[True, segment_owner[1:] != segment_owner[:-1]])
        self.holders = segment_owner[self.first]

    def apply(self, value: np.ndarray, capacity: np.ndarray) -> np.ndarray:
        """One application of the availability rule to the pairs."""
        result: np.ndarray = capacity[self.members].copy()
        if self.empty:
            return result
        source_value = self.outside.copy()
        source_value[self.found] = value[self.position]
        deficit = self.w * (1.0 - source_value)
        supply = np.maximum(0.0, 1.0 - np.add.reduceat(deficit, self.segment))
        lowest = np.minimum.reduceat(supply, self.first)
        result[self.holders] = np.minimum(result[self.holders], lowest)
        return result
