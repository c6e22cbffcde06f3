"""Read use cases: firms, projects, links, the analysis lists and figures, one node's page.

Each takes the :class:`~application.workspace.Snapshot` of the current data version and the
caller's :class:`~application.visibility.Visibility`, and returns tables or plain values
with English names; the front doors page, serialise and label them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from application import problems
from application.problems import visible_events, visible_items
from application.visibility import Visibility
from application.workspace import Snapshot, Workspace
from chain_graph.analysis import weighted_availability
from chain_graph.labels import KIND_LABELS
from chain_graph.records import plain_records
from chain_graph.regions import classify, region_name
from chain_graph.report import weekly_trend

__all__ = [
    "blocked",
    "coordination",
    "dashboard",
    "data_summary",
    "firm",
    "firms",
    "links",
    "local",
    "node_page",
    "project",
    "projects",
    "summary",
]


def firms(
    snap: Snapshot,
    vis: Visibility,
    *,
    county: str | None = None,
    chain: str | None = None,
    status: str | None = None,
    q: str | None = None,
) -> pd.DataFrame:
    """Firms (enterprises and suppliers) seen by ``vis``, filtered, by id, with county and a(v)."""
    table = vis.rows(snap.firm_rows)
    if county:
        table = table[table["adcode"] == county]
    if chain:
        table = table[table["chain"] == chain]
    if status:
        table = table[table["status"] == status]
    if q:
        table = table[table["name"].str.contains(q, regex=False)]
    return table


def _one(snap: Snapshot, vis: Visibility, table: pd.DataFrame, node_id: str, what: str) -> dict[str, Any]:
    position = snap.row_of.get(node_id)
    found = table.iloc[[position]] if position is not None and position < len(table) else table.iloc[:0]
    if not found.empty and found["id"].iloc[0] != node_id:  # a project's position among the firms
        found = table.iloc[:0]
    vis.require(node_id, dict(zip(found["id"], found["adcode"], strict=True)), what=what)
    return plain_records(found)[0]


def firm(snap: Snapshot, vis: Visibility, firm_id: str) -> dict[str, Any]:
    """One firm with its county and a(v); not found for another county's firm."""
    return _one(snap, vis, snap.firm_rows, firm_id, "企业")


def projects(snap: Snapshot, vis: Visibility, *, county: str | None = None) -> pd.DataFrame:
    """Key projects seen by ``vis``, by id, with county and a(v)."""
    table = vis.rows(snap.project_rows)
    return table[table["adcode"] == county] if county else table


def project(snap: Snapshot, vis: Visibility, project_id: str) -> dict[str, Any]:
    """One key project with its county and a(v); not found for another county's project."""
    return _one(snap, vis, snap.project_rows, project_id, "项目")


def links(
    snap: Snapshot, vis: Visibility, *, supplier_id: str | None = None, buyer_id: str | None = None
) -> pd.DataFrame:
    """Supply links with an own entity at either end (every link for the whole city)."""
    links = snap.ledgers.links
    if supplier_id or buyer_id:  # one firm's links, by the index: no scan of every link
        column, node = ("supplier_id", supplier_id) if supplier_id else ("buyer_id", buyer_id)
        table = links.iloc[snap.links_of[column].get(str(node), np.empty(0, dtype=np.int64))]
        if supplier_id and buyer_id:
            table = table[table["buyer_id"] == buyer_id]
        return vis.links(table, snap.adcode_of)
    return snap.memo(("links", vis.key), lambda: vis.links(links, snap.adcode_of))


def blocked(
    snap: Snapshot, vis: Visibility, *, scope: str | None = None, county: str | None = None
) -> pd.DataFrame:
    """Blocked suppliers in rank order, with their routing; a county sees its own only."""

    def build() -> pd.DataFrame:
        blocked = snap.analysis.blocked
        table = vis.rows_of(blocked, blocked["id"], snap.adcode_of)
        if county:
            table = table[[snap.adcode_of.get(i) == county for i in table["id"]]]
        if scope:
            table = table[table["scope"] == scope]
        if vis.is_county:  # what an own supplier holds back, as far as the county sees
            seen = [vis.ids(ids, snap.adcode_of) for ids in table["affected"]]
            table = table.assign(affected=pd.Series(seen, index=table.index, dtype=object))
        return table.drop(columns=["node", "gains"], errors="ignore")

    return snap.memo(("blocked", vis.key, scope, county), build)


