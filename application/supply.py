"""Local supply use cases (本地配套、补链、供需对接): what the pages and the API show of the supply spec.

The figures are the analysis's (:mod:`chain_graph.supply`, :mod:`chain_graph.substitutes`,
``docs/spec/supply.md``); this module cuts them to what a caller may see:

- :func:`local_supply` — 本地配套率: the whole city's (city, chains, counties), or a
  county's own (its row, its chains over its own enterprises);
- :func:`local_enterprises` — the rate of each enterprise and project the caller sees;
- :func:`gap_list` and :func:`gap_chart` — the 补链清单, the city's investment-attraction
  plan (materials, regions, counts: it names no firm; who may read it is the front door's
  permission, as for the coordination list);
- :func:`substitutes` — per link of one blocked supplier, the ranked candidates. A county
  sees the links with an own entity at one end, and only the candidates it may see (its own
  entities and their direct partners), ranked among themselves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from application.visibility import Visibility
from application.workspace import Snapshot
from chain_graph.errors import NotFoundError
from chain_graph.records import plain, plain_records
from chain_graph.regions import region_name
from chain_graph.supply import home_buyers, supply_rates

__all__ = [
    "GAP_CHART_PER_CHAIN",
    "gap_chart",
    "gap_list",
    "local_enterprises",
    "local_supply",
    "shown_ids",
    "substitute_rows",
    "substitutes",
]

GAP_CHART_PER_CHAIN = 3
"""Largest gaps per chain that the gap chart draws."""


def shown_ids(snap: Snapshot, vis: Visibility) -> frozenset[str]:
    """Ids ``vis`` may see named: everything for the city; a county's own and direct partners."""

    def build() -> frozenset[str]:
        graph = snap.graph
        return frozenset(graph.ids[vis.map_mask(graph)].astype(str).tolist())

    return snap.memo(("shown-ids", vis.key), build)


def local_supply(snap: Snapshot, vis: Visibility) -> dict[str, Any]:
    """Return 本地配套率 as ``vis`` may see it.

    ``area`` (全市 or the county's name), ``headline`` (the city's rates, or the county's
    row), ``chains`` (per chain: over the city's enterprises, or the county's own) and
    ``counties`` (every county, or the county's own row), as plain records.
    """

    def build() -> dict[str, Any]:
        supply = snap.analysis.local_supply
        if not vis.is_county:
            return {
                "area": "全市",
                "headline": {str(k): plain(v) for k, v in supply.city.items()},
                "chains": plain_records(supply.chains),
                "counties": plain_records(supply.counties),
            }
        counties = supply.counties[supply.counties["county"] == vis.county]
        graph = snap.graph
        home = snap.settings.home_adcode
        own = home_buyers(graph, home_adcode=home) & vis.own_mask(graph) & graph.is_enterprise
        chains = supply_rates(graph, np.where(own, graph.chains.astype(str), ""), home_adcode=home)
        counties_records = plain_records(counties)
        return {
            "area": region_name(vis.county) or vis.county,
            "headline": counties_records[0] if counties_records else {},
            "chains": plain_records(chains.rename_axis("chain").reset_index().sort_values("chain")),
            "counties": counties_records,
        }

    return snap.memo(("local-supply", vis.key), build)


def local_enterprises(
    snap: Snapshot, vis: Visibility, *, chain: str | None = None, county: str | None = None
) -> pd.DataFrame:
    """Return the rates of each enterprise and project ``vis`` sees, with chain and county.

    Lowest local rate by value first (none last), then by groups, then by id.
    """

    def build() -> pd.DataFrame:
        table = snap.analysis.local_supply.enterprises
        adcodes = table["id"].map(snap.adcode_of)
        graph = snap.graph
        chains = graph.chains[graph.index_of(table["id"])].astype(str) if len(table) else []
        table = table.assign(chain=chains, county=[region_name(c) or c for c in adcodes], adcode=adcodes)
        table = vis.rows(table)
        return table.sort_values(
            ["local_rate_value", "local_rate_groups", "id"], na_position="last", kind="stable"
        ).reset_index(drop=True)

    table = snap.memo(("local-enterprises", vis.key), build)
    if chain:
        table = table[table["chain"] == chain]
    if county:
        table = table[table["adcode"] == county]
    return table


def gap_list(snap: Snapshot) -> pd.DataFrame:
    """Return the 补链清单 (the city's: it names materials and regions, no firm)."""
    return snap.analysis.gap_list


def gap_chart(snap: Snapshot, *, per_chain: int = GAP_CHART_PER_CHAIN) -> list[dict[str, Any]]:
    """Return the largest gaps of each chain by purchase value from outside the city.

    Chains in order of their gaps' total from outside (largest first), each with its
    ``per_chain`` largest materials (with a value) as ``{chain, material, value}``. A
    material of several chains counts in each.
    """
    table = gap_list(snap)
    rows = [
        {"chain": str(chain), "material": str(material), "value": float(value)}
        for chains, material, value in zip(
            table["chains"], table["material"], table["value_outside"], strict=True
        )
        if plain(value) is not None and value > 0
        for chain in (chains or ["未标注产业链"])
    ]
    if not rows:
        return []
    frame = pd.DataFrame(rows)
    totals = frame.groupby("chain")["value"].sum()
    frame = frame.assign(total=frame["chain"].map(totals))
    frame = frame.sort_values(["total", "chain", "value", "material"], ascending=[False, True, False, True])
    return plain_records(frame.groupby("chain", sort=False).head(per_chain).drop(columns="total"))


