"""Chain maps as console pages (same login): city, upstream, impact, a scenario's difference, gaps.

Which nodes a caller's map may show and the page cache are the application's
(:mod:`application.maps`); this router reads the login cookie and sends the page.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from api.deps import State, optional_user
from api.guard import page_policy
from api.routers.pages import frame, templates
from api.state import AppState
from api.users import Permission, User
from application import maps
from chain_graph.errors import ConfigError
from chain_graph.scenarios import Scenario
from viz.render import MapPage

__all__ = ["router"]

router = APIRouter(prefix="/maps", tags=["maps"])
_LOGIN = "/console/login"


def _back(request: Request) -> tuple[str, str]:
    """Return where the page's back link goes: the console page that linked it, else the dashboard.

    Only a page of this service counts (the same host, under ``/console`` or ``/maps``);
    the referrer is sent for same-origin links only (``Referrer-Policy: same-origin``).
    """
    referrer = urlsplit(request.headers.get("referer", ""))
    own = referrer.netloc == request.url.netloc and referrer.path.startswith(("/console/", "/maps/"))
    if not own or referrer.path in ("/console/", request.url.path):
        return "/console/", "← 返回控制台"
    return referrer.path + (f"?{referrer.query}" if referrer.query else ""), "← 返回上一页"


def _page(request: Request, state: AppState, user: User, page: MapPage) -> HTMLResponse:
    """Return a map page in the console's frame, allowed to run exactly its own inline scripts (by hash)."""
    href, label = _back(request)
    back = Markup('<a class="back" href="{}">{}</a>').format(href, label)
    html = page.framed(str(back) + templates.get_template("nav.html").render(frame(request, state, user)))
    return HTMLResponse(html, headers={"Content-Security-Policy": page_policy(html)})


@router.get("/city", response_class=HTMLResponse)
def city(
    request: Request,
    state: State,
    chain: Annotated[str | None, Query(max_length=50)] = None,
    county: Annotated[str | None, Query(max_length=6)] = None,
    colour: Annotated[
        maps.Colour, Query(description="status：按状态着色；local：按本地配套率着色")
    ] = "status",
) -> Response:
    """全市产业链图（可按产业链、县市区筛选；可按状态或本地配套率着色）。"""
    user = optional_user(request, state)
    if user is None:
        return RedirectResponse(_LOGIN, status_code=303)
    page = maps.city_map(state.snapshot(), user.visibility, chain=chain, county=county, colour=colour)
    return _page(request, state, user, page)


@router.get("/gaps", response_class=HTMLResponse)
def gaps(request: Request, state: State, top: Annotated[int, Query(ge=1, le=50)] = 10) -> Response:
    """补链清单图：本地配套不足的物料（空心），连接供应它的市外企业和采购它的本市企业。"""
    user = optional_user(request, state)
    if user is None:
        return RedirectResponse(_LOGIN, status_code=303)
    if not user.may(Permission.CITY_DOCUMENTS):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "补链清单是全市的招商方向，由市工业和信息化局查看")
    return _page(request, state, user, maps.gap_map(state.snapshot(), user.visibility, top=top))


@router.get("/upstream/{node_id}", response_class=HTMLResponse)
def upstream(
    request: Request, state: State, node_id: str, depth: Annotated[int, Query(ge=1, le=10)] = 3
) -> Response:
    """一家企业或项目的上游配套（逐层）。"""
    user = optional_user(request, state)
    if user is None:
        return RedirectResponse(_LOGIN, status_code=303)
    page = maps.upstream_map(state.snapshot(), user.visibility, node_id, depth=depth)
    return _page(request, state, user, page)


@router.get("/impact/{node_id}", response_class=HTMLResponse)
def impact(request: Request, state: State, node_id: str) -> Response:
    """一家受阻配套企业影响的全部下游，及其复产后的可用度。"""
    user = optional_user(request, state)
    if user is None:
        return RedirectResponse(_LOGIN, status_code=303)
    return _page(request, state, user, maps.impact_map(state.snapshot(), user.visibility, node_id))


@router.get("/scenario", response_class=HTMLResponse)
def scenario(
    request: Request,
    state: State,
    stop: Annotated[list[str] | None, Query(max_length=200)] = None,
    restore: Annotated[list[str] | None, Query(max_length=200)] = None,
    stop_region: Annotated[list[str] | None, Query(max_length=20)] = None,
    sub_buyer: Annotated[list[str] | None, Query(max_length=20)] = None,
    sub_material: Annotated[list[str] | None, Query(max_length=20)] = None,
    sub_from: Annotated[list[str] | None, Query(max_length=20)] = None,
    sub_to: Annotated[list[str] | None, Query(max_length=20)] = None,
) -> Response:
    """情景推演的差异图：可用度发生变化的企业和项目（前后对比）；可含替代供应（sub_* 四项一组）。"""
    user = optional_user(request, state)
    if user is None:
        return RedirectResponse(_LOGIN, status_code=303)
    columns = [sub_buyer or [], sub_material or [], sub_from or [], sub_to or []]
    if len({len(c) for c in columns}) > 1:
        raise ConfigError("替代供应的 sub_buyer、sub_material、sub_from、sub_to 应一一对应")
    moves = [{"buyer": b, "material": m, "from": f, "to": t} for b, m, f, t in zip(*columns, strict=True)]
    try:
        what = Scenario(
            stop=stop or [], restore=restore or [], stop_regions=stop_region or [], substitute=moves
        )
    except ValueError as error:
        raise ConfigError(f"情景参数有误：{error}") from None
    snap = state.snapshot()
    outcome = state.what_if(snap, user.visibility, what)  # 503 when busy, 504 when too slow
    return _page(request, state, user, maps.scenario_map(snap, user.visibility, what, outcome=outcome))
