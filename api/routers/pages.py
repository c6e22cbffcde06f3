"""What every console page shares: the logged-in user, the form key, rendering, refusals.

Console pages are for browsers: the user comes from the session cookie only (a bearer
header is the API's). Every form carries a CSRF token derived from the session cookie with
the service's key (HMAC), checked on every POST. Templates autoescape; a page names the
template, its title and its values, and :func:`render` adds what the frame needs (the
user, the menu's permissions, the form key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from api.deps import COOKIE
from api.state import AppState
from api.users import Permission, User
from application.workspace import Snapshot
from chain_graph.errors import ChainGraphError
from chain_graph.labels import ROLE_LABELS
from chain_graph.regions import region_name

__all__ = [
    "PAGE",
    "csrf_ok",
    "csrf_token",
    "form_refusal",
    "frame",
    "login_first",
    "page_user",
    "refuse",
    "render",
    "templates",
]

PAGE = 50
"""Rows per page of a console list."""


def money(value: float | None, *, signed: bool = False) -> str:
    """Write 万元 with two decimals and thousands separators; never "-0.00".

    Examples
    --------
    >>> money(1234.5), money(-0.001), money(-0.001, signed=True), money(2, signed=True), money(None)
    ('1,234.50', '0.00', '0.00', '+2.00', '')
    """
    if value is None:
        return ""
    rounded = round(float(value), 2) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{rounded:+,.2f}" if signed and rounded else f"{rounded:,.2f}"


templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))
templates.env.filters["money"] = money
templates.env.filters["signed_money"] = lambda value: money(value, signed=True)


def page_user(request: Request, state: AppState) -> User | None:
    """Return the user of the request's session cookie, if it is a live session."""
    session = request.cookies.get(COOKIE, "")
    return state.users.session_user(session) if session else None


def csrf_token(state: AppState, request: Request) -> str:
    """Return the CSRF token of the login cookie of ``request``."""
    cookie = request.cookies.get(COOKIE, "")
    return hmac.new(state.csrf_key, cookie.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_ok(state: AppState, request: Request, sent: str) -> bool:
    """Whether ``sent`` is the CSRF token of the request's login cookie."""
    return bool(request.cookies.get(COOKIE)) and hmac.compare_digest(csrf_token(state, request), sent)


def render(
    request: Request,
    state: AppState,
    user: User | None,
    name: str,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render template ``name`` in the console's frame."""
    return templates.TemplateResponse(
        request, name, frame(request, state, user) | {"title": title} | context, status_code=status_code
    )


def frame(request: Request, state: AppState, user: User | None) -> dict[str, Any]:
    """Return what the console's frame (``nav.html``) shows: the user, the menu, the form key."""
    return {
        "user": user,
        "csrf": csrf_token(state, request) if user else "",
        "role_label": ROLE_LABELS[user.role] if user else "",
        "county_name": region_name(user.county) if user and user.county else "",
        "may_city_documents": bool(user and user.may(Permission.CITY_DOCUMENTS)),
        "may_import": bool(user and user.may(Permission.IMPORT)),
        "may_write": bool(user and user.may(Permission.WRITE_LEDGER)),
        "may_report": bool(user and user.may(Permission.REPORT)),
    }


def form_refusal(
    state: AppState, request: Request, user: User, csrf: str, *, permission: Permission, denied: str
) -> str:
    """Return why a posted form may not go ahead ("" when it may).

    A stale form key, or ``denied`` when the user lacks ``permission``.
    """
    if not csrf_ok(state, request, csrf):
        return "表单已过期，请刷新页面后重试"
    if not user.may(permission):
        return denied
    return ""


def refuse(
    request: Request,
    state: AppState,
    user: User,
    message: str,
    *,
    status_code: int = 403,
    title: str = "无权访问",
) -> HTMLResponse:
    """Render a refusal (403, 404 …) in the frame, with a way back to the dashboard."""
    return render(
        request,
        state,
        user,
        "message.html",
        title,
        status_code=status_code,
        message=message,
        message_kind="error",
    )


def refuse_unfinished(request: Request, state: AppState, user: User, message: str) -> HTMLResponse:
    """Render a 422 refusal of a request that could not be carried out."""
    return refuse(request, state, user, message, status_code=422, title="请求未完成")


def snapshot_of_day(
    request: Request, state: AppState, user: User, as_of: str
) -> tuple[Snapshot, dt.date] | HTMLResponse:
    """Return the snapshot of the page's ``as_of`` date (today when blank) and that day.

    A malformed date or one the ledgers cannot answer is refused as a page (422).
    """
    try:
        day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
        return state.snapshot_at(day), day
    except ValueError:
        return refuse_unfinished(request, state, user, "日期格式应为 2026-11-27")
    except ChainGraphError as error:
        return refuse_unfinished(request, state, user, error.message)


def login_first() -> RedirectResponse:
    """Send a visitor without a session to the login page."""
    return RedirectResponse("/console/login", status_code=303)
