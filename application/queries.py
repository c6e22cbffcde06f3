"""Read use cases: firms, projects, links, the analysis lists and figures, one node's page.

Each takes the :class:`~application.workspace.Snapshot` of the current data version and the
caller's :class:`~application.visibility.Visibility`, and returns tables or plain values
with English names; the front doors page, serialise and label them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from application import problems
from application.problems import visible_events, visible_items
from application.visibility import Visibility
from application.workspace import Snapshot, Workspace
from chain_graph.analysis import weighted_availability
from chain_graph.labels import KIND_LABELS
from chain_graph.model import ProblemStatus
from chain_graph.problem_ledger import LedgerItem, overdue_days
from chain_graph.records import plain_records
from chain_graph.regions import classify, region_name
from chain_graph.report import weekly_trend

__all__ = [
    "blocked",
    "coordination",
    "coordination_targets",
    "counties",
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


BLOCKED_SORTS = {
    "rank": (["rank"], [True]),
    "value": (["recovered_value", "rank"], [False, True]),
    "days": (["days_to_impact", "rank"], [True, True]),
}
"""How the blocked list may be ordered: by rank, by value held back, by days to impact."""


def blocked(
    snap: Snapshot,
    vis: Visibility,
    *,
    scope: str | None = None,
    county: str | None = None,
    query: str | None = None,
    sort: str = "rank",
) -> pd.DataFrame:
    """Blocked suppliers with their routing; a county sees its own only.

    For a county, what each holds back is cut to what the county sees. ``query`` is text
    in the supplier's name or its id; ``sort`` a key of :data:`BLOCKED_SORTS` (days to
    impact: unknown last).
    """
    text = (query or "").strip()

    def build() -> pd.DataFrame:
        blocked = snap.analysis.blocked
        table = vis.rows_of(blocked, blocked["id"], snap.adcode_of)
        if vis.is_county:  # what an own supplier holds back, as far as the county sees
            seen = [vis.ids(ids, snap.adcode_of) for ids in table["affected"]]
            table = table.assign(affected=pd.Series(seen, index=table.index, dtype=object))
        if county:
            table = table[[snap.adcode_of.get(i) == county for i in table["id"]]]
        if scope:
            table = table[table["scope"] == scope]
        if text:
            table = table[table["name"].str.contains(text, regex=False) | (table["id"] == text)]
        columns, ascending = BLOCKED_SORTS.get(sort, BLOCKED_SORTS["rank"])
        table = table.sort_values(columns, ascending=ascending, kind="stable", na_position="last")
        return table.drop(columns=["node", "gains"], errors="ignore")

    return snap.memo(("blocked", vis.key, scope, county, text, sort), build)


def _contains(
    snap: Snapshot, key: tuple[object, ...], table: pd.DataFrame, text: str, columns: Sequence[str]
) -> np.ndarray:
    """Which rows of ``table`` (the memo ``key`` of ``snap``) have ``text`` in one of ``columns``.

    The rows' searchable text is joined once per data version: a search is then one pass of
    ``in`` over strings, not a conversion of three columns per request.
    """

    def build() -> list[str]:
        parts = [table[column].astype(str).tolist() for column in columns]
        return ["\x1f".join(values) for values in zip(*parts, strict=True)]

    haystack = snap.memo(("haystack", *key, *columns), build)
    return np.fromiter((text in row for row in haystack), dtype=bool, count=len(haystack))


def coordination(
    snap: Snapshot,
    vis: Visibility,
    *,
    target: str | None = None,
    county: str | None = None,
    query: str | None = None,
) -> pd.DataFrame:
    """跨区域协调清单 rows; a county sees the rows of its own buyers only.

    Filters: the target region (province or city the request goes to), the buyer's county,
    and text in the buyer's, the supplier's or the material's name.
    """
    key = ("coordination-seen", vis.key)
    whole = snap.coordination
    table = snap.memo(key, lambda: vis.rows_of(whole, whole["buyer_id"], snap.adcode_of))
    text = (query or "").strip()
    if text:
        table = table[_contains(snap, key, table, text, ("buyer", "supplier", "material"))]
    if target:
        table = table[table["target_region"] == target]
    if county:
        table = table[table["buyer_id"].map(snap.adcode_of) == county]
    return table


def coordination_targets(snap: Snapshot, vis: Visibility) -> list[str]:
    """Return the regions the coordination requests ``vis`` sees go to, in adcode order."""

    def build() -> list[str]:
        table = coordination(snap, vis)
        codes = table.groupby("target_region")["supplier_adcode"].min().sort_values()
        return [str(region) for region in codes.index if region]

    return snap.memo(("coordination-targets", vis.key), build)


def local(
    snap: Snapshot, vis: Visibility, *, county: str | None = None, query: str | None = None
) -> pd.DataFrame:
    """本地配套企业督促复产清单 rows (属地: a county sees its own suppliers).

    Filters: the supplier's county, and text in the supplier's, the buyer's or the
    material's name.
    """
    key = ("local-seen", vis.key)
    table = snap.memo(key, lambda: vis.rows(snap.local, column="supplier_adcode"))
    text = (query or "").strip()
    if text:
        table = table[_contains(snap, key, table, text, ("supplier", "buyer", "material"))]
    if county:
        table = table[table["supplier_adcode"] == county]
    return table


def counties(snap: Snapshot, vis: Visibility) -> list[tuple[str, str]]:
    """Return the home city's counties ``vis`` sees, as (adcode, name), in adcode order."""

    def build() -> list[tuple[str, str]]:
        home = snap.settings.home_adcode[:4]
        codes = sorted({c for c in snap.adcode_of.values() if c.startswith(home) and c != home + "00"})
        return [(c, region_name(c) or c) for c in codes if vis.sees(c)]

    return snap.memo(("counties", vis.key), build)


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
    """Return the console's first page for ``vis``: the whole city's, or one county's.

    Headline figures, the key enterprises' recovery against the target, the chains, the
    ledger's weekly trend, and what the charts draw: blocked suppliers by scope (for a
    county: those holding its entities back) and by county (the city's local ones), and
    the ledger's items by status and by responsible unit.
    """
    ledger = ws.ledger()

    def build() -> dict[str, Any]:
        items = visible_items(ledger.items, snap, vis)
        analysis = snap.analysis
        own = vis.own_mask(analysis.graph)
        key = analysis.key_enterprises & own
        return {
            "area": region_name(vis.county) if vis.is_county else "全市",
            "summary": (
                analysis.summary_of(own, shown=vis.map_mask(analysis.graph))
                if vis.is_county
                else analysis.summary()
            ),
            "key_enterprises": int(key.sum()),
            "recovery": weighted_availability(analysis.graph, key),
            "target": snap.settings.capacity_target,
            "chains": plain_records(analysis.chain_summary(mask=own if vis.is_county else None)),
            "trend": weekly_trend(items, visible_events(ledger.events, items), end=today),
            "by_scope": _blocked_by_scope(snap, vis),
            "by_county": [] if vis.is_county else _blocked_by_county(snap),
            "by_unit": _items_by(items, lambda i: i.responsible_unit or "未指定", today=today),
        }

    return snap.memo(("dashboard", vis.key, today), build, ledger=ledger.version)


