"""Local supply (本地配套率) and the gap list (补链清单) of the supply spec.

``docs/spec/supply.md`` defines both on the links into the city's own enterprises and
projects (the *home buyers*: enterprises of the enterprises table and projects whose
adcode lies in the home city):

* :func:`supply_rates` — for groups of home buyers (the city, a chain, a county, one
  enterprise), the local, in-province and out-of-province shares of what they buy, by
  annual purchase value (over the links that carry one) and by (buyer, material) groups;
* :func:`local_supply` — those rates city-wide, per chain, per county and per enterprise;
* :func:`gap_list` — the materials the city's buyers get mostly from outside (the 招商
  targets), ranked by what they buy from outside.

A supplier's scope is its adcode's against the home city (:func:`chain_graph.regions.classify`);
a link's material is its identity (:mod:`chain_graph.materials`). The figures at a past
date are these functions on the graph of the ledgers at that date.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chain_graph.graph import SupplyGraph
from chain_graph.materials import Catalogue, display_names, normalise
from chain_graph.records import plain, plain_records
from chain_graph.regions import Scope, classify, region_name

__all__ = [
    "SCOPE_ORDER",
    "LocalSupply",
    "gap_list",
    "home_buyers",
    "local_supply",
    "node_regions",
    "supply_rates",
]

SCOPE_ORDER = (Scope.LOCAL, Scope.IN_PROVINCE, Scope.OUT_OF_PROVINCE, Scope.UNKNOWN)
"""Scopes in the order the spec ranks them (local first)."""
_SCOPES = [s.value for s in SCOPE_ORDER]


def node_regions(graph: SupplyGraph, *, home_adcode: str) -> pd.DataFrame:
    """Return each node's scope and region name (city in province, province outside).

    Each distinct adcode is classified once.
    """
    codes = graph.adcodes.astype(str)
    unique, inverse = np.unique(codes, return_inverse=True) if codes.size else (codes, codes)
    regions = [classify(code, home_adcode=home_adcode) for code in unique]
    scope = np.array([r.scope.value for r in regions], dtype=object)
    name = np.array([r.target_region or "" for r in regions], dtype=object)
    return (
        pd.DataFrame({"scope": scope[inverse], "region": name[inverse]})
        if codes.size
        else pd.DataFrame({"scope": np.zeros(0, object), "region": np.zeros(0, object)})
    )


def home_buyers(graph: SupplyGraph, *, home_adcode: str) -> np.ndarray:
    """Mask of the home buyers: enterprises and projects located in the home city.

    Examples
    --------
    >>> from chain_graph.graph import from_networkx
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("E", is_enterprise=True, adcode="431202")
    >>> G.add_node("F", is_enterprise=True, adcode="420106")
    >>> G.add_node("S", adcode="431202")
    >>> home_buyers(from_networkx(G), home_adcode="431200").tolist()
    [True, False, False]
    """
    codes = graph.adcodes.astype(str)
    in_city = np.char.startswith(codes, home_adcode[:4]) if codes.size else np.zeros(0, bool)
    mask: np.ndarray = (graph.is_enterprise | graph.is_project) & in_city
    return mask


@dataclass(frozen=True, eq=False)
class _Links:
    """The links into grouped buyers, as integer codes (a province has 250,000 of them)."""

    groups: np.ndarray
    """The groups' labels, sorted; ``group`` holds positions in it."""
    group: np.ndarray
    buyer: np.ndarray
    key: np.ndarray
    """The material's identity, as a code."""
    value: np.ndarray
    scope: np.ndarray
    """The supplier's scope, as a position in ``_SCOPES``."""


def _links(graph: SupplyGraph, group: np.ndarray, *, home_adcode: str) -> _Links:
    """Return the links into grouped buyers: group, buyer, material key, value, supplier scope."""
    into = np.flatnonzero(group[graph.dst] != "")
    scope = node_regions(graph, home_adcode=home_adcode)["scope"].to_numpy(dtype=object)
    codes, groups = pd.factorize(group[graph.dst[into]], sort=True)
    scope_code = pd.Index(_SCOPES).get_indexer(scope[graph.src[into]]) if into.size else np.zeros(0, int)
    return _Links(
        groups=np.asarray(groups, dtype=object),
        group=codes,
        buyer=graph.dst[into],
        key=pd.factorize(graph.material_key[into])[0],
        value=graph.annual_value[into].astype(float),
        scope=scope_code,
    )


def _distinct(*columns: np.ndarray) -> np.ndarray:
    """Return the first column of the distinct rows of non-negative integer ``columns``."""
    combined = columns[0].astype(np.int64)
    for column in columns[1:]:
        combined = combined * (int(column.max(initial=0)) + 1) + column
    first: np.ndarray = np.unique(combined)
    for column in columns[1:]:
        first = first // (int(column.max(initial=0)) + 1)
    return first


