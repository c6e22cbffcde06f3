"""The chain atlas (产业链图谱): each industry chain as 上游 / 中游 / 下游 cells.

A bureau presents an industry chain (产业链) as three columns: 下游, what the chain's own key
enterprises and projects are; 中游, the materials bought directly by them; 上游, the materials
their suppliers buy in turn. The analysis spec says nothing of this presentation; this module
defines it on the supply graph, and the README's map section repeats the definition.

The method
----------
*Chains.* A chain is a set of **key buyers**: the home city's enterprises (``is_enterprise``,
adcode in the home city) with that 所属产业链; the home city's projects form one block of
their own, :data:`PROJECT_CHAIN` (projects have no chain), and enterprises with a blank
chain the block :data:`UNCHAINED`. Suppliers have no chain of their own: they belong to the
chains of the buyers they supply, directly or through other suppliers, and so may belong to
several chains.

*Tiers.* For a chain C, the distance d_C(v) of a node v is the least number of supply links
(supplier → buyer) on a path from v to a key buyer of C (0 for the key buyers themselves,
undefined when no path leads to one). Then v is

- 下游 of C when d_C(v) = 0 (a key buyer of C),
- 中游 of C when d_C(v) = 1 (a direct, tier-1 supplier of a key buyer),
- 上游 of C when d_C(v) ≥ 2 (tier 2 and beyond).

A key buyer of one chain may be a supplier, so 中游 or 上游, of another; within one chain
each node has one tier (its shortest distance: cycles change nothing).

*Segments.* A 中游 or 上游 node's segment in C is the material identity
(:mod:`chain_graph.materials`) of what it supplies *towards* C: among its links to nodes
one step closer (d_C(buyer) = d_C(v) − 1), the material with the largest summed
``annual_value`` (unknown counts 0), then the most such links, then the smallest
identity — so every node is in exactly one cell per chain and tier. A 下游 node's segment
is its main product where the ledgers give one (an extra column named in
:data:`MAIN_PRODUCT_COLUMNS` for an enterprise, the ``category`` of a project), else
:data:`KEY_ENTERPRISE` or :data:`KEY_PROJECT`.

*Cells.* A cell is (chain, tier, segment) with its nodes counted by scope (local,
in_province, out_of_province, unknown: :func:`chain_graph.supply.node_regions`), by state
(stopped: c = 0; partial: 0 < c < ``blocked_threshold``; starved: c at or above it but
a(v) below; normal: the rest — the states of the chain maps), ``blocked`` (the analysis's
blocked suppliers among them), and ``gap``: the material is on the analysis's gap list
(补链清单: no or too little local supply). A 下游 cell is never a gap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chain_graph.gaps import GapAnalysis
from chain_graph.graph import SupplyGraph
from chain_graph.materials import Catalogue, display_names, identities
from chain_graph.model import LedgerTables
from chain_graph.supply import home_buyers

__all__ = [
    "CELL_COLUMNS",
    "DOWNSTREAM",
    "KEY_ENTERPRISE",
    "KEY_PROJECT",
    "MAIN_PRODUCT_COLUMNS",
    "MIDSTREAM",
    "PROJECT_CHAIN",
    "SCOPES",
    "STATES",
    "TIERS",
    "UNCHAINED",
    "UPSTREAM",
    "Atlas",
    "atlas",
    "chain_of_buyers",
    "gap_keys",
    "supply_distance",
]

UPSTREAM, MIDSTREAM, DOWNSTREAM = "上游", "中游", "下游"
TIERS = (UPSTREAM, MIDSTREAM, DOWNSTREAM)
"""The three columns of a chain, left to right (materials flow towards 下游)."""
PROJECT_CHAIN = "重点项目"
"""The block of the home city's projects (a project has no 所属产业链)."""
UNCHAINED = "未填产业链"
"""The block of home-city enterprises whose 所属产业链 is blank."""
KEY_ENTERPRISE, KEY_PROJECT = "重点企业", "重点项目"
"""The 下游 segment of a key enterprise or project whose product the ledgers do not name."""
MAIN_PRODUCT_COLUMNS = ("主要产品", "主营产品", "产品", "main_product")
"""Extra columns of the enterprises ledger read as an enterprise's main product, first found wins."""
SCOPES = ("local", "in_province", "out_of_province", "unknown")
STATES = ("normal", "partial", "stopped", "starved")
CELL_COLUMNS = ("chain", "tier", "segment", "name", "firms", *SCOPES, *STATES, "blocked", "gap", "ids")
"""Columns of :attr:`Atlas.cells`."""


