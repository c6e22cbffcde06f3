"""The supply-chain graph: nodes are firms and projects, edges are supplier → buyer links.

:class:`SupplyGraph` holds the graph as flat arrays (one row per node, one per link),
because a national graph has millions of links and the analysis needs them as vectors.
:func:`to_networkx` gives the same graph as a ``networkx.MultiDiGraph`` (one edge per
material, keyed by material) for views, maps and ad-hoc analysis; :func:`from_networkx`
goes back, so small graphs can be written by hand with networkx.

Node attributes: ``kind`` (``firm``/``project``), ``name``, ``adcode``, ``capacity``
(own capacity c(v) in [0, 1], see :func:`own_capacity`), ``is_enterprise``,
``output_value`` and ``tax`` (enterprises, 万元), ``annual_plan`` (projects, 万元), ``recovery_days``.
Edge attributes: ``material``, ``w`` (share / 100), ``critical``, ``stock_days``,
``annual_value`` (万元 a year, NaN when unknown) and ``material_code``. Each link also has a
*material key*, its material identity (:mod:`chain_graph.materials`): links of one buyer
with equal keys form one (buyer, material) group of the availability rule.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd

from chain_graph import objects
from chain_graph.materials import Catalogue, identities
from chain_graph.model import LedgerTables
from chain_graph.ordering import text_order

if TYPE_CHECKING:
    from chain_graph.propagation import Structure

__all__ = ["SupplyGraph", "build_graph", "from_networkx", "own_capacity", "to_networkx"]


_NODE_CACHES = ("index", "id_rank", "id_texts", "output_weight", "investment_weight")
"""Cached parts of a graph that depend on its nodes alone (see :meth:`SupplyGraph.lend_caches`)."""


def own_capacity(firms: pd.DataFrame) -> np.ndarray:
    """Return c(v) for each firm: stopped → 0, else capacity/100, else normal 1 / partial 0.5.

    Examples
    --------
    >>> f = pd.DataFrame({"status": ["stopped", "normal", "partial", "partial", "normal"],
    ...                   "capacity": [80.0, float("nan"), float("nan"), 70.0, 85.0]})
    >>> own_capacity(f).tolist()
    [0.0, 1.0, 0.5, 0.7, 0.85]
    """
    status = firms["status"].to_numpy(dtype=object)
    given = firms["capacity"].to_numpy(dtype=float) / 100.0
    fallback = np.where(status == "partial", 0.5, 1.0)
    capacity = np.where(np.isnan(given), fallback, given)
    return np.where(status == "stopped", 0.0, np.clip(capacity, 0.0, 1.0))


@dataclass(frozen=True, eq=False)
class SupplyGraph:
    """A supply-chain graph as arrays. Build it with :func:`build_graph`.

    Node arrays have one entry per node (firms first, then projects); edge arrays one per
    link, with ``src``/``dst`` as node positions.
    """

    ids: np.ndarray
    names: np.ndarray
    adcodes: np.ndarray
    is_project: np.ndarray
    is_enterprise: np.ndarray
    capacity: np.ndarray
    output_value: np.ndarray
    tax: np.ndarray
    annual_plan: np.ndarray
    recovery_days: np.ndarray
    chains: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    w: np.ndarray
    critical: np.ndarray
    stock_days: np.ndarray
    material: np.ndarray
    material_key: np.ndarray
    annual_value: np.ndarray
    catalogue: pd.DataFrame | None = None
    """The materials catalogue (物料目录) the keys were made with, for names and chains."""

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.ids)

    @functools.cached_property
    def index(self) -> dict[str, int]:
        """Position of each node id."""
        return {str(node): i for i, node in enumerate(self.ids)}

    def index_of(self, ids: Iterable[str]) -> np.ndarray:
        """Return the positions of the given node ids (each must be a node)."""
        index = self.index
        return np.fromiter((index[str(i)] for i in ids), dtype=np.int64)

    @functools.cached_property
    def id_texts(self) -> np.ndarray:
        """The node ids as Python strings: ``ids`` itself when they are (a graph from the ledgers)."""
        if pd.api.types.infer_dtype(self.ids, skipna=False) in ("string", "empty"):
            return self.ids
        return np.array([str(i) for i in self.ids], dtype=object)

    @functools.cached_property
    def id_rank(self) -> np.ndarray:
        """Rank of each node id in string order: sort and break ties on integers, not strings."""
        rank = np.empty(self.n, dtype=np.int64)
        rank[text_order(self.id_texts)] = np.arange(self.n)
        return rank

    def lend_caches(self, other: SupplyGraph, *, structure: bool) -> SupplyGraph:
        """Give ``other`` (same nodes) this graph's cached parts that depend on the nodes alone.

        With ``structure``, also the engine's structure (``other`` has the same links too).
        """
        for name in (*(("structure",) if structure else ()), *_NODE_CACHES):
            if name in self.__dict__:
                other.__dict__[name] = self.__dict__[name]
        return other

    @functools.cached_property
    def structure(self) -> Structure:
        """Derived arrays for the availability engine (computed once per graph)."""
        from chain_graph.propagation import Structure

        return Structure.of(self)

    @functools.cached_property
    def base_availability(self) -> np.ndarray:
        """a(v) of every node with the ledgers as they are (computed once per graph)."""
        from chain_graph.propagation import evaluate

        return evaluate(self, self.structure, [{}]).value

    @functools.cached_property
    def group_deficit(self) -> np.ndarray:
        """Deficit Σ w·(1 − a) of each (buyer, material) group at the base availability."""
        from chain_graph.propagation import group_deficits

        return group_deficits(self.structure, self.base_availability)

    @functools.cached_property
    def output_weight(self) -> np.ndarray:
        """Output value (万元) of enterprises, 0 for every other node (and where unknown)."""
        return np.where(self.is_enterprise, np.nan_to_num(self.output_value, nan=0.0), 0.0)

    @functools.cached_property
    def investment_weight(self) -> np.ndarray:
        """Annual planned investment (万元) of projects, 0 for every other node (and where unknown)."""
        return np.where(self.is_project, np.nan_to_num(self.annual_plan, nan=0.0), 0.0)

    @property
    def weight(self) -> np.ndarray:
        """Value carried by each node (万元): output for enterprises, annual plan for projects."""
        weight: np.ndarray = self.output_weight + self.investment_weight
        return weight

    def with_direct_partners(self, mask: np.ndarray) -> np.ndarray:
        """Return ``mask`` widened by every node linked to a node of it (either direction).

        Examples
        --------
        >>> G = nx.MultiDiGraph([("S", "E", "钢"), ("E", "P", "设备"), ("T", "S", "矿")])
        >>> g = from_networkx(G)
        >>> g.ids[g.with_direct_partners(g.ids == "E")].tolist()
        ['S', 'E', 'P']
        """
        touching = mask[self.src] | mask[self.dst]
        widened = mask.copy()
        widened[self.src[touching]] = True
        widened[self.dst[touching]] = True
        return widened

    def with_capacity(self, capacity: np.ndarray) -> SupplyGraph:
        """Return the same graph with other own capacities (for what-if scenarios).

        What does not depend on capacities (structure, index, value weights) is shared.
        """
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        fields["capacity"] = capacity
        return self.lend_caches(SupplyGraph(**fields), structure=True)

    def with_sources(self, links: np.ndarray, sources: np.ndarray) -> SupplyGraph:
        """Return the graph with the given links supplied by other nodes (substitutes).

        Each link keeps its buyer, material, share and flags; only its supplier changes.
        The structure is rebuilt (the graph's shape changed).

        Examples
        --------
        >>> G = nx.MultiDiGraph([("S", "E", "钢"), ("U", "F", "钢")])
        >>> g = from_networkx(G)
        >>> h = g.with_sources(np.array([0]), g.index_of(["U"]))
        >>> [(str(h.ids[s]), str(h.ids[d])) for s, d in zip(h.src, h.dst)]
        [('U', 'E'), ('U', 'F')]
        """
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        src = self.src.copy()
        src[np.asarray(links, dtype=np.int64)] = np.asarray(sources, dtype=np.int64)
        fields["src"] = src
        return self.lend_caches(SupplyGraph(**fields), structure=False)


def build_graph(ledgers: LedgerTables) -> SupplyGraph:
    """Build the supply graph of a city's ledgers.

    Parameters
    ----------
    ledgers
        Validated ledgers (every link points at a known firm or project).

    Returns
    -------
    SupplyGraph

    Examples
    --------
    >>> L = LedgerTables.from_frames(
    ...     firms=pd.DataFrame({"id": ["S", "E"], "status": ["stopped", "normal"],
    ...                         "is_enterprise": [False, True], "output_value": [0, 100.0]}),
    ...     links=pd.DataFrame({"supplier_id": ["S"], "buyer_id": ["E"], "material": ["钢"],
    ...                         "share": [60.0], "critical": [True]}))
    >>> g = build_graph(L)
    >>> g.ids.tolist(), g.capacity.tolist(), g.w.tolist()
    (['S', 'E'], [0.0, 1.0], [0.6])
    """
    firms, projects, links = ledgers.firms, ledgers.projects, ledgers.links
    n_firms, n_projects = len(firms), len(projects)
    ids = np.concatenate([firms["id"].to_numpy(dtype=object), projects["id"].to_numpy(dtype=object)])
    if not pd.Index(ids, dtype=object).is_unique:  # hashes already cached: ~0.03 s a million
        msg = "企业或项目的编号重复：请先通过导入校验"
        raise ValueError(msg)
    src = objects.lookup(ids, links["supplier_id"].to_numpy(dtype=object))
    dst = objects.lookup(ids, links["buyer_id"].to_numpy(dtype=object))
    if (src < 0).any() or (dst < 0).any():
        msg = "供应关系指向未知的企业或项目：请先通过导入校验"
        raise ValueError(msg)
    is_project = np.r_[np.zeros(n_firms, bool), np.ones(n_projects, bool)]
    zeros_p = np.zeros(n_projects)
    return SupplyGraph(
        ids=ids,
        names=np.concatenate([firms["name"].to_numpy(dtype=object), projects["name"].to_numpy(dtype=object)]),
        adcodes=np.concatenate(
            [firms["adcode"].to_numpy(dtype=object), projects["adcode"].to_numpy(dtype=object)]
        ),
        is_project=is_project,
        is_enterprise=np.r_[firms["is_enterprise"].to_numpy(dtype=bool), np.zeros(n_projects, bool)],
        capacity=np.r_[own_capacity(firms), np.ones(n_projects)],
        output_value=np.r_[firms["output_value"].to_numpy(dtype=float), zeros_p],
        tax=np.r_[firms["tax"].to_numpy(dtype=float, na_value=np.nan), zeros_p],
        annual_plan=np.r_[np.zeros(n_firms), projects["annual_plan"].to_numpy(dtype=float)],
        recovery_days=np.r_[
            firms["recovery_days"].to_numpy(dtype=float, na_value=np.nan), np.full(n_projects, np.nan)
        ],
        chains=np.concatenate([firms["chain"].to_numpy(dtype=object), np.full(n_projects, "", object)]),
        src=src.astype(np.int64),
        dst=dst.astype(np.int64),
        w=links["share"].to_numpy(dtype=float) / 100.0,
        critical=links["critical"].to_numpy(dtype=bool),
        stock_days=links["stock_days"].to_numpy(dtype=float, na_value=np.nan),
        material=links["material"].to_numpy(dtype=object),
        material_key=identities(
            links["material"].to_numpy(dtype=object),
            links["material_code"].to_numpy(dtype=object),
            catalogue=Catalogue(ledgers.materials),
        ),
        annual_value=links["annual_value"].to_numpy(dtype=float),
        catalogue=ledgers.materials,
    )


def _nan_to_none(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def to_networkx(graph: SupplyGraph) -> nx.MultiDiGraph:
    """Return the graph as a ``networkx.MultiDiGraph`` (edge key = material).

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("S", kind="firm", capacity=0.0)
    >>> G.add_node("P", kind="project", annual_plan=50.0)
    >>> _ = G.add_edge("S", "P", key="水泥", w=1.0)
    >>> H = to_networkx(from_networkx(G))
    >>> sorted(H.edges(keys=True)), H.nodes["P"]["annual_plan"]
    ([('S', 'P', '水泥')], 50.0)
    """
    G = nx.MultiDiGraph()
    for i, node in enumerate(graph.ids):
        G.add_node(
            str(node),
            kind="project" if graph.is_project[i] else "firm",
            name=str(graph.names[i]),
            adcode=str(graph.adcodes[i]),
            chain=str(graph.chains[i]),
            capacity=float(graph.capacity[i]),
            is_enterprise=bool(graph.is_enterprise[i]),
            output_value=float(graph.output_value[i]),
            tax=float(graph.tax[i]),
            annual_plan=float(graph.annual_plan[i]),
            recovery_days=_nan_to_none(graph.recovery_days[i]),
        )
    for e in range(len(graph.src)):
        G.add_edge(
            str(graph.ids[graph.src[e]]),
            str(graph.ids[graph.dst[e]]),
            key=str(graph.material[e]),
            material=str(graph.material[e]),
            w=float(graph.w[e]),
            critical=bool(graph.critical[e]),
            stock_days=_nan_to_none(graph.stock_days[e]),
            annual_value=_nan_to_none(graph.annual_value[e]),
            material_key=str(graph.material_key[e]),
        )
    return G


def from_networkx(G: nx.MultiDiGraph | nx.DiGraph) -> SupplyGraph:
    """Build a :class:`SupplyGraph` from a networkx graph with the attributes above.

    Missing attributes take the defaults: a firm with capacity 1, not an enterprise,
    no value; an edge with ``w = 1``, critical, unknown stock days and annual value. On a
    ``DiGraph`` the material is the ``material`` attribute (default ``""``). An edge's
    material key is its ``material_key`` attribute, else the identity of its
    ``material_code`` and material (no catalogue).
    """
    nodes = list(G.nodes)
    data = [G.nodes[v] for v in nodes]

    def node_array(key: str, default: Any, dtype: Any = float) -> np.ndarray:
        return np.array(
            [d.get(key, default) if d.get(key) is not None else default for d in data], dtype=dtype
        )

    position = {v: i for i, v in enumerate(nodes)}
    if G.is_multigraph():
        edges = [(u, v, d.get("material", k), d) for u, v, k, d in G.edges(keys=True, data=True)]
    else:
        edges = [(u, v, d.get("material", ""), d) for u, v, d in G.edges(data=True)]
    is_project = np.array([d.get("kind") == "project" for d in data], dtype=bool)
    return SupplyGraph(
        ids=np.array([str(v) for v in nodes], dtype=object),
        names=node_array("name", "", object),
        adcodes=node_array("adcode", "", object),
        is_project=is_project,
        is_enterprise=node_array("is_enterprise", False, bool) & ~is_project,
        capacity=np.where(is_project, 1.0, node_array("capacity", 1.0)),
        output_value=node_array("output_value", 0.0),
        tax=node_array("tax", 0.0),
        annual_plan=np.where(is_project, node_array("annual_plan", 0.0), 0.0),
        recovery_days=node_array("recovery_days", np.nan),
        chains=node_array("chain", "", object),
        src=np.array([position[u] for u, _, _, _ in edges], dtype=np.int64),
        dst=np.array([position[v] for _, v, _, _ in edges], dtype=np.int64),
        w=np.array([d.get("w", 1.0) for *_, d in edges], dtype=float),
        critical=np.array([d.get("critical", True) for *_, d in edges], dtype=bool),
        stock_days=np.array(
            [np.nan if d.get("stock_days") is None else d["stock_days"] for *_, d in edges], dtype=float
        ),
        material=np.array([str(m) for _, _, m, _ in edges], dtype=object),
        material_key=_edge_keys(edges),
        annual_value=np.array(
            [np.nan if d.get("annual_value") is None else d["annual_value"] for *_, d in edges], dtype=float
        ),
    )


def _edge_keys(edges: list[tuple[Any, Any, Any, dict[str, Any]]]) -> np.ndarray:
    """Material keys of networkx edges: given, else the identity of code and material."""
    computed = identities(
        [str(m) for _, _, m, _ in edges], [str(d.get("material_code") or "") for *_, d in edges]
    )
    keys = [d.get("material_key") for *_, d in edges]
    return np.array([computed[i] if k is None else str(k) for i, k in enumerate(keys)], dtype=object)
