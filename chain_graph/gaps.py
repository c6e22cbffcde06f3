"""The whole gap analysis of one city: every figure of the spec, and its JSON form.

:func:`analyze` runs the analysis functions of :mod:`chain_graph.analysis` on the city's
ledgers and adds the routing of every blocked supplier (:mod:`chain_graph.regions`).
:meth:`GapAnalysis.to_json` is the ``chain-graph analyze --json`` object of the spec. The
figures no page shows — the restoration order, the exposure index, and the supply spec's
(local supply, the gap list, substitutes) — are computed on first use, so a snapshot of
new data is served as soon as availability and the blocked list are known.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chain_graph.analysis import (
    Losses,
    blocked,
    exposure_search,
    key_enterprises,
    losses,
    rank_blocked,
    recovery,
    restoration_order,
    single_source,
    starved,
)
from chain_graph.graph import SupplyGraph, build_graph
from chain_graph.model import LedgerTables
from chain_graph.records import plain, plain_records
from chain_graph.regions import classify, region_name
from chain_graph.settings import Settings
from chain_graph.substitutes import substitutes
from chain_graph.supply import LocalSupply, gap_list, local_supply, node_regions

__all__ = ["GapAnalysis", "analyze", "blocked_table", "headline", "restoration_candidates"]


@dataclass(frozen=True, eq=False)
class GapAnalysis:
    """Every figure of the analysis spec for one graph."""

    graph: SupplyGraph
    losses: Losses
    blocked: pd.DataFrame
    starved: list[str]
    single_source: pd.DataFrame
    links: int
    key_enterprises: np.ndarray
    """Mask of the key scale enterprises (the settings' output and tax thresholds)."""
    settings: Settings
    known_exposure: np.ndarray | None = None
    """Per node, an exposure known exactly on this graph (NaN where unknown), which the
    exposure search takes instead of evaluating it: what an incremental update
    (:mod:`chain_graph.incremental`) kept from the analysis before."""
    known_restoration: pd.DataFrame | None = None
    """The restoration order, when an incremental update proved it unchanged."""
    known_substitutes: pd.DataFrame | None = None
    """Every blocked supplier's substitutes, when a published result held them."""

    @functools.cached_property
    def restoration_order(self) -> pd.DataFrame:
        """Greedy order of restoring the blocked suppliers that recover the most (analysis spec)."""
        if self.known_restoration is not None:
            return self.known_restoration
        candidates = restoration_candidates(self.blocked, count=self.settings.restoration_candidates)
        return restoration_order(self.graph, candidates)

    @functools.cached_property
    def _exposure_search(self) -> tuple[pd.DataFrame, np.ndarray]:
        return exposure_search(self.graph, top=self.settings.exposure_top, known=self.known_exposure)

    @property
    def exposure(self) -> pd.DataFrame:
        """The firms whose stopping would add the most value at risk (exposure index)."""
        return self._exposure_search[0]

    @property
    def exposure_values(self) -> np.ndarray:
        """Per node, the exact exposure the exposure search evaluated (NaN where it needed none)."""
        return self._exposure_search[1]

    def computed(self, name: str) -> bool:
        """Whether the figure ``name``, one computed on first use, is computed (or known) already.

        ``name``: ``restoration_order``, ``exposure``, ``substitutes``, ``local_supply``…
        Known: the restoration order or the substitutes given when the analysis was made
        (``known_restoration``, ``known_substitutes``: a published result held them).
        """
        known = {"restoration_order": self.known_restoration, "substitutes": self.known_substitutes}
        if known.get(name) is not None:
            return True
        return ("_exposure_search" if name == "exposure" else name) in self.__dict__

    @functools.cached_property
    def regions(self) -> pd.DataFrame:
        """Each node's ``scope`` and ``region`` against the home city."""
        return node_regions(self.graph, home_adcode=self.settings.home_adcode)

    @functools.cached_property
    def local_supply(self) -> LocalSupply:
        """本地配套率 city-wide, per chain, per county and per enterprise (supply spec)."""
        return local_supply(self.graph, home_adcode=self.settings.home_adcode)

    @functools.cached_property
    def gap_list(self) -> pd.DataFrame:
        """补链清单: materials the city's buyers get mostly from outside (supply spec)."""
        return gap_list(
            self.graph, home_adcode=self.settings.home_adcode, threshold=self.settings.local_gap_threshold
        )

    @functools.cached_property
    def substitutes(self) -> pd.DataFrame:
        """Ranked substitute suppliers for every link of every blocked supplier (supply spec).

        Computed on first use (a batch of scenarios, about as much as the analysis).
        """
        if self.known_substitutes is not None:
            return self.known_substitutes
        return substitutes(
            self.graph,
            self.blocked["node"].to_numpy(dtype=np.int64),
            threshold=self.settings.blocked_threshold,
            top=self.settings.substitute_top,
            scope=self.regions["scope"].to_numpy(dtype=object),
        )

    def availability(self) -> dict[str, float]:
        """a(v) of every firm and project."""
        return dict(
            zip(self.graph.ids.astype(str).tolist(), self.graph.base_availability.tolist(), strict=True)
        )

    def summary(self) -> dict[str, Any]:
        """Headline figures."""
        return headline(self.graph, blocked_count=len(self.blocked), at_risk=self.losses)

    def held_back(self, own: np.ndarray, *, shown: np.ndarray) -> pd.DataFrame:
        """Return the blocked suppliers in ``shown`` that hold back a node in ``own``.

        Columns ``id``, ``scope`` and ``value``: what restoring the supplier gives the nodes
        in ``own`` (万元), and no one else. For a county, ``own`` is its own entities and
        ``shown`` those and their direct partners: a supplier further away stays unnamed
        and uncounted (the county boundary), even when it holds a county's firm back.
        """
        g = self.graph
        table = self.blocked
        table = table[shown[table["node"].to_numpy(dtype=np.int64)]] if len(table) else table
        values = []
        for affected, gains in zip(table["affected"], table["gains"], strict=True):
            nodes = g.index_of(affected)
            inside = own[nodes]
            values.append(float(np.sum(g.weight[nodes[inside]] * np.asarray(gains)[inside])))
        found = table.assign(value=pd.Series(values, index=table.index, dtype=float))
        return found[found["value"] > 0][["id", "scope", "value"]].reset_index(drop=True)

    def summary_of(self, mask: np.ndarray, *, shown: np.ndarray) -> dict[str, Any]:
        """Headline figures of the nodes in ``mask`` (a county's own firms and projects).

        ``blocked`` counts the blocked suppliers among them; ``holding_back`` the blocked
        suppliers in ``shown`` that hold back at least one of them (:meth:`held_back`); the
        values at risk are theirs alone. ``links`` counts the links with an end among them.
        """
        g = self.graph
        gap = 1.0 - g.base_availability
        output = float(np.sum(np.where(mask, g.output_weight * gap, 0.0)))
        investment = float(np.sum(np.where(mask, g.investment_weight * gap, 0.0)))
        return {
            "firms": int((mask & ~g.is_project).sum()),
            "projects": int((mask & g.is_project).sum()),
            "links": int((mask[g.src] | mask[g.dst]).sum()),
            "blocked": int(mask[self.blocked["node"].to_numpy(dtype=np.int64)].sum()),
            "holding_back": len(self.held_back(mask, shown=shown)),
            "output_at_risk": output + 0.0,
            "investment_at_risk": investment + 0.0,
            "value_at_risk": output + investment + 0.0,
        }

    def local_list(self) -> pd.DataFrame:
        """本地配套企业督促复产清单: blocked local suppliers, in rank order, with county."""
        return self.blocked[self.blocked["scope"] == "local"].reset_index(drop=True)

    def coordination_list(self) -> pd.DataFrame:
        """跨区域协调清单: blocked suppliers in other cities or provinces, in rank order."""
        outside = self.blocked["scope"].isin(["in_province", "out_of_province"])
        return self.blocked[outside].reset_index(drop=True)

    def chain_summary(self, *, mask: np.ndarray | None = None) -> pd.DataFrame:
        """Summarise per industry chain (产业链).

        Enterprises, output-weighted availability, blocked suppliers holding its
        enterprises back, and value at risk (万元); of the enterprises in ``mask`` only,
        when given (a county's own).
        """
        g = self.graph
        firms = pd.DataFrame(
            {
                "id": g.ids.astype(str),
                "chain": g.chains.astype(str),
                "enterprise": g.is_enterprise,
                "output": g.output_value,
                "a": g.base_availability,
            }
        )
        keep = firms["enterprise"] if mask is None else firms["enterprise"] & mask
        return self._summary_by(firms[keep], "chain", value="output")

    def county_summary(self, *, home_adcode: str) -> pd.DataFrame:
        """Summarise per county of the home city, for its enterprises and projects."""
        g = self.graph
        codes = g.adcodes.astype(str)
        valued = (g.is_enterprise | g.is_project) & np.char.startswith(codes, home_adcode[:4])
        nodes = pd.DataFrame(
            {"id": g.ids.astype(str), "county": codes, "output": g.weight, "a": g.base_availability}
        )[valued]
        table = self._summary_by(nodes, "county", value="output")
        table.insert(1, "name", [region_name(c) for c in table["county"]])
        return table

    def _summary_by(self, nodes: pd.DataFrame, key: str, *, value: str) -> pd.DataFrame:
        holders = self.blocked[["id", "affected"]].explode("affected").dropna()
        group_of = dict(zip(nodes["id"], nodes[key], strict=True))
        holders = holders.assign(group=holders["affected"].map(group_of)).dropna(subset=["group"])
        blocked = holders.groupby("group")["id"].nunique()
        nodes = nodes.assign(weighted=nodes[value] * nodes["a"], at_risk=nodes[value] * (1.0 - nodes["a"]))
        table = nodes.groupby(key).agg(
            count=("id", "size"),
            output=(value, "sum"),
            weighted=("weighted", "sum"),
            at_risk=("at_risk", "sum"),
        )
        table["availability"] = np.where(
            table["output"] > 0, table["weighted"] / table["output"].where(table["output"] > 0, 1), np.nan
        )
        table["blocked_suppliers"] = blocked.reindex(table.index).fillna(0).astype(int)
        table = table.drop(columns=["weighted"]).rename(columns={"at_risk": "value_at_risk"})
        return table.sort_values("value_at_risk", ascending=False).reset_index()

    def substitutes_of(self, *supplier_ids: str) -> pd.DataFrame:
        """Return the rows of :attr:`substitutes` of some suppliers (none of one not blocked).

        Taken from the whole table once that is computed; before, these suppliers' own links
        are ranked alone — the same rows, since a link's candidates depend on the graph and
        that link only — so a firm page, an impact map or the coordination list (the
        out-of-city suppliers) needs no batch of every blocked supplier's scenarios.
        """
        if self.computed("substitutes"):
            table = self.substitutes
            return table[table["supplier_id"].isin(supplier_ids)].reset_index(drop=True)
        return substitutes(
            self.graph,
            self.blocked.loc[self.blocked["id"].isin(supplier_ids), "node"].to_numpy(dtype=np.int64),
            threshold=self.settings.blocked_threshold,
            top=self.settings.substitute_top,
            scope=self.regions["scope"].to_numpy(dtype=object),
        )

    def substitutes_by_supplier(self) -> dict[str, list[dict[str, Any]]]:
        """Per blocked supplier, its links with their ranked candidates (the JSON form)."""
        found: dict[str, list[dict[str, Any]]] = {}
        table = self.substitutes
        for (supplier, buyer, material), part in table.groupby(
            ["supplier_id", "buyer_id", "material"], sort=False
        ):
            found.setdefault(str(supplier), []).append(
                {
                    "buyer_id": str(buyer),
                    "material": str(material),
                    "candidates": plain_records(part[list(_CANDIDATE_KEYS)].rename(columns=_CANDIDATE_NAMES)),
                }
            )
        return found

    def to_json(self) -> dict[str, Any]:
        """Return the spec's machine-readable result (plus ``starved``)."""
        per_link = self.substitutes_by_supplier()
        return {
            "summary": self.summary(),
            "availability": self.availability(),
            "blocked": [
                _blocked_record(row) | {"substitutes": per_link.get(str(row["id"]), [])}
                for row in self.blocked.to_dict("records")
            ],
            "single_source": self.single_source.to_dict("records"),
            "restoration_order": self.restoration_order.to_dict("records"),
            "exposure": self.exposure.to_dict("records"),
            "starved": self.starved,
            "chains": plain_records(self.chain_summary()),
            "local_supply": self.local_supply.to_json(),
            "gap_list": plain_records(self.gap_list),
        }


_BLOCKED_KEYS = (
    "rank",
    "id",
    "name",
    "scope",
    "route_to",
    "target_region",
    "recovered_value",
    "recovered_output",
    "recovered_investment",
    "days_to_impact",
    "inventory_covers",
    "affected",
)


_CANDIDATE_KEYS = ("rank", "candidate_id", "candidate_name", "scope", "gain", "buyers", "availability")
_CANDIDATE_NAMES = {"candidate_id": "id", "candidate_name": "name"}


def _blocked_record(row: dict[Any, Any]) -> dict[str, Any]:
    return {key: plain(row[key]) for key in _BLOCKED_KEYS}


def headline(graph: SupplyGraph, *, blocked_count: int, at_risk: Losses) -> dict[str, Any]:
    """Headline figures of a graph: counts, blocked suppliers and the values at risk.

    What :meth:`GapAnalysis.summary` reports, from the parts it needs alone (a what-if's
    changed graph needs no whole analysis for them).

    Examples
    --------
    >>> from chain_graph.analysis import example_graph
    >>> from chain_graph.graph import from_networkx
    >>> g = from_networkx(example_graph())
    >>> headline(g, blocked_count=1, at_risk=losses(g))["value_at_risk"]
    900.0
    """
    return {
        "firms": int((~graph.is_project).sum()),
        "projects": int(graph.is_project.sum()),
        "links": len(graph.src),
        "blocked": blocked_count,
        "output_at_risk": at_risk.output,
        "investment_at_risk": at_risk.investment,
        "value_at_risk": at_risk.value,
    }


def analyze(source: LedgerTables | SupplyGraph, *, settings: Settings) -> GapAnalysis:
    """Run the whole gap analysis.

    Parameters
    ----------
    source
        The city's ledgers, or a graph built from them.
    settings
        Thresholds, home city, list lengths.

    Returns
    -------
    GapAnalysis
    """
    graph = source if isinstance(source, SupplyGraph) else build_graph(source)
    threshold = settings.blocked_threshold
    table = blocked_table(graph, blocked(graph, threshold=threshold), settings=settings)
    return GapAnalysis(
        graph=graph,
        losses=losses(graph),
        blocked=rank_blocked(table),
        starved=graph.ids[starved(graph, threshold=threshold)].astype(str).tolist(),
        single_source=single_source(graph, threshold=settings.single_source_threshold),
        links=len(graph.src),
        key_enterprises=key_enterprises(
            graph, output_threshold=settings.key_output_threshold, tax_threshold=settings.key_tax_threshold
        ),
        settings=settings,
    )


def blocked_table(graph: SupplyGraph, nodes: np.ndarray, *, settings: Settings) -> pd.DataFrame:
    """Return the rows of the given blocked suppliers, unranked: recovery, name and routing.

    The columns of :func:`chain_graph.analysis.recovery`, then ``name``, ``scope``,
    ``route_to``, ``target_region`` and ``node`` (the supplier's position), one row per
    node in the given order; :func:`chain_graph.analysis.rank_blocked` ranks them.

    Examples
    --------
    >>> from chain_graph.analysis import example_graph
    >>> from chain_graph.graph import from_networkx
    >>> g = from_networkx(example_graph())
    >>> row = blocked_table(g, np.array([0]), settings=Settings()).iloc[0]
    >>> row["id"], float(row["recovered_value"]), row["scope"], int(row["node"])
    ('S', 900.0, 'unknown', 0)
    """
    table = recovery(graph, nodes)
    regions = [classify(str(graph.adcodes[x]), home_adcode=settings.home_adcode) for x in nodes]
    table["name"] = graph.names[nodes].astype(str) if len(nodes) else []
    table["scope"] = [r.scope.value for r in regions]
    table["route_to"] = [r.route_to for r in regions]
    table["target_region"] = [r.target_region for r in regions]
    table["node"] = nodes
    return table


def restoration_candidates(table: pd.DataFrame, *, count: int) -> np.ndarray:
    """Return the nodes of the ``count`` blocked suppliers that recover the most (ties by id).

    Examples
    --------
    >>> t = pd.DataFrame({"id": ["A", "B", "C"], "recovered_value": [1.0, 3.0, 1.0], "node": [7, 8, 9]})
    >>> restoration_candidates(t, count=2).tolist()
    [8, 7]
    """
    by_value = table.sort_values(["recovered_value", "id"], ascending=[False, True])
    candidates: np.ndarray = by_value["node"].to_numpy(dtype=np.int64)[:count]
    return candidates
