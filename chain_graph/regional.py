"""Where the blocked suppliers are, and whom they hold back: the regional distribution (区域分布).

From a :class:`~chain_graph.gaps.GapAnalysis`, every blocked supplier is placed in one
region by its adcode and scope (:func:`chain_graph.regions.classify`):

- ``out_of_province`` 省外 — its province (``420000``);
- ``in_province`` 省内市外 — its city (``430100``);
- ``local`` 本地 — its county (``431202``), or the home city itself (``431200``) where only
  the city is known;
- ``unknown`` 地址待核实 — no region: counted apart.

Each region gets the number of its blocked suppliers and their value (万元): the
supplier's ``recovered_value`` for the whole city. For a county (``own`` given) only the
suppliers holding back the county's own entities count, and only by what restoring them
gives those entities (:meth:`GapAnalysis.held_back`), so that every region total sums to
the total shown.

A **flow** goes from a supplier's region to each home county whose entities it holds
back, with the value those entities regain when it alone is restored: Σ output or annual
plan × rise in availability, over every tier (the analysis's per-node ``gains``). A
supplier's flows add up to its recovered value, less what goes to entities outside the
home city (none in a city's own ledgers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chain_graph.gaps import GapAnalysis
from chain_graph.regions import region_name

__all__ = ["RegionalDistribution", "regional_distribution", "supplier_region"]

_TOTALS = ["adcode", "name", "suppliers", "value"]
_FLOWS = ["source", "source_name", "target", "target_name", "suppliers", "value"]


def supplier_region(adcode: str, scope: str) -> str:
    """Return the region a supplier is counted in: province, city or county adcode.

    ``""`` for a supplier whose place is unknown.

    Examples
    --------
    >>> supplier_region("420106", "out_of_province"), supplier_region("430111", "in_province")
    ('420000', '430100')
    >>> supplier_region("431228", "local"), supplier_region("431200", "local"), supplier_region("", "unknown")
    ('431228', '431200', '')
    """
    if scope == "out_of_province":
        return adcode[:2] + "0000"
    if scope == "in_province":
        return adcode[:4] + "00"
    if scope == "local":
        return adcode
    return ""


@dataclass(frozen=True)
class RegionalDistribution:
    """Blocked suppliers by region, and the value they hold back flowing to the home counties.

    Attributes
    ----------
    provinces, cities, counties
        One row per region with a blocked supplier: ``adcode``, ``name``, ``suppliers``
        (count), ``value`` (万元); largest value first, ties by adcode. ``provinces`` holds
        the suppliers outside the home province, ``cities`` those in other cities of it,
        ``counties`` the home city's own (a supplier placed only in the city: its adcode).
    unknown_suppliers, unknown_value
        Suppliers whose address could not be placed (地址待核实), counted apart.
    flows
        ``source`` (the supplier region), ``target`` (a home county, or the home city's
        adcode for an entity placed only in the city), their names, ``suppliers`` and
        ``value``; largest first.
    """

    provinces: pd.DataFrame
    cities: pd.DataFrame
    counties: pd.DataFrame
    unknown_suppliers: int
    unknown_value: float
    flows: pd.DataFrame

    @property
    def suppliers(self) -> int:
        """Every blocked supplier counted, the unknown ones included."""
        placed = sum(int(t["suppliers"].sum()) for t in (self.provinces, self.cities, self.counties))
        return placed + self.unknown_suppliers

    @property
    def value(self) -> float:
        """Their value (万元), the unknown ones included."""
        placed = sum(float(t["value"].sum()) for t in (self.provinces, self.cities, self.counties))
        return placed + self.unknown_value

    def level(self, name: str) -> pd.DataFrame:
        """Return the totals of one level: ``province``, ``city`` or ``county``."""
        tables = {"province": self.provinces, "city": self.cities, "county": self.counties}
        if name not in tables:
            msg = f"level should be province, city or county, not {name!r}"
            raise ValueError(msg)
        return tables[name]


def regional_distribution(
    analysis: GapAnalysis, *, own: np.ndarray | None = None, shown: np.ndarray | None = None
) -> RegionalDistribution:
    """Count the blocked suppliers and their value per region, and the flows to the home counties.

    Parameters
    ----------
    analysis
        The city's gap analysis.
    own
        Mask of the nodes whose losses count (a county's own entities); ``None``: the whole
        city, each supplier with its whole ``recovered_value``.
    shown
        Mask of the suppliers that may be counted (a county's own entities and direct
        partners); needed with ``own``.

    Returns
    -------
    RegionalDistribution

    Examples
    --------
    >>> from chain_graph.analysis import example_graph
    >>> from chain_graph.gaps import analyze
    >>> from chain_graph.graph import from_networkx
    >>> from chain_graph.settings import Settings
    >>> G = example_graph()  # S (c=0) -60 %-> E (1000) -100 %-> P (500)
    >>> G.nodes["S"]["adcode"] = "430111"  # 长沙市芙蓉区: in the province, another city
    >>> for v in "UEP":
    ...     G.nodes[v]["adcode"] = "431202"  # 鹤城区
    >>> d = regional_distribution(analyze(from_networkx(G), settings=Settings()))
    >>> d.cities.to_dict("records")
    [{'adcode': '430100', 'name': '长沙市', 'suppliers': 1, 'value': 900.0}]
    >>> d.flows[["source", "target", "value"]].to_dict("records")
    [{'source': '430100', 'target': '431202', 'value': 900.0}]
    >>> len(d.provinces), len(d.counties), d.unknown_suppliers
    (0, 0, 0)
    """
    graph = analysis.graph
    home = analysis.settings.home_adcode
    table = analysis.blocked
    if own is not None:
        if shown is None:
            msg = "shown is needed with own: the suppliers a county may see"
            raise ValueError(msg)
        held = analysis.held_back(own, shown=shown)
        table = table.merge(held[["id", "value"]], on="id", how="inner")
    else:
        table = table.assign(value=table["recovered_value"].astype(float))
    codes = graph.adcodes.astype(str)
    supplier_code = codes[table["node"].to_numpy(dtype=np.int64)] if len(table) else np.array([], dtype=str)
    regions = [supplier_region(c, s) for c, s in zip(supplier_code, table["scope"], strict=True)]
    placed = pd.DataFrame(
        {
            "id": table["id"].astype(str).to_numpy(),
            "scope": table["scope"].to_numpy(dtype=object),
            "region": np.array(regions, dtype=object),
            "value": table["value"].to_numpy(dtype=float),
        }
    )
    unknown = placed[placed["region"] == ""]

    def totals(scope: str) -> pd.DataFrame:
        part = placed[placed["scope"] == scope]
        grouped = part.groupby("region").agg(suppliers=("id", "size"), value=("value", "sum")).reset_index()
        grouped = grouped.rename(columns={"region": "adcode"})
        grouped.insert(1, "name", [_name(c, home=home) for c in grouped["adcode"]])
        return _ordered(grouped[_TOTALS], "adcode")

    return RegionalDistribution(
        provinces=totals("out_of_province"),
        cities=totals("in_province"),
        counties=totals("local"),
        unknown_suppliers=len(unknown),
        unknown_value=float(unknown["value"].sum()) + 0.0,
        flows=_flows(analysis, placed[placed["region"] != ""], own=own),
    )


def _name(adcode: str, *, home: str) -> str:
    if adcode == home:
        return f"{region_name(adcode)}（县市区待核实）"
    return region_name(adcode) or adcode


def _ordered(table: pd.DataFrame, key: str) -> pd.DataFrame:
    table = table.assign(value=table["value"].astype(float) + 0.0, suppliers=table["suppliers"].astype(int))
    return table.sort_values(["value", key], ascending=[False, True], kind="stable").reset_index(drop=True)


def _flows(analysis: GapAnalysis, placed: pd.DataFrame, *, own: np.ndarray | None) -> pd.DataFrame:
    """Value from each supplier region to each home county, through the per-node gains."""
    graph = analysis.graph
    home4 = analysis.settings.home_adcode[:4]
    codes = graph.adcodes.astype(str)
    region_of = dict(zip(placed["id"], placed["region"], strict=True))
    blocked = analysis.blocked[analysis.blocked["id"].isin(region_of)]
    counts = np.fromiter((len(a) for a in blocked["affected"]), dtype=np.int64, count=len(blocked))
    if not counts.sum():
        return pd.DataFrame(columns=_FLOWS).astype({"suppliers": int, "value": float})
    # One long table of (supplier, affected node, gain), built at once: a province has
    # thousands of blocked suppliers, each holding back hundreds of nodes.
    nodes = graph.index_of([node for affected in blocked["affected"] for node in affected])
    gains = np.concatenate(
        [np.asarray(g, dtype=float) for g, n in zip(blocked["gains"], counts, strict=True) if n]
    )
    suppliers = np.repeat(blocked["id"].astype(str).to_numpy(), counts)
    targets = codes[nodes].astype(str)
    value = graph.weight[nodes] * gains
    keep = np.char.startswith(targets, home4) & (value > 0)
    if own is not None:
        keep &= own[nodes]
    if not keep.any():
        return pd.DataFrame(columns=_FLOWS).astype({"suppliers": int, "value": float})
    long = pd.DataFrame({"supplier": suppliers[keep], "target": targets[keep], "value": value[keep]})
    long["source"] = long["supplier"].map(region_of)
    flows = (
        long.groupby(["source", "target"])
        .agg(suppliers=("supplier", "nunique"), value=("value", "sum"))
        .reset_index()
    )
    flows.insert(1, "source_name", [region_name(c) or c for c in flows["source"]])
    flows.insert(3, "target_name", [region_name(c) or c for c in flows["target"]])
    flows = flows.assign(value=flows["value"].astype(float) + 0.0, suppliers=flows["suppliers"].astype(int))
    return flows.sort_values(["value", "source", "target"], ascending=[False, True, True]).reset_index(
        drop=True
    )[_FLOWS]