def chain_of_buyers(graph: SupplyGraph, *, home_adcode: str) -> np.ndarray:
    """Return each node's chain as a key buyer (``""`` for a node that is none).

    Examples
    --------
    >>> import networkx as nx
    >>> from chain_graph.graph import from_networkx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("E", is_enterprise=True, adcode="431202", chain="装备制造")
    >>> G.add_node("F", is_enterprise=True, adcode="431202")
    >>> G.add_node("P", kind="project", adcode="431228")
    >>> G.add_node("W", is_enterprise=True, adcode="420106", chain="装备制造")
    >>> G.add_node("S", adcode="431202")
    >>> chain_of_buyers(from_networkx(G), home_adcode="431200").tolist()
    ['装备制造', '未填产业链', '重点项目', '', '']
    """
    home = home_buyers(graph, home_adcode=home_adcode)
    chains = np.array([str(c).strip() or UNCHAINED for c in graph.chains], dtype=object)
    label = np.where(graph.is_project, PROJECT_CHAIN, chains)
    return np.where(home, label, "").astype(object)


def supply_distance(graph: SupplyGraph, targets: np.ndarray) -> np.ndarray:
    """Return each node's least number of supply links to a node of ``targets`` (-1: no path).

    A breadth-first search against the links' direction, one vector step per tier.

    Examples
    --------
    >>> import networkx as nx
    >>> from chain_graph.graph import from_networkx
    >>> G = nx.MultiDiGraph([("T", "S", "矿"), ("S", "E", "钢"), ("T", "E", "煤"), ("E", "X", "机")])
    >>> g = from_networkx(G)
    >>> dict(zip(g.ids.tolist(), supply_distance(g, g.ids == "E").tolist()))
    {'T': 1, 'S': 1, 'E': 0, 'X': -1}
    """
    distance = np.full(graph.n, -1, dtype=np.int64)
    frontier = np.asarray(targets, dtype=bool).copy()
    distance[frontier] = 0
    step = 0
    while frontier.any():
        step += 1
        suppliers = graph.src[frontier[graph.dst]]
        suppliers = np.unique(suppliers[distance[suppliers] < 0])
        distance[suppliers] = step
        frontier = np.zeros(graph.n, dtype=bool)
        frontier[suppliers] = True
    return distance


def gap_keys(gaps: pd.DataFrame) -> frozenset[str]:
    """Return the material identities of a gap list (its ``material`` and ``code`` columns).

    A coded identity comes back from its shown code, a named one from its shown name (one
    of its spellings, so the same identity).

    Examples
    --------
    >>> sorted(gap_keys(pd.DataFrame({"material": ["钢 板", "铝锭"], "code": ["", "WL01"]})))
    ['#wl01', '钢板']
    """
    if gaps.empty:
        return frozenset()
    keys = identities(gaps["material"].astype(str).to_numpy(), gaps["code"].astype(str).to_numpy())
    return frozenset(str(k) for k in keys)


@dataclass(frozen=True, eq=False)
class Atlas:
    """The chain atlas: who is in which cell, and the cells' counts.

    Attributes
    ----------
    members
        One row per (chain, tier, node): ``chain``, ``tier``, ``segment``, ``name`` (the
        segment's display name), ``node`` (graph position), ``id``, ``distance``,
        ``scope``, ``state``, ``blocked`` (bool), ``gap`` (bool).
    cells
        One row per (chain, tier, segment), columns :data:`CELL_COLUMNS`: ``firms`` the
        number of nodes, one column per scope and per state counting them, ``blocked``
        the blocked suppliers among them, ``gap`` the segment's flag, ``ids`` the node ids
        (sorted). Chains in :attr:`chains` order, tiers 上游 → 下游, then most firms first.
    chains
        The chains, most key buyers first (ties by name), then :data:`UNCHAINED` and
        :data:`PROJECT_CHAIN`.
    """

    members: pd.DataFrame
    cells: pd.DataFrame
    chains: tuple[str, ...]

    def within(self, mask: np.ndarray) -> Atlas:
        """Return the atlas counting only the nodes in ``mask`` (a county's visible part).

        Tiers and segments stay the city's; cells left empty disappear, and so do chains.
        """
        members = self.members[np.asarray(mask, dtype=bool)[self.members["node"].to_numpy(dtype=np.int64)]]
        members = members.reset_index(drop=True)
        shown = set(members["chain"])
        return Atlas(members, _cells(members, self.chains), tuple(c for c in self.chains if c in shown))

    def cell(self, chain: str, tier: str, segment: str) -> pd.DataFrame:
        """Return the member rows of one cell (empty when there is no such cell)."""
        m = self.members
        return m[(m["chain"] == chain) & (m["tier"] == tier) & (m["segment"] == segment)].reset_index(
            drop=True
        )