def substitutes(snap: Snapshot, vis: Visibility, supplier_id: str) -> dict[str, Any]:
    """Return one supplier's links, each with its ranked substitute candidates (替代供应商).

    ``supplier`` (id, name, scope), ``blocked`` (whether it is a blocked supplier: only
    those have candidates), ``links`` (``buyer_id``, ``buyer``, ``material``, ``share``,
    ``candidates``: ``rank``, ``id``, ``name``, ``scope``, ``gain``, ``gain_output``,
    ``gain_investment`` in 万元, ``buyers``, ``availability``).

    A county may ask about its own suppliers and their direct partners (another firm
    answers "not found", as an unknown id); it gets the links with an own entity at one end,
    and the candidates it may see, ranked among themselves.
    """
    shown = shown_ids(snap, vis)
    if supplier_id not in shown or supplier_id in snap.project_ids:
        raise NotFoundError(f"没有编号为 {supplier_id} 的企业")

    def build() -> dict[str, Any]:
        analysis = snap.analysis
        blocked = bool((analysis.blocked["id"] == supplier_id).any())
        position = snap.graph.index[supplier_id]
        supplier = {
            "id": supplier_id,
            "name": snap.name_of.get(supplier_id, supplier_id),
            "scope": str(analysis.regions["scope"].iloc[position]),
        }
        if not blocked:
            return {"supplier": supplier, "blocked": False, "links": []}
        table = analysis.substitutes_of(supplier_id)
        if vis.is_county:
            table = table[table["candidate_id"].isin(shown)]
        by_link = dict(list(table.groupby(["buyer_id", "material"], sort=False)))
        links = vis.links(
            snap.ledgers.links.iloc[snap.links_of["supplier_id"].get(supplier_id, np.empty(0, np.int64))],
            snap.adcode_of,
        )
        found = []
        for row in plain_records(links.sort_values(["buyer_id", "material"], kind="stable")):
            part = by_link.get((row["buyer_id"], row["material"]))
            found.append(
                {
                    "buyer_id": row["buyer_id"],
                    "buyer": snap.name_of.get(row["buyer_id"], row["buyer_id"]),
                    "material": row["material"],
                    "share": row.get("share"),
                    "candidates": [] if part is None else _candidates(part),
                }
            )
        return {"supplier": supplier, "blocked": True, "links": found}

    return snap.memo(("substitutes", supplier_id, vis.key), build)


def _candidates(part: pd.DataFrame) -> list[dict[str, Any]]:
    """One link's candidates, ranked 1… in their order (as the caller sees them)."""
    ordered = part.sort_values("rank", kind="stable")
    return [
        {
            "rank": k,
            "id": row["candidate_id"],
            "name": row["candidate_name"],
            "scope": row["scope"],
            "gain": row["gain"],
            "gain_output": row["gain_output"],
            "gain_investment": row["gain_investment"],
            "buyers": row["buyers"],
            "availability": row["availability"],
        }
        for k, row in enumerate(plain_records(ordered), start=1)
    ]


SUBSTITUTE_ROW_COLUMNS = (
    "no",
    "supplier_id",
    "supplier",
    "buyer_id",
    "buyer",
    "material",
    "rank",
    "candidate_id",
    "candidate",
    "scope",
    "gain",
    "gain_output",
    "gain_investment",
    "buyers",
    "availability",
)


def substitute_rows(snap: Snapshot, vis: Visibility, links: pd.DataFrame) -> pd.DataFrame:
    """Return the ranked candidates of the given links of blocked suppliers, one row each.

    ``links`` has ``supplier_id``, ``buyer_id`` and ``material`` (the rows of a list, as
    ``vis`` sees them); each distinct link is numbered (``no``) in their order, and links
    without a candidate have no row. A county gets the candidates it may see, ranked among
    themselves.
    """
    shown = shown_ids(snap, vis)
    table = snap.analysis.substitutes_of(*links["supplier_id"].astype(str).unique().tolist())
    if vis.is_county:
        table = table[table["candidate_id"].isin(shown)]
    keys = links[["supplier_id", "buyer_id", "material"]].drop_duplicates()
    keys = keys.assign(no=np.arange(1, len(keys) + 1))
    rows = keys.merge(table, on=["supplier_id", "buyer_id", "material"], how="inner")
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SUBSTITUTE_ROW_COLUMNS})
    rows = rows.sort_values(["no", "rank"], kind="stable")
    rows["rank"] = rows.groupby("no").cumcount() + 1
    rows = rows.assign(
        supplier=rows["supplier_id"].map(snap.name_of),
        buyer=rows["buyer_id"].map(snap.name_of),
        candidate=rows["candidate_name"],
    )
    return rows[list(SUBSTITUTE_ROW_COLUMNS)].reset_index(drop=True)
