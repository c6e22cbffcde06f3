"""Chain maps as console pages (same login): city, upstream, impact, a scenario's difference.

Pages are rendered once per data version and view (vis-network served from ``/static/vis``);
a county user's city map shows its county, and another county's node answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import networkx as nx
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import State, optional_user
from api.state import Snapshot
from api.users import Role, User
from chain_graph.errors import ConfigError, NotFoundError
from chain_graph.scenarios import Scenario, apply_scenario
from viz.render import render_map
from viz.views import city_view, impact_view, scenario_view, upstream_view

__all__ = ["router"]

router = APIRouter(prefix="/maps", tags=["maps"])


def _page(snap: Snapshot, key: tuple[object, ...], build: Callable[[], str]) -> Response:
    body = snap.pages.get(key)
    if body is None:
        body = build().encode("utf-8")
        snap.pages[key] = body
    return HTMLResponse(body)


def _visible(snap: Snapshot, user: User, node_id: str) -> None:
    code = snap.adcode_of.get(node_id)
    if code is None or not user.sees_county(code):
        raise NotFoundError(f"没有编号为 {node_id} 的企业或项目")


@router.get("/city", response_class=HTMLResponse)
def city(
    request: Request,
    state: State,
    chain: Annotated[str | None, Query(max_length=50)] = None,
    county: Annotated[str | None, Query(max_length=6)] = None,
) -> Response:
    """全市产业链图（可按产业链、县市区筛选）。"""
    user = optional_user(request, state)
    if user is None:
        return RedirectResponse("/console/login", status_code=303)
    if user.role == Role.COUNTY:
        county = user.county
    snap = state.snapshot()
    title = "产业链图" + (f"：{chain}" if chain else "") + (f"（{county}）" if county else "")
    return _page(
        snap,
        ("map-city", chain, county),
        lambda: (
            render_map(
                city_view(
                    snap.facts, chain=chain, county=county, aggregate_limit=state.settings.map_aggregate_limit
                ),
                title=title,
                assets="served",
                physics_limit=state.settings.map_physics_limit,
                aggregate_limit=state.settings.map_aggregate_limit,
            ).html
        ),
    )


def _node_map(
    request: Request,
    state: State,
    node_id: str,
    key: tuple[object, ...],
    build: Callable[[Snapshot, str], tuple[nx.DiGraph, str]],
) -> Response:
    """Answer a map about one node: login, visibility (404 for another county's node), cache."""
    user = optional_user(request, state)
    if user is None:
        return RedirectResponse("/console/login", status_code=303)
    snap = state.snapshot()
    _visible(snap, user, node_id)

    def page() -> str:
        view, title = build(snap, snap.name_of.get(node_id, node_id))
        return render_map(
            view,
            title=title,
            assets="served",
            physics_limit=state.settings.map_physics_limit,
            aggregate_limit=state.settings.map_aggregate_limit,
        ).html

    return _page(snap, key, page)


@router.get("/upstream/{node_id}", response_class=HTMLResponse)
def upstream(
    request: Request, state: State, node_id: str, depth: Annotated[int, Query(ge=1, le=10)] = 3
) -> Response:
    """一家企业或项目的上游配套（逐层）。"""
    return _node_map(
        request,
        state,
        node_id,
        ("map-upstream", node_id, depth),
        lambda snap, name: (
            upstream_view(snap.facts, node_id, depth=depth),
            f"{name}：上游配套（{depth} 层）",
        ),
    )


@router.get("/impact/{node_id}", response_class=HTMLResponse)
def impact(request: Request, state: State, node_id: str) -> Response:
    """一家受阻配套企业影响的全部下游，及其复产后的可用度。"""
    return _node_map(
        request,
        state,
        node_id,
        ("map-impact", node_id),
        lambda snap, name: (impact_view(snap.facts, node_id), f"{name}：影响范围（复产前后可用度）"),
    )


@router.get("/scenario", response_class=HTMLResponse)
def scenario(
    request: Request,
    state: State,
    stop: Annotated[list[str] | None, Query(max_length=200)] = None,
    restore: Annotated[list[str] | None, Query(max_length=200)] = None,
    stop_region: Annotated[list[str] | None, Query(max_length=20)] = None,
) -> Response:
    """情景推演的差异图：可用度发生变化的企业和项目（前后对比）。"""
    user = optional_user(request, state)
    if user is None:
        return RedirectResponse("/console/login", status_code=303)
    snap = state.snapshot()
    try:
        what = Scenario(stop=stop or [], restore=restore or [], stop_regions=stop_region or [])
    except ValueError as error:
        raise ConfigError(f"情景参数有误：{error}") from None
    for node in [*what.stop, *what.restore]:
        _visible(snap, user, node)
    after = apply_scenario(snap.analysis.graph, what).base_availability
    view = scenario_view(snap.facts, after, changed=[*what.stop, *what.restore])
    if user.role == Role.COUNTY:
        view = view.subgraph([n for n, d in view.nodes(data=True) if d["adcode"] == user.county]).copy()
    return HTMLResponse(
        render_map(
            view,
            title="情景推演：可用度变化",
            assets="served",
            physics_limit=state.settings.map_physics_limit,
            aggregate_limit=state.settings.map_aggregate_limit,
            note="悬停查看每个节点情景前后的可用度。",
        ).html
    )