def atlas(analysis: GapAnalysis, ledgers: LedgerTables, *, home_adcode: str) -> Atlas:
    """Build the chain atlas of a city (the method is the module's docstring).

    Parameters
    ----------
    analysis
        The city's gap analysis (graph, blocked suppliers, regions, gap list).
    ledgers
        The ledgers the analysis was made from (main products, project categories).
    home_adcode
        The home city.

    Returns
    -------
    Atlas

    Examples
    --------
    Chain 装备 has one key enterprise E; S supplies it steel, T supplies S ore; P is a
    project E supplies machines to::

    >>> from chain_graph.gaps import analyze
    >>> from chain_graph.settings import Settings
    >>> L = LedgerTables.from_frames(
    ...     firms=pd.DataFrame({"id": ["E", "S", "T"], "adcode": ["431202", "431202", "420106"],
    ...                         "chain": ["装备", "", ""], "is_enterprise": [True, False, False],
    ...                         "status": ["normal", "stopped", "normal"]}),
    ...     projects=pd.DataFrame({"id": ["P"], "adcode": ["431202"]}),
    ...     links=pd.DataFrame({"supplier_id": ["S", "T", "E"], "buyer_id": ["E", "S", "P"],
    ...                         "material": ["钢", "矿", "机"], "share": [100.0] * 3,
    ...                         "critical": [True] * 3}))
    >>> a = atlas(analyze(L, settings=Settings()), L, home_adcode="431200")
    >>> a.chains
    ('装备', '重点项目')
    >>> cols = ["chain", "tier", "name", "firms", "local", "stopped", "blocked", "ids"]
    >>> for row in a.cells[cols].itertuples(index=False):
    ...     print(*row)
    装备 上游 矿 1 0 0 0 ('T',)
    装备 中游 钢 1 1 1 1 ('S',)
    装备 下游 重点企业 1 1 0 0 ('E',)
    重点项目 上游 矿 1 0 0 0 ('T',)
    重点项目 上游 钢 1 1 1 1 ('S',)
    重点项目 中游 机 1 1 0 0 ('E',)
    重点项目 下游 重点项目 1 1 0 0 ('P',)
    """
    graph = analysis.graph
    chain_of = chain_of_buyers(graph, home_adcode=home_adcode)
    threshold = analysis.settings.blocked_threshold
    capacity = graph.capacity
    state = np.where(capacity <= 0.0, "stopped", np.where(capacity < threshold, "partial", "normal"))
    state = state.astype(object)
    state[(capacity >= threshold) & (graph.base_availability < threshold)] = "starved"
    blocked = np.zeros(graph.n, dtype=bool)
    blocked[analysis.blocked["node"].to_numpy(dtype=np.int64)] = True
    names = display_names(graph.material_key, graph.material, catalogue=Catalogue(graph.catalogue))
    gaps = gap_keys(analysis.gap_list)
    products = _products(graph, ledgers)
    present = pd.Series(chain_of[chain_of != ""]).value_counts()
    order = sorted(
        present.index, key=lambda c: (c in (UNCHAINED, PROJECT_CHAIN), c == PROJECT_CHAIN, -present[c], c)
    )
    parts = [_chain_members(graph, chain, chain_of == chain, products, names) for chain in order]
    columns = ["chain", "tier", "segment", "name", "node", "distance"]
    members = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    nodes = members["node"].to_numpy(dtype=np.int64)
    members = members.assign(
        id=graph.ids[nodes].astype(str) if len(nodes) else np.zeros(0, object),
        scope=analysis.regions["scope"].to_numpy(dtype=object)[nodes],
        state=state[nodes],
        blocked=blocked[nodes],
        gap=members["segment"].isin(gaps).to_numpy() & (members["tier"] != DOWNSTREAM).to_numpy(),
    )
    chains = tuple(order)
    return Atlas(members, _cells(members, chains), chains)


