"""The problem ledger over HTTP: list, read with history, register, act (with version check).

Who sees and changes which item is the application's rule (a county: items of its own
entities; anything else answers 404, as if it did not exist); province and viewer users
read only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from api.deps import CurrentUser, State, require
from api.routers.common import Limit, Offset
from api.schemas import ActionRequest, LedgerCreate, LedgerEventPublic, LedgerItemPublic, Page
from api.users import Permission, User
from application import problems
from chain_graph.model import ProblemStatus

__all__ = ["router"]

router = APIRouter(prefix="/ledger", tags=["ledger"])
Writer = Annotated[User, Depends(require(Permission.WRITE_LEDGER))]


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
    snap, today = state.snapshot(), dt.date.today()
    found = problems.items(
        state, snap, user.visibility, today=today, status=status_, overdue=overdue, unit=unit
    )
    shown = found[offset : offset + limit]
    return {"data": [problems.public(i, snap, today=today) for i in shown], "count": len(found)}


@router.get("/{item_id}", response_model=LedgerItemPublic)
def get_item(item_id: str, state: State, user: CurrentUser) -> dict[str, Any]:
    """一个事项。"""
    snap = state.snapshot()
    return problems.public(problems.item(state, snap, user.visibility, item_id), snap, today=dt.date.today())


@router.get("/{item_id}/history", response_model=list[LedgerEventPublic])
def history(item_id: str, state: State, user: CurrentUser) -> list[dict[str, Any]]:
    """一个事项的全部办理记录（只增不改）。"""
    return [e.model_dump() for e in problems.history(state, state.snapshot(), user.visibility, item_id)]


@router.post("", response_model=LedgerItemPublic, status_code=status.HTTP_201_CREATED)
def register(body: LedgerCreate, state: State, user: Writer) -> dict[str, Any]:
    """挂号：登记一个新事项（记入操作人）。"""
    snap = state.snapshot()
    item = problems.register(
        state,
        snap,
        user.visibility,
        by=user.name,
        subject_id=body.subject_id,
        supplier_id=body.supplier_id,
        category=body.category,
        description=body.description,
        responsible_unit=body.responsible_unit,
        co_units=body.co_units,
        deadline=body.deadline,
    )
    return problems.public(item, snap, today=dt.date.today())


@router.post("/{item_id}/actions", response_model=LedgerItemPublic)
def act(item_id: str, body: ActionRequest, state: State, user: Writer) -> dict[str, Any]:
    """办理：开始办理、销号、重新打开、延期、督办、进展备注。版本不符时返回 409，请刷新后重试。"""
    snap = state.snapshot()
    new = problems.act(
        state,
        snap,
        user.visibility,
        item_id,
        body.action,
        by=user.name,
        note=body.note,
        deadline=body.deadline,
        expected_version=body.version,
    )
    return problems.public(new, snap, today=dt.date.today())
