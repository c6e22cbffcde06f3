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
* a change travels as a *delta*: when supplier s moves by δ in scenario k, each critical
  out-link s→v adds w·δ to v's (material) group, whose deficit is then the base deficit
  D_g = Σ w·(1 − a(s)) minus those deltas. A buyer is recomputed from its groups and its
  changed links only — never by gathering all its in-links, so a key enterprise with
  ten thousand suppliers costs what its few changed suppliers cost;
* nodes of a cycle are iterated until nothing moves by more than ``1e-13``: from the top
  (a = c) when a scenario raises a capacity, from the base (a valid start from above)
  when it only lowers capacities; either way the iteration decreases monotonically to
  the greatest fixed point.
  A cycle still moving after a few rounds (shares just short of 1 around it: each step
  moves it 0.00001 of the way) takes Newton steps (:func:`_newton`), confirmed by
  iterating on.

Every step is a numpy vector operation over (scenario, node) pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

from chain_graph.graph import SupplyGraph
from chain_graph.ordering import lexsort_codes, runs, stable_order

__all__ = ["Pairs", "Structure", "evaluate", "group_deficits", "reevaluate", "shifted_deficits"]

TOLERANCE = 1e-13
MAX_CYCLE_ITERATIONS = 100_000
_ROUND = 8  # iterations between dropping the scenarios whose cycles have settled
_NEWTON_AFTER = 4  # rounds of plain iteration before a cycle still moving takes Newton steps


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
    group_ptr: np.ndarray  # in-links of group g: in_*[group_ptr[g]:group_ptr[g + 1]]
    node_group_ptr: np.ndarray  # groups of node v: node_group_ptr[v]:node_group_ptr[v + 1]
    out_ptr: np.ndarray  # critical out-links: out_*[out_ptr[v]:out_ptr[v + 1]]
    out_dst: np.ndarray
    out_group: np.ndarray  # the buyer's group each out-link counts in
    out_w: np.ndarray
    internal_ptr: np.ndarray  # in-links of group g from its own cycle: internal_*[ptr[g]:ptr[g+1]]
    internal_src: np.ndarray
    internal_w: np.ndarray
    level: np.ndarray  # topological level of each node's strongly connected component
    component: np.ndarray
    cyclic: np.ndarray  # node sits on a cycle of critical links
    sustaining: np.ndarray  # node's cycle may sustain itself (see _self_sustaining)
    levels: int
    member_ptr: np.ndarray  # nodes of component c: members[member_ptr[c]:member_ptr[c + 1]]
    members: np.ndarray

    def cycle_of(self, keys: np.ndarray) -> np.ndarray:
        """Return a number per (scenario, node) pair of ``keys``: one per scenario and component."""
        components = int(self.component.max(initial=-1)) + 1
        numbered: np.ndarray = (keys // self.n) * components + self.component[keys % self.n]
        return numbered

    @classmethod
    def of(cls, graph: SupplyGraph) -> Structure:
        """Precompute the structure of ``graph`` (critical links only matter)."""
        n = graph.n
        crit = np.flatnonzero(graph.critical)
        src, dst, w = graph.src[crit], graph.dst[crit], graph.w[crit]
        material_code, _ = pd.factorize(graph.material_key[crit])
        order = lexsort_codes((material_code, dst))
        in_src, in_dst, in_mat, in_w = src[order], dst[order], material_code[order], w[order]
        del material_code
        in_ptr = np.searchsorted(in_dst, np.arange(n + 1))
        group_start = np.ones(len(order), dtype=bool)
        if len(order) > 1:
            group_start[1:] = (in_dst[1:] != in_dst[:-1]) | (in_mat[1:] != in_mat[:-1])
        del in_mat
        link_group = np.cumsum(group_start) - 1
        group_ptr = np.r_[np.flatnonzero(group_start), len(order)]
        node_group_ptr = np.searchsorted(in_dst[group_ptr[:-1]], np.arange(n + 1))
        in_position = np.empty(len(order), dtype=np.int64)
        in_position[order] = np.arange(len(order))
        out_order = stable_order(src)
        out_ptr = np.searchsorted(src[out_order], np.arange(n + 1))
        out_group = link_group[in_position[out_order]]
        del in_position
        component, level, cyclic, levels = _levels(n, src, dst)
        internal = np.flatnonzero(component[in_src] == component[in_dst])
        internal_ptr = np.searchsorted(link_group[internal], np.arange(len(group_ptr)))
        members = stable_order(component)
        member_ptr = np.searchsorted(component[members], np.arange(int(component.max(initial=-1)) + 2))
        sustaining = _self_sustaining(
            component, in_src[internal], in_dst[internal], w=in_w[internal], group=link_group[internal]
        )
        return cls(
            n,
            in_ptr,
            in_src,
            in_w,
            group_start,
            group_ptr,
            node_group_ptr,
            out_ptr,
            dst[out_order],
            out_group,
            w[out_order],
            internal_ptr,
            in_src[internal],
            in_w[internal],
            level,
            component,
            cyclic,
            sustaining,
            levels,
            member_ptr,
            members,
        )


def _levels(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Strongly connected components and the longest-path level of each in the condensation."""
    matrix = csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    count, component = connected_components(matrix, directed=True, connection="strong")
    size = np.bincount(component, minlength=count)
    cyclic = size[component] > 1
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


def _self_sustaining(
    component: np.ndarray, src: np.ndarray, dst: np.ndarray, *, w: np.ndarray, group: np.ndarray
) -> np.ndarray:
    """Nodes whose cycle contains a *self-sustaining core*; only there may a rise need a restart.

    Call a group *closed* when its in-links from its own cycle carry all of it (weights
    summing to 1). A core is a cycle of links of closed groups: firms that each take a whole
    material from the next, so "all stopped" and "all running" are both consistent, and
    the greatest fixed point must be found from the top. Where a cycle has no core, and no
    group takes more than its whole material from the cycle (the ledgers allow shares summing
    to 100.5 %: such a cycle counts as sustaining too), its fixed point (given what enters
    it) is unique: if two differed, the node of largest difference would sit in a closed
    group whose cycle suppliers all differ as much, and following them would close a core.
    Then a rise can be walked up from the base, and a Newton step (:func:`_newton`) that
    the rule confirms is that fixed point.
    """
    n = component.size
    if src.size == 0:
        return np.zeros(n, dtype=bool)
    order, starts = runs(group)
    carried = np.add.reduceat(w[order], starts)
    closed_group = carried >= 1.0 - 1e-9
    closed = np.zeros(src.size, dtype=bool)
    closed[order] = np.repeat(closed_group, np.diff(np.r_[starts, src.size]))
    s, d = src[closed], dst[closed]
    matrix = csr_matrix((np.ones(s.size), (s, d)), shape=(n, n))
    _, core_component = connected_components(matrix, directed=True, connection="strong")
    core = np.bincount(core_component)[core_component] > 1  # on a cycle of closed links
    core[s[s == d]] = True
    sustaining_component = np.zeros(int(component.max(initial=-1)) + 1, dtype=bool)
    sustaining_component[component[core]] = True
    # A group taking more than the whole material from its own cycle (shares may sum to 100.5 %)
    # passes on more than a difference it receives: such a cycle may have many fixed points.
    sustaining_component[component[dst[order[starts[carried > 1.0 + 1e-9]]]]] = True
    sustaining: np.ndarray = sustaining_component[component]
    return sustaining


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
    deficit: np.ndarray | None = None,
    forced: Sequence[Mapping[int, float]] | None = None,
) -> Pairs:
    """Availability of every node (``base=None``), or where each scenario changes it.

    Parameters
    ----------
    graph, structure
        The graph and its :class:`Structure`.
    changes
        One mapping per scenario: node position → new own capacity.
    base, deficit
        Availability of the unchanged graph, used outside the cones, and its group deficits
        (:func:`group_deficits`; computed from ``base`` when not given). ``base=None``
        computes the base itself: then ``changes`` must be ``[{}]`` and every node is
        evaluated.
    forced
        Per scenario (aligned with ``changes``): node position → its new availability,
        whatever its inputs (what a changed in-link gives a node; see
        :mod:`chain_graph.substitutes`). Only nodes off cycles may be forced.

    Returns
    -------
    Pairs
        With ``base``: for every scenario k, its changed nodes and every node whose
        availability moves by more than ``CHANGE_EPSILON``, with its new availability
        (any other node keeps its base availability). Without: every node, scenario 0.
    """
    n = structure.n
    if base is not None:
        fixed = list(forced) if forced is not None else [{} for _ in changes]
        seeds = np.array(
            [k * n + v for k, ch in enumerate(changes) for v in ch]
            + [k * n + v for k, ch in enumerate(fixed) for v in ch],
            dtype=np.int64,
        )
        seed_capacity = np.array(
            [c for ch in changes for c in ch.values()] + [c for ch in fixed for c in ch.values()], dtype=float
        )
        is_forced = np.r_[np.zeros(sum(map(len, changes)), bool), np.ones(sum(map(len, fixed)), bool)]
        if structure.cyclic[seeds[is_forced] % n].any():
            msg = "only nodes off cycles may be forced"
            raise ValueError(msg)
        if deficit is None:
            deficit = group_deficits(structure, base)
        return _evaluate_changes(
            graph,
            structure,
            seeds,
            seed_capacity=seed_capacity,
            base=base,
            deficit=deficit,
            forced=is_forced,
        )
    keys = np.arange(n, dtype=np.int64)
    capacity = graph.capacity.copy()
    value = capacity.copy()
    lookup = pd.Index(keys)
    order = stable_order(structure.level)
    bounds = np.searchsorted(structure.level[order], np.arange(structure.levels + 1))
    outside = np.zeros(n)
    for lv in range(structure.levels):
        members = order[bounds[lv] : bounds[lv + 1]]
        cyclic = structure.cyclic[members]
        plain = members[~cyclic]
        if plain.size:
            value[plain] = _Gather(structure, keys, lookup, outside, plain).apply(value, capacity)
        _iterate(
            members[cyclic],
            value=value,
            capacity=capacity,
            rule=lambda m: _Gather(structure, keys, lookup, outside, m),
            unique=~structure.sustaining,
            cycle=structure.cycle_of(keys),
        )
    return Pairs(np.zeros(n, dtype=np.int64), keys, value)


def reevaluate(graph: SupplyGraph, structure: Structure, base: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Availability after the own capacities of ``nodes`` changed, as ``evaluate(graph, …, [{}])`` gives it.

    ``graph`` holds the new capacities and ``base`` the availability before the change;
    ``structure`` is the shape both share. Only the downstream cone of ``nodes`` is walked,
    level by level, and only as far as values move: a node is recomputed from all its
    in-links by the very rule of the full evaluation, and a level's cycles, once a change
    reaches one of them, are iterated again from the top together with the level's other
    cycles, exactly as the full evaluation iterates them. So the result is the full
    evaluation's, bit for bit, not an approximation within a tolerance.
    """
    n = structure.n
    value = base.copy()
    capacity = graph.capacity
    keys = np.arange(n, dtype=np.int64)
    lookup = pd.Index(keys)
    outside = np.zeros(n)
    queued: list[list[np.ndarray]] = [[] for _ in range(structure.levels)]
    nodes = _sorted_unique(np.asarray(nodes, dtype=np.int64))
    level = structure.level[nodes]
    for lv in np.unique(level):
        queued[int(lv)].append(nodes[level == lv])
    level_order = stable_order(structure.level)
    bounds = np.searchsorted(structure.level[level_order], np.arange(structure.levels + 1))
    for lv in range(structure.levels):
        if not queued[lv]:
            continue
        reached = _sorted_unique(np.concatenate(queued[lv]))
        queued[lv] = []
        cyclic = structure.cyclic[reached]
        plain = reached[~cyclic]
        if plain.size:
            value[plain] = _Gather(structure, keys, lookup, outside, plain).apply(value, capacity)
        if cyclic.any():  # as the full evaluation: every cycle of the level, from the top
            members = level_order[bounds[lv] : bounds[lv + 1]]
            looping = members[structure.cyclic[members]]
            value[looping] = capacity[looping]
            _iterate(
                looping,
                value=value,
                capacity=capacity,
                rule=lambda m: _Gather(structure, keys, lookup, outside, m),
                unique=~structure.sustaining[keys % n],
                cycle=structure.cycle_of(keys),
            )
            reached = _sorted_unique(np.concatenate([plain, looping]))
        moved = reached[value[reached] != base[reached]]
        links, _ = _out_links(structure, moved)
        buyers = structure.out_dst[links]
        buyer_level = structure.level[buyers]
        later = buyer_level > lv
        buyers, buyer_level = buyers[later], buyer_level[later]
        for target in np.unique(buyer_level):
            queued[int(target)].append(buyers[buyer_level == target])
    return value


class _Rule(Protocol):
    members: np.ndarray

    def apply(self, value: np.ndarray, capacity: np.ndarray) -> np.ndarray: ...

    def affine(self) -> _Affine: ...


@dataclass(frozen=True, eq=False)
class _Affine:
    """A rule written out: member ``i`` takes ``min(capacity, min over its groups of max(0, 1 − D))``.

    Groups (*slots*) ``holder_slots[k] : holder_slots[k + 1]`` belong to member ``holders[k]``;
    slot ``j``'s deficit is ``constant[j] − Σ coefficient · value[position]`` over its links
    ``(slot, position, coefficient)`` (``position``: an index of ``value``).
    """

    holders: np.ndarray
    holder_slots: np.ndarray
    constant: np.ndarray
    slot: np.ndarray
    position: np.ndarray
    coefficient: np.ndarray


def _empty_affine() -> _Affine:
    """Return the rule of members without groups: each takes its capacity."""
    none = np.zeros(0, dtype=np.int64)
    return _Affine(none, np.zeros(1, dtype=np.int64), np.zeros(0), none, none, np.zeros(0))


def _iterate(
    looping: np.ndarray,
    *,
    value: np.ndarray,
    capacity: np.ndarray,
    rule: Callable[[np.ndarray], _Rule],
    unique: np.ndarray,
    cycle: np.ndarray,
) -> None:
    """Iterate the rule on the pairs ``looping`` (cycle members) in place until settled.

    The cycles of one level, in one scenario or another, are independent (``cycle``, per
    pair: which): every ``_ROUND`` iterations those that no longer move are
    dropped, so one slow cycle does not keep the level's others iterating.

    A cycle whose links carry nearly all of what its members need (weights just short of
    1 around it) moves by a factor just short of 1 an iteration: 0.99999 would take
    millions. So pairs still moving after ``_NEWTON_AFTER`` rounds take a Newton step
    (:func:`_newton`): each member's value under the group that binds it now, solved as
    one linear system. Where that guess of binding groups is right the iteration stops at
    once; where it is not, iterating goes on from there, and so does Newton. ``unique``
    (per pair): the pairs whose cycle has one fixed point (no self-sustaining core,
    :func:`_self_sustaining`), where any fixed point the iteration confirms is the one
    sought. The others are always iterated from above their greatest fixed point (from the
    top, or from the base when a scenario only lowers), and take a Newton step only when it
    provably stays above it (:func:`_newton`).
    """
    for round_ in range(0, MAX_CYCLE_ITERATIONS, _ROUND):
        if looping.size == 0:
            return
        step = rule(looping)
        if round_ >= _NEWTON_AFTER * _ROUND:
            one = unique[looping]
            _newton(step, value, capacity, solvable=one, above=False)
            _newton(step, value, capacity, solvable=~one, above=True)
        for _ in range(_ROUND):
            new = step.apply(value, capacity)
            moved = np.abs(new - value[looping]) > TOLERANCE
            value[looping] = new
            if not moved.any():
                return
        which = cycle[looping]
        still = _sorted_unique(which[moved])
        position = np.minimum(np.searchsorted(still, which), still.size - 1)
        looping = looping[still[position] == which]


def _newton(
    step: _Rule, value: np.ndarray, capacity: np.ndarray, *, solvable: np.ndarray, above: bool
) -> None:
    """Set the ``solvable`` members of ``step`` to the fixed point of the pieces binding them now.

    Each member takes the piece of the rule that is lowest at the current values: its
    capacity, 0 (its lowest group's supply is gone), or ``1 − D`` of its lowest group,
    linear in its suppliers (``x = J x + b``). The members' values are then that system's
    solution; the others keep theirs (members of one level never supply each other across
    cycles, so those of other cycles are constants here). A singular system changes nothing.

    Members whose cycle has one fixed point take the solution clipped to ``[0, capacity]``.
    The others (``above``: a cycle that may sustain itself, iterated from above its greatest
    fixed point ``x*``) take it only when it cannot fall below ``x*``: when ``I − J`` is a
    nonsingular M-matrix (``(I − J)⁻¹·1 > 0``) and ``0 ≤ solution ≤`` the current values.
    Then ``max(0, J x + b)`` bounds the rule from above on ``[0, current]`` and has the
    solution for its greatest fixed point there, which is at least ``x*``; iterating on from
    it descends to ``x*``.
    """
    members = step.members[solvable]
    if members.size == 0:
        return
    system, right = _binding_system(step, value, capacity, members)
    try:
        factors = splu(system.tocsc())
    except RuntimeError:  # exactly singular: a closed cycle
        return
    solution = np.atleast_1d(factors.solve(right))
    if not np.all(np.isfinite(solution)):
        return
    if not above:
        value[members] = np.clip(solution, 0.0, capacity[members])
        return
    growth = np.atleast_1d(factors.solve(np.ones(members.size)))
    now = value[members]
    if np.all(growth > 0.0) and np.all(solution >= -_SLACK) and np.all(solution <= now + _SLACK):
        value[members] = np.clip(solution, 0.0, now)


_SLACK = 1e-12
"""Rounding allowed when a Newton solution is compared with its bounds."""


def _binding_system(
    step: _Rule, value: np.ndarray, capacity: np.ndarray, members: np.ndarray
) -> tuple[csr_matrix, np.ndarray]:
    """Return ``I − J`` and ``b`` of the pieces binding ``members`` now (see :func:`_newton`)."""
    rule = step.affine()
    count = members.size
    index = np.full(value.size, -1, dtype=np.int64)  # a pair's unknown, -1: a constant
    index[members] = np.arange(count)
    ceiling = capacity[members]
    right = ceiling.copy()  # bound by its capacity (or without groups): takes it
    rows, columns, entries = [np.arange(count)], [np.arange(count)], [np.ones(count)]
    if rule.holders.size:
        given = rule.coefficient * value[rule.position]
        supply = 1.0 - rule.constant + np.bincount(rule.slot, weights=given, minlength=rule.constant.size)
        owner = np.repeat(np.arange(rule.holders.size), np.diff(rule.holder_slots))
        lowest = np.minimum.reduceat(supply, rule.holder_slots[:-1])
        low = np.flatnonzero(supply == lowest[owner])
        binding = low[np.r_[True, owner[low][1:] != owner[low][:-1]]]  # each holder's first lowest
        member = index[step.members[rule.holders]]
        solved = member >= 0
        member, binding, lowest = member[solved], binding[solved], lowest[solved]
        right[member[lowest <= 0.0]] = 0.0
        linear = (lowest > 0.0) & (lowest < ceiling[member])
        row_of_slot = np.full(rule.constant.size, -1, dtype=np.int64)
        row_of_slot[binding[linear]] = member[linear]
        right[member[linear]] = 1.0 - rule.constant[binding[linear]]
        link = np.flatnonzero(row_of_slot[rule.slot] >= 0)
        row, column = row_of_slot[rule.slot[link]], index[rule.position[link]]
        coefficient, inside = rule.coefficient[link], column >= 0
        rows.append(row[inside])
        columns.append(column[inside])
        entries.append(-coefficient[inside])
        outside = np.flatnonzero(~inside)  # suppliers not solved here keep their value
        np.add.at(right, row[outside], coefficient[outside] * value[rule.position[link[outside]]])
    system = csr_matrix(
        (np.concatenate(entries), (np.concatenate(rows), np.concatenate(columns))), shape=(count, count)
    )
    return system, right


CHANGE_EPSILON = 1e-12
"""A change this small is not passed on (the rule never amplifies a change, so the error
this leaves anywhere is at most this much)."""


def group_deficits(structure: Structure, availability: np.ndarray) -> np.ndarray:
    """D_g = Σ w·(1 − a(s)) over the critical in-links of each (buyer, material) group.

    The group's supply is ``max(0, 1 − D_g)``; a scenario moves D_g by the deltas of the
    suppliers it changes.
    """
    if structure.in_src.size == 0:
        return np.zeros(0)
    deficit: np.ndarray = np.add.reduceat(
        structure.in_w * (1.0 - availability[structure.in_src]), structure.group_ptr[:-1]
    )
    return deficit


def shifted_deficits(
    structure: Structure, deficit: np.ndarray, nodes: np.ndarray, delta: np.ndarray
) -> np.ndarray:
    """Group deficits after the availability of ``nodes`` moved by ``delta``."""
    links, owner = _out_links(structure, nodes)
    shift = np.bincount(
        structure.out_group[links], weights=structure.out_w[links] * delta[owner], minlength=deficit.size
    )
    shifted: np.ndarray = deficit - shift
    return shifted


def _evaluate_changes(
    graph: SupplyGraph,
    structure: Structure,
    seeds: np.ndarray,
    *,
    seed_capacity: np.ndarray,
    base: np.ndarray,
    deficit: np.ndarray,
    forced: np.ndarray,
) -> Pairs:
    """Evaluate scenarios level by level, following only the pairs whose value changed.

    A pair (k, v) is evaluated when a critical supplier of v changed in scenario k (or v is
    a seed); a pair that stays within ``CHANGE_EPSILON`` of the base ends the walk there.
    What a changed supplier passes on is queued at its buyer's level as (buyer pair, group,
    w·δ), so a buyer never gathers its unchanged in-links.

    Cycles: in a scenario that only lowers capacities the new availability is below the
    base everywhere, so the base is a valid start from above and a cycle is walked like the
    rest, member by member as changes reach them. In one that only raises capacities the
    base is a start from below, which reaches the greatest fixed point unless the cycle
    has a self-sustaining core (:func:`_self_sustaining`): such a cycle, and any cycle in a
    scenario that both raises and lowers, is taken in whole and iterated from the top.
    """
    n = structure.n
    seed_order = stable_order(seeds)
    seeds, seed_capacity, forced = seeds[seed_order], seed_capacity[seed_order], forced[seed_order]
    scenarios = int(seeds.max(initial=-1)) // n + 1 if seeds.size else 0
    lowering = np.ones(scenarios, dtype=bool)  # lowers only (or changes nothing)
    raising = np.ones(scenarios, dtype=bool)  # raises only
    now = np.where(forced, base[seeds % n], graph.capacity[seeds % n])
    lowering[seeds[seed_capacity > now] // n] = False
    raising[seeds[seed_capacity < now] // n] = False
    queued: list[list[np.ndarray]] = [[] for _ in range(structure.levels)]
    passed: list[list[_Passed]] = [[] for _ in range(structure.levels)]
    seed_level = structure.level[seeds % n]
    for lv in np.unique(seed_level):
        queued[int(lv)].append(seeds[seed_level == lv])
    changed_keys: list[np.ndarray] = []
    changed_values: list[np.ndarray] = []
    for lv in range(structure.levels):
        if not queued[lv] and not passed[lv]:
            continue
        incoming = _Passed.concatenate(passed[lv])
        keys = _sorted_unique(np.concatenate([*queued[lv], incoming.pair]))
        queued[lv], passed[lv] = [], []
        keys, new_values, seeded = _settle_level(
            graph,
            structure,
            base,
            keys,
            incoming.totals(n, deficit.size),
            lowering=lowering,
            raising=raising,
            seeds=seeds,
            seed_capacity=seed_capacity,
            deficit=deficit,
            forced=forced,
        )
        delta = new_values - base[keys % n]
        moved = np.abs(delta) > CHANGE_EPSILON
        keep = moved | seeded
        changed_keys.append(keys[keep])
        changed_values.append(new_values[keep])
        _pass_on(structure, keys[moved], delta[moved], passed, lv)
    all_keys = np.concatenate(changed_keys) if changed_keys else np.zeros(0, dtype=np.int64)
    all_values = np.concatenate(changed_values) if changed_values else np.zeros(0)
    return Pairs(all_keys // n, all_keys % n, all_values)


@dataclass(frozen=True, eq=False)
class _Passed:
    """Changes passed on along critical links: buyer pair key, buyer's group, w·δ."""

    pair: np.ndarray
    group: np.ndarray
    amount: np.ndarray

    @classmethod
    def concatenate(cls, parts: list[_Passed]) -> _Passed:
        if not parts:
            return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
        return cls(
            np.concatenate([p.pair for p in parts]),
            np.concatenate([p.group for p in parts]),
            np.concatenate([p.amount for p in parts]),
        )

    def totals(self, n: int, groups: int) -> tuple[np.ndarray, np.ndarray]:
        """Sum per (scenario, group): sorted keys ``scenario · groups + group`` and sums."""
        key = (self.pair // n) * groups + self.group
        if key.size == 0:
            return key, np.zeros(0)
        order, starts = runs(key)
        sums: np.ndarray = np.add.reduceat(self.amount[order], starts)
        return key[order[starts]], sums


def _settle_level(
    graph: SupplyGraph,
    structure: Structure,
    base: np.ndarray,
    keys: np.ndarray,
    incoming: tuple[np.ndarray, np.ndarray],
    *,
    lowering: np.ndarray,
    raising: np.ndarray,
    seeds: np.ndarray,
    seed_capacity: np.ndarray,
    deficit: np.ndarray,
    forced: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compute one level's pairs; returns the keys (cycle members added), values, seed mask."""
    n = structure.n

    def lifted(keys: np.ndarray) -> np.ndarray:
        """Pairs on cycles that must be iterated from the top, whole cycle at once."""
        scenario = keys // n
        whole: np.ndarray = (
            structure.cyclic[keys % n]
            & ~lowering[scenario]
            & (~raising[scenario] | structure.sustaining[keys % n])
        )
        return whole

    lifting = lifted(keys)
    if lifting.any():
        keys = _with_cycle_members(structure, keys, only=lifting)
    previous: pd.Series | None = None
    while True:
        node = keys % n
        capacity = graph.capacity[node].copy()
        at = _find(seeds, keys)
        capacity[at >= 0] = seed_capacity[at[at >= 0]]
        cyclic = structure.cyclic[node]
        walked = cyclic & ~lifted(keys)
        value = capacity.copy()
        value[walked] = np.minimum(capacity[walked], base[node[walked]])
        if previous is not None:  # warm start: the last round's values are still above
            known = previous.index.get_indexer(pd.Index(keys))
            value[known >= 0] = previous.to_numpy()[known[known >= 0]]

        def rule(members: np.ndarray, keys: np.ndarray = keys) -> _Deltas:
            return _Deltas(structure, keys, members, base=base, deficit=deficit, incoming=incoming)

        plain = np.flatnonzero(~cyclic)
        if plain.size:
            value[plain] = rule(plain).apply(value, capacity)
        pinned = np.flatnonzero(at >= 0)
        pinned = pinned[forced[at[pinned]]]
        value[pinned] = seed_capacity[at[pinned]]  # forced pairs (off cycles) take their value
        _iterate(
            np.flatnonzero(cyclic),
            value=value,
            capacity=capacity,
            rule=rule,
            unique=~structure.sustaining[node],
            cycle=structure.cycle_of(keys),
        )
        moved = walked & (np.abs(value - base[node]) > CHANGE_EPSILON)
        fresh = _same_level_successors(structure, keys[moved], keys)
        if fresh.size == 0:
            return keys, value, at >= 0
        previous = pd.Series(value, index=keys)
        keys = _sorted_unique(np.concatenate([keys, fresh]))


def _out_links(structure: Structure, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Critical out-links (positions in ``out_*``) of the pairs' nodes, and each one's pair."""
    node = keys % structure.n
    starts = structure.out_ptr[node]
    counts = structure.out_ptr[node + 1] - starts
    return _ranges(starts, counts), np.repeat(np.arange(keys.size), counts)


def _buyers(structure: Structure, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every critical buyer of the given pairs: (buyer pair key, supplier node, buyer node)."""
    n = structure.n
    links, owner = _out_links(structure, keys)
    target = structure.out_dst[links]
    return (keys[owner] // n) * n + target, keys[owner] % n, target


def _same_level_successors(structure: Structure, keys: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Buyers on the same cycle as the given pairs that are not among ``present`` yet."""
    if keys.size == 0:
        return keys
    reached, source, target = _buyers(structure, keys)
    same = structure.component[target] == structure.component[source]
    reached = _sorted_unique(reached[same])
    position = np.minimum(np.searchsorted(present, reached), max(present.size - 1, 0))
    fresh: np.ndarray = reached[present[position] != reached] if present.size else reached
    return fresh


def _with_cycle_members(structure: Structure, keys: np.ndarray, *, only: np.ndarray) -> np.ndarray:
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


def _pass_on(
    structure: Structure, keys: np.ndarray, delta: np.ndarray, passed: list[list[_Passed]], level: int
) -> None:
    """Queue what changed pairs pass on to their critical buyers at later levels."""
    if keys.size == 0:
        return
    n = structure.n
    links, owner = _out_links(structure, keys)
    target = structure.out_dst[links]
    target_level = structure.level[target]
    later = np.flatnonzero(target_level > level)  # same level: the same cycle, walked there
    links, owner, target, target_level = links[later], owner[later], target[later], target_level[later]
    if links.size == 0:
        return
    order = stable_order(target_level)
    links, owner, target, target_level = links[order], owner[order], target[order], target_level[order]
    pair = (keys[owner] // n) * n + target
    group = structure.out_group[links]
    amount = structure.out_w[links] * delta[owner]
    cuts = np.flatnonzero(np.r_[True, target_level[1:] != target_level[:-1]])
    for start, stop in zip(cuts, np.r_[cuts[1:], target_level.size], strict=True):
        passed[int(target_level[start])].append(
            _Passed(pair[start:stop], group[start:stop], amount[start:stop])
        )


def _find(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Position of each of ``keys`` in ``sorted_keys``, −1 where absent."""
    if sorted_keys.size == 0:
        return np.full(keys.size, -1, dtype=np.int64)
    position = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    found: np.ndarray = np.where(sorted_keys[position] == keys, position, -1)
    return found


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

    def __init__(
        self, structure: Structure, keys: np.ndarray, lookup: pd.Index, base: np.ndarray, members: np.ndarray
    ) -> None:
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

    def affine(self) -> _Affine:
        """Write the rule out (:class:`_Affine`): a found source's value is a variable."""
        if self.empty:
            return _empty_affine()
        slot = np.zeros(self.w.size, dtype=np.int64)
        slot[self.segment[1:]] = 1
        slot = np.cumsum(slot)
        constant = np.add.reduceat(np.where(self.found, self.w, self.w * (1.0 - self.outside)), self.segment)
        return _Affine(
            holders=self.holders,
            holder_slots=np.r_[self.first, self.segment.size],
            constant=constant,
            slot=slot[self.found],
            position=self.position,
            coefficient=self.w[self.found],
        )


class _Deltas:
    """The rule for scenario pairs, from their groups' deficits and what changed in them.

    A group's deficit in scenario k is its base deficit minus the deltas passed on by the
    suppliers that moved in k: those at earlier levels (``incoming``, fixed here) and, for
    a node on a cycle, its cycle's members among ``keys`` (their current values, so the
    rule can be iterated). A supplier of neither kind kept its base value.
    """

    def __init__(
        self,
        structure: Structure,
        keys: np.ndarray,
        members: np.ndarray,
        *,
        base: np.ndarray,
        deficit: np.ndarray,
        incoming: tuple[np.ndarray, np.ndarray],
    ) -> None:
        n = structure.n
        self.members = members
        node = keys[members] % n
        scenario = keys[members] // n
        starts = structure.node_group_ptr[node]
        counts = structure.node_group_ptr[node + 1] - starts
        self.holders = np.flatnonzero(counts)
        self.first = (np.cumsum(counts) - counts)[self.holders]
        group = _ranges(starts, counts)
        slot_scenario = np.repeat(scenario, counts)
        self.fixed = deficit[group]
        passed_key, passed_sum = incoming
        if passed_key.size and group.size:
            slot_key = slot_scenario * deficit.size + group
            at = np.minimum(np.searchsorted(passed_key, slot_key), passed_key.size - 1)
            hit = np.flatnonzero(passed_key[at] == slot_key)
            self.fixed[hit] -= passed_sum[at[hit]]
        on_cycle = np.flatnonzero(structure.cyclic[np.repeat(node, counts)])
        inner_start = structure.internal_ptr[group[on_cycle]]
        inner_count = structure.internal_ptr[group[on_cycle] + 1] - inner_start
        link = _ranges(inner_start, inner_count)
        slot = np.repeat(on_cycle, inner_count)
        source = structure.internal_src[link]
        source_key = slot_scenario[slot] * n + source
        position = np.minimum(np.searchsorted(keys, source_key), max(keys.size - 1, 0))
        found = np.flatnonzero(keys[position] == source_key) if keys.size else position
        self.inner_slot = slot[found]
        self.inner_position = position[found]
        self.inner_w = structure.internal_w[link[found]]
        self.inner_base = base[source[found]]

    def apply(self, value: np.ndarray, capacity: np.ndarray) -> np.ndarray:
        """One application of the availability rule to the pairs."""
        result: np.ndarray = capacity[self.members].copy()
        if self.first.size == 0:
            return result
        deficit = self.fixed
        if self.inner_slot.size:
            moved = self.inner_w * (value[self.inner_position] - self.inner_base)
            deficit = deficit - np.bincount(self.inner_slot, weights=moved, minlength=deficit.size)
        supply = np.maximum(0.0, 1.0 - deficit)
        result[self.holders] = np.minimum(result[self.holders], np.minimum.reduceat(supply, self.first))
        return result

    def affine(self) -> _Affine:
        """Write the rule out (:class:`_Affine`): a cycle member's value is a variable."""
        if self.first.size == 0:
            return _empty_affine()
        at_base = self.inner_w * self.inner_base
        return _Affine(
            holders=self.holders,
            holder_slots=np.r_[self.first, self.fixed.size],
            constant=self.fixed + np.bincount(self.inner_slot, weights=at_base, minlength=self.fixed.size),
            slot=self.inner_slot,
            position=self.inner_position,
            coefficient=self.inner_w,
        )