def supply_rates(graph: SupplyGraph, group: np.ndarray, *, home_adcode: str) -> pd.DataFrame:
    """Local supply rates of groups of buyers.

    Parameters
    ----------
    graph
        The supply graph.
    group
        One label per node: the group a buyer counts in, ``""`` for nodes in none.
    home_adcode
        The home city.

    Returns
    -------
    pandas.DataFrame
        Indexed by group (only groups with links into them): ``buyers`` (with links),
        ``links``, ``value_total`` (万元, over links with a value), ``value_local``,
        ``value_in_province``, ``value_out_of_province``, ``value_unknown``,
        ``local_rate_value``, ``in_province_rate_value``, ``out_of_province_rate_value``
        (NaN where no link carries a value), ``value_coverage`` (share of links with a
        value), ``material_groups``, ``local_groups`` and ``local_rate_groups``.

    Examples
    --------
    Two buyers; E buys steel locally (100 万元) and from Hubei (300 万元), and bolts from
    Hubei with no value given; F buys steel locally::

    >>> import networkx as nx
    >>> from chain_graph.graph import from_networkx
    >>> G = nx.MultiDiGraph()
    >>> for v, code in [("L", "431202"), ("H", "420106")]:
    ...     G.add_node(v, adcode=code)
    >>> for v in ("E", "F"):
    ...     G.add_node(v, is_enterprise=True, adcode="431202")
    >>> _ = G.add_edge("L", "E", key="钢", annual_value=100.0)
    >>> _ = G.add_edge("H", "E", key="钢", annual_value=300.0)
    >>> _ = G.add_edge("H", "E", key="螺栓")
    >>> _ = G.add_edge("L", "F", key="钢")
    >>> g = from_networkx(G)
    >>> t = supply_rates(g, np.where(g.is_enterprise, "市", ""), home_adcode="431200")
    >>> r = t.loc["市"]
    >>> float(r.local_rate_value), float(r.out_of_province_rate_value), float(r.value_coverage)
    (0.25, 0.75, 0.5)
    >>> int(r.material_groups), int(r.local_groups), round(float(r.local_rate_groups), 4)
    (3, 2, 0.6667)
    """
    links = _links(graph, np.asarray(group, dtype=object), home_adcode=home_adcode)
    columns = [
        "buyers",
        "links",
        "value_total",
        *(f"value_{s}" for s in _SCOPES),
        "local_rate_value",
        "in_province_rate_value",
        "out_of_province_rate_value",
        "value_coverage",
        "material_groups",
        "local_groups",
        "local_rate_groups",
    ]
    n = len(links.groups)
    if n == 0:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="group"))

    def count(rows: np.ndarray) -> np.ndarray:
        return np.bincount(links.group[rows], minlength=n)

    every = np.ones(len(links.group), dtype=bool)
    valued = ~np.isnan(links.value)
    table = pd.DataFrame(
        {
            "buyers": np.bincount(_distinct(links.group, links.buyer), minlength=n),
            "links": count(every),
        },
        index=pd.Index(links.groups, name="group"),
    )
    for i, s in enumerate(_SCOPES):
        rows = valued & (links.scope == i)
        table[f"value_{s}"] = np.bincount(links.group[rows], weights=links.value[rows], minlength=n)
    table["value_total"] = table[[f"value_{s}" for s in _SCOPES]].sum(axis=1)
    has_value = count(valued) > 0
    table.loc[~has_value, ["value_total", *(f"value_{s}" for s in _SCOPES)]] = np.nan
    total = table["value_total"].where(table["value_total"] > 0)
    for s in ("local", "in_province", "out_of_province"):
        table[f"{s}_rate_value"] = table[f"value_{s}"] / total
    table["value_coverage"] = count(valued) / table["links"]
    local = links.scope == _SCOPES.index(Scope.LOCAL.value)
    table["material_groups"] = np.bincount(_distinct(links.group, links.buyer, links.key), minlength=n)
    table["local_groups"] = np.bincount(
        _distinct(links.group[local], links.buyer[local], links.key[local]), minlength=n
    )
    table["local_rate_groups"] = table["local_groups"] / table["material_groups"]
    return table[columns]


@dataclass(frozen=True, eq=False)
class LocalSupply:
    """本地配套率 city-wide, per chain, per county and per enterprise (tables of :func:`supply_rates`)."""

    city: pd.Series
    chains: pd.DataFrame
    counties: pd.DataFrame
    enterprises: pd.DataFrame

    def to_json(self) -> dict[str, Any]:
        """Return the spec's ``local_supply`` object (enterprises left out: see the API)."""
        return {
            "city": {key: plain(value) for key, value in self.city.items()},
            "chains": plain_records(self.chains),
            "counties": plain_records(self.counties),
        }


