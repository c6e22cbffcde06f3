"""Substitute suppliers (替代供应商, 供需对接) for blocked suppliers, ranked by what they give.

For a blocked supplier X and each of its links X → b of material m, the supply spec
(``docs/spec/supply.md``) names as candidates every firm Y ≠ X, b that already supplies m
to some buyer with own capacity c(Y) ≥ ``blocked_threshold``. A candidate's *gain* is the
value at risk now minus the value at risk once the link's share moves from X to Y (Y's
own availability a(Y) applies). Candidates are ranked by scope (local first), gain, the
number of buyers Y already supplies with m, and id.

How the gains are computed without one analysis per candidate:

* Moving the link changes only b's in-links, so only b and what lies downstream of b can
  change. When b is off cycles and Y is not downstream of b (the usual case), a(X) and
  a(Y) stay as they are, and b's new availability follows directly from its groups:
  ``min(c(b), other groups, max(0, 1 − D_m + w·(a(Y) − a(X))))``. The rest is one
  scenario of the propagation engine in which b is *forced* to that value — and
  candidates that give b the same value give the same gain, so one scenario serves them
  all. Scenarios are evaluated in batches, in rounds: for each link and scope only as
  many distinct values as the ranking can still need (the gain never falls as b's value
  rises, so a value whose gain is below the last needed one ends the search).
* When Y is downstream of b (the move closes a new cycle, which may sustain itself), b's
  new value is the greatest fixed point of "b's value given Y's, given b's", found by
  iterating forced scenarios from the top; what does not settle is solved exactly on b's
  downstream cone as a graph of its own, everything upstream held at its availability.
* When b sits on a cycle, the cycle's cone (the cycle and all below it, the same for every
  buyer on it) is solved in two steps (:class:`_CycleCone`): the cycle alone with the link
  moved — every link from outside the cycle a capacity scenario of one shared graph —
  then everything below as one scenario of the members' new values. A candidate below
  the cycle closes a new cycle through itself; its value after the move is the greatest
  fixed point of its value as a function of the moved link's, iterated from the top.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order

from chain_graph.graph import SupplyGraph
from chain_graph.ordering import runs, stable_order
from chain_graph.propagation import CHANGE_EPSILON, Pairs, _ranges, _sorted_unique, evaluate
from chain_graph.regions import Scope

__all__ = ["SUBSTITUTE_COLUMNS", "substitutes"]

SUBSTITUTE_COLUMNS = (
    "supplier_id",
    "buyer_id",
    "material",
    "rank",
    "candidate_id",
    "candidate_name",
    "scope",
    "gain",
    "gain_output",
    "gain_investment",
    "buyers",
    "availability",
)
GAIN_TIE = 1e-6
"""万元: gains this close rank as equal (then buyers, then id)."""
_SCOPE_RANK = {s.value: i for i, s in enumerate((Scope.LOCAL, Scope.IN_PROVINCE, Scope.OUT_OF_PROVINCE))}
_CHUNK = 4096
"""Scenarios per call of the engine, as in the analysis: bounded by the changed pairs they create."""
_LINKS = (32768, 8192)
"""Links ranked per batch, in a graph of at most / more than ``_LARGE`` links: bounds the
tables of (link, candidate) pairs and the cones and gains that serve them, which grow with
the graph. National set (when batches still held per-link arrays of the whole graph): peak
4.1 GiB with 8,192, 4.4 GiB with 32,768, for 20 % more time; now 3,427 MiB, and 4,096 links
a batch gain nothing more. A province takes one batch (1.6× one analysis; 1.95× in batches
of 8,192)."""
_LARGE = 1_000_000

_ITERATIONS = 50
"""Steps of the fixed-point descent for candidates downstream of the buyer (then: cone solve)."""
_SPARE = 2
"""Candidates kept per (material, scope) beyond ``top``: the supplier and the buyer (:class:`_Pool`)."""


@dataclass(frozen=True, eq=False)
class _Pool:
    """Candidates per material key: firms with c ≥ threshold supplying it, and to how many buyers.

    Members are in order of material (``keys``, sorted), then node; a national set has
    four million of them, kept as small integers (``code`` into ``keys``, ``node``).
    ``kept`` marks the few that can rank for some link. Call Z *above* Y when a(Z) ≥ a(Y)
    and Z comes first by buyers and id: Z's gain is then at least Y's — also when Z lies
    downstream of the buyer, whose gain is at least what its current availability gives
    (the fast formula is a lower bound there) — so Z ranks first. A candidate with
    ``top + _SPARE`` others above it can therefore rank only where more than ``_SPARE``
    of those are excluded, and only the link's supplier and buyer are.
    """

    keys: pd.Index
    code: np.ndarray
    node: np.ndarray
    buyers: np.ndarray
    scope_rank: np.ndarray
    kept: np.ndarray
    span: int
    """More than the largest node position (the graph's size): members are coded ``code · span + node``."""
    best_rest: pd.DataFrame | None = None
    """Per (``key``, ``scope_rank``) with members not kept: the first of those by buyers, then id
    (``buyers``, ``id_rank``); None: not known (any group may have some)."""

    @classmethod
    def of(cls, graph: SupplyGraph, *, threshold: float, scope_rank: np.ndarray, top: int) -> _Pool:
        able = np.flatnonzero(graph.capacity[graph.src] >= threshold - 1e-12)
        code, keys = pd.factorize(graph.material_key[able], sort=True)
        n = np.int64(graph.n)
        made = (code.astype(np.int64) * n + graph.src[able]) * n + graph.dst[able]
        del code, able
        made = _sorted_unique(made) // n
        starts = np.flatnonzero(np.r_[True, made[1:] != made[:-1]]) if made.size else made
        buyers = np.diff(np.r_[starts, made.size]).astype(np.int32)
        made = made[starts]
        del starts
        key_code, node = (made // n).astype(np.int32), (made % n).astype(np.int32)  # by material, then node
        del made
        rank = scope_rank[node].astype(np.int8)
        group = key_code.astype(np.int64) * (len(_SCOPE_RANK) + 1) + rank
        tiebreak = np.empty(node.size, dtype=np.int64)
        tiebreak[np.lexsort((graph.id_rank[node], -buyers))] = np.arange(node.size)
        kept = _skyline(group, graph.base_availability[node], tiebreak, keep=top + _SPARE)
        del group, tiebreak
        rest = np.flatnonzero(~kept)
        rest = rest[np.lexsort((graph.id_rank[node[rest]], -buyers[rest], rank[rest], key_code[rest]))]
        first = np.r_[True, (key_code[rest][1:] != key_code[rest][:-1]) | (rank[rest][1:] != rank[rest][:-1])]
        best = rest[first] if rest.size else rest
        best_rest = pd.DataFrame(
            {"buyers": buyers[best], "id_rank": graph.id_rank[node[best]]},
            index=pd.MultiIndex.from_arrays(
                [keys[key_code[best]], rank[best].astype(np.int64)], names=["key", "scope_rank"]
            ),
        )
        return cls(pd.Index(keys), key_code, node, buyers, rank, kept, graph.n, best_rest)

    @functools.cached_property
    def _encoded(self) -> np.ndarray:
        """Each member as ``code · span + node``: sorted, as the members are."""
        encoded: np.ndarray = self.code.astype(np.int64) * self.span + self.node
        return encoded

    def _code_of(self, keys: np.ndarray) -> np.ndarray:
        found: np.ndarray = self.keys.get_indexer(pd.Index(keys))
        return found

    def makes(self, key: object) -> _Bits:
        """Mark the nodes that are members making ``key`` (one packed mask per material, kept)."""
        found = self._makes.get(key)
        if found is None:
            mask = np.zeros(self.span, dtype=bool)
            mask[self.nodes_of(key)] = True
            found = self._makes[key] = _Bits(mask)
        return found

    @functools.cached_property
    def _makes(self) -> dict[object, _Bits]:
        return {}

    def members(self, keys: np.ndarray, nodes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Which members supply ``keys[i]`` and are among ``nodes[i]``, for every i.

        Returns (i, member position) pairs, in order of i, then of the node in ``nodes[i]``.
        """
        found = [part[self.makes(key)[part]] for key, part in zip(keys.tolist(), nodes, strict=True)]
        counts = np.array([part.size for part in found], dtype=np.int64)
        owner = np.repeat(np.arange(len(found)), counts)
        node = np.concatenate(found).astype(np.int64) if found else np.zeros(0, dtype=np.int64)
        code = self._code_of(keys)[owner]
        return owner, np.searchsorted(self._encoded, code * self.span + node)

    def _slice(self, key: object) -> slice:
        """Return where the members making ``key`` are."""
        code = self._code_of(np.array([key], dtype=object))[0]
        if code < 0:
            return slice(0, 0)
        at = np.searchsorted(self.code, [code, code + 1])
        return slice(int(at[0]), int(at[1]))

    def nodes_of(self, key: object) -> np.ndarray:
        """Return the members making ``key``."""
        nodes: np.ndarray = self.node[self._slice(key)].astype(np.int64)
        return nodes

    @functools.cached_property
    def bit(self) -> np.ndarray:
        """Each kept member's place among the kept makers of its material (−1: not kept)."""
        kept = np.flatnonzero(self.kept)
        key = self.code[kept]
        bit = np.full(self.code.size, -1, dtype=np.int64)
        if kept.size:
            first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            bit[kept] = np.arange(kept.size) - np.repeat(first, np.diff(np.r_[first, kept.size]))
        return bit

    @property
    def kept_bits(self) -> int:
        """The most kept makers of one material."""
        return int(self.bit.max()) + 1 if self.code.size else 0

    def kept_makers(self, key: object) -> tuple[np.ndarray, np.ndarray]:
        """Return the kept makers of ``key`` and their :attr:`bit`."""
        where = self._slice(key)
        mine = np.flatnonzero(self.kept[where]) + where.start
        return self.node[mine].astype(np.int64), self.bit[mine]

    def frame(self, *, kept_only: bool) -> pd.DataFrame:
        """Return the pool as a table (``key``, ``candidate``, ``buyers``, ``bit``)."""
        mask = self.kept if kept_only else np.ones(self.code.size, dtype=bool)
        return pd.DataFrame(
            {
                "key": np.asarray(self.keys, dtype=object)[self.code[mask]],
                "candidate": self.node[mask].astype(np.int64),
                "buyers": self.buyers[mask].astype(np.int64),
                "bit": self.bit[mask],
            }
        )


class _Bits:
    """A mask over the nodes packed eight to a byte: kept per material, a million nodes each."""

    def __init__(self, mask: np.ndarray) -> None:
        self._packed = np.packbits(mask)

    def __getitem__(self, positions: np.ndarray) -> np.ndarray:
        """Whether each of ``positions`` is marked.

        Examples
        --------
        >>> _Bits(np.array([True, False, False, True, False, False, False, False, True]))[np.array([8, 1, 3])]
        array([ True, False,  True])
        """
        at = np.asarray(positions, dtype=np.int64)
        bits: np.ndarray = ((self._packed[at >> 3] >> (7 - (at & 7)).astype(np.uint8)) & 1).astype(bool)
        return bits


def _skyline(group: np.ndarray, value: np.ndarray, tiebreak: np.ndarray, *, keep: int) -> np.ndarray:
    """Mark, per group, the members with fewer than ``keep`` others above them (a superset).

    *Above*: a value at least as high and a smaller tiebreak. A member is kept when fewer
    than ``keep`` of its own value class come first and its tiebreak beats the
    ``keep``-th best of all higher classes.
    """
    order = np.lexsort((tiebreak, -value, group))
    kept = np.zeros(group.size, dtype=bool)
    g_sorted, v_sorted, t_sorted = group[order], value[order], tiebreak[order]
    new_class = np.r_[True, (g_sorted[1:] != g_sorted[:-1]) | (v_sorted[1:] != v_sorted[:-1])]
    position = np.arange(order.size)
    in_class = position - np.maximum.accumulate(np.where(new_class, position, 0))
    # beyond its class's first `keep`, a member is never kept nor among the `keep` best
    few = np.flatnonzero(in_class < keep)
    order, g_sorted, v_sorted, t_sorted = order[few], g_sorted[few], v_sorted[few], t_sorted[few]
    best: list[int] = []  # max-heap (negated) of the `keep` smallest tiebreaks of higher classes
    class_start = 0
    for i in range(order.size):
        if i == 0 or g_sorted[i] != g_sorted[i - 1]:
            best, class_start = [], i
        elif v_sorted[i] != v_sorted[i - 1]:
            for t in t_sorted[class_start:i].tolist():
                if len(best) < keep:
                    heapq.heappush(best, -t)
                elif t < -best[0]:
                    heapq.heapreplace(best, -t)
            class_start = i
        if len(best) < keep or t_sorted[i] < -best[0]:
            kept[order[i]] = True
    return kept


def substitutes(
    graph: SupplyGraph,
    suppliers: Iterable[int] | np.ndarray,
    *,
    threshold: float,
    top: int,
    scope: np.ndarray,
) -> pd.DataFrame:
    """Rank the substitutes for every link of the given (blocked) suppliers.

    Parameters
    ----------
    graph
        The supply graph.
    suppliers
        Node positions of the suppliers (usually the blocked ones), in output order.
    threshold
        ``blocked_threshold``: a candidate's own capacity must reach it.
    top
        ``substitute_top``: candidates kept per link.
    scope
        Each node's scope (``local``, ``in_province``, ``out_of_province``, ``unknown``;
        :func:`chain_graph.supply.node_regions`).

    Returns
    -------
    pandas.DataFrame
        Columns ``SUBSTITUTE_COLUMNS``: per link (supplier, buyer, material as written)
        its candidates ranked 1…``top``; ``gain`` = ``gain_output`` +
        ``gain_investment`` (万元), ``buyers`` the buyers the candidate supplies with the
        material, ``availability`` its a(Y). Links without candidates have no rows.

    Examples
    --------
    Stopped S supplies 60 % of E's steel; U (normal) and V (own capacity 95 %, but its own
    ore supplier is at half) also make steel::

        S(c=0) ─钢 60%─▶ E(1000)        U ─钢─▶ F      V ─钢─▶ F     M(c=.5) ─矿─▶ V

    >>> import networkx as nx
    >>> from chain_graph.graph import from_networkx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("S", capacity=0.0); G.add_node("M", capacity=0.5); G.add_node("V", capacity=0.95)
    >>> G.add_node("E", is_enterprise=True, output_value=1000.0)
    >>> G.add_node("F", is_enterprise=True, output_value=10.0)
    >>> _ = G.add_edge("S", "E", key="钢", w=0.6)
    >>> _ = G.add_edge("U", "F", key="钢", w=0.5); _ = G.add_edge("V", "F", key="钢", w=0.5)
    >>> _ = G.add_edge("M", "V", key="矿", w=1.0)
    >>> g = from_networkx(G)
    >>> t = substitutes(g, [0], threshold=0.9, top=5, scope=np.full(g.n, "local", dtype=object))
    >>> t[["candidate_id", "gain", "availability"]].round(6).values.tolist()
    [['U', 600.0, 1.0], ['V', 300.0, 0.5]]
    """
    suppliers = np.asarray(list(suppliers) if not isinstance(suppliers, np.ndarray) else suppliers, np.int64)
    links = _links_of(graph, suppliers)
    if links.size == 0:
        return _empty()
    solver = _Solver(graph, scope=np.asarray(scope, dtype=object), links=links)
    pool = _Pool.of(graph, threshold=threshold, scope_rank=solver.scope_rank, top=top)
    solver.prepare(pool)
    batch = _LINKS[graph.src.size > _LARGE]
    parts = [solver.rank(links[i : i + batch], pool, top=top) for i in range(0, links.size, batch)]
    found = [p for p in parts if p["link"].size]
    del parts, solver, pool  # their tables and cones are let go before the result is built
    if not found:
        return _empty()
    # a column at a time, each batch's part let go once joined
    joined = {name: np.concatenate([part.pop(name) for part in found]) for name in _PART_COLUMNS}
    e, y = joined.pop("link"), joined.pop("candidate")
    columns: dict[str, np.ndarray | pd.Series] = {}
    for name in SUBSTITUTE_COLUMNS:
        if name in joined:
            columns[name] = joined.pop(name)
        elif name == "availability":
            columns[name] = graph.base_availability[y]
        else:
            columns[name] = _texts(_text_column(graph, scope, name, e, y))
    return pd.DataFrame(columns, copy=False)  # neither copied nor consolidated: the result's peak


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in SUBSTITUTE_COLUMNS})


_Part = dict[str, np.ndarray]
"""One batch's rows of the result, as columns (:data:`_PART_COLUMNS`): the texts of the
result are looked up once all batches are joined, so that the batches hold numbers only."""
_PART_COLUMNS = ("link", "candidate", "rank", "gain", "gain_output", "gain_investment", "buyers")


def _links_of(graph: SupplyGraph, suppliers: np.ndarray) -> np.ndarray:
    """Out-links of the suppliers: in the suppliers' order, then by buyer id and material."""
    order = np.full(graph.n, -1, dtype=np.int64)
    order[suppliers] = np.arange(suppliers.size)
    links = np.flatnonzero(order[graph.src] >= 0)
    material_rank = pd.Series(graph.material[links].astype(str)).rank(method="dense").to_numpy()
    keys = np.lexsort((material_rank, graph.id_rank[graph.dst[links]], order[graph.src[links]]))
    ordered: np.ndarray = links[keys]
    return ordered


class _Solver:
    """Gains of moves on one graph, memoised; exact cone solves where the engine cannot."""

    def __init__(self, graph: SupplyGraph, *, scope: np.ndarray, links: np.ndarray) -> None:
        self.g = graph
        self.base = graph.base_availability
        self.scope_rank = np.array([_SCOPE_RANK.get(str(s), 3) for s in scope], dtype=np.int64)
        self.scope = scope
        structure = graph.structure
        self.cyclic = structure.cyclic
        crit = graph.critical
        self.matrix = csr_matrix(
            (np.ones(int(crit.sum())), (graph.src[crit], graph.dst[crit])), shape=(graph.n, graph.n)
        )
        self.matrix_into = self.matrix.T.tocsr()
        self._descendants: dict[int, np.ndarray] = {}
        self._upstream: dict[object, _Bits] = {}  # by material key: see _upstream_of
        self._forced: dict[tuple[int, float], tuple[float, float]] = {}
        self._split = _Memo()  # (link, level) → gains (output, investment) evaluated exactly
        self.moved = links
        self.slot = np.full(graph.src.size, -1, dtype=np.int32)  # each moved link's row in what follows
        self.slot[links] = np.arange(links.size, dtype=np.int32)
        self._groups = _GroupSupply(graph, slot=self.slot, moved=links)
        self._cycles: dict[int, _CycleCone] = {}  # by strongly connected component
        self._below = np.zeros((0, 1), dtype=np.uint64)  # see prepare

    # --- the downstream cone of a buyer ------------------------------------------------------

    def descendants(self, b: int, *, keep: bool = True, ordered: bool = True) -> np.ndarray:
        """Sorted nodes reachable from b along critical links (b itself excluded unless on a cycle).

        ``keep``: remember them for the next call (a cone high up the chain can be large);
        not ``ordered``: in the order they are reached, neither sorted nor remembered.
        """
        found = self._descendants.get(b)
        if found is None:
            reached = breadth_first_order(self.matrix, b, directed=True, return_predecessors=False)
            found = reached[1:] if not self.cyclic[b] else reached
            if not ordered:
                return np.asarray(found)
            found = np.sort(found)
            if keep:
                self._descendants[b] = found
        return found

    # --- ranking --------------------------------------------------------------------------

    def rank(self, links: np.ndarray, pool: _Pool, *, top: int) -> _Part:
        """Rank the candidates of a batch of links (:meth:`prepare` first).

        The kept candidates are ranked first; candidates outside the pool's kept ones can
        rank only when downstream of the buyer (:class:`_Pool`), and are looked for only
        where their best possible gain could still take a place (:meth:`_extra_down`).
        """
        g = self.g
        pairs = _pairs(g, links, pool.frame(kept_only=True), orders=np.arange(links.size))
        if pairs.empty:
            return {name: np.zeros(0, dtype=np.int64) for name in _PART_COLUMNS}
        e = pairs["link"].to_numpy()
        y = pairs["candidate"].to_numpy()
        b = g.dst[e]
        critical = g.critical[e]
        bit = pairs.pop("bit").to_numpy()
        below = (self._below[self.slot[e], bit // 64] >> (bit % 64).astype(np.uint64)) & np.uint64(1)
        down = critical & (below == 1)
        pairs["down"] = down
        pairs["scope_rank"] = self.scope_rank[y]
        fast = critical & ~self.cyclic[b] & ~down
        pairs["value"] = np.nan
        pairs.loc[fast, "value"] = self._groups.moved_value(e[fast], y[fast], self.base)
        pairs["gain_output"] = np.where(critical, np.nan, 0.0)
        pairs["gain_investment"] = pairs["gain_output"]
        self._search(pairs, fast=fast, cyclic_buyer=critical & self.cyclic[b] & ~down, top=top)
        extra = self._extra_down(links, pairs, pool, top=top)
        if len(extra):
            pairs = pd.concat([pairs, extra], ignore_index=True)
        is_down = g.critical[pairs["link"].to_numpy()] & pairs["down"].to_numpy()
        self._exact(pairs, individually=is_down & self._may_rank(pairs, is_down, top=top))
        ranked = self._top(pairs, top=top)
        self._release()
        return ranked

    def _release(self) -> None:
        """Forget what served this batch's links: their gains, their cones and cycle graphs."""
        self._split = _Memo()
        self._forced.clear()  # by buyer and value: little shared between batches, a million at national scale
        self._descendants.clear()
        for cone in self._cycles.values():
            cone.release()

    def prepare(self, pool: _Pool) -> None:
        """Mark, for every moved critical link, the pool's kept makers of its material below its buyer.

        ``_below[slot[link]]`` holds one bit per kept maker of the link's material (its place
        among them, :attr:`_Pool.bit`): one walk against the links per material, every kept
        maker's bit carried up to all the nodes that reach it.
        """
        g = self.g
        words = max(1, -(-int(pool.kept_bits) // 64))
        self._below = np.zeros((self.moved.size, words), dtype=np.uint64)
        moved = self.moved[g.critical[self.moved]]
        keys = g.material_key[moved]
        for key in pd.unique(keys).tolist():
            makers = pool.kept_makers(key)
            if makers[0].size == 0:
                continue
            mine = moved[keys == key]
            self._below[self.slot[mine]] = self._reach(*makers, words=words)[g.dst[mine]]

    def _reach(self, nodes: np.ndarray, bits: np.ndarray, *, words: int) -> np.ndarray:
        """Return per node the bits of the ``nodes`` it reaches along critical links (one link or more)."""
        into = self.matrix_into
        reach = np.zeros((self.g.n, words), dtype=np.uint64)
        starts = into.indptr[nodes]
        counts = into.indptr[nodes + 1] - starts
        parents = into.indices[_ranges(starts, counts)]
        owner = np.repeat(np.arange(nodes.size), counts)
        np.bitwise_or.at(
            reach, (parents, bits[owner] // 64), np.uint64(1) << (bits[owner] % 64).astype(np.uint64)
        )
        frontier = np.unique(parents)
        while frontier.size:
            starts = into.indptr[frontier]
            counts = into.indptr[frontier + 1] - starts
            parents = into.indices[_ranges(starts, counts)]
            before = reach[parents]
            np.bitwise_or.at(reach, parents, reach[np.repeat(frontier, counts)])
            frontier = np.unique(parents[(reach[parents] != before).any(axis=1)])
        return reach

    def _bounds(self, links: np.ndarray) -> np.ndarray:
        """Gain (万元) of moving each critical link to a perfect supplier (a = 1) outside b's cone.

        An upper bound of any candidate's gain: a candidate's value at b can only be lower.
        """
        g = self.g
        bound = np.zeros(links.size)
        on_cycle = self.cyclic[g.dst[links]]
        plain = np.flatnonzero(~on_cycle)
        ideal = self._groups.moved_value(links[plain], np.full(plain.size, -1), np.r_[self.base, 1.0])
        forced = list(zip(g.dst[links[plain]].tolist(), np.round(ideal, 12).tolist(), strict=True))
        bound[plain] = np.array(self._forced_gains(forced), dtype=float).reshape(-1, 2).sum(axis=1)
        cyclic = np.flatnonzero(on_cycle)
        first, back = np.unique(links[cyclic], return_inverse=True)
        bound[cyclic] = self._cycle_gains(first, np.ones(first.size)).sum(axis=1)[back]
        return bound

    def _cuts(self, pairs: pd.DataFrame, down: np.ndarray, *, top: int) -> tuple[pd.Series, pd.DataFrame]:
        """Per (order, scope): the places left (``need``) and the candidate in the last of them.

        The last place is the one the candidates not downstream of b fill (``gain_key``,
        ``buyers``, ``id_rank``); none where they do not fill it.
        """
        known = self._ranking(pairs.iloc[np.flatnonzero(~down)])
        before = pairs.groupby(["order", "scope_rank"]).size()
        earlier = before.groupby(level="order").cumsum() - before
        need = (top - earlier).clip(lower=0)
        known = known.assign(place=known.groupby(["order", "scope_rank"]).cumcount() + 1)
        at = pd.MultiIndex.from_frame(known[["order", "scope_rank"]])
        last = known[known["place"].to_numpy() == need.reindex(at).to_numpy()].set_index(
            ["order", "scope_rank"]
        )
        return need, last

    def _extra_down(self, links: np.ndarray, pairs: pd.DataFrame, pool: _Pool, *, top: int) -> pd.DataFrame:
        """Return the candidates beyond the pool's kept ones that lie below the buyer and may rank.

        Such a candidate Y has ``top + _SPARE`` kept ones of its scope above it
        (:class:`_Pool`), so the kept candidates already fill ``top`` of its scope and it
        changes no scope's count of places. It can rank only where a place is left in its
        scope and a perfect supplier's gain (:meth:`_bounds`) beats the last place the
        candidates not downstream fill (or they do not fill it) — on a tie, only when some
        member not kept comes before that place's by buyers and id: only those links' cones
        are searched, and only those scopes' candidates returned.
        """
        g = self.g
        columns = ["order", "link", "candidate", "buyers", "scope_rank"]
        down = pairs["down"].to_numpy()
        need, last = self._cuts(pairs, down, top=top)
        count = pairs.groupby(["order", "scope_rank"]).size()
        open_ = count[(count >= top) & (need.reindex(count.index).to_numpy() > 0)]
        orders = open_.index.get_level_values(0).to_numpy()
        scopes = open_.index.get_level_values(1).to_numpy()
        link = links[orders]
        reaches = g.critical[link]
        keys = g.material_key[link]
        for key in pd.unique(keys[reaches]).tolist():
            mine = np.flatnonzero(reaches & (keys == key))
            reaches[mine] = self._upstream_of(key, pool)[g.dst[link[mine]]]
        # some member not kept, of the link's material and scope, beats the last place's buyers and id
        if pool.best_rest is None:  # not known: any group may have some, ahead of any place
            best_buyers, best_id = np.full(keys.size, np.inf), np.full(keys.size, -1.0)
        else:
            best = pool.best_rest.reindex(pd.MultiIndex.from_arrays([keys, scopes]))
            best_buyers, best_id = best["buyers"].to_numpy(dtype=float), best["id_rank"].to_numpy(dtype=float)
        cut = last.reindex(pd.MultiIndex.from_arrays([orders, scopes]))
        cut_buyers, cut_id = cut["buyers"].to_numpy(dtype=float), cut["id_rank"].to_numpy(dtype=float)
        ahead = (best_buyers > cut_buyers) | ((best_buyers == cut_buyers) & (best_id < cut_id))
        reaches &= ~np.isnan(best_buyers)
        orders, scopes, link, ahead = orders[reaches], scopes[reaches], link[reaches], ahead[reaches]
        cut_gain = cut["gain_key"].to_numpy(dtype=float)[reaches]
        unique, back = np.unique(link, return_inverse=True)
        bound_key = -np.round(self._bounds(unique) / GAIN_TIE)[back]
        may = np.isnan(cut_gain) | (bound_key < cut_gain) | ((bound_key == cut_gain) & ahead)
        wanted = pd.DataFrame({"order": orders[may], "scope_rank": scopes[may]})
        if wanted.empty:
            return pd.DataFrame({c: np.zeros(0, dtype=np.int64) for c in columns})
        found = self._down_pairs(links, pool, rows=np.unique(wanted["order"].to_numpy()))
        found = found.merge(wanted, on=["order", "scope_rank"], how="inner")
        found = found.merge(
            pairs[["order", "candidate"]], on=["order", "candidate"], how="left", indicator=True
        )
        found = found[found["_merge"] == "left_only"].drop(columns="_merge").reset_index(drop=True)
        return found.assign(down=True, value=np.nan, gain_output=np.nan, gain_investment=np.nan)

    def _may_rank(self, pairs: pd.DataFrame, down: np.ndarray, *, top: int) -> np.ndarray:
        """Which downstream candidates could still make their link's top.

        Such a candidate gives at most what a perfect supplier (a = 1) would, the forced
        value ``min(c(b), other groups, 1 − D + w·(1 − a(X)))`` at b (its own value can
        only be lower). It may rank when that bound, with its buyers and id, beats the
        last place the other candidates already fill in its scope.
        """
        g = self.g
        rows = np.flatnonzero(down)
        result = down.copy()
        if rows.size == 0:
            return result
        links = pairs["link"].to_numpy()[rows]
        first, back = np.unique(links, return_inverse=True)
        bound = self._bounds(first)[back]
        need, last = self._cuts(pairs, down, top=top)
        where = pd.MultiIndex.from_arrays(
            [pairs["order"].to_numpy()[rows], pairs["scope_rank"].to_numpy()[rows]]
        )
        cut_gain = last["gain_key"].reindex(where).to_numpy()
        cut_buyers = last["buyers"].reindex(where).to_numpy()
        cut_id = last["id_rank"].reindex(where).to_numpy()
        gain_key = -np.round(bound / GAIN_TIE)
        buyers = pairs["buyers"].to_numpy()[rows]
        id_rank = g.id_rank[pairs["candidate"].to_numpy()[rows]]
        beats = (gain_key < cut_gain) | (
            (gain_key == cut_gain) & ((buyers > cut_buyers) | ((buyers == cut_buyers) & (id_rank < cut_id)))
        )
        open_place = np.isnan(cut_gain)  # fewer candidates than places: every one may rank
        no_place = need.reindex(where).fillna(0).to_numpy() <= 0
        result[rows] = (beats | open_place) & ~no_place
        return result

    def _down_pairs(self, links: np.ndarray, pool: _Pool, *, rows: np.ndarray) -> pd.DataFrame:
        """Every pool candidate downstream of its link's buyer, for the links at ``rows`` (critical ones).

        The buyer's cone is walked only where the buyer reaches some maker of the link's
        material in the pool (:meth:`_upstream_of`, one walk per material); the cone's
        nodes are then looked up in the pool by (material, node), all links at once.
        """
        g = self.g
        columns = ["order", "link", "candidate", "buyers", "scope_rank"]
        critical = rows[g.critical[links[rows]]]
        if critical.size == 0 or pool.code.size == 0:
            return pd.DataFrame({c: np.zeros(0, dtype=np.int64) for c in columns})
        b = g.dst[links[critical]]
        keys = g.material_key[links[critical]]
        maybe = np.zeros(critical.size, dtype=bool)
        for key in pd.unique(keys).tolist():
            mine = np.flatnonzero(keys == key)
            maybe[mine] = self._upstream_of(key, pool)[b[mine]]
        rows, b, keys = critical[maybe], b[maybe], keys[maybe]
        below: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * rows.size
        by_buyer, starts = runs(b)
        for mine in np.split(by_buyer, starts[1:]) if b.size else []:
            cone = self.descendants(int(b[mine[0]]), ordered=False)  # one at a time: they can be large
            for i in mine.tolist():
                below[i] = cone[pool.makes(keys[i])[cone]]
        owner, member = pool.members(keys, below)
        link = links[rows[owner]]
        candidate = pool.node[member].astype(np.int64)
        keep = (candidate != g.src[link]) & (candidate != g.dst[link])
        owner, member, link, candidate = owner[keep], member[keep], link[keep], candidate[keep]
        return pd.DataFrame(
            {
                "order": rows[owner],
                "link": link,
                "candidate": candidate,
                "buyers": pool.buyers[member],
                "scope_rank": pool.scope_rank[member],
            }
        ).astype(np.int64)

    def _upstream_of(self, key: object, pool: _Pool) -> _Bits:
        """Mark the nodes from which a pool member making ``key`` is reached along critical links.

        One walk against the links, from all the material's pool members at once; a member
        is marked only when it reaches another (or itself, on a cycle).
        """
        if key not in self._upstream:
            found = np.zeros(self.g.n, dtype=bool)
            into = self.matrix_into
            frontier = pool.nodes_of(key)
            while frontier.size:
                starts = into.indptr[frontier]
                reached = into.indices[_ranges(starts, into.indptr[frontier + 1] - starts)]
                reached = reached[~found[reached]]
                found[reached] = True
                frontier = np.unique(reached)
            self._upstream[key] = _Bits(found)
        return self._upstream[key]

    def _exact(self, pairs: pd.DataFrame, *, individually: np.ndarray) -> None:
        """Solve the moves whose candidate is downstream of the buyer.

        Off cycles, b's new value v is the greatest fixed point of v = h(φ(v)), where φ(v)
        is Y's availability with b forced to v (one engine scenario) and h gives b's value
        from Y's (:meth:`_GroupSupply.moved_value`); h∘φ never falls as v rises, so iterating
        from the bound h(1) descends to it, all pairs in one batch per step. What has not
        settled after ``_ITERATIONS`` steps, and every buyer on a cycle, is solved on the
        cone one by one.
        """
        g = self.g
        rows = np.flatnonzero(individually)
        links, candidates = pairs["link"].to_numpy()[rows], pairs["candidate"].to_numpy()[rows]
        output = np.full(rows.size, np.nan)
        investment = np.full(rows.size, np.nan)
        active = np.flatnonzero(~self.cyclic[g.dst[links]])
        value = self._groups.moved_value(links, np.full(links.size, -1), np.r_[self.base, 1.0])
        for _ in range(_ITERATIONS):
            if active.size == 0:
                break
            forced = list(
                zip(g.dst[links[active]].tolist(), np.round(value[active], 12).tolist(), strict=True)
            )
            gains, supplied = self._forced_values(forced, candidates[active])
            new = self._groups.moved_value(
                links[active], np.arange(active.size) + g.n + 1, np.r_[self.base, 1.0, supplied]
            )
            settled = np.abs(new - value[active]) <= 1e-12
            for i, found in zip(active[settled].tolist(), gains[settled].tolist(), strict=True):
                output[i], investment[i] = found
            value[active] = new
            active = active[~settled]
        on_cycle = np.flatnonzero(self.cyclic[g.dst[links]])
        found = self._exact_on_cycles(links[on_cycle], candidates[on_cycle])
        output[on_cycle], investment[on_cycle] = found[:, 0], found[:, 1]
        for i in np.flatnonzero(np.isnan(output)):
            output[i], investment[i] = self._cone(int(links[i]), int(candidates[i]))
        pairs.loc[rows, "gain_output"] = output
        pairs.loc[rows, "gain_investment"] = investment

    def _exact_on_cycles(self, links: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Gains (rows; NaN where unsettled) of moves into a cycle to a candidate in its cone.

        A candidate on the buyer's cycle is a member of the cycle's own graph
        (:meth:`_CycleCone.moved_inside`). One below the cycle closes a new cycle through
        it: with the moved link fed a constant u, its availability φ(u) follows from one
        two-step solve, and its value after the move is the greatest fixed point of φ
        (the moved graph's fixed point is the one with u = φ(u), and the greatest
        such u gives the greatest), reached by iterating from u = 1 down, all moves in
        one batch per step; what has not settled after ``_ITERATIONS`` steps is left NaN.
        """
        g = self.g
        found = np.full((links.size, 2), np.nan)
        component = g.structure.component
        for i in np.flatnonzero(component[candidates] == component[g.dst[links]]).tolist():
            cone = self._cycle_cone(int(g.dst[links[i]]))
            found[i] = cone.spread(cone.moved_inside(int(links[i]), int(candidates[i]))[None, :])[0][0]
        below = np.flatnonzero(component[candidates] != component[g.dst[links]])
        for c in np.unique(component[g.dst[links[below]]]).tolist():
            active = below[component[g.dst[links[below]]] == c]
            cone = self._cycle_cone(int(g.dst[links[active[0]]]))
            value = np.ones(active.size)
            for _ in range(_ITERATIONS):
                if active.size == 0:
                    break
                gains, new = cone.spread(cone.cycle_values(links[active], value), watch=candidates[active])
                settled = np.abs(new - value) <= 1e-12
                found[active[settled]] = gains[settled]
                active, value = active[~settled], new[~settled]
        return found

    def _search(self, pairs: pd.DataFrame, *, fast: np.ndarray, cyclic_buyer: np.ndarray, top: int) -> None:
        """Evaluate only the levels the ranking needs; fill ``gain_*`` of the pairs that can rank.

        A *level* of a link is a distinct value the move gives b (fast path) or a distinct
        a(Y) (buyer on a cycle); the gain never falls as the level rises. Per (link, scope),
        with levels from the highest down: every level until the candidates fill the
        scope's free places (the *cut* level, gain G), then the first level whose gain
        falls below G, found by bisection (levels in between tie with G, whatever their
        number). Levels below it cannot rank; levels tying with G are ranked with G and
        evaluated exactly if they make the top.
        """
        level_value = np.where(fast, pairs["value"].to_numpy(), self.base[pairs["candidate"].to_numpy()])
        pairs["level"] = np.round(level_value, 12)
        pending = (fast | cyclic_buyer) & np.isnan(pairs["gain_output"].to_numpy())
        if not pending.any():
            return
        grouped = pairs[pending].groupby(["order", "scope_rank", "level"], sort=False)
        levels = (
            grouped.agg(link=("link", "first"), count=("candidate", "size"))
            .reset_index()
            .assign(group=np.arange(grouped.ngroups))
            .sort_values(["order", "scope_rank", "level"], ascending=[True, True, False], kind="stable")
            .reset_index(drop=True)
        )
        pair_group = np.full(len(pairs), -1, dtype=np.int64)
        pair_group[pending] = grouped.ngroup().to_numpy()
        before = pairs.groupby(["order", "scope_rank"]).size()
        earlier = before.groupby(level="order").cumsum() - before
        wanted = pd.MultiIndex.from_frame(levels[["order", "scope_rank"]])
        need = (top - earlier).clip(lower=0).reindex(wanted).to_numpy()
        keep = need > 0
        levels, need = levels[keep].reset_index(drop=True), need[keep]
        if levels.empty:
            return
        row_of_group = np.full(grouped.ngroups + 1, -1, dtype=np.int64)  # the last: no group
        row_of_group[levels["group"].to_numpy()] = np.arange(len(levels))
        level_of = row_of_group[pair_group]  # each pair's row in ``levels`` (−1: none)
        group = (
            levels[["order", "scope_rank"]].ne(levels[["order", "scope_rank"]].shift()).any(axis=1).cumsum()
            - 1
        ).to_numpy()
        first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        last = np.r_[first[1:], group.size] - 1
        counts = levels["count"].to_numpy()
        covered = np.cumsum(counts) - np.repeat(
            np.cumsum(counts)[first] - counts[first], np.diff(np.r_[first, group.size])
        )
        need_of = need[first]
        # the cut: the first level at which the group's candidates reach its need (else its last)
        reached = covered >= np.repeat(need_of, np.diff(np.r_[first, group.size]))
        reached[last] = True
        position = np.where(reached, np.arange(group.size), group.size)
        cut = np.minimum.accumulate(position[::-1])[::-1][first]
        is_fast = np.isin(levels["link"].to_numpy(), pairs.loc[fast, "link"].to_numpy())
        gain = np.full(len(levels), np.nan)
        upto = np.zeros(len(levels), dtype=bool)
        upto[_ranges(first, cut - first + 1)] = True
        self._fill(levels, gain, upto | np.isin(np.arange(len(levels)), last), is_fast)
        lo, hi = cut.copy(), last.copy()
        g_cut = gain[cut]
        ties_to_end = gain[last] >= g_cut - GAIN_TIE
        lo[ties_to_end] = last[ties_to_end]
        while True:
            open_ = hi - lo > 1
            if not open_.any():
                break
            mid = (lo + hi) // 2
            ask = np.zeros(len(levels), dtype=bool)
            ask[mid[open_]] = True
            self._fill(levels, gain, ask & np.isnan(gain), is_fast)
            tie = gain[mid] >= g_cut - GAIN_TIE
            lo = np.where(open_ & tie, mid, lo)
            hi = np.where(open_ & ~tie, mid, hi)
        # levels in (cut, lo] tie with the cut: ranked with its gain, made exact if chosen
        end = np.where(ties_to_end, last, lo)
        tied = np.zeros(len(levels), dtype=bool)
        tied[_ranges(cut + 1, end - cut)] = True
        estimate = gain.copy()
        estimate[tied & np.isnan(gain)] = np.repeat(g_cut, np.diff(np.r_[first, group.size]))[
            tied & np.isnan(gain)
        ]
        self._assign(pairs, estimate, pending, level_of)
        chosen = self._chosen_levels(pairs, len(levels), level_of, top=top)
        exact = chosen & np.isnan(gain)
        if exact.any():
            self._fill(levels, gain, exact, is_fast)
            self._assign(pairs, np.where(np.isnan(gain), estimate, gain), pending, level_of)

    def _fill(self, levels: pd.DataFrame, gain: np.ndarray, ask: np.ndarray, is_fast: np.ndarray) -> None:
        """Evaluate the asked levels into ``gain`` (total, 万元), keeping output and investment apart."""
        rows = np.flatnonzero(ask & np.isnan(gain))
        if rows.size == 0:
            return
        links = levels["link"].to_numpy()[rows]
        values = levels["level"].to_numpy()[rows]
        fast_rows = is_fast[rows]
        b = self.g.dst[links[fast_rows]]
        forced = list(zip(b.tolist(), values[fast_rows].tolist(), strict=True))
        split = np.zeros((rows.size, 2))
        split[fast_rows] = self._forced_gains(forced) if forced else np.zeros((0, 2))
        slow = np.flatnonzero(~fast_rows)
        split[slow] = self._cycle_gains(links[slow], values[slow])
        gain[rows] = split.sum(axis=1)
        self._split.add(links, values, split)

    def _assign(
        self, pairs: pd.DataFrame, gain: np.ndarray, pending: np.ndarray, level_of: np.ndarray
    ) -> None:
        """Give the pending pairs their level's gain (NaN where the level cannot rank)."""
        rows = np.flatnonzero(pending)
        at = level_of[rows]
        total = np.where(at >= 0, gain[at], np.nan)
        found, exact = self._split.get(pairs["link"].to_numpy()[rows], pairs["level"].to_numpy()[rows])
        output = np.where(found, exact[:, 0], total)
        investment = np.where(found, exact[:, 1], 0.0)
        investment[np.isnan(total)] = np.nan
        output[np.isnan(total)] = np.nan
        pairs.loc[rows, "gain_output"] = output
        pairs.loc[rows, "gain_investment"] = investment

    def _chosen_levels(
        self, pairs: pd.DataFrame, count: int, level_of: np.ndarray, *, top: int
    ) -> np.ndarray:
        """Which of the ``count`` levels hold a pair that makes its link's top."""
        ranked = self._ranking(pairs)
        at = level_of[ranked.index.to_numpy()[ranked["rank"].to_numpy() <= top]]
        chosen = np.zeros(count, dtype=bool)
        chosen[at[at >= 0]] = True
        return chosen

    def _forced_run(self, forced: list[tuple[int, float]]) -> Pairs:
        """Evaluate forcing each (node, value), one scenario each in one batch; memoise the gains."""
        g = self.g
        pairs = evaluate(
            g,
            g.structure,
            [{} for _ in forced],
            base=self.base,
            deficit=g.group_deficit,
            forced=[{b: v} for b, v in forced],
        )
        output, investment = _totals(g, pairs, len(forced), self.base)
        self._forced.update(zip(forced, zip(output.tolist(), investment.tolist(), strict=True), strict=True))
        return pairs

    def _forced_gains(self, forced: list[tuple[int, float]]) -> list[tuple[float, float]]:
        """Gain (output, investment) of forcing each (node, value); new ones ``_CHUNK`` per batch."""
        missing = list(dict.fromkeys(f for f in forced if f not in self._forced))
        for start in range(0, len(missing), _CHUNK):
            self._forced_run(missing[start : start + _CHUNK])
        return [self._forced[f] for f in forced]

    def _forced_values(
        self, forced: list[tuple[int, float]], nodes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per (node, value) forced: its gain (output, investment) and the availability of ``nodes``."""
        g = self.g
        unique = list(dict.fromkeys(forced))
        slot = {f: k for k, f in enumerate(unique)}
        scenario = np.array([slot[f] for f in forced], dtype=np.int64)
        values = np.full(len(forced), np.nan)
        for start in range(0, len(unique), _CHUNK):
            result = self._forced_run(unique[start : start + _CHUNK])
            changed = pd.Series(result.value, index=(result.scenario + start) * g.n + result.node)
            seen = changed.reindex(scenario * g.n + nodes).to_numpy()
            values = np.where(np.isnan(seen), values, seen)
        supplied = np.where(np.isnan(values), self.base[nodes], values)
        gains = np.array([self._forced[f] for f in forced], dtype=float).reshape(-1, 2)
        return gains, supplied

    def _cone(self, link: int, to: int) -> tuple[float, float]:
        """Gain of moving ``link`` to ``to``, solved on the buyer's downstream cone as a graph of its own."""
        g = self.g
        b = int(g.dst[link])
        cone = np.union1d(self.descendants(b), [b])
        inside = np.zeros(g.n, dtype=bool)
        inside[cone] = True
        into = np.flatnonzero(g.critical & inside[g.dst])
        into = into[into != link]
        source, value = (to, np.nan) if inside[to] else (-1, self.base[to])
        sub, _ = _cone_graph(
            g,
            self.base,
            cone,
            into,
            moved=np.array([link]),
            to=np.array([source]),
            capacity=np.array([value]),
        )
        moved = sub.base_availability[: cone.size] - self.base[cone]
        return float(np.sum(g.output_weight[cone] * moved)), float(np.sum(g.investment_weight[cone] * moved))

    def _cycle_cone(self, b: int) -> _CycleCone:
        """Return the :class:`_CycleCone` of the cycle through ``b``, built on first use."""
        g = self.g
        component = int(g.structure.component[b])
        found = self._cycles.get(component)
        if found is None:
            structure = g.structure
            cycle = np.sort(
                structure.members[structure.member_ptr[component] : structure.member_ptr[component + 1]]
            )
            found = _CycleCone(g, self.base, cycle, np.union1d(self.descendants(b), [b]), self.moved)
            self._cycles[component] = found
        return found

    def _cycle_gains(self, links: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Gain (output, investment; rows) of moving each link (buyer on a cycle) to an outside value.

        The new supplier is outside the buyer's cone, of availability ``values``.
        """
        g = self.g
        found = np.zeros((links.size, 2))
        component = g.structure.component[g.dst[links]]
        for c in np.unique(component).tolist():
            mine = np.flatnonzero(component == c)
            cone = self._cycle_cone(int(g.dst[links[mine[0]]]))
            found[mine] = cone.spread(cone.cycle_values(links[mine], values[mine]))[0]
        return found

    def _ranking(self, pairs: pd.DataFrame) -> pd.DataFrame:
        """Return the pairs with a gain, ranked per link: scope, gain (to ``GAIN_TIE``), buyers, id.

        Only the columns the ranking and the output need, indexed as in ``pairs``.
        """
        has = np.flatnonzero(pairs["gain_output"].notna().to_numpy())
        columns = ("order", "link", "candidate", "scope_rank", "buyers", "gain_output", "gain_investment")
        ranked = {c: pairs[c].to_numpy()[has] for c in columns}
        ranked["gain"] = ranked["gain_output"] + ranked["gain_investment"]
        ranked["gain_key"] = -np.round(ranked["gain"] / GAIN_TIE)
        ranked["id_rank"] = self.g.id_rank[ranked["candidate"]]
        # sort keys, the last first: link, scope, gain, more buyers, id
        order = np.lexsort(
            [ranked["id_rank"], -ranked["buyers"], ranked["gain_key"], ranked["scope_rank"], ranked["order"]]
        )
        table = pd.DataFrame({c: v[order] for c, v in ranked.items()}, index=pairs.index[has][order])
        link = table["order"].to_numpy()
        start = np.flatnonzero(np.r_[True, link[1:] != link[:-1]]) if link.size else link
        table["rank"] = np.arange(link.size) - np.repeat(start, np.diff(np.r_[start, link.size])) + 1
        return table

    def _top(self, pairs: pd.DataFrame, *, top: int) -> _Part:
        pairs = self._ranking(pairs)
        pairs = pairs[pairs["rank"] <= top]
        return {
            "link": pairs["link"].to_numpy(dtype=np.int64),
            "candidate": pairs["candidate"].to_numpy(dtype=np.int64),
            "rank": pairs["rank"].to_numpy(dtype=np.int64),
            "gain": pairs["gain"].to_numpy(dtype=float) + 0.0,
            "gain_output": pairs["gain_output"].to_numpy(dtype=float) + 0.0,
            "gain_investment": pairs["gain_investment"].to_numpy(dtype=float) + 0.0,
            "buyers": pairs["buyers"].to_numpy(dtype=np.int64),
        }


def _text_column(g: SupplyGraph, scope: np.ndarray, name: str, e: np.ndarray, y: np.ndarray) -> np.ndarray:
    """One text column of the result for links ``e`` and candidates ``y``.

    The graph's own string objects, referred to and not copied: a national set has millions
    of rows, and a new string per cell would take a gigabyte.
    """
    if name == "material":
        material: np.ndarray = g.material[e]
        return material
    node = {"supplier_id": g.src[e], "buyer_id": g.dst[e]}.get(name, y)
    texts: np.ndarray = {"candidate_name": g.names, "scope": np.asarray(scope, dtype=object)}.get(name, g.ids)
    found: np.ndarray = texts[node]
    return found


def _texts(values: np.ndarray) -> pd.Series:
    """Return ``values`` (an object array of texts) as a string column holding the same objects."""
    return pd.Series(values, dtype="str", copy=False)


def _pairs(
    g: SupplyGraph, links: np.ndarray, candidates: pd.DataFrame, *, orders: np.ndarray
) -> pd.DataFrame:
    """Return the (link, candidate) pairs of the links at ``orders``.

    Same material key; the candidate is neither the link's supplier nor its buyer.
    """
    frame = pd.DataFrame({"order": orders, "link": links[orders], "key": g.material_key[links[orders]]})
    pairs = frame.merge(candidates, on="key", how="inner").drop(columns="key")
    e = pairs["link"].to_numpy()
    y = pairs["candidate"].to_numpy()
    keep = (y != g.src[e]) & (y != g.dst[e])
    kept: pd.DataFrame = pairs[keep].reset_index(drop=True)
    return kept


class _GroupSupply:
    """Each critical (buyer, material) group's deficit, and each buyer's other groups' minimum.

    Both are kept per moved link only, at its ``slot`` (``link_deficit``, ``link_others``;
    NaN for a link that is not critical): the per-group tables are let go (millions of
    groups at national scale), and a nation's five million links need no array each.
    """

    def __init__(self, g: SupplyGraph, *, slot: np.ndarray, moved: np.ndarray) -> None:
        # The engine's groups (g.structure): by buyer, then material; their deficits at the
        # base availability (g.group_deficit, which the forced scenarios start from too).
        structure = g.structure
        crit = np.flatnonzero(g.critical)
        group_of = np.empty(crit.size, dtype=np.int64)  # each critical link's group
        group_of[stable_order(g.src[crit])] = structure.out_group  # out-links' order
        deficit = g.group_deficit
        supply = np.clip(1.0 - deficit, 0.0, None)
        owner = np.repeat(np.arange(g.n), np.diff(structure.node_group_ptr))  # each group's buyer
        order = np.lexsort((supply, owner))  # per buyer, its groups from the lowest supply up
        first = np.flatnonzero(np.r_[True, owner[order][1:] != owner[order][:-1]]) if order.size else order
        lowest_group = np.full(g.n, -1, dtype=np.int64)
        lowest_group[owner[order[first]]] = order[first]
        lowest = np.ones(g.n)
        lowest[owner[order[first]]] = supply[order[first]]
        after = first + 1  # the second lowest, where the buyer has another group
        has = after < order.size
        has[has] = owner[order[after[has]]] == owner[order[first[has]]]
        second = np.ones(g.n)  # a buyer with one group: the others leave it whole
        second[owner[order[first[has]]]] = supply[order[after[has]]]
        self.g, self.slot = g, slot
        # per moved critical link: its group's deficit and the lowest supply of the buyer's other groups
        mine = moved[g.critical[moved]]
        group = group_of[np.searchsorted(crit, mine)]
        b = g.dst[mine]
        self.link_deficit = np.full(moved.size, np.nan)
        self.link_deficit[slot[mine]] = deficit[group]
        self.link_others = np.full(moved.size, np.nan)
        self.link_others[slot[mine]] = np.where(lowest_group[b] == group, second[b], lowest[b])

    def moved_value(self, links: np.ndarray, candidates: np.ndarray, base: np.ndarray) -> np.ndarray:
        """Return b's availability once each link's share moves to its candidate.

        Valid where b is off cycles and the candidate is not downstream of b; ``links`` are
        moved links (NaN for any other).
        """
        g = self.g
        b = g.dst[links]
        at = self.slot[links]
        deficit = np.where(at >= 0, self.link_deficit[at], np.nan)
        others = np.where(at >= 0, self.link_others[at], np.nan)
        moved = np.maximum(0.0, 1.0 - deficit + g.w[links] * (base[candidates] - base[g.src[links]]))
        value: np.ndarray = np.minimum(np.minimum(g.capacity[b], others), moved)
        return value


class _Memo:
    """Gains (output, investment) by (link, level), added in batches; a later entry wins."""

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._index = pd.MultiIndex.from_arrays([np.zeros(0, np.int64), np.zeros(0)])
        self._gains = np.zeros((0, 2))

    def add(self, links: np.ndarray, levels: np.ndarray, gains: np.ndarray) -> None:
        """Remember the gains (rows: output, investment) of each (link, level)."""
        self._parts.append((np.asarray(links, np.int64), np.asarray(levels, float), np.asarray(gains, float)))

    def get(self, links: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return which (link, level) are known, and their gains (rows; NaN where unknown)."""
        if self._parts:
            links_all = np.r_[self._index.get_level_values(0).to_numpy(), *(p[0] for p in self._parts)]
            levels_all = np.r_[self._index.get_level_values(1).to_numpy(), *(p[1] for p in self._parts)]
            gains_all = np.concatenate([self._gains, *(p[2] for p in self._parts)])
            self._parts = []
            index = pd.MultiIndex.from_arrays([links_all, levels_all])
            last = ~index.duplicated(keep="last")
            self._index, self._gains = index[last], gains_all[last]
        at = self._index.get_indexer(
            pd.MultiIndex.from_arrays([np.asarray(links, np.int64), np.asarray(levels, float)])
        )
        found = at >= 0
        gains = np.full((at.size, 2), np.nan)
        gains[found] = self._gains[at[found]]
        return found, gains


def _cone_graph(
    g: SupplyGraph,
    base: np.ndarray,
    cone: np.ndarray,
    kept: np.ndarray,
    *,
    moved: np.ndarray,
    to: np.ndarray,
    capacity: np.ndarray,
    own: np.ndarray | None = None,
) -> tuple[SupplyGraph, np.ndarray]:
    """Return a cone as a graph of its own, and the new source of each moved link in it.

    The graph's nodes are the ``cone`` (sorted, downstream-closed: its nodes come first,
    in order; own capacity ``own``, by default their own), then the suppliers of the
    ``kept`` links from outside it at their base availability ``base`` as own capacity
    (nothing in the cone reaches them), then a new
    source node for each moved link whose ``to`` is −1, of own capacity ``capacity``.
    Its links are the ``kept`` links, then the ``moved`` ones, each from ``to`` (a node of
    the cone) or from its new source node.
    """
    inside = np.zeros(g.n, dtype=bool)
    inside[cone] = True
    src = g.src[kept]
    boundary = np.setdiff1d(src[~inside[src]], cone)
    nodes = np.r_[cone, boundary]
    local = np.full(g.n, -1, dtype=np.int64)
    local[nodes] = np.arange(nodes.size)
    new = to < 0
    sources = np.where(new, nodes.size + np.cumsum(new) - 1, local[np.where(new, 0, to)])
    m = nodes.size + int(new.sum())
    zeros = np.zeros(m)
    links = np.r_[kept, moved].astype(np.int64)
    key = g.material_key[links].astype(object)
    sub = SupplyGraph(
        ids=np.arange(m),  # positions: no string per node (a cycle's cone can be most of a nation)
        names=np.full(m, "", dtype=object),
        adcodes=np.full(m, "", dtype=object),
        is_project=np.zeros(m, bool),
        is_enterprise=np.zeros(m, bool),
        capacity=np.r_[g.capacity[cone] if own is None else own, base[boundary], capacity[new]],
        output_value=zeros,
        tax=zeros,
        annual_plan=zeros,
        recovery_days=np.full(m, np.nan),
        chains=np.full(m, "", dtype=object),
        src=np.r_[local[src], sources].astype(np.int64),
        dst=local[g.dst[links]],
        w=g.w[links],
        critical=np.ones(links.size, bool),
        stock_days=np.full(links.size, np.nan),
        material=key,
        material_key=key.copy(),
        annual_value=np.full(links.size, np.nan),
    )
    return sub, sources


class _CycleCone:
    """The downstream cone of one cycle, where moving links into the cycle is solved in two steps.

    Every buyer on one cycle (strongly connected component) has the same cone: the cycle
    and all below it. A move of a link into the cycle changes first the cycle's own
    members, whose values depend only on each other and on suppliers upstream (held at
    their base availability), then what lies below, which depends on the cycle only
    through its members' values. So:

    1. the cycle alone (its members, and its suppliers from outside at their base) is
       solved with the link moved to a supplier of availability v. Each link from outside
       the cycle gets a new source node of its own in one shared graph, at its supplier's
       availability (which no move into the cone changes, so the graph's fixed point is
       the base), and moving it to v is the scenario that sets that node's capacity to v;
       a link from a member of the cycle, or to one, needs a small graph of its own;
    2. the cone below the cycle, with the cycle's members as sources, takes their new
       values as a capacity scenario: one batch for all the moves.
    """

    def __init__(
        self, g: SupplyGraph, base: np.ndarray, cycle: np.ndarray, cone: np.ndarray, links: np.ndarray
    ):
        self.g, self.base, self.cycle, self.cone = g, base, cycle, cone
        in_cycle = np.zeros(g.n, dtype=bool)
        in_cycle[cycle] = True
        in_cone = np.zeros(g.n, dtype=bool)
        in_cone[cone] = True
        self.into = np.flatnonzero(g.critical & in_cycle[g.dst])
        moved = np.intersect1d(self.into[~in_cycle[g.src[self.into]]], links)
        self.core, sources = _cone_graph(
            g,
            base,
            cycle,
            np.setdiff1d(self.into, moved),
            moved=moved,
            to=np.full(moved.size, -1),
            capacity=base[g.src[moved]],
        )
        self.source = pd.Series(sources, index=moved)
        below = np.flatnonzero(g.critical & in_cone[g.dst] & ~in_cycle[g.dst])
        self.down, _ = _cone_graph(
            g,
            base,
            cone,
            below,
            moved=np.zeros(0, np.int64),
            to=np.zeros(0, np.int64),
            capacity=np.zeros(0),
            own=np.where(in_cycle[cone], base[cone], g.capacity[cone]),
        )
        self.at = np.searchsorted(cone, cycle)  # the cycle's members among the cone's nodes
        self._alone: dict[tuple[int, int], tuple[SupplyGraph, int]] = {}

    def release(self) -> None:
        """Forget the graphs of single moved links (each serves one batch of links)."""
        self._alone.clear()

    def has_source(self, links: np.ndarray) -> np.ndarray:
        """Which links have a source node in the shared graph (their supplier is outside the cycle)."""
        return np.isin(links, self.source.index.to_numpy())

    def _moved(self, link: int, to: int) -> tuple[SupplyGraph, int]:
        """Return the cycle alone with ``link`` moved to ``to`` (−1: a new source at a(X)), and its source."""
        key = (link, to)
        if key not in self._alone:
            g = self.g
            sub, sources = _cone_graph(
                g,
                self.base,
                self.cycle,
                self.into[self.into != link],
                moved=np.array([link]),
                to=np.array([to]),
                capacity=np.array([self.base[g.src[link]]]),
            )
            self._alone[key] = (sub, int(sources[0]))
        return self._alone[key]

    def cycle_values(self, links: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Return the cycle members' availability (rows) once each link moves to a supplier of ``values``."""
        rows = np.tile(self.base[self.cycle], (links.size, 1))
        shared = np.flatnonzero(self.has_source(links))
        self._solve(rows, shared, self.core, self.source.reindex(links[shared]).to_numpy(), values[shared])
        alone = np.flatnonzero(~self.has_source(links))
        for link in dict.fromkeys(links[alone].tolist()):
            mine = alone[links[alone] == link]
            sub, source = self._moved(int(link), -1)
            rows[mine] = sub.base_availability[: self.cycle.size]
            self._solve(rows, mine, sub, np.full(mine.size, source), values[mine])
        return rows

    def moved_inside(self, link: int, to: int) -> np.ndarray:
        """Return the cycle's members' availability once ``link`` moves to member ``to`` (a node position)."""
        sub, _ = self._moved(link, to)
        return sub.base_availability[: self.cycle.size].copy()

    def _solve(
        self, rows: np.ndarray, at: np.ndarray, sub: SupplyGraph, sources: np.ndarray, values: np.ndarray
    ) -> None:
        """Write into ``rows[at]`` the members that move when each source takes its value."""
        for start in range(0, at.size, _CHUNK):
            part = slice(start, start + _CHUNK)
            pairs = evaluate(
                sub,
                sub.structure,
                [{int(s): float(v)} for s, v in zip(sources[part], values[part], strict=True)],
                base=sub.base_availability,
                deficit=sub.group_deficit,
            )
            member = pairs.node < self.cycle.size
            rows[at[part][pairs.scenario[member]], pairs.node[member]] = pairs.value[member]

    def spread(self, rows: np.ndarray, *, watch: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Gains (output, investment; rows) of the cycle's members taking each row's values.

        Also the availability, in each row's scenario, of the node ``watch[k]`` of the cone.
        """
        down, g, cone = self.down, self.g, self.cone
        gains = np.zeros((len(rows), 2))
        seen = np.zeros(len(rows)) if watch is None else down.base_availability[np.searchsorted(cone, watch)]
        moved = np.abs(rows - self.base[self.cycle]) > CHANGE_EPSILON
        for start in range(0, len(rows), _CHUNK):
            part = slice(start, start + _CHUNK)
            changes = [
                dict(zip(self.at[m].tolist(), r[m].tolist(), strict=True))
                for r, m in zip(rows[part], moved[part], strict=True)
            ]
            pairs = evaluate(
                down, down.structure, changes, base=down.base_availability, deficit=down.group_deficit
            )
            node = pairs.node[pairs.node < cone.size]
            scenario = pairs.scenario[pairs.node < cone.size]
            rise = pairs.value[pairs.node < cone.size] - down.base_availability[node]
            for column, weight in enumerate((g.output_weight, g.investment_weight)):
                gains[part, column] = np.bincount(
                    scenario, weights=weight[cone[node]] * rise, minlength=len(changes)
                )
            if watch is not None:
                wanted = np.searchsorted(cone, watch[part])
                hit = np.flatnonzero(wanted[scenario] == node)
                seen[start + scenario[hit]] = pairs.value[pairs.node < cone.size][hit]
        return gains, seen


def _totals(g: SupplyGraph, pairs: Pairs, count: int, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rise = pairs.value - base[pairs.node]
    return (
        np.bincount(pairs.scenario, weights=g.output_weight[pairs.node] * rise, minlength=count),
        np.bincount(pairs.scenario, weights=g.investment_weight[pairs.node] * rise, minlength=count),
    )
