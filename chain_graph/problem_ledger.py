"""The problem ledger (问题台账): items, their status rules (挂号 → 办理中 → 销号) and history.

An item is one difficulty of a key enterprise or project — often a blocked supplier — made
a task for a responsible unit with a deadline. Every change is an :class:`LedgerEvent`
appended to the item's history; the item carries a ``version`` so that two officials
changing one item at once never lose an update (the store refuses a stale version).

This module is pure: :func:`apply` turns an item and an action into the new item and its
event; stores keep them (``Store.ledger_*``), the CLI and the API call :class:`ProblemLedger`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from chain_graph.errors import NotFoundError, ProblemLedgerError
from chain_graph.labels import PROBLEM_STATUS_LABELS, PRODUCTION_STATUS_LABELS
from chain_graph.model import LedgerTables, ProblemCategory, ProblemStatus
from chain_graph.settings import Settings

if TYPE_CHECKING:
    from chain_graph.gaps import GapAnalysis
    from chain_graph.store.base import Store

__all__ = [
    "Action",
    "LedgerEvent",
    "LedgerItem",
    "ProblemLedger",
    "apply",
    "available_actions",
    "default_unit",
    "event_from_row",
    "event_to_row",
    "item_from_row",
    "item_to_row",
    "items_from_analysis",
    "items_from_problems",
    "overdue_days",
]


class Action(StrEnum):
    """What can be done to an item."""

    REGISTER = "register"  # 挂号
    START = "start"  # 开始办理
    CLOSE = "close"  # 销号 (needs 办结情况)
    REOPEN = "reopen"  # 重新打开 (needs a reason)
    EXTEND = "extend"  # 延期 (new deadline and a reason)
    ESCALATE = "escalate"  # 督办 (only when overdue)
    NOTE = "note"  # 进展备注


class LedgerItem(BaseModel):
    """One ledger item."""

    model_config = ConfigDict(frozen=True)

    id: str
    subject_id: str = Field(description="The key enterprise or project with the difficulty.")
    supplier_id: str = Field(default="", description="The blocked supplier it concerns, if any.")
    category: ProblemCategory = ProblemCategory.OTHER
    description: str = ""
    responsible_unit: str = ""
    co_units: tuple[str, ...] = Field(default=(), description="协办单位.")
    deadline: dt.date | None = None
    status: ProblemStatus = ProblemStatus.REGISTERED
    closing_note: str = Field(default="", description="办结情况, required to close.")
    escalations: int = Field(default=0, ge=0, description="How many times it was escalated (督办).")
    source: str = Field(default="manual", description="manual, import or analysis.")
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = Field(default=1, ge=1, description="Grows by one with every event.")


class LedgerEvent(BaseModel):
    """One entry of an item's append-only history."""

    model_config = ConfigDict(frozen=True)

    item_id: str
    seq: int = Field(ge=1, description="The item's version after this event.")
    at: dt.datetime
    by: str
    action: Action
    from_status: ProblemStatus | None
    to_status: ProblemStatus
    note: str = ""
    detail: str = Field(default="", description="What else changed, e.g. 期限 2026-12-01 → 2026-12-15.")


ITEM_FIELDS = tuple(LedgerItem.model_fields)
EVENT_FIELDS = tuple(LedgerEvent.model_fields)


def item_to_row(item: LedgerItem) -> dict[str, Any]:
    """Return ``item`` as flat text/number values, the form both stores keep."""
    row = item.model_dump(mode="json")
    row["co_units"] = json.dumps(row["co_units"], ensure_ascii=False)
    row["deadline"] = row["deadline"] or ""
    return row


def item_from_row(row: dict[str, Any]) -> LedgerItem:
    """Inverse of :func:`item_to_row`."""
    values = dict(row)
    values["co_units"] = json.loads(values.get("co_units") or "[]")
    values["deadline"] = values.get("deadline") or None
    return LedgerItem.model_validate(values)


def event_to_row(event: LedgerEvent) -> dict[str, Any]:
    """Return ``event`` as flat values (``from_status`` ``""`` for a registration)."""
    row = event.model_dump(mode="json")
    row["from_status"] = row["from_status"] or ""
    return row


