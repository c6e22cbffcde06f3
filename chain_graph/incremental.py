"""Incremental re-analysis: the analysis after a few firms' own capacities changed.

A weekly status report (状态填报) changes what a few firms can produce, not the shape of the
chain. :func:`update` takes the :class:`~chain_graph.gaps.GapAnalysis` of the graph before
and the graph after, and returns the analysis :func:`~chain_graph.gaps.analyze` would give
on the graph after, computing only what the change can reach:

* **availability**: recomputed on the changed nodes' downstream cone, as far as values move
  (:func:`chain_graph.propagation.reevaluate`: the full evaluation's values, bit for bit);
  the group deficits of the buyers of the moved nodes with it;
* **blocked, starved, losses**: from the new capacities and availability (one pass over
  the nodes, as cheap as reading them);
* **recovery of each blocked supplier** (recovered value, affected firms and gains): again
  only for a supplier whose downstream cone reaches a *touched* node (changed, or moved)
  or a critical buyer of one — everywhere else its scenario sees the same capacities,
  availabilities and group deficits, so the same result; and for suppliers newly blocked;
* **exposure**: the same exact search, taking the exposure of every firm it evaluated
  before, unless that firm's cone reaches a touched node or a buyer of one;
* **restoration order**: kept when its candidates are the same and none of their cones
  meets the changed nodes' cone (every graph of the greedy differs from the old one there
  only), else computed again — it is a sequence of restorations, each depending on the
  ones before, and has no cheaper exact update;
* **single sources, key enterprises, links**: do not depend on capacities; kept.

The reach "whose cone meets X" is the set of ancestors of X along critical links, one
breadth-first walk over the in-links. A change of anything but own capacities and recovery
days (a link, a share, an output value) is not handled here: :func:`changed_nodes` says
``None`` and the caller analyses the whole graph.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chain_graph.analysis import blocked, losses, rank_blocked, starved
from chain_graph.gaps import GapAnalysis, blocked_table, restoration_candidates
from chain_graph.graph import SupplyGraph
from chain_graph.propagation import Structure, reevaluate

__all__ = ["ancestors", "changed_nodes", "descendants", "update"]

_CAPACITY_FREE = ("regions", "local_supply", "gap_list")
"""Cached figures of an analysis that do not depend on capacities: kept when computed."""

_NODE_FIELDS = (
    *("ids", "names", "adcodes", "chains", "is_project", "is_enterprise"),
    *("output_value", "tax", "annual_plan"),
)
_LINK_FIELDS = ("src", "dst", "w", "critical", "stock_days", "material", "material_key", "annual_value")


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a is b:
        return True
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def changed_nodes(before: SupplyGraph, after: SupplyGraph) -> np.ndarray | None:
    """Return the nodes whose own capacity or recovery days differ, or ``None``.

    ``None`` when the graphs differ in anything else (nodes, links, values, names, the
    catalogue): then only a whole analysis of ``after`` will do.

    Examples
    --------
    >>> from chain_graph.analysis import example_graph
    >>> from chain_graph.graph import from_networkx
    >>> g = from_networkx(example_graph())
    >>> changed_nodes(g, g.with_capacity(np.array([1.0, 0.5, 1.0, 1.0]))).tolist()
    [0, 1]
    >>> G = example_graph()
    >>> G.remove_edge("U", "E")
    >>> changed_nodes(g, from_networkx(G)) is None
    True
    """
    fields = (*_NODE_FIELDS, *_LINK_FIELDS)
    if not all(_same(getattr(before, name), getattr(after, name)) for name in fields):
        return None
    catalogues = before.catalogue, after.catalogue
    if catalogues[0] is not catalogues[1] and (
        catalogues[0] is None or catalogues[1] is None or not catalogues[0].equals(catalogues[1])
    ):
        return None
    recovery = before.recovery_days, after.recovery_days
    other_days = ~((recovery[0] == recovery[1]) | (np.isnan(recovery[0]) & np.isnan(recovery[1])))
    return np.flatnonzero((before.capacity != after.capacity) | other_days)


def _spans(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, s + c)`` for every (s, c)."""
    offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    spans: np.ndarray = np.arange(int(counts.sum()), dtype=np.int64) + offsets
    return spans


