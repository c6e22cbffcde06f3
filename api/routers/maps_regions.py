"""区域分布图 as a file: standalone SVG, an HTML page of its own, or its figures as JSON.

Same login as the chain maps (cookie or bearer token); what a county sees is the
application's (:mod:`application.regions`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api.deps import State, optional_user
from api.guard import page_policy
from api.users import Permission
from application import regions
from viz.regions import regions_document, regions_svg

__all__ = ["router"]

router = APIRouter(prefix="/maps", tags=["maps"])


@router.get("/regions", response_model=None)
def regions_file(
    request: Request,
    state: State,
    view: Annotated[Literal["coordination", "local", "all"], Query()] = "coordination",
    fmt: Annotated[Literal["html", "svg", "json"], Query()] = "html",
) -> Response | dict[str, Any]:
    """受阻配套企业区域分布图（coordination：省外按省、省内按市；local：本地按县市区；all：三幅）。"""
    user = optional_user(request, state)
    if user is None:
        return RedirectResponse("/console/login", status_code=303)
    drawn = regions.regions_map(
        state.snapshot(), user.visibility, view=view, links=user.may(Permission.CITY_DOCUMENTS)
    )
    if fmt == "json":
        return JSONResponse(drawn.to_json())
    if fmt == "svg":
        return Response(regions_svg(drawn.panels, title=drawn.title), media_type="image/svg+xml")
    html = regions_document(drawn.panels, title=drawn.title, summary="；".join(drawn.notes))
    return HTMLResponse(html, headers={"Content-Security-Policy": page_policy(html)})