def _products(graph: SupplyGraph, ledgers: LedgerTables) -> np.ndarray:
    """Return each node's own product as the ledgers name it (``""`` where they do not)."""
    product = np.full(graph.n, "", dtype=object)
    firms = ledgers.firms
    if len(firms):
        named = [_main_product(extra) for extra in firms["extra"].astype(str)]
        product[graph.index_of(firms["id"])] = named
    projects = ledgers.projects
    if len(projects):
        product[graph.index_of(projects["id"])] = projects["category"].astype(str).str.strip().to_numpy()
    return product


def _main_product(extra: str) -> str:
    if not extra.strip():
        return ""
    try:
        fields = json.loads(extra)
    except ValueError:
        return ""
    if not isinstance(fields, dict):
        return ""
    return next(
        (str(fields[k]).strip() for k in MAIN_PRODUCT_COLUMNS if str(fields.get(k) or "").strip()), ""
    )


def _chain_members(
    graph: SupplyGraph, chain: str, keys: np.ndarray, products: np.ndarray, names: pd.Series
) -> pd.DataFrame:
    """Return the members of one chain: its key buyers (下游) and every node upstream of them."""
    distance = supply_distance(graph, keys)
    key_nodes = np.flatnonzero(keys)
    default = np.where(graph.is_project[key_nodes], KEY_PROJECT, KEY_ENTERPRISE)
    own = products[key_nodes]
    product = np.where(own != "", own, default).astype(object)
    downstream = pd.DataFrame(
        {
            "chain": chain,
            "tier": DOWNSTREAM,
            "segment": product,
            "name": product,
            "node": key_nodes,
            "distance": 0,
        }
    )
    # Links one step closer to the chain: supplier at distance d, buyer at d - 1.
    d_src, d_dst = distance[graph.src], distance[graph.dst]
    toward = np.flatnonzero((d_src > 0) & (d_dst == d_src - 1))
    if not toward.size:
        return downstream
    links = pd.DataFrame(
        {
            "node": graph.src[toward],
            "segment": graph.material_key[toward],
            "value": np.nan_to_num(graph.annual_value[toward], nan=0.0),
        }
    )
    per = links.groupby(["node", "segment"], sort=False).agg(value=("value", "sum"), links=("value", "size"))
    per = per.reset_index().sort_values(
        ["node", "value", "links", "segment"], ascending=[True, False, False, True], kind="stable"
    )
    chosen = per.drop_duplicates("node")
    nodes = chosen["node"].to_numpy(dtype=np.int64)
    d = distance[nodes]
    upstream = pd.DataFrame(
        {
            "chain": chain,
            "tier": np.where(d == 1, MIDSTREAM, UPSTREAM),
            "segment": chosen["segment"].to_numpy(dtype=object),
            "name": names.reindex(chosen["segment"]).to_numpy(dtype=object),
            "node": nodes,
            "distance": d,
        }
    )
    return pd.concat([upstream, downstream], ignore_index=True)


def _cells(members: pd.DataFrame, chains: tuple[str, ...]) -> pd.DataFrame:
    """Count the members of each (chain, tier, segment)."""
    if members.empty:
        return pd.DataFrame(columns=list(CELL_COLUMNS))
    keys = ["chain", "tier", "segment"]
    grouped = members.groupby(keys, sort=False)
    table = grouped.agg(
        name=("name", "first"),
        firms=("node", "size"),
        blocked=("blocked", "sum"),
        gap=("gap", "any"),
        ids=("id", lambda ids: tuple(sorted(ids))),
    )
    for column, values in (("scope", SCOPES), ("state", STATES)):
        counts = members.groupby([*keys, column], sort=False).size().unstack(fill_value=0)
        counts = counts.reindex(index=table.index, columns=list(values), fill_value=0)
        for value in values:
            table[value] = counts[value].astype(int)
    table = table.reset_index()
    table["blocked"] = table["blocked"].astype(int)
    table["gap"] = table["gap"].astype(bool)
    table["_chain"] = table["chain"].map({c: i for i, c in enumerate(chains)})
    table["_tier"] = table["tier"].map({t: i for i, t in enumerate(TIERS)})
    table = table.sort_values(
        ["_chain", "_tier", "firms", "name", "segment"],
        ascending=[True, True, False, True, True],
        kind="stable",
    )
    return table[list(CELL_COLUMNS)].reset_index(drop=True)
