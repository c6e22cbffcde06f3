"""The web console: Jinja2 pages in Chinese over the same state as the API.

Login is by pasting a token, from this site only (a login posted from another site is
refused); it opens a server-side session whose id is kept in an HttpOnly, SameSite=Strict
cookie (the token itself never is), ended by logout or by revoking the user. Every form
carries a CSRF token derived from the session cookie with the service's key (HMAC), checked
on every POST. Pages are server-rendered, with no script and no asset from another host.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.deps import COOKIE, State
from api.routers.imports import perform_import
from api.state import AppState
from api.users import Permission, User
from application import problems, queries
from application.imports import table_guide
from chain_graph.errors import ChainGraphError, NotFoundError
from chain_graph.labels import (
    ACTION_LABELS,
    NODE_STATUS_LABELS,
    PROBLEM_STATUS_LABELS,
    ROLE_LABELS,
    SCOPE_LABELS,
    TABLE_LABELS,
)
from chain_graph.model import ProblemStatus
from chain_graph.problem_ledger import Action
from chain_graph.records import plain_records
from chain_graph.regions import region_name

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))
_PAGE = 50
_STATUS_OF = {"CG409": 409, "CG404": 404}
"""HTTP status of a ledger action refused with these codes (others: 422)."""


def _user(request: Request, state: AppState) -> User | None:
    # Console pages are for browsers: the session cookie only (a bearer header is the API's).
    session = request.cookies.get(COOKIE, "")
    return state.users.session_user(session) if session else None


def _cross_site(request: Request) -> bool:
    """Whether a form was posted from another site (login CSRF).

    The browser's own word (``Sec-Fetch-Site``) when it gives one; else the ``Origin``'s
    host against the host asked for (behind a TLS proxy the scheme differs, and the proxy
    may pass the original host as ``X-Forwarded-Host``). A client that sends neither is no
    browser on another site.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    hosts = {request.headers.get("host", ""), request.headers.get("x-forwarded-host", "")} - {""}
    return urlsplit(origin).netloc not in hosts


def csrf_token(state: AppState, request: Request) -> str:
    """Return the CSRF token of the login cookie of ``request``."""
    cookie = request.cookies.get(COOKIE, "")
    return hmac.new(state.csrf_key, cookie.encode(), hashlib.sha256).hexdigest()[:40]


def _csrf_ok(state: AppState, request: Request, sent: str) -> bool:
    return bool(request.cookies.get(COOKIE)) and hmac.compare_digest(csrf_token(state, request), sent)


