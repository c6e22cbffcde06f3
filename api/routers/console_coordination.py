"""Coordination in the console (协调事项): requests, one request, letters, incoming requests.

The requests with their clocks; one request with its history and moves; the letters
(商请函/复函) with their downloads; another city's requests imported.

Every change is a form POST checked for its CSRF token and the user's permission, then
answered with a redirect to the page that shows the result; a refused change re-renders the
page with the reason and a 4xx status. Who sees and acts on which request is the
application's rule (:mod:`application.coordination`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from api.deps import State
from api.routers.pages import PAGE, form_refusal, login_first, page_user, refuse, render
from api.state import AppState
from api.users import COORDINATION_MOVES, Permission, User
from application import coordination
from chain_graph.coordination import (
    MOVE_LABELS,
    OUTCOME_LABELS,
    STATE_LABELS,
    Direction,
    Move,
    Outcome,
    RequestState,
)
from chain_graph.errors import ChainGraphError

__all__ = ["router"]

router = APIRouter(prefix="/console/coordination", include_in_schema=False)
_STATUS_OF = {"CG409": 409, "CG404": 404, "CG403": 403}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _list_page(
    request: Request,
    state: AppState,
    user: User,
    *,
    status: str = "",
    direction: str = "",
    overdue: bool = False,
    offset: int = 0,
    message: str = "",
    message_kind: str = "info",
    status_code: int = 200,
) -> Response:
    snap, today = state.snapshot(), dt.date.today()
    chosen = status if status in {s.value for s in RequestState} else None
    way = direction if direction in {d.value for d in Direction} else None
    found = coordination.requests(
        state, snap, user.visibility, today=today, state=chosen, direction=way, overdue=overdue
    )
    actor = user.actor(home_adcode=state.settings.home_adcode)
    offset = max(offset, 0)
    filters = {"status": status, "direction": direction}
    return render(
        request,
        state,
        user,
        "coordination_requests.html",
        "协调事项",
        status_code=status_code,
        rows=[coordination.public(r, state, today=today, actor=actor) for r in found[offset : offset + PAGE]],
        count=len(found),
        offset=offset,
        limit=PAGE,
        query=urlencode({**filters, **({"overdue": "true"} if overdue else {})}),
        filters=filters,
        overdue=overdue,
        summary=coordination.summary(state, snap, user.visibility, today=today),
        letters=coordination.letters(state, snap, user.visibility)[:20],
        states=[(s.value, STATE_LABELS[s]) for s in RequestState],
        state_labels=STATE_LABELS,
        may_coordinate=user.may(Permission.COORDINATE),
        settings=state.settings,
        message=message,
        message_kind=message_kind,
    )


@router.get("/requests")
def requests_page(
    request: Request,
    state: State,
    status: str = "",
    direction: str = "",
    overdue: bool = False,
    offset: int = 0,
    done: str = "",
) -> Response:
    """协调事项：按状态、方向（报省 / 来函）、是否逾期筛选；函件列表；生成商请函、复函，导入来函。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    return _list_page(
        request,
        state,
        user,
        status=status,
        direction=direction,
        overdue=overdue,
        offset=offset,
        message=done[:200],
    )


def _request_page(
    request: Request,
    state: AppState,
    user: User,
    request_id: str,
    *,
    message: str = "",
    message_kind: str = "info",
    status_code: int = 200,
) -> Response:
    snap, today = state.snapshot(), dt.date.today()
    try:
        found = coordination.request(state, snap, user.visibility, request_id)
    except ChainGraphError as error:
        return refuse(request, state, user, error.message, status_code=404, title="未找到")
    actor = user.actor(home_adcode=state.settings.home_adcode)
    shown = coordination.public(found, state, today=today, actor=actor)
    moves = [m for m in shown["moves"] if m in COORDINATION_MOVES and user.may(COORDINATION_MOVES[m])]
    return render(
        request,
        state,
        user,
        "coordination_request.html",
        f"协调事项 {found.id}",
        status_code=status_code,
        r=shown,
        history=coordination.history(state, snap, user.visibility, request_id),
        moves=[(m, MOVE_LABELS[m]) for m in moves],
        outcomes=[(o.value, OUTCOME_LABELS[o]) for o in Outcome],
        state_labels=STATE_LABELS,
        move_labels=MOVE_LABELS,
        message=message,
        message_kind=message_kind,
    )


@router.get("/requests/{request_id}")
def request_page(request: Request, state: State, request_id: str, done: str = "") -> Response:
    """一个协调事项：内容、时限、办理记录（只增不改）和可做的办理。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    message = f"{MOVE_LABELS[done]}完成" if done in MOVE_LABELS else ""
    return _request_page(request, state, user, request_id, message=message)


@router.post("/requests/{request_id}")
def request_move(
    request: Request,
    state: State,
    request_id: str,
    move: Annotated[str, Form()],
    version: Annotated[int, Form()],
    csrf: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    outcome: Annotated[str, Form()] = "",
    close_items: Annotated[bool, Form()] = False,
) -> Response:
    """办理一个协调事项（受理、反馈、办结、备注），然后回到事项页。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    if move not in COORDINATION_MOVES:
        return _request_page(
            request, state, user, request_id, message="未知的办理操作", message_kind="error", status_code=422
        )
    refusal = form_refusal(
        state, request, user, csrf, permission=COORDINATION_MOVES[move], denied="当前账号无权进行此操作"
    )
    if refusal:
        return _request_page(
            request, state, user, request_id, message=refusal, message_kind="error", status_code=403
        )
    snap = state.snapshot()
    actor = user.actor(home_adcode=state.settings.home_adcode)
    chosen = Outcome(outcome) if outcome in {o.value for o in Outcome} else None
    extra = ""
    try:
        if move == "close":
            done = coordination.close(
                state,
                snap,
                user.visibility,
                actor,
                request_id,
                close_items=close_items,
                note=note,
                expected_version=version,
            )
            if done.items_closed:
                extra = f"&items={len(done.items_closed)}"
        else:
            coordination.act(
                state,
                snap,
                user.visibility,
                actor,
                request_id,
                move=Move(move),
                note=note,
                outcome=chosen,
                expected_version=version,
            )
    except ChainGraphError as error:
        code = _STATUS_OF.get(error.code, 422)
        return _request_page(
            request, state, user, request_id, message=error.message, message_kind="error", status_code=code
        )
    return _see_other(f"/console/coordination/requests/{quote(request_id)}?done={move}{extra}")