def _walk(structure: Structure, seeds: np.ndarray, *, upstream: bool) -> np.ndarray:
    """Mask of the nodes reachable from ``seeds`` (included) along critical links."""
    ptr, step = (structure.in_ptr, structure.in_src) if upstream else (structure.out_ptr, structure.out_dst)
    seen = np.zeros(structure.n, dtype=bool)
    frontier = np.unique(np.asarray(seeds, dtype=np.int64))
    seen[frontier] = True
    while frontier.size:
        starts = ptr[frontier]
        counts = ptr[frontier + 1] - starts
        reached = step[_spans(starts, counts)]
        frontier = np.unique(reached[~seen[reached]])
        seen[frontier] = True
    return seen


def ancestors(graph: SupplyGraph, nodes: np.ndarray) -> np.ndarray:
    """Mask of ``nodes`` and every node with a path of critical links to one of them.

    Examples
    --------
    >>> from chain_graph.analysis import example_graph
    >>> from chain_graph.graph import from_networkx
    >>> g = from_networkx(example_graph())
    >>> g.ids[ancestors(g, g.index_of(["E"]))].tolist()
    ['S', 'U', 'E']
    """
    return _walk(graph.structure, nodes, upstream=True)


def descendants(graph: SupplyGraph, nodes: np.ndarray) -> np.ndarray:
    """Mask of ``nodes`` and every node a path of critical links from one of them reaches.

    Examples
    --------
    >>> from chain_graph.analysis import example_graph
    >>> from chain_graph.graph import from_networkx
    >>> g = from_networkx(example_graph())
    >>> g.ids[descendants(g, g.index_of(["U"]))].tolist()
    ['U', 'E', 'P']
    """
    return _walk(graph.structure, nodes, upstream=False)


def _with_shape_of(previous: SupplyGraph, graph: SupplyGraph) -> SupplyGraph:
    """Return a copy of ``graph`` sharing ``previous``'s capacity-free cached parts (same shape)."""
    fields = {name: getattr(graph, name) for name in graph.__dataclass_fields__}
    _ = previous.structure
    return previous.lend_caches(SupplyGraph(**fields), structure=True)


def _updated_deficits(
    structure: Structure, deficit: np.ndarray, base: np.ndarray, moved: np.ndarray
) -> np.ndarray:
    """Return the group deficits at ``base``, recomputed only for the groups a moved node supplies."""
    updated = deficit.copy()
    starts = structure.out_ptr[moved]
    groups = np.unique(structure.out_group[_spans(starts, structure.out_ptr[moved + 1] - starts)])
    if groups.size == 0:
        return updated
    first = structure.group_ptr[groups]
    sizes = structure.group_ptr[groups + 1] - first
    members = _spans(first, sizes)
    terms = structure.in_w[members] * (1.0 - base[structure.in_src[members]])
    updated[groups] = np.add.reduceat(terms, np.cumsum(sizes) - sizes)  # as group_deficits sums them
    return updated


def _touched_reach(graph: SupplyGraph, touched: np.ndarray) -> np.ndarray:
    """Return the mask of the nodes whose downstream cone holds a touched node or a critical buyer of one."""
    structure = graph.structure
    starts = structure.out_ptr[touched]
    links = _spans(starts, structure.out_ptr[touched + 1] - starts)
    return ancestors(graph, np.concatenate([touched, structure.out_dst[links]]))


