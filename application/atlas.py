"""Chain atlas use cases (产业链图谱): the atlas a caller may see, and one cell's firms.

The atlas is the domain's (:mod:`chain_graph.atlas`), built once per data version. The
city sees all of it; a county sees it counting only its own entities and their direct
partners (:meth:`~application.visibility.Visibility.map_mask`): tiers and segments stay the
city's, a cell or chain left with none of them disappears, and a cell it cannot see answers
"not found" exactly as one that does not exist. A partner is named in a cell's table but
only an own entity links to its page (the county boundary of the console).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from application.visibility import Visibility
from application.workspace import Snapshot
from chain_graph.atlas import TIERS, Atlas, atlas
from chain_graph.errors import NotFoundError
from chain_graph.labels import KIND_LABELS, NODE_STATUS_LABELS, SCOPE_LABELS
from chain_graph.records import plain_records
from chain_graph.regions import region_name
from viz.atlas import atlas_document

__all__ = ["atlas_document_of", "cell_firms", "chain_atlas", "city_atlas"]


def city_atlas(snap: Snapshot) -> Atlas:
    """Return the whole city's atlas (built once per data version)."""
    settings = snap.settings
    return snap.memo(
        ("atlas", "*"), lambda: atlas(snap.analysis, snap.ledgers, home_adcode=settings.home_adcode)
    )


def chain_atlas(snap: Snapshot, vis: Visibility, *, chain: str | None = None) -> Atlas:
    """Return the atlas ``vis`` may see; of one chain only when ``chain`` is given.

    Raises
    ------
    NotFoundError
        ``chain`` is not a chain of the atlas the caller sees.
    """

    def build() -> Atlas:
        whole = city_atlas(snap)
        return whole.within(vis.map_mask(snap.graph)) if vis.is_county else whole

    seen = snap.memo(("atlas", vis.key), build)
    if not chain:
        return seen
    if chain not in seen.chains:
        raise NotFoundError(f"没有名为 {chain} 的产业链")
    members = seen.members[seen.members["chain"] == chain].reset_index(drop=True)
    return Atlas(members, seen.cells[seen.cells["chain"] == chain].reset_index(drop=True), (chain,))


def cell_firms(snap: Snapshot, vis: Visibility, *, chain: str, tier: str, segment: str) -> dict[str, Any]:
    """Return one cell of the atlas ``vis`` sees: its counts and its firms.

    ``cell`` is the cell's row (plain); ``firms`` one record per firm — ``id``, ``name``,
    ``kind``, ``county`` (or region), ``scope``, ``state``, ``blocked``, ``distance`` (supply
    links to the chain's nearest key buyer) and ``linked`` (whether the caller may open its
    page) — blocked first, then by id.

    Raises
    ------
    NotFoundError
        No such cell in what the caller sees.
    """
    if tier not in TIERS:
        raise NotFoundError(f"环节应为 {'、'.join(TIERS)} 之一，当前为 {tier}")
    # Kept per version and visibility: a province's cell lists hundreds of firms.
    return snap.memo(
        ("atlas-cell", vis.key, chain, tier, segment), lambda: _cell(snap, vis, chain, tier, segment)
    )


def _cell(snap: Snapshot, vis: Visibility, chain: str, tier: str, segment: str) -> dict[str, Any]:
    seen = chain_atlas(snap, vis)
    members = seen.cell(chain, tier, segment)
    if members.empty:
        raise NotFoundError(f"{chain}的{tier}没有该环节")
    cells = seen.cells
    row = cells[(cells["chain"] == chain) & (cells["tier"] == tier) & (cells["segment"] == segment)]
    graph = snap.graph
    nodes = members["node"].to_numpy()
    adcodes = graph.adcodes[nodes].astype(str)
    regions = snap.analysis.regions["region"].to_numpy(dtype=object)[nodes]
    kinds = [
        "project" if graph.is_project[v] else "enterprise" if graph.is_enterprise[v] else "supplier"
        for v in nodes
    ]
    firms = pd.DataFrame(
        {
            "id": members["id"],
            "name": graph.names[nodes].astype(str),
            "kind": [KIND_LABELS[k] for k in kinds],
            "county": [
                (region_name(code) or code) if scope == "local" else str(region or "")
                for code, scope, region in zip(adcodes, members["scope"], regions, strict=True)
            ],
            "scope": [SCOPE_LABELS[s] for s in members["scope"]],
            "state": [NODE_STATUS_LABELS[s] for s in members["state"]],
            "blocked": members["blocked"].astype(bool),
            "distance": members["distance"].astype(int),
            "linked": [vis.sees(code) for code in adcodes],
        }
    ).sort_values(["blocked", "id"], ascending=[False, True], kind="stable")
    cell = plain_records(row.drop(columns=["ids"]))[0]
    return {"cell": cell, "firms": plain_records(firms)}


def atlas_document_of(snap: Snapshot, vis: Visibility, *, chain: str | None, console: str | None) -> str:
    """Return the atlas ``vis`` sees as one standalone HTML file (``chain-graph map --view atlas``)."""
    seen = chain_atlas(snap, vis, chain=chain)
    title = "产业链图谱" + (f"：{chain}" if chain else "")
    return atlas_document(
        plain_records(seen.cells),
        chains=seen.chains,
        tiers=TIERS,
        title=title,
        names=snap.name_of,
        console=console,
    )
