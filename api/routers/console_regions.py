"""区域分布图 as a console page: the regional map of a view, today's or an as-of day's.

The map is the application's (:mod:`application.regions`: what a county may see, the
cache); this router reads the login cookie and the day, and sends the page. Server-rendered
SVG in the console's frame: no script.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import State
from api.routers.pages import login_first, page_user, render, snapshot_of_day
from api.users import Permission
from application import regions

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/regions")
def regions_page(request: Request, state: State, view: str = "coordination", as_of: str = "") -> Response:
    """受阻配套企业区域分布图：coordination（省外按省、省内按市）或 local（本地按县市区）。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    found = snapshot_of_day(request, state, user, as_of)
    if isinstance(found, Response):
        return found
    snap, day = found
    chosen: regions.View = "local" if view == "local" else "coordination"
    drawn = regions.regions_map(snap, user.visibility, view=chosen, links=user.may(Permission.CITY_DOCUMENTS))
    return render(
        request,
        state,
        user,
        "regions.html",
        "区域分布图",
        map=drawn,
        view=chosen,
        day=day,
        today=dt.date.today(),
        as_of=as_of,
    )