def local_supply(graph: SupplyGraph, *, home_adcode: str) -> LocalSupply:
    """Compute the local supply rates of the spec for the home buyers.

    Chains group the enterprises by their 所属产业链 (projects have none); counties group
    enterprises and projects by their county's adcode; enterprises are one group each.
    """
    home = home_buyers(graph, home_adcode=home_adcode)
    ids = graph.ids.astype(str)
    city = supply_rates(graph, np.where(home, "city", ""), home_adcode=home_adcode)
    chain = np.where(home & graph.is_enterprise, graph.chains.astype(str), "")
    chains = supply_rates(graph, chain, home_adcode=home_adcode).rename_axis("chain").reset_index()
    counties = (
        supply_rates(graph, np.where(home, graph.adcodes.astype(str), ""), home_adcode=home_adcode)
        .rename_axis("county")
        .reset_index()
    )
    counties.insert(1, "name", [region_name(code) for code in counties["county"]])
    enterprises = supply_rates(graph, np.where(home, ids, ""), home_adcode=home_adcode)
    enterprises = enterprises.rename_axis("id").reset_index()
    enterprises.insert(1, "name", graph.names[graph.index_of(enterprises["id"])].astype(str))
    empty = pd.Series(dtype=object)
    return LocalSupply(
        city=city.iloc[0] if len(city) else empty,
        chains=chains.sort_values("chain", kind="stable").reset_index(drop=True),
        counties=counties.sort_values("county", kind="stable").reset_index(drop=True),
        enterprises=enterprises,
    )


GAP_COLUMNS = (
    "rank",
    "material",
    "code",
    "chains",
    "buyers",
    "buyers_output",
    "value_total",
    "value_outside",
    "local_share",
    "share_basis",
    "suppliers_local",
    "suppliers_in_province",
    "suppliers_out_of_province",
    "suppliers_unknown",
    "top_regions",
)


def gap_list(
    graph: SupplyGraph,
    *,
    home_adcode: str,
    threshold: float,
) -> pd.DataFrame:
    """Return the 补链清单: materials the home buyers get less than ``threshold`` locally.

    Parameters
    ----------
    graph
        The supply graph.
    home_adcode
        The home city.
    threshold
        ``local_gap_threshold`` (0–1).

    Returns
    -------
    pandas.DataFrame
        One row per material, columns ``GAP_COLUMNS``: ``local_share`` by value where
        the material's links carry values (``share_basis`` ``"value"``), else by
        (buyer, material) groups (``"groups"``); ``value_outside`` is what comes from
        suppliers not known to be local (NaN without values); ``top_regions`` the three
        regions (city in the province, province outside it) supplying most from outside,
        as ``{"region", "value", "links"}``. Ranked by ``value_outside`` (NaN last), then
        the buyers' output value, then the material's name.

    Examples
    --------
    >>> import networkx as nx
    >>> from chain_graph.graph import from_networkx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("L", adcode="431202"); G.add_node("H", adcode="420106")
    >>> G.add_node("E", is_enterprise=True, adcode="431202", output_value=5000.0)
    >>> _ = G.add_edge("L", "E", key="钢", annual_value=100.0)
    >>> _ = G.add_edge("H", "E", key="钢", annual_value=300.0)
    >>> _ = G.add_edge("L", "E", key="漆", annual_value=50.0)
    >>> t = gap_list(from_networkx(G), home_adcode="431200", threshold=0.3)
    >>> t[["material", "value_outside", "local_share"]].to_dict("records")
    [{'material': '钢', 'value_outside': 300.0, 'local_share': 0.25}]
    >>> t.loc[0, "top_regions"]
    [{'region': '湖北省', 'value': 300.0, 'links': 1}]
    """
    codes = graph.catalogue
    catalogue = Catalogue(codes)
    home = home_buyers(graph, home_adcode=home_adcode)
    into = np.flatnonzero(home[graph.dst])
    regions = node_regions(graph, home_adcode=home_adcode)
    src, dst = graph.src[into], graph.dst[into]
    links = pd.DataFrame(
        {
            "key": graph.material_key[into],
            "name": graph.material[into].astype(str),
            "supplier": src,
            "buyer": dst,
            "value": graph.annual_value[into],
            "scope": regions["scope"].to_numpy(dtype=object)[src] if into.size else np.zeros(0, object),
            "region": regions["region"].to_numpy(dtype=object)[src] if into.size else np.zeros(0, object),
            "chain": graph.chains[dst].astype(str) if into.size else np.zeros(0, object),
            "output": graph.output_weight[dst],
        }
    )
    if links.empty:
        return pd.DataFrame(columns=list(GAP_COLUMNS))
    links["local"] = links["scope"] == Scope.LOCAL.value
    by = links.groupby("key", sort=True)
    table = pd.DataFrame({"buyers": by["buyer"].nunique(), "valued": by["value"].count()})
    table["value_total"] = by["value"].sum(min_count=1)
    local_value = links[links["local"]].groupby("key")["value"].sum(min_count=1)
    table["value_local"] = local_value.reindex(table.index)
    table.loc[table["valued"] > 0, "value_local"] = table["value_local"].fillna(0.0)
    table["value_outside"] = table["value_total"] - table["value_local"]
    pairs = links.groupby(["key", "buyer"])["local"].any().groupby(level="key")
    group_share = pairs.mean()
    by_value = (table["valued"] > 0) & (table["value_total"] > 0)
    table["local_share"] = np.where(
        by_value, table["value_local"] / table["value_total"].where(by_value, 1.0), group_share
    )
    table["share_basis"] = np.where(by_value, "value", "groups")
    table = table[table["local_share"] < threshold - 1e-12]
    if table.empty:
        return pd.DataFrame(columns=list(GAP_COLUMNS))
    links = links[links["key"].isin(table.index)]
    buyers = links.drop_duplicates(["key", "buyer"])
    table["buyers_output"] = buyers.groupby("key")["output"].sum()
    names = display_names(links["key"].to_numpy(), links["name"].to_numpy(), catalogue=catalogue)
    table["material"] = names.reindex(table.index)
    table["code"] = _shown_codes(table.index, codes)
    table["chains"] = pd.Series(_chains(links, table.index, codes), index=table.index, dtype=object)
    suppliers = links.drop_duplicates(["key", "supplier"]).groupby(["key", "scope"]).size().unstack()
    suppliers = suppliers.reindex(columns=_SCOPES).reindex(table.index).fillna(0).astype(int)
    for s in _SCOPES:
        table[f"suppliers_{s}"] = suppliers[s]
    table["top_regions"] = pd.Series(_top_regions(links, table.index), index=table.index, dtype=object)
    table = table.reset_index()
    table = table.sort_values(
        ["value_outside", "buyers_output", "material"], ascending=[False, False, True], na_position="last"
    ).reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    return table[list(GAP_COLUMNS)]