def coordination(snap: Snapshot, vis: Visibility, *, target: str | None = None) -> pd.DataFrame:
    """跨区域协调清单 rows; a county sees the rows of its own buyers only."""
    table = vis.rows_of(snap.coordination, snap.coordination["buyer_id"], snap.adcode_of)
    return table[table["target_region"] == target] if target else table


def local(snap: Snapshot, vis: Visibility, *, county: str | None = None) -> pd.DataFrame:
    """本地配套企业督促复产清单 rows (属地: a county sees its own suppliers)."""
    table = vis.rows(snap.local, column="supplier_adcode")
    return table[table["supplier_adcode"] == county] if county else table


def data_summary(snap: Snapshot) -> dict[str, Any]:
    """Return what the city's tables hold: counts of entities, links and problems, suppliers by scope."""
    firms = snap.ledgers.firms
    suppliers = firms[firms["is_supplier"]]
    home = snap.settings.home_adcode
    scopes = suppliers["adcode"].map(lambda code: classify(code, home_adcode=home).scope.value).value_counts()
    return {
        "enterprises": int(firms["is_enterprise"].sum()),
        "key_enterprises": int(snap.analysis.key_enterprises.sum()),
        "projects": len(snap.ledgers.projects),
        "suppliers": len(suppliers),
        "links": len(snap.ledgers.links),
        "suppliers_held": int((suppliers["status"] != "normal").sum()),
        "problems": len(snap.ledgers.problems),
        "suppliers_by_scope": {str(scope): int(n) for scope, n in scopes.items()},
    }


def summary(snap: Snapshot) -> dict[str, Any]:
    """Return the city's headline figures and its chains (aggregates: the same for every caller)."""
    return {
        "version": snap.version,
        "summary": snap.analysis.summary(),
        "chains": plain_records(snap.analysis.chain_summary()),
    }


def dashboard(ws: Workspace, snap: Snapshot, vis: Visibility, *, today: dt.date) -> dict[str, Any]:
    """Return the console's first page: headline figures, key enterprises' recovery, chains, ledger trend."""
    ledger = ws.ledger()

    def build() -> dict[str, Any]:
        items = visible_items(ledger.items, snap, vis)
        analysis = snap.analysis
        return {
            "summary": analysis.summary(),
            "recovery": weighted_availability(analysis.graph, analysis.key_enterprises),
            "target": snap.settings.capacity_target,
            "chains": plain_records(analysis.chain_summary()),
            "trend": weekly_trend(items, visible_events(ledger.events, items), end=today),
        }

    return snap.memo(("dashboard", vis.key, today), build, ledger=ledger.version)


def _named(snap: Snapshot, vis: Visibility, links: pd.DataFrame, column: str) -> list[dict[str, Any]]:
    """Links as records, each with the partner's name (``column``) and whether ``vis`` may open it."""
    return [
        {
            **row,
            "name": snap.name_of.get(row[column], row[column]),
            "open": vis.sees(snap.adcode_of.get(row[column])),
        }
        for row in plain_records(links)
    ]


def node_page(ws: Workspace, snap: Snapshot, vis: Visibility, node_id: str) -> dict[str, Any]:
    """Return everything the console shows of one firm or project: facts, suppliers, buyers, items.

    Its suppliers and buyers are its direct partners: named, with the link, nothing more.
    """
    vis.require(node_id, snap.adcode_of)
    is_project = node_id in snap.project_ids
    table = snap.project_rows if is_project else snap.firm_rows
    row = plain_records(table.iloc[[snap.row_of[node_id]]])[0]
    position = snap.facts.position(node_id)
    graph = snap.analysis.graph
    roles = (
        (KIND_LABELS["enterprise"], row.get("is_enterprise")),
        (KIND_LABELS["supplier"], row.get("is_supplier")),
    )
    whole = Visibility.whole_city()  # the node is the caller's own: all its links are
    suppliers = links(snap, whole, buyer_id=node_id)
    buyers = links(snap, whole, supplier_id=node_id)
    items = problems.items_about(ws, snap, node_id)
    return {
        "node": row,
        "county": region_name(snap.adcode_of[node_id]),
        "kind": KIND_LABELS["project"] if is_project else "、".join(k for k, flag in roles if flag),
        "status": str(snap.facts.status[position]),
        "capacity": float(graph.capacity[position]),
        "availability": float(graph.base_availability[position]),
        "suppliers": _named(snap, vis, suppliers, "supplier_id"),
        "buyers": _named(snap, vis, buyers, "buyer_id"),
        "items": items,
    }
