"""The problem ledger over HTTP: list, read with history, register, act (with version check).

A county user sees and changes only items whose subject or supplier lies in its county;
any other item answers 404, as if it did not exist. Province and viewer users read only.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from api.deps import CurrentUser, State, require
from api.routers.common import Limit, Offset
from api.schemas import ActionRequest, LedgerCreate, LedgerEventPublic, LedgerItemPublic, Page
from api.state import Snapshot
from api.users import Role, User
from chain_graph.errors import ConfigError, NotFoundError
from chain_graph.model import ProblemStatus
from chain_graph.problem_ledger import LedgerItem, ProblemLedger, default_unit, overdue_days

__all__ = ["router"]

router = APIRouter(prefix="/ledger", tags=["ledger"])
Writer = Annotated[User, Depends(require(Role.ADMIN, Role.COUNTY))]


def visible(item: LedgerItem, user: User, snap: Snapshot) -> bool:
    """Whether ``user`` may see ``item``."""
    if user.role != Role.COUNTY:
        return True
    codes = snap.adcode_of
    return user.county in (codes.get(item.subject_id), codes.get(item.supplier_id))


def public(item: LedgerItem, snap: Snapshot, today: dt.date) -> dict[str, Any]:
    """Return the item as the API shows it."""
    return {
        **item.model_dump(),
        "co_units": list(item.co_units),
        "subject": snap.name_of.get(item.subject_id, item.subject_id),
        "overdue_days": overdue_days(item, today),
    }


def _item(state: State, user: User, item_id: str) -> tuple[LedgerItem, Snapshot]:
    snap = state.snapshot()
    with state.store() as store:
        item = store.ledger_item(item_id)
    if item is None or not visible(item, user, snap):
        raise NotFoundError(f"问题台账中没有编号为 {item_id} 的事项")
    return item, snap


@router.get("", response_model=Page[LedgerItemPublic])
def list_items(
    state: State,
    user: CurrentUser,
    limit: Limit = 100,
    offset: Offset = 0,
    status_: Annotated[ProblemStatus | None, Query(alias="status")] = None,
    overdue: bool = False,
    unit: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, Any]:
    """问题台账（可按状态、是否逾期、责任单位筛选）。"""
    snap = state.snapshot()
    today = dt.date.today()
    items = [
        i
        for i in state.ledger().items
        if visible(i, user, snap)
        and (status_ is None or i.status == status_)
        and (not overdue or overdue_days(i, today) > 0)
        and (unit is None or i.responsible_unit == unit)
    ]
    return {"data": [public(i, snap, today) for i in items[offset : offset + limit]], "count": len(items)}


@router.get("/{item_id}", response_model=LedgerItemPublic)
def get_item(item_id: str, state: State, user: CurrentUser) -> dict[str, Any]:
    """一个事项。"""
    item, snap = _item(state, user, item_id)
    return public(item, snap, dt.date.today())


@router.get("/{item_id}/history", response_model=list[LedgerEventPublic])
def history(item_id: str, state: State, user: CurrentUser) -> list[dict[str, Any]]:
    """一个事项的全部办理记录（只增不改）。"""
    _item(state, user, item_id)
    with state.store() as store:
        return [e.model_dump() for e in store.ledger_history(item_id)]


@router.post("", response_model=LedgerItemPublic, status_code=status.HTTP_201_CREATED)
def register(body: LedgerCreate, state: State, user: Writer) -> dict[str, Any]:
    """挂号：登记一个新事项（记入操作人）。"""
    snap = state.snapshot()
    code = snap.adcode_of.get(body.subject_id)
    if code is None or (user.role == Role.COUNTY and code != user.county):
        raise NotFoundError(f"没有编号为 {body.subject_id} 的企业或项目")
    with state.store() as store:
        ledger = ProblemLedger(store)
        now = ledger.now()
        is_project = body.subject_id in set(snap.ledgers.projects["id"])
        item = LedgerItem(
            id=f"W{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}",
            subject_id=body.subject_id,
            supplier_id=body.supplier_id,
            category=body.category,
            description=body.description,
            responsible_unit=body.responsible_unit
            or default_unit(body.category, is_project=is_project, settings=state.settings),
            co_units=tuple(body.co_units),
            deadline=body.deadline,
            created_at=now,
            updated_at=now,
        )
        if not ledger.register([item], by=user.name):
            raise ConfigError("事项编号冲突，请重试")
    return public(item, snap, dt.date.today())


@router.post("/{item_id}/actions", response_model=LedgerItemPublic)
def act(item_id: str, body: ActionRequest, state: State, user: Writer) -> dict[str, Any]:
    """办理：开始办理、销号、重新打开、延期、督办、进展备注。版本不符时返回 409，请刷新后重试。"""
    _, snap = _item(state, user, item_id)
    with state.store() as store:
        new = ProblemLedger(store).act(
            item_id,
            body.action,
            by=user.name,
            note=body.note,
            deadline=body.deadline,
            expected_version=body.version,
        )
    return public(new, snap, dt.date.today())
