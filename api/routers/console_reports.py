"""A county's weekly status report in the console (状态填报): its rows in one form, as of today.

The form is the county's pre-filled rows (:func:`application.reports.prefilled`): each key
enterprise and project with its state today, to correct and send. It is checked like any
console form (CSRF token, the ``report`` permission) and like a ledger action (the reports
version it was shown with: a form shown before someone else recorded is refused, to be
refreshed), and validated exactly as a reports file. Sent, it redirects to the dashboard.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import State
from api.routers.pages import form_refusal, login_first, page_user, refuse, render
from api.state import AppState
from api.users import Permission, User
from application import queries, reports
from chain_graph.errors import ChainGraphError
from chain_graph.labels import PRODUCTION_STATUS_LABELS
from chain_graph.records import plain_records
from chain_graph.regions import region_name

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
_READ_ONLY = "当前账号不能填报，只能查看"


def _county(user: User, asked: str) -> str:
    """Return the county whose form this is: a county user's own; the city bureau's choice."""
    return user.county or asked


def _form_page(
    request: Request,
    state: AppState,
    user: User,
    county: str,
    *,
    issues: list[dict[str, Any]] | None = None,
    sent: list[dict[str, str]] | None = None,
    status_code: int = 200,
    message: str = "",
) -> Response:
    snap, today = state.snapshot(), dt.date.today()
    counties = [] if user.county else queries.counties(snap, user.visibility)
    rows: list[dict[str, Any]] = []
    if county:
        try:
            rows = plain_records(reports.prefilled(state, snap, county=county, today=today))
        except ChainGraphError as error:
            return refuse(request, state, user, error.message, status_code=422, title="状态填报")
    shown = [
        {key: _shown(value) for key, value in row.items()} | {"project": row["id"] in snap.project_ids}
        for row in rows
    ]
    if sent is not None:  # refused: show what was typed, not the state before
        shown = [
            row | {k: v for k, v in typed.items() if k != "id"}
            for row, typed in zip(shown, sent, strict=False)
        ]
    return render(
        request,
        state,
        user,
        "reports_form.html",
        "状态填报",
        status_code=status_code,
        county=county,
        county_name=region_name(county) if county else "",
        counties=counties,
        rows=shown,
        version=reports.version(state),
        today=today,
        statuses=list(PRODUCTION_STATUS_LABELS.items()),
        issues=issues or [],
        message=message,
        message_kind="error" if issues or status_code >= 400 else "info",
    )


def _shown(value: object) -> str:
    """Write a value as the form shows it: blank for none, numbers without trailing zeros.

    Examples
    --------
    >>> _shown(None), _shown(float("nan")), _shown(80.0), _shown(12.5), _shown("停电")
    ('', '', '80', '12.5', '停电')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:g}"
    return str(value)


@router.get("/reports")
def form(request: Request, state: State, county: str = "") -> Response:
    """本周状态填报：本县市区的重点规模企业和重点项目，一张表填完。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    if not user.may(Permission.REPORT):
        return refuse(request, state, user, _READ_ONLY)
    return _form_page(request, state, user, _county(user, county))


@router.post("/reports")
def send(
    request: Request,
    state: State,
    reports_version: Annotated[int, Form()],
    county: Annotated[str, Form(max_length=6)] = "",
    csrf: Annotated[str, Form()] = "",
    id: Annotated[list[str] | None, Form()] = None,
    status: Annotated[list[str] | None, Form()] = None,
    capacity: Annotated[list[str] | None, Form()] = None,
    recovery_days: Annotated[list[str] | None, Form()] = None,
    problem: Annotated[list[str] | None, Form()] = None,
    started: Annotated[list[str] | None, Form()] = None,
    completed: Annotated[list[str] | None, Form()] = None,
    workers: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """提交本周状态填报（截至今天），然后回到概况。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    refusal = form_refusal(state, request, user, csrf, permission=Permission.REPORT, denied=_READ_ONLY)
    if refusal:
        return refuse(request, state, user, refusal)
    fields = {
        "id": id or [],
        "status": status or [],
        "capacity": capacity or [],
        "recovery_days": recovery_days or [],
        "problem": problem or [],
        "started": started or [],
        "completed": completed or [],
        "workers": workers or [],
    }
    count = len(fields["id"])
    if any(len(values) != count for values in fields.values()):
        return refuse(request, state, user, "表单不完整，请刷新页面后重新填写", status_code=422)
    rows = [
        {key: values[k].strip() for key, values in fields.items()} | {"reporter": user.name}
        for k in range(count)
    ]
    try:
        done = reports.record_form(
            state,
            state.snapshot(),
            user.visibility,
            rows,
            by=user.name,
            today=dt.date.today(),
            version=reports_version,
            at=dt.datetime.now(),
        )
    except ChainGraphError as error:
        code = 409 if error.code == "CG409" else 422
        return _form_page(
            request, state, user, _county(user, county), status_code=code, message=error.message, sent=rows
        )
    if not done.written:
        issues = [
            {"row": i.row, "column": i.column, "value": i.value, "code": str(i.code), "message": i.message}
            for i in done.validation.issues
        ]
        return _form_page(
            request,
            state,
            user,
            _county(user, county),
            issues=issues,
            sent=rows,
            status_code=422,
            message="填报有问题，未保存任何数据",
        )
    return RedirectResponse(f"/console/?reported={done.appended}", status_code=303)
