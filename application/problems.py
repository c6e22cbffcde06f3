"""Problem-ledger use cases (问题台账): list, read, register (挂号), act (办理 … 销号).

The rules of an item's life are in :mod:`chain_graph.problem_ledger`; this module adds who
may see and change which item (:class:`~application.visibility.Visibility`: a county its
own entities' items), the defaults from the settings, and the id of a new item. The CLI and
the web service both call these functions.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from application.visibility import Visibility
from application.workspace import Snapshot, Workspace
from chain_graph.errors import ConfigError, NotFoundError
from chain_graph.model import ProblemCategory
from chain_graph.problem_ledger import (
    Action,
    LedgerEvent,
    LedgerItem,
    ProblemLedger,
    default_unit,
    items_from_analysis,
    items_from_problems,
    overdue_days,
)
from chain_graph.store import Store

__all__ = [
    "SORTS",
    "Registered",
    "act",
    "history",
    "item",
    "items",
    "items_about",
    "public",
    "register",
    "register_from_analysis",
    "units",
    "visible_events",
    "visible_items",
]


def visible_items(all_items: Iterable[LedgerItem], snap: Snapshot, vis: Visibility) -> list[LedgerItem]:
    """Return the items ``vis`` may see (a county: those whose subject or supplier is its own)."""
    return [i for i in all_items if vis.sees_item(i, snap.adcode_of, supplies=snap.supplies)]


def visible_events(events: Iterable[LedgerEvent], shown: Sequence[LedgerItem]) -> list[LedgerEvent]:
    """Return the events of the items shown."""
    ids = {i.id for i in shown}
    return [e for e in events if e.item_id in ids]


def public(entry: LedgerItem, snap: Snapshot, *, today: dt.date) -> dict[str, Any]:
    """Return an item as the console and the API show it: with the subject's name and days overdue."""
    return {
        **entry.model_dump(),
        "co_units": list(entry.co_units),
        "subject": snap.name_of.get(entry.subject_id, entry.subject_id),
        "overdue_days": overdue_days(entry, today),
    }


SORTS = ("id", "deadline", "overdue", "updated")
"""How an item list may be ordered: by id, by deadline (soonest first, none last), by days
overdue (most first), by last change (latest first); ties by id."""


def items(
    ws: Workspace,
    snap: Snapshot,
    vis: Visibility,
    *,
    today: dt.date,
    status: str | None = None,
    overdue: bool = False,
    unit: str | None = None,
    county: str | None = None,
    query: str | None = None,
    sort: str = "id",
) -> list[LedgerItem]:
    """Return the items ``vis`` sees, filtered and ordered.

    Filters: status, overdue (at ``today``), responsible unit, the county of the subject,
    and ``query`` — text found in the id, the subject's or supplier's name, the
    description or the unit. ``sort`` is one of :data:`SORTS`. Kept per ledger version: a
    list page asks again without reading the ledger again.
    """
    ledger = ws.ledger()
    text = (query or "").strip()

    def build() -> list[LedgerItem]:
        found = [
            i
            for i in visible_items(ledger.items, snap, vis)
            if (not status or i.status == status)
            and (not overdue or overdue_days(i, today) > 0)
            and (unit is None or i.responsible_unit == unit)
            and (not county or snap.adcode_of.get(i.subject_id) == county)
            and (not text or text in _searchable(i, snap))
        ]
        return _sorted(found, sort, today=today)

    key = ("items", vis.key, status, overdue, unit, county, text, sort, today)
    return snap.memo(key, build, ledger=ledger.version)


def _searchable(entry: LedgerItem, snap: Snapshot) -> str:
    names = (snap.name_of.get(entry.subject_id, ""), snap.name_of.get(entry.supplier_id, ""))
    return " ".join((entry.id, *names, entry.description, entry.responsible_unit))


def _sorted(found: list[LedgerItem], sort: str, *, today: dt.date) -> list[LedgerItem]:
    by_id = sorted(found, key=lambda i: i.id)
    if sort == "deadline":
        return sorted(by_id, key=lambda i: (i.deadline is None, i.deadline or today))
    if sort == "overdue":
        return sorted(by_id, key=lambda i: -overdue_days(i, today))
    if sort == "updated":
        return sorted(by_id, key=lambda i: i.updated_at, reverse=True)
    return by_id


def units(ws: Workspace, snap: Snapshot, vis: Visibility) -> list[str]:
    """Return the responsible units of the items ``vis`` sees, by name (a filter's choices)."""
    ledger = ws.ledger()

    def build() -> list[str]:
        return sorted({i.responsible_unit for i in visible_items(ledger.items, snap, vis)} - {""})

    return snap.memo(("units", vis.key), build, ledger=ledger.version)


def items_about(ws: Workspace, snap: Snapshot, node_id: str) -> list[LedgerItem]:
    """Return the items whose subject or supplier is ``node_id`` (indexed once per ledger version)."""
    ledger = ws.ledger()

    def build() -> dict[str, list[LedgerItem]]:
        about: dict[str, list[LedgerItem]] = {}
        for entry in ledger.items:
            for node in {entry.subject_id, entry.supplier_id} - {""}:
                about.setdefault(node, []).append(entry)
        return about

    return snap.memo(("items-about",), build, ledger=ledger.version).get(node_id, [])