def _blocked_by_scope(snap: Snapshot, vis: Visibility) -> list[dict[str, Any]]:
    """Blocked suppliers per scope and the value they hold back.

    For a county: its own and its partners that hold one of its own entities back, and the
    value they hold back from its own (:meth:`GapAnalysis.held_back`).
    """
    analysis = snap.analysis
    table = analysis.blocked.rename(columns={"recovered_value": "value"})
    if vis.is_county:
        graph = analysis.graph
        table = analysis.held_back(vis.own_mask(graph), shown=vis.map_mask(graph))
    counts = table.groupby("scope").agg(suppliers=("id", "size"), value=("value", "sum"))
    return [
        {"scope": scope, "suppliers": int(row.suppliers), "value": float(row.value)}
        for scope, row in counts.iterrows()
    ]


def _blocked_by_county(snap: Snapshot) -> list[dict[str, Any]]:
    """Return the city's blocked local suppliers per county (属地), most first, then by adcode."""
    table = snap.analysis.local_list()
    counties = table["id"].map(snap.adcode_of)
    counts = (
        table.assign(county=counties)
        .groupby("county")
        .agg(suppliers=("id", "size"), value=("recovered_value", "sum"))
    )
    counts = counts.reset_index().sort_values(["suppliers", "county"], ascending=[False, True])
    return [
        {"county": c, "name": region_name(c) or c, "suppliers": int(n), "value": float(v)}
        for c, n, v in zip(counts["county"], counts["suppliers"], counts["value"], strict=True)
    ]


def _items_by(
    items: Sequence[LedgerItem], key: Callable[[LedgerItem], str], *, today: dt.date
) -> list[dict[str, Any]]:
    """Count items per ``key`` and status, and overdue at ``today``; largest group first, then by name."""
    statuses = [s.value for s in ProblemStatus]
    groups: dict[str, dict[str, int]] = {}
    for i in items:
        group = groups.setdefault(key(i), dict.fromkeys([*statuses, "overdue"], 0))
        group[str(i.status)] += 1
        if overdue_days(i, today) > 0:
            group["overdue"] += 1
    ordered = sorted(groups.items(), key=lambda kv: (-sum(kv[1][s] for s in statuses), kv[0]))
    return [{"name": name, **counts} for name, counts in ordered]


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
    items = visible_items(problems.items_about(ws, snap, node_id), snap, vis)  # not every item about it
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