def _shown_codes(keys: pd.Index, catalogue: pd.DataFrame | None) -> list[str]:
    written = {}
    if catalogue is not None and not catalogue.empty:
        written = {normalise(code): str(code) for code in catalogue["code"].astype(str)}
    shown = []
    for identity in keys.astype(str):
        code = identity[1:] if identity.startswith("#") and not identity.startswith("##") else ""
        shown.append(written.get(code, code.upper()) if code else "")
    return shown


def _chains(links: pd.DataFrame, keys: pd.Index, catalogue: pd.DataFrame | None) -> list[list[str]]:
    """Return a material's chains: the catalogue's, else its buyers' chains by frequency."""
    listed: dict[str, str] = {}
    if catalogue is not None and not catalogue.empty:
        listed = {
            "#" + normalise(code): str(chain).strip()
            for code, chain in zip(catalogue["code"].astype(str), catalogue["chain"].astype(str), strict=True)
            if str(chain).strip()
        }
    buyers = links.drop_duplicates(["key", "buyer"])
    buyers = buyers[buyers["chain"] != ""]
    counts = buyers.groupby(["key", "chain"]).size().reset_index(name="n")
    counts = counts.sort_values(["key", "n", "chain"], ascending=[True, False, True])
    found = counts.groupby("key")["chain"].agg(list)
    return [[listed[str(k)]] if str(k) in listed else list(found.get(k, [])) for k in keys]


def _top_regions(links: pd.DataFrame, keys: pd.Index, *, top: int = 3) -> list[list[dict[str, Any]]]:
    outside = links[~links["local"] & (links["region"] != "")]
    per = (
        outside.groupby(["key", "region"])
        .agg(value=("value", "sum"), valued=("value", "count"), links=("value", "size"))
        .reset_index()
    )
    per = per.sort_values(["key", "value", "links", "region"], ascending=[True, False, False, True])
    result: dict[str, list[dict[str, Any]]] = {}
    for key, part in per.groupby("key", sort=False):
        # a region none of whose links carry a 年采购额 has no value (not 0)
        result[str(key)] = [
            {"region": str(r), "value": float(v) if k > 0 else None, "links": int(n)}
            for r, v, k, n in zip(part["region"], part["value"], part["valued"], part["links"], strict=True)
        ][:top]
    return [result.get(str(k), []) for k in keys]