def _render(
    request: Request,
    state: AppState,
    user: User | None,
    name: str,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    base = {
        "title": title,
        "user": user,
        "csrf": csrf_token(state, request) if user else "",
        "role_label": ROLE_LABELS[user.role] if user else "",
        "county_name": region_name(user.county) if user and user.county else "",
        "may_city_documents": bool(user and user.may(Permission.CITY_DOCUMENTS)),
        "may_import": bool(user and user.may(Permission.IMPORT)),
    }
    return templates.TemplateResponse(request, name, base | context, status_code=status_code)


def _login_first() -> RedirectResponse:
    return RedirectResponse("/console/login", status_code=303)


@router.get("/login")
def login_page(request: Request, state: State) -> Response:
    """登录页。"""
    return _render(request, state, None, "login.html", "登录")


@router.post("/login")
def login(request: Request, state: State, token: Annotated[str, Form(max_length=200)]) -> Response:
    """用令牌登录。"""
    if _cross_site(request):
        return _render(
            request,
            state,
            None,
            "login.html",
            "登录",
            status_code=403,
            message="请在本系统的登录页登录",
            message_kind="error",
        )
    user = state.users.verify(token.strip())
    if user is None:
        return _render(
            request,
            state,
            None,
            "login.html",
            "登录",
            status_code=401,
            message="令牌无效或已停用，请向管理员确认",
            message_kind="error",
        )
    seconds = state.settings.session_hours * 3600
    response = RedirectResponse("/console/", status_code=303)
    response.set_cookie(
        COOKIE,
        state.users.start_session(user, seconds=seconds),
        httponly=True,
        samesite="strict",
        secure=state.settings.cookie_secure,
        max_age=int(seconds),
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, state: State, csrf: Annotated[str, Form()] = "") -> Response:
    """退出登录。"""
    response = RedirectResponse("/console/login", status_code=303)
    if _csrf_ok(state, request, csrf):
        state.users.end_session(request.cookies.get(COOKIE, ""))
        response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/")
def dashboard(request: Request, state: State) -> Response:
    """概况。"""
    user = _user(request, state)
    if user is None:
        return _login_first()
    figures = queries.dashboard(state, state.snapshot(), user.visibility, today=dt.date.today())
    return _render(
        request,
        state,
        user,
        "dashboard.html",
        "概况",
        s=figures["summary"],
        recovery=figures["recovery"],
        target=figures["target"],
        chains=figures["chains"],
        trend=figures["trend"],
    )


@router.get("/blocked")
def blocked(request: Request, state: State, scope: str = "", offset: int = 0) -> Response:
    """受阻配套企业。"""
    user = _user(request, state)
    if user is None:
        return _login_first()
    chosen = scope if scope in SCOPE_LABELS else None
    table = queries.blocked(state.snapshot(), user.visibility, scope=chosen)
    offset = max(offset, 0)
    return _render(
        request,
        state,
        user,
        "blocked.html",
        "受阻配套企业",
        rows=plain_records(table.iloc[offset : offset + _PAGE]),
        count=len(table),
        offset=offset,
        limit=_PAGE,
        query=urlencode({"scope": scope}),
        scope=scope,
        scopes=list(SCOPE_LABELS.items()),
        scope_labels=SCOPE_LABELS,
    )


@router.get("/coordination")
def coordination(request: Request, state: State, offset: int = 0) -> Response:
    """跨区域协调清单。"""
    user = _user(request, state)
    if user is None:
        return _login_first()
    if not user.may(Permission.CITY_DOCUMENTS):
        return _render(
            request,
            state,
            user,
            "base.html",
            "无权访问",
            status_code=403,
            message="县市区账号请查看本地配套企业清单",
            message_kind="error",
        )
    rows = queries.coordination(state.snapshot(), user.visibility)
    offset = max(offset, 0)
    return _render(
        request,
        state,
        user,
        "coordination.html",
        "跨区域协调清单",
        rows=plain_records(rows.iloc[offset : offset + _PAGE]),
        count=len(rows),
        offset=offset,
        limit=_PAGE,
        query="",
    )


def _ledger_page(
    request: Request,
    state: AppState,
    user: User,
    *,
    status: str = "",
    overdue: bool = False,
    offset: int = 0,
    message: str = "",
    message_kind: str = "info",
    status_code: int = 200,
) -> Response:
    snap = state.snapshot()
    today = dt.date.today()
    chosen = status if status in {s.value for s in ProblemStatus} else None
    found = problems.items(state, snap, user.visibility, today=today, status=chosen, overdue=overdue)
    offset = max(offset, 0)
    rows = [problems.public(i, snap, today=today) for i in found[offset : offset + _PAGE]]
    return _render(
        request,
        state,
        user,
        "ledger.html",
        "问题台账",
        status_code=status_code,
        rows=rows,
        count=len(found),
        offset=offset,
        limit=_PAGE,
        query=urlencode({"status": status, **({"overdue": "true"} if overdue else {})}),
        status=status,
        overdue=overdue,
        can_write=user.may(Permission.WRITE_LEDGER),
        statuses=[(s.value, PROBLEM_STATUS_LABELS[s]) for s in ProblemStatus],
        status_labels=PROBLEM_STATUS_LABELS,
        actions=[(a.value, ACTION_LABELS[a]) for a in Action if a != Action.REGISTER],
        message=message,
        message_kind=message_kind,
    )


@router.get("/ledger")
def ledger_page(
    request: Request, state: State, status: str = "", overdue: bool = False, offset: int = 0
) -> Response:
    """问题台账。"""
    user = _user(request, state)
    if user is None:
        return _login_first()
    return _ledger_page(request, state, user, status=status, overdue=overdue, offset=offset)


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
    """办理一个事项。"""
    user = _user(request, state)
    if user is None:
        return _login_first()
    if not _csrf_ok(state, request, csrf):
        return _ledger_page(
            request,
            state,
            user,
            message="表单已过期，请刷新页面后重试",
            message_kind="error",
            status_code=403,
        )
    if not user.may(Permission.WRITE_LEDGER):
        return _ledger_page(
            request, state, user, message="当前账号只能查看", message_kind="error", status_code=403
        )
    chosen = Action(action) if action in {a.value for a in Action} else None
    if chosen is None:
        return _ledger_page(
            request, state, user, message="未知的办理操作", message_kind="error", status_code=422
        )
    try:
        new_deadline = dt.date.fromisoformat(deadline) if deadline else None
        new = problems.act(
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
    except ValueError:
        return _ledger_page(
            request, state, user, message="期限格式应为 2026-12-31", message_kind="error", status_code=422
        )
    except ChainGraphError as error:
        return _ledger_page(
            request,
            state,
            user,
            message=error.message,
            message_kind="error",
            status_code=_STATUS_OF.get(error.code, 422),
        )
    return _ledger_page(
        request,
        state,
        user,
        message=f"{item_id}：{ACTION_LABELS[chosen]}完成，当前状态：{PROBLEM_STATUS_LABELS[new.status]}",
    )


@router.get("/import")
def import_page(request: Request, state: State) -> Response:
    """导入台账。"""
    user = _user(request, state)
    if user is None:
        return _login_first()
    if not user.may(Permission.IMPORT):
        return _render(
            request,
            state,
            user,
            "base.html",
            "无权访问",
            status_code=403,
            message=f"只有{ROLE_LABELS['admin']}的管理员账号可以导入台账",
            message_kind="error",
        )
    return _render(request, state, user, "import.html", "导入台账", **_import_context())


def _import_context() -> dict[str, Any]:
    return {"table_labels": TABLE_LABELS, "ledger_tables": table_guide(), "template_url": "/exports/template"}


@router.post("/import")
def import_upload(
    request: Request,
    state: State,
    files: Annotated[list[UploadFile], File()],
    csrf: Annotated[str, Form()] = "",
    keep_valid: Annotated[bool, Form()] = False,
    replace: Annotated[bool, Form()] = False,
) -> Response:
    """上传并校验。"""
    user = _user(request, state)
    if user is None:
        return _login_first()
    if not user.may(Permission.IMPORT) or not _csrf_ok(state, request, csrf):
        return _render(
            request,
            state,
            user,
            "import.html",
            "导入台账",
            status_code=403,
            message="无权导入或表单已过期",
            message_kind="error",
            **_import_context(),
        )
    try:
        result = perform_import(state, files, keep_valid=keep_valid, replace=replace)
    except HTTPException as refused:  # a file name or size refused before reading: say so on the page
        return _render(
            request,
            state,
            user,
            "import.html",
            "导入台账",
            status_code=refused.status_code,
            message=f"{refused.detail}；未写入任何数据",
            message_kind="error",
            **_import_context(),
        )
    return _render(
        request,
        state,
        user,
        "import.html",
        "导入台账",
        result=result.model_dump(),
        status_code=200 if result.written else 422,
        message="导入完成" if result.written else "台账有问题，未写入任何数据",
        message_kind="info" if result.written else "error",
        **_import_context(),
    )


@router.get("/firms/{node_id}")
def firm_page(request: Request, state: State, node_id: str) -> Response:
    """一家企业或项目：上下游、问题台账和链图入口。"""
    user = _user(request, state)
    if user is None:
        return _login_first()
    snap = state.snapshot()
    try:
        facts = queries.node_page(state, snap, user.visibility, node_id)
    except NotFoundError as error:
        return _render(
            request,
            state,
            user,
            "base.html",
            "未找到",
            status_code=404,
            message=error.message,
            message_kind="error",
        )
    return _render(
        request,
        state,
        user,
        "firm.html",
        str(facts["node"]["name"]),
        node=facts["node"],
        county=facts["county"],
        kind=facts["kind"],
        status=NODE_STATUS_LABELS[facts["status"]],
        capacity=f"{facts['capacity'] * 100:.0f}%",
        availability=f"{facts['availability'] * 100:.1f}%",
        suppliers=facts["suppliers"],
        buyers=facts["buyers"],
        has_buyers=bool(facts["buyers"]),
        items=facts["items"],
        status_labels=PROBLEM_STATUS_LABELS,
    )
