"""The problem ledger in the console: the list, one item with its history, 挂号 and 办理.

Every change is a form POST checked for its CSRF token and the user's permission, then
answered with a redirect to the page that shows the result (post/redirect/get: a refresh
never posts twice); a refused change re-renders the page with the reason and a 4xx status.
Who sees and changes which item is the application's rule (:mod:`application.problems`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import State
from api.routers.pages import PAGE, form_refusal, login_first, page_user, refuse, render
from api.state import AppState
from api.users import Permission, User
from application import problems, queries
from chain_graph.errors import ChainGraphError, NotFoundError
from chain_graph.labels import ACTION_LABELS, ITEM_SORT_LABELS, PROBLEM_STATUS_LABELS
from chain_graph.model import ProblemCategory, ProblemStatus
from chain_graph.problem_ledger import Action, available_actions

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
_STATUS_OF = {"CG409": 409, "CG404": 404}
"""HTTP status of a ledger change refused with these codes (others: 422)."""
_SORT_LABELS = {
    "id": "编号",
    "deadline": "期限（最近的在前）",
    "overdue": "逾期天数（最多的在前）",
    "updated": "最近办理",
}
_DEFAULT_DAYS = 7
"""Days to the deadline of items registered from the analysis in the console."""


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/ledger")
def ledger_page(
    request: Request,
    state: State,
    status: str = "",
    overdue: bool = False,
    unit: str = "",
    county: str = "",
    q: str = "",
    sort: str = "id",
    offset: int = 0,
    registered: int | None = None,
    existing: int | None = None,
) -> Response:
    """问题台账：筛选、搜索、排序；挂号和办理在事项页。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    snap, today = state.snapshot(), dt.date.today()
    chosen = status if status in {s.value for s in ProblemStatus} else None
    order = sort if sort in problems.SORTS else "id"
    found = problems.items(
        state,
        snap,
        user.visibility,
        today=today,
        status=chosen,
        overdue=overdue,
        unit=unit or None,
        county=county or None,
        query=q[:100],
        sort=order,
    )
    offset = max(offset, 0)
    message = ""
    if registered is not None:
        message = f"已从分析结果挂号 {registered} 项" + (f"（原有 {existing} 项未变）" if existing else "")
    filters = {"status": status, "unit": unit, "county": county, "q": q, "sort": order}
    return render(
        request,
        state,
        user,
        "ledger.html",
        "问题台账",
        rows=[problems.public(i, snap, today=today) for i in found[offset : offset + PAGE]],
        count=len(found),
        offset=offset,
        limit=PAGE,
        query=urlencode({**filters, **({"overdue": "true"} if overdue else {})}),
        filters=filters,
        overdue=overdue,
        statuses=[(s.value, PROBLEM_STATUS_LABELS[s]) for s in ProblemStatus],
        status_labels=PROBLEM_STATUS_LABELS,
        units=problems.units(state, snap, user.visibility),
        counties=[] if user.county else queries.counties(snap, user.visibility),
        sorts=[(key, ITEM_SORT_LABELS[key]) for key in problems.SORTS],
        message=message,
    )


def _item_page(
    request: Request,
    state: AppState,
    user: User,
    item_id: str,
    *,
    message: str = "",
    message_kind: str = "info",
    status_code: int = 200,
) -> Response:
    snap, today = state.snapshot(), dt.date.today()
    try:
        entry = problems.item(state, snap, user.visibility, item_id)
    except NotFoundError as error:
        return refuse(request, state, user, error.message, status_code=404, title="未找到")
    history = problems.history(state, snap, user.visibility, item_id)
    allowed = available_actions(entry, today) if user.may(Permission.WRITE_LEDGER) else []
    return render(
        request,
        state,
        user,
        "ledger_item.html",
        f"问题台账 {entry.id}",
        status_code=status_code,
        item=problems.public(entry, snap, today=today),
        supplier=snap.name_of.get(entry.supplier_id, entry.supplier_id),
        subject_open=user.visibility.sees(snap.adcode_of.get(entry.subject_id)),
        history=history,
        actions=[(a.value, ACTION_LABELS[a]) for a in allowed],
        action_labels=ACTION_LABELS,
        status_labels=PROBLEM_STATUS_LABELS,
        today=today,
        message=message,
        message_kind=message_kind,
    )


