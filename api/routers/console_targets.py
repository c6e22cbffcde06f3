"""The campaign's targets in the console (目标): each with its state per round, set by the city.

Everyone reads them with their actual value and state (a county: the city's and its own);
the city bureau edits them in one form (CSRF, the ``set_targets`` permission), validated
row by row and written whole as the targets file (setting ``targets_file``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import State
from api.routers.pages import form_refusal, login_first, page_user, refuse, render
from api.state import AppState
from api.users import Permission, User
from application import campaign
from chain_graph.campaign import METRICS
from chain_graph.errors import ChainGraphError
from chain_graph.labels import METRIC_LABELS, TARGET_STATE_LABELS

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
_BLANK_ROWS = 2


def _page(
    request: Request, state: AppState, user: User, *, message: str = "", status_code: int = 200
) -> Response:
    snap, today = state.snapshot(), dt.date.today()
    ends = campaign.rounds(state.settings, end=today)
    try:
        shown = campaign.targets(snap, user.visibility, state.reports(), ends=ends)
    except ChainGraphError as error:  # a file edited by hand and broken: say so, still offer the form
        shown, message = [], message or error.message
    return render(
        request,
        state,
        user,
        "targets.html",
        "目标",
        status_code=status_code,
        targets=shown,
        metrics=[(m, METRIC_LABELS[m]) for m in METRICS],
        metric_labels=METRIC_LABELS,
        state_labels=TARGET_STATE_LABELS,
        may_set=user.may(Permission.SET_TARGETS) and bool(state.settings.targets_file),
        file=state.settings.targets_file or "",
        blank_rows=_BLANK_ROWS,
        message=message,
        message_kind="error" if status_code >= 400 or message else "info",
    )


@router.get("/targets")
def targets(request: Request, state: State) -> Response:
    """目标：每个目标的实际值和状态（达成、进度正常、落后、未完成）；市工信局可修改。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    return _page(request, state, user)


@router.post("/targets")
def save(
    request: Request,
    state: State,
    csrf: Annotated[str, Form()] = "",
    metric: Annotated[list[str] | None, Form()] = None,
    value: Annotated[list[str] | None, Form()] = None,
    by: Annotated[list[str] | None, Form()] = None,
    scope: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """保存目标（整份替换目标文件）。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    denied = "只有市工业和信息化局的管理员账号可以设置目标"
    refusal = form_refusal(state, request, user, csrf, permission=Permission.SET_TARGETS, denied=denied)
    if refusal:
        return refuse(request, state, user, refusal)
    path = state.settings.targets_file
    if not path:
        return refuse(
            request, state, user, "未设置目标文件（CHAIN_GRAPH_TARGETS_FILE），无法保存目标", status_code=422
        )
    columns = [metric or [], value or [], by or [], scope or []]
    if len({len(c) for c in columns}) != 1:
        return refuse(request, state, user, "表单不完整，请刷新页面后重新填写", status_code=422)
    rows = [
        {"metric": m, "value": v, "by": b, "scope": s or "city"} if (v or b) else {}
        for m, v, b, s in zip(*columns, strict=True)
    ]
    try:
        campaign.save_targets(Path(path), rows)
    except ChainGraphError as error:
        return _page(request, state, user, message=error.message, status_code=422)
    return RedirectResponse("/console/targets", status_code=303)