def item(ws: Workspace, snap: Snapshot, vis: Visibility, item_id: str) -> LedgerItem:
    """One item; not found when it does not exist or concerns no entity ``vis`` sees."""
    with ws.store() as store:
        found = store.ledger_item(item_id)
    if found is None or not vis.sees_item(found, snap.adcode_of, supplies=snap.supplies):
        raise NotFoundError(f"问题台账中没有编号为 {item_id} 的事项")
    return found


def history(ws: Workspace, snap: Snapshot, vis: Visibility, item_id: str) -> list[LedgerEvent]:
    """Every event of one item (append-only), oldest first."""
    item(ws, snap, vis, item_id)
    with ws.store() as store:
        return store.ledger_history(item_id)


def register(
    ws: Workspace,
    snap: Snapshot,
    vis: Visibility,
    *,
    by: str,
    subject_id: str,
    description: str,
    category: ProblemCategory = ProblemCategory.OTHER,
    supplier_id: str = "",
    responsible_unit: str | None = None,
    co_units: Sequence[str] = (),
    deadline: dt.date | None = None,
    item_id: str | None = None,
    now: dt.datetime | None = None,
) -> LedgerItem:
    """挂号: register a new item about an own entity.

    The subject must be a firm or project ``vis`` sees; a supplier, when given, must supply
    the subject (one of its links). The responsible unit defaults to the category's (the
    settings' table). Without ``item_id`` the id is ``W<time>-<random>``. ``now`` is when it
    is registered (default: the clock's time; the demo backdates its history). The
    description must say something, and the deadline may not lie before the day of ``now``.
    """
    vis.require(subject_id, snap.adcode_of)
    description = description.strip()
    if not description:
        raise ConfigError("问题描述不能为空")
    if supplier_id and not snap.supplies(supplier_id, subject_id):
        subject = snap.name_of.get(subject_id, subject_id)
        raise NotFoundError(f"{subject} 的配套企业中没有编号为 {supplier_id} 的企业")
    with ws.store() as store:
        ledger = _ledger(store, now)
        now = ledger.now()
        if deadline is not None and deadline < now.date():
            raise ConfigError(f"办理期限 {deadline} 早于今天（{now.date()}），请填今天或以后的日期")
        entry = LedgerItem(
            id=item_id or f"W{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}",
            subject_id=subject_id,
            supplier_id=supplier_id,
            category=category,
            description=description,
            responsible_unit=responsible_unit
            or default_unit(category, is_project=subject_id in snap.project_ids, settings=ws.settings),
            co_units=tuple(co_units),
            deadline=deadline,
            created_at=now,
            updated_at=now,
        )
        if not ledger.register([entry], by=by):
            raise ConfigError(f"编号 {entry.id} 已在问题台账中，请换一个编号")
    return entry


def act(
    ws: Workspace,
    snap: Snapshot,
    vis: Visibility,
    item_id: str,
    action: Action,
    *,
    by: str,
    note: str = "",
    deadline: dt.date | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> LedgerItem:
    """办理: apply an action to an item ``vis`` sees (stale versions are refused).

    ``now`` is when it is done (default: the clock's time).
    """
    item(ws, snap, vis, item_id)
    with ws.store() as store:
        return _ledger(store, now).act(
            item_id, action, by=by, note=note, deadline=deadline, expected_version=expected_version
        )


def _ledger(store: Store, now: dt.datetime | None) -> ProblemLedger:
    """Return the store's ledger, on the clock, or fixed at ``now`` when given."""
    return ProblemLedger(store) if now is None else ProblemLedger(store, clock=lambda: now)


@dataclass(frozen=True)
class Registered:
    """What :func:`register_from_analysis` registered."""

    from_problems: int
    from_analysis: int
    existing: int


def register_from_analysis(
    ws: Workspace,
    snap: Snapshot,
    vis: Visibility,
    *,
    by: str,
    days: int,
    now: dt.datetime | None = None,
) -> Registered:
    """挂号 from the data: the imported problems, and the analysis's blocked suppliers.

    One item per (blocked supplier, affected key buyer) without an open item, due ``days``
    from ``now`` (default: the clock's time). Existing items are left alone. A county
    registers the items of its own entities only (:meth:`Visibility.sees_item`).
    """
    with ws.store() as store:
        ledger = _ledger(store, now)
        existing = ledger.items()
        known = {e.id for e in existing}
        now = ledger.now()
        imported = [
            i
            for i in items_from_problems(snap.ledgers, at=now, settings=ws.settings)
            if i.id not in known and vis.sees_item(i, snap.adcode_of, supplies=snap.supplies)
        ]
        found = [
            i
            for i in items_from_analysis(
                snap.analysis, snap.ledgers, existing, at=now, settings=ws.settings, days=days
            )
            if vis.sees_item(i, snap.adcode_of, supplies=snap.supplies)
        ]
        new = set(ledger.register([*imported, *found], by=by))
    from_problems = sum(i.id in new for i in imported)
    return Registered(
        from_problems=from_problems, from_analysis=len(new) - from_problems, existing=len(existing)
    )