def update(previous: GapAnalysis, graph: SupplyGraph, *, changed: np.ndarray | None = None) -> GapAnalysis:
    """Return the analysis of ``graph``, updated from ``previous`` through the changes' cones.

    Parameters
    ----------
    previous
        The analysis of the graph before (from :func:`~chain_graph.gaps.analyze` or an update).
    graph
        The graph after: the same nodes and links, other own capacities or recovery days.
    changed
        The nodes that changed (:func:`changed_nodes`); found when not given.

    Returns
    -------
    GapAnalysis
        Equal to ``analyze(graph, settings=previous.settings)`` in every figure.

    Raises
    ------
    ValueError
        When the graphs differ in more than own capacities and recovery days.

    Examples
    --------
    Supplier S of the example graph reports back at full capacity: nothing is blocked,
    nothing is at risk.

    >>> from chain_graph.analysis import example_graph
    >>> from chain_graph.gaps import analyze
    >>> from chain_graph.graph import from_networkx
    >>> from chain_graph.settings import Settings
    >>> g = from_networkx(example_graph())
    >>> before = analyze(g, settings=Settings())
    >>> after = update(before, g.with_capacity(np.array([1.0, 1.0, 1.0, 1.0])))
    >>> after.summary()["blocked"], after.summary()["value_at_risk"], after.availability()["P"]
    (0, 0.0, 1.0)
    """
    old = previous.graph
    if changed is None:
        changed = changed_nodes(old, graph)
        if changed is None:
            msg = "the graphs differ in more than own capacities and recovery days: analyse the whole graph"
            raise ValueError(msg)
    settings = previous.settings
    changed = np.asarray(changed, dtype=np.int64)
    graph = _with_shape_of(old, graph)
    structure = graph.structure
    base = reevaluate(graph, structure, old.base_availability, changed)
    graph.__dict__["base_availability"] = base
    moved = np.flatnonzero(base != old.base_availability)
    graph.__dict__["group_deficit"] = _updated_deficits(structure, old.group_deficit, base, moved)
    touched = np.union1d(changed, moved)
    reach = _touched_reach(graph, touched)

    threshold = settings.blocked_threshold
    blocked_nodes = blocked(graph, threshold=threshold)
    was_blocked = np.zeros(graph.n, dtype=bool)
    before_table = previous.blocked.drop(columns="rank")
    was_blocked[before_table["node"].to_numpy(dtype=np.int64)] = True
    fresh = blocked_nodes[reach[blocked_nodes] | ~was_blocked[blocked_nodes]]
    keep = np.zeros(graph.n, dtype=bool)
    keep[blocked_nodes] = True
    keep[fresh] = False
    kept = before_table[keep[before_table["node"].to_numpy(dtype=np.int64)]]
    parts = [part for part in (kept, blocked_table(graph, fresh, settings=settings)) if len(part)]
    table = (
        pd.concat(parts).sort_values("node").reset_index(drop=True)
        if parts
        else blocked_table(graph, blocked_nodes, settings=settings)
    )

    updated = GapAnalysis(
        graph=graph,
        losses=losses(graph),
        blocked=rank_blocked(table),
        starved=graph.ids[starved(graph, threshold=threshold)].astype(str).tolist(),
        single_source=previous.single_source,
        links=previous.links,
        key_enterprises=previous.key_enterprises,
        settings=settings,
        known_exposure=_known_exposure(previous, reach),
        known_restoration=_known_restoration(previous, graph, table, changed=changed),
    )
    for name in _CAPACITY_FREE:
        if name in previous.__dict__:
            updated.__dict__[name] = previous.__dict__[name]
    return updated


def _known_exposure(previous: GapAnalysis, reach: np.ndarray) -> np.ndarray | None:
    """Return the exposures known before that stay exact: those of firms whose cone the change misses."""
    if previous.computed("exposure"):
        known = previous.exposure_values.copy()
    elif previous.known_exposure is not None:
        known = previous.known_exposure.copy()
    else:
        return None
    known[reach] = np.nan
    return known


def _known_restoration(
    previous: GapAnalysis, graph: SupplyGraph, table: pd.DataFrame, *, changed: np.ndarray
) -> pd.DataFrame | None:
    """Return the restoration order before if it is the same after; ``None`` when it may differ.

    The same when its candidates are the same and no candidate's cone meets the changed
    nodes' cone: every graph of the greedy (the picks so far restored) differs from its old
    counterpart inside that cone only, so every marginal value and every pick is the same.
    """
    if not previous.computed("restoration_order"):
        return None
    count = previous.settings.restoration_candidates
    candidates = restoration_candidates(table, count=count)
    before = restoration_candidates(previous.blocked, count=count)
    if set(candidates.tolist()) != set(before.tolist()):
        return None
    if ancestors(graph, np.flatnonzero(descendants(graph, changed)))[candidates].any():
        return None
    return previous.restoration_order