def event_from_row(row: dict[str, Any]) -> LedgerEvent:
    """Inverse of :func:`event_to_row`."""
    values = dict(row)
    values["from_status"] = values.get("from_status") or None
    return LedgerEvent.model_validate(values)


def overdue_days(item: LedgerItem, today: dt.date) -> int:
    """Return how many days ``item`` is past its deadline (0 when closed, on time or none).

    Examples
    --------
    >>> now = dt.datetime(2026, 11, 1)
    >>> item = LedgerItem(id="W1", subject_id="E1", deadline=dt.date(2026, 11, 20),
    ...                   created_at=now, updated_at=now)
    >>> overdue_days(item, dt.date(2026, 11, 20)), overdue_days(item, dt.date(2026, 11, 23))
    (0, 3)
    """
    if item.status == ProblemStatus.CLOSED or item.deadline is None or today <= item.deadline:
        return 0
    return (today - item.deadline).days


def available_actions(item: LedgerItem, today: dt.date) -> list[Action]:
    """Return the actions the status rules of :func:`apply` allow on ``item`` at ``today``.

    Examples
    --------
    >>> now = dt.datetime(2026, 11, 1)
    >>> item = LedgerItem(id="W1", subject_id="E1", deadline=dt.date(2026, 11, 20),
    ...                   created_at=now, updated_at=now)
    >>> [a.value for a in available_actions(item, dt.date(2026, 11, 23))]
    ['start', 'close', 'extend', 'escalate', 'note']
    >>> closed = item.model_copy(update={"status": ProblemStatus.CLOSED})
    >>> [a.value for a in available_actions(closed, dt.date(2026, 11, 23))]
    ['reopen', 'note']
    """
    closed = item.status == ProblemStatus.CLOSED
    allowed = {
        Action.START: item.status == ProblemStatus.REGISTERED,
        Action.CLOSE: not closed,
        Action.REOPEN: closed,
        Action.EXTEND: not closed,
        Action.ESCALATE: overdue_days(item, today) > 0,
        Action.NOTE: True,
    }
    return [action for action, ok in allowed.items() if ok]


def apply(
    item: LedgerItem,
    action: Action,
    *,
    by: str,
    at: dt.datetime,
    note: str = "",
    deadline: dt.date | None = None,
) -> tuple[LedgerItem, LedgerEvent]:
    """Return ``item`` after ``action`` and the event that records it.

    Parameters
    ----------
    item
        The item as last read (its ``version`` is what the store checks).
    action
        Any action but ``register``.
    by
        Who acts (the user's name); recorded in the history.
    at
        When (also decides whether the item is overdue, for ``escalate``).
    note
        办结情况 for ``close``, the reason for ``reopen`` and ``extend``, the text of ``note``.
    deadline
        The new deadline, for ``extend``.

    Raises
    ------
    ProblemLedgerError
        When the status rules refuse the action; the message says why and what to do.

    Examples
    --------
    >>> now = dt.datetime(2026, 11, 1, 9)
    >>> item = LedgerItem(id="W1", subject_id="E1", created_at=now, updated_at=now)
    >>> started, event = apply(item, Action.START, by="张三", at=now)
    >>> started.status.value, started.version, event.from_status.value, event.to_status.value
    ('in_progress', 2, 'registered', 'in_progress')
    >>> apply(started, Action.CLOSE, by="张三", at=now)
    Traceback (most recent call last):
    ...
    chain_graph.errors.ProblemLedgerError: 销号须填写办结情况（问题台账 W1）
    """
    status = item.status
    changes: dict[str, Any] = {}
    detail = ""
    note = note.strip()
    closed = status == ProblemStatus.CLOSED
    label = PROBLEM_STATUS_LABELS[status]
    if action == Action.REGISTER:
        _refuse(f"问题台账 {item.id} 已挂号，不能重复挂号")
    elif action == Action.START:
        if status != ProblemStatus.REGISTERED:
            _refuse(f"问题台账 {item.id} 当前为“{label}”，只有“已挂号”的事项可以开始办理")
        changes["status"] = ProblemStatus.IN_PROGRESS
    elif action == Action.CLOSE:
        if closed:
            _refuse(f"问题台账 {item.id} 已销号，不能重复销号")
        if not note:
            _refuse(f"销号须填写办结情况（问题台账 {item.id}）")
        changes |= {"status": ProblemStatus.CLOSED, "closing_note": note}
    elif action == Action.REOPEN:
        if not closed:
            _refuse(f"问题台账 {item.id} 当前为“{label}”，只有“已销号”的事项可以重新打开")
        if not note:
            _refuse(f"重新打开须说明原因（问题台账 {item.id}）")
        changes |= {"status": ProblemStatus.IN_PROGRESS, "closing_note": ""}
    elif action == Action.EXTEND:
        if closed:
            _refuse(f"问题台账 {item.id} 已销号，不能延期")
        if deadline is None:
            _refuse(f"延期须给出新的办理期限（问题台账 {item.id}）")
        if not note:
            _refuse(f"延期须说明原因（问题台账 {item.id}）")
        if item.deadline is not None and deadline is not None and deadline <= item.deadline:
            _refuse(f"新的期限 {deadline} 应晚于原期限 {item.deadline}（问题台账 {item.id}）")
        changes["deadline"] = deadline
        detail = f"期限 {item.deadline or '未定'} → {deadline}"
    elif action == Action.ESCALATE:
        days = overdue_days(item, at.date())
        if days == 0:
            _refuse(f"问题台账 {item.id} 未逾期（当前为“{label}”，期限 {item.deadline or '未定'}），不能督办")
        changes["escalations"] = item.escalations + 1
        detail = f"逾期 {days} 天，第 {item.escalations + 1} 次督办"
    elif action == Action.NOTE and not note:
        _refuse(f"进展备注不能为空（问题台账 {item.id}）")
    new = item.model_copy(update=changes | {"version": item.version + 1, "updated_at": at})
    event = LedgerEvent(
        item_id=item.id,
        seq=new.version,
        at=at,
        by=by,
        action=action,
        from_status=status,
        to_status=new.status,
        note=note,
        detail=detail,
    )
    return new, event


