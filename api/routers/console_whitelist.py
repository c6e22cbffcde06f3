"""The console's 白名单推荐 page: the city's nominations for the key supply-chain whitelist.

What a caller sees is the application's (:mod:`application.whitelist`): the city's list, or
a county's own firms among it; the workbook only for the users of the city's documents. The
page can show any earlier day.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import State
from api.routers.pages import login_first, page_user, render, snapshot_of_day
from api.users import Permission
from application import whitelist
from chain_graph.labels import PRODUCTION_STATUS_LABELS
from chain_graph.records import plain_records

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/whitelist")
def whitelist_page(request: Request, state: State, as_of: str = "") -> Response:
    """白名单推荐：按风险敞口、唯一供应、市外客户排序的本市配套企业及推荐理由。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    today = dt.date.today()
    found = snapshot_of_day(request, state, user, as_of)
    if isinstance(found, Response):
        return found
    snap, day = found
    rows = whitelist.nominations(snap, user.visibility)
    export_url = None
    if user.may(Permission.CITY_DOCUMENTS):
        export_url = "/exports/whitelist?fmt=xlsx" + (f"&as_of={day}" if day != today else "")
    return render(
        request,
        state,
        user,
        "whitelist.html",
        "白名单推荐",
        rows=plain_records(rows),
        top=snap.settings.whitelist_top,
        threshold=snap.settings.single_source_threshold,
        status_labels=PRODUCTION_STATUS_LABELS,
        export_url=export_url,
        day=day,
        today=today,
    )