@router.get("/letters/{number}")
def letter_page(request: Request, state: State, number: str, done: str = "", offset: int = 0) -> Response:
    """一份函件：主送、事项（分页）、下载（Word / Excel）；市级可报送。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    snap, today = state.snapshot(), dt.date.today()
    try:
        found = coordination.letter(state, snap, user.visibility, number)
    except ChainGraphError as error:
        return refuse(request, state, user, error.message, status_code=404, title="未找到")
    actor = user.actor(home_adcode=state.settings.home_adcode)
    shown = coordination.letter_requests(state, snap, user.visibility, found)
    offset = max(offset, 0)
    rows = [coordination.public(r, state, today=today, actor=actor) for r in shown[offset : offset + PAGE]]
    return render(
        request,
        state,
        user,
        "coordination_letter.html",
        found.number,
        letter=found,
        rows=rows,
        count=len(shown),
        offset=offset,
        limit=PAGE,
        query="",
        state_labels=STATE_LABELS,
        can_send=user.may(Permission.COORDINATE)
        and found.kind == "request"
        and any(r.state == RequestState.PENDING for r in shown),
        total=sum(r.recovered_value for r in shown),
        message="报送完成" if done == "send" else "",
    )


def _city_refusal(state: AppState, request: Request, user: User, csrf: str) -> str:
    return form_refusal(
        state, request, user, csrf, permission=Permission.COORDINATE, denied="只有市级账号可以办理"
    )


@router.post("/letters/{number}/send")
def send_letter(request: Request, state: State, number: str, csrf: Annotated[str, Form()] = "") -> Response:
    """报送一份商请函（其待报送事项转为已报送，开始计时）。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    refusal = _city_refusal(state, request, user, csrf)
    if refusal:
        return refuse(request, state, user, refusal)
    try:
        coordination.send_letter(
            state, state.snapshot(), user.actor(home_adcode=state.settings.home_adcode), number
        )
    except ChainGraphError as error:
        return refuse(
            request,
            state,
            user,
            error.message,
            status_code=_STATUS_OF.get(error.code, 422),
            title="报送未完成",
        )
    return _see_other(f"/console/coordination/letters/{quote(number)}?done=send")


@router.post("/letters")
def issue_letters(request: Request, state: State, csrf: Annotated[str, Form()] = "") -> Response:
    """生成商请函（先登记尚未登记的协调事项），然后回到协调事项页。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    refusal = _city_refusal(state, request, user, csrf)
    if refusal:
        return refuse(request, state, user, refusal)
    issued = coordination.issue_letters(state, state.snapshot(), by=user.name)
    if len(issued) == 1:
        return _see_other(f"/console/coordination/letters/{quote(issued[0].number)}")
    text = "、".join(x.number for x in issued) if issued else "无新的待报送事项，未生成函件"
    return _see_other(
        "/console/coordination/requests?" + urlencode({"done": f"已生成 {text}" if issued else text})
    )


@router.post("/replies")
def issue_replies(request: Request, state: State, csrf: Annotated[str, Form()] = "") -> Response:
    """生成复函（已反馈的外地来函事项，按来函城市各一份）。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    refusal = _city_refusal(state, request, user, csrf)
    if refusal:
        return refuse(request, state, user, refusal)
    issued = coordination.issue_replies(state, by=user.name)
    text = f"已生成复函 {'、'.join(x.number for x in issued)}" if issued else "无已反馈待复函的来函事项"
    return _see_other("/console/coordination/requests?" + urlencode({"done": text}))


@router.post("/incoming")
def incoming(
    request: Request,
    state: State,
    file: Annotated[UploadFile, File()],
    source: Annotated[str, Form(max_length=50)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """导入外地来函（其导出的跨区域协调清单 .xlsx）。"""
    from api.routers.imports import save_uploads
    from ingest.coordination import read_coordination_workbook

    user = page_user(request, state)
    if user is None:
        return login_first()
    refusal = _city_refusal(state, request, user, csrf)
    if refusal:
        return refuse(request, state, user, refusal)
    snap = state.snapshot()
    try:
        with tempfile.TemporaryDirectory() as directory:
            target = Path(directory)
            save_uploads([file], target, int(state.settings.upload_limit_mb * 1024 * 1024))
            rows = read_coordination_workbook(next(target.iterdir()), source=source)
        done = coordination.import_incoming(state, snap, rows, source=source, by=user.name)
    except ChainGraphError as error:
        return _list_page(request, state, user, message=error.message, message_kind="error", status_code=422)
    text = (
        f"已登记来函事项 {len(done.requests)} 项、问题台账 {len(done.items)} 项"
        f"（非本市配套企业 {done.skipped} 行未导入）"
    )
    return _see_other("/console/coordination/requests?" + urlencode({"done": text, "direction": "incoming"}))