def _refuse(message: str) -> None:
    raise ProblemLedgerError(message)


def registration(item: LedgerItem, *, by: str) -> LedgerEvent:
    """Return the first event of a new item (挂号)."""
    return LedgerEvent(
        item_id=item.id,
        seq=item.version,
        at=item.created_at,
        by=by,
        action=Action.REGISTER,
        from_status=None,
        to_status=item.status,
        note=item.description[:200],
    )


def default_unit(category: str, *, is_project: bool, settings: Settings) -> str:
    """Return the default responsible unit of a category (the spec's table, per city).

    Examples
    --------
    >>> s = Settings()
    >>> default_unit("资金", is_project=False, settings=s), default_unit("其他", is_project=True, settings=s)
    ('市政府金融办', '市发展改革委')
    """
    if category == ProblemCategory.OTHER and is_project:
        return settings.project_other_unit
    return settings.responsible_units.get(category, settings.responsible_units.get("其他", ""))


def items_from_problems(ledgers: LedgerTables, *, at: dt.datetime, settings: Settings) -> list[LedgerItem]:
    """Turn the imported ``problems`` table into ledger items (source ``import``)."""
    projects = set(ledgers.projects["id"])
    items = []
    for row in ledgers.problems.to_dict("records"):
        category = row["category"] or ProblemCategory.OTHER
        deadline = pd.to_datetime(row["deadline"], errors="coerce") if row["deadline"] else pd.NaT
        items.append(
            LedgerItem(
                id=row["id"],
                subject_id=row["subject_id"],
                category=category,
                description=row["description"],
                responsible_unit=row["responsible_unit"]
                or default_unit(category, is_project=row["subject_id"] in projects, settings=settings),
                deadline=None if pd.isna(deadline) else deadline.date(),
                status=row["status"] or ProblemStatus.REGISTERED,
                source="import",
                created_at=at,
                updated_at=at,
            )
        )
    return items