@router.get("/ledger/{item_id}")
def item_page(request: Request, state: State, item_id: str, done: str = "") -> Response:
    """一个事项：内容、办理记录（只增不改）和可做的办理。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    message = ""
    if done in ACTION_LABELS:
        message = f"{ACTION_LABELS[done]}完成"
    return _item_page(request, state, user, item_id, message=message)


def _refusal(user: User, state: AppState, request: Request, csrf: str) -> str:
    """Why a ledger change may not go ahead (an empty string: it may)."""
    return form_refusal(
        state, request, user, csrf, permission=Permission.WRITE_LEDGER, denied="当前账号只能查看"
    )


@router.post("/ledger/{item_id}")
def ledger_action(
    request: Request,
    state: State,
    item_id: str,
    action: Annotated[str, Form()],
    version: Annotated[int, Form()],
    csrf: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    deadline: Annotated[str, Form()] = "",
) -> Response:
    """办理一个事项，然后回到事项页。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    refusal = _refusal(user, state, request, csrf)
    if refusal:
        return _item_page(
            request, state, user, item_id, message=refusal, message_kind="error", status_code=403
        )
    chosen = Action(action) if action in {a.value for a in Action if a != Action.REGISTER} else None
    if chosen is None:
        return _item_page(
            request, state, user, item_id, message="未知的办理操作", message_kind="error", status_code=422
        )
    try:
        new_deadline = dt.date.fromisoformat(deadline) if deadline else None
    except ValueError:
        return _item_page(
            request,
            state,
            user,
            item_id,
            message="期限格式应为 2026-12-31",
            message_kind="error",
            status_code=422,
        )
    try:
        problems.act(
            state,
            state.snapshot(),
            user.visibility,
            item_id,
            chosen,
            by=user.name,
            note=note,
            deadline=new_deadline,
            expected_version=version,
        )
    except ChainGraphError as error:
        code = _STATUS_OF.get(error.code, 422)
        return _item_page(
            request, state, user, item_id, message=error.message, message_kind="error", status_code=code
        )
    return _see_other(f"/console/ledger/{quote(item_id)}?done={chosen.value}")


@router.post("/ledger")
def register_item(
    request: Request,
    state: State,
    subject_id: Annotated[str, Form(max_length=100)],
    description: Annotated[str, Form(min_length=1, max_length=2000)],
    csrf: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = ProblemCategory.OTHER.value,
    supplier_id: Annotated[str, Form(max_length=100)] = "",
    responsible_unit: Annotated[str, Form(max_length=100)] = "",
    deadline: Annotated[str, Form()] = "",
) -> Response:
    """挂号：登记一个事项（从企业页），然后打开它。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    refusal = _refusal(user, state, request, csrf)
    if refusal:
        return refuse(request, state, user, refusal)
    chosen = category if category in {c.value for c in ProblemCategory} else None
    try:
        day = dt.date.fromisoformat(deadline) if deadline else None
    except ValueError:
        return refuse(request, state, user, "期限格式应为 2026-12-31", status_code=422, title="挂号未完成")
    try:
        entry = problems.register(
            state,
            state.snapshot(),
            user.visibility,
            by=user.name,
            subject_id=subject_id,
            description=description,
            category=ProblemCategory(chosen or ProblemCategory.OTHER),
            supplier_id=supplier_id,
            responsible_unit=responsible_unit.strip() or None,
            deadline=day,
        )
    except ChainGraphError as error:
        code = _STATUS_OF.get(error.code, 422)
        return refuse(request, state, user, error.message, status_code=code, title="挂号未完成")
    return _see_other(f"/console/ledger/{quote(entry.id)}?done=register")


@router.post("/ledger-from-analysis")
def register_from_analysis(request: Request, state: State, csrf: Annotated[str, Form()] = "") -> Response:
    """从分析结果挂号：每个受阻配套企业及其影响的重点企业/项目一项（已有未销号事项的不重复）。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    refusal = _refusal(user, state, request, csrf)
    if refusal:
        return refuse(request, state, user, refusal)
    done = problems.register_from_analysis(
        state, state.snapshot(), user.visibility, by=user.name, days=_DEFAULT_DAYS
    )
    added = done.from_problems + done.from_analysis
    return _see_other(f"/console/ledger?{urlencode({'registered': added, 'existing': done.existing})}")