def items_from_analysis(
    analysis: GapAnalysis,
    ledgers: LedgerTables,
    existing: Iterable[LedgerItem],
    *,
    at: dt.datetime,
    settings: Settings,
    days: int = 15,
) -> list[LedgerItem]:
    """One item per (blocked supplier, affected key buyer) that has no open item yet.

    The responsible unit is the category's (原材料); the unit the request is routed to (the
    county government, or the provincial department for another city or province) is the
    co-responsible unit. Ids are ``GA-<supplier>-<buyer>`` (``-2``, ``-3`` … once earlier
    items for the pair were closed). Deadline: ``days`` after ``at``.
    """
    existing = list(existing)
    open_pairs = {(i.supplier_id, i.subject_id) for i in existing if i.status != ProblemStatus.CLOSED}
    taken = {i.id for i in existing}
    firms = ledgers.firms.set_index("id")
    names = {**firms["name"].to_dict(), **ledgers.projects.set_index("id")["name"].to_dict()}
    materials = ledgers.links.groupby(["supplier_id", "buyer_id"])["material"].agg(
        lambda m: "、".join(sorted(set(m)))
    )
    projects = set(ledgers.projects["id"])
    items = []
    for row in analysis.blocked.to_dict("records"):
        supplier = row["id"]
        status = firms["status"].get(supplier, "")
        capacity = firms["capacity"].get(supplier)
        state = PRODUCTION_STATUS_LABELS[status] if status in ("stopped", "partial") else "产能不足"
        if capacity is not None and not pd.isna(capacity):
            state += f"，产能 {capacity:g}%"
        for buyer in row["affected"]:
            if (supplier, buyer) in open_pairs:
                continue
            item_id, n = f"GA-{supplier}-{buyer}", 1
            while item_id in taken:
                n += 1
                item_id = f"GA-{supplier}-{buyer}-{n}"
            taken.add(item_id)
            material = materials.get((supplier, buyer), "")
            supplied = f"的{material}供应" if material else "（经上游传导）"
            co_units = tuple(u for u in [row["route_to"]] if u)
            items.append(
                LedgerItem(
                    id=item_id,
                    subject_id=buyer,
                    supplier_id=supplier,
                    category=ProblemCategory.MATERIALS,
                    description=f"配套企业{row['name']}（{state}）影响{names.get(buyer, buyer)}{supplied}",
                    responsible_unit=default_unit(
                        ProblemCategory.MATERIALS, is_project=buyer in projects, settings=settings
                    ),
                    co_units=co_units,
                    deadline=(at + dt.timedelta(days=days)).date(),
                    source="analysis",
                    created_at=at,
                    updated_at=at,
                )
            )
    return items


class ProblemLedger:
    """The ledger of one store: register items, act on them, read them with their history.

    Parameters
    ----------
    store
        Where items and events are kept.
    clock
        Returns "now" (tests pass a fixed clock).
    """

    def __init__(self, store: Store, *, clock: Any = None) -> None:
        self.store = store
        self._clock = clock or (lambda: dt.datetime.now().replace(microsecond=0))

    def now(self) -> dt.datetime:
        """Return the current time of this ledger's clock."""
        value: dt.datetime = self._clock()
        return value

    def register(self, items: Sequence[LedgerItem], *, by: str) -> list[str]:
        """Register new items; ids already in the ledger are left alone. Return the new ids."""
        return self.store.ledger_register(items, [registration(i, by=by) for i in items])

    def get(self, item_id: str) -> LedgerItem:
        """Return one item, or raise :class:`NotFoundError`."""
        item = self.store.ledger_item(item_id)
        if item is None:
            raise NotFoundError(f"问题台账中没有编号为 {item_id} 的事项")
        return item

    def act(
        self,
        item_id: str,
        action: Action,
        *,
        by: str,
        note: str = "",
        deadline: dt.date | None = None,
        expected_version: int | None = None,
    ) -> LedgerItem:
        """Apply ``action`` to an item and store it with its event.

        ``expected_version`` is the version the user saw; without it, the version just
        read. Raises :class:`StaleItemError` when the item changed in between.
        """
        item = self.get(item_id)
        if expected_version is not None and expected_version != item.version:
            from chain_graph.errors import StaleItemError

            raise StaleItemError(
                f"问题台账 {item_id} 已被他人修改（版本 {expected_version} → {item.version}），请刷新后重试"
            )
        new, event = apply(item, action, by=by, at=self.now(), note=note, deadline=deadline)
        self.store.ledger_update(new, expected_version=item.version, event=event)
        return new

    def items(self) -> list[LedgerItem]:
        """Return every item, by id."""
        return sorted(self.store.ledger_items(), key=lambda i: i.id)

    def history(self, item_id: str) -> list[LedgerEvent]:
        """Return an item's events, oldest first."""
        return self.store.ledger_history(item_id)
