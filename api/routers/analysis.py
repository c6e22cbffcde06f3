"""The analysis: headline figures, blocked suppliers, the two lists and what-if scenarios.

Computed once per data version (:meth:`Workspace.snapshot`), never in the event loop: the
hot lists are ``async`` and answer from serialised pages (keyed by the caller's visibility),
handing any computation to a worker thread; the other endpoints are plain ``def``
(FastAPI's thread pool).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.deps import CurrentUser, State, require
from api.routers.common import AsOf, Limit, Offset, cached_json, cached_page_async, snapshot_for
from api.schemas import BlockedPublic, Page, RequestRow
from api.users import Permission, User
from application import queries
from chain_graph.scenarios import Scenario

__all__ = ["router"]

router = APIRouter(tags=["analysis"])


@router.get("/analysis/summary")
async def summary(state: State, user: CurrentUser, as_of: AsOf = None) -> Any:
    """全市概况：企业、项目、受阻配套企业和影响产值/投资（万元），以及各产业链。可查某日的状态。"""
    snap = await snapshot_for(state, as_of)
    return cached_json(snap, user.visibility, ("summary",), lambda: queries.summary(snap))


@router.get("/analysis/blocked", response_model=Page[BlockedPublic])
async def blocked(
    state: State,
    user: CurrentUser,
    limit: Limit = 100,
    offset: Offset = 0,
    scope: Annotated[str | None, Query(pattern="^(local|in_province|out_of_province|unknown)$")] = None,
    county: Annotated[str | None, Query(max_length=6)] = None,
    as_of: AsOf = None,
) -> Any:
    """受阻配套企业（按排序），含属地/跨区域路由。县市区账号只看本县市区的。可查某日的状态。"""
    snap = await snapshot_for(state, as_of)
    vis = user.visibility
    return await cached_page_async(
        snap,
        vis,
        ("blocked", scope, county),
        lambda: queries.blocked(snap, vis, scope=scope, county=county),
        limit,
        offset,
    )


@router.get("/coordination", response_model=Page[RequestRow])
async def coordination(
    state: State,
    user: Annotated[User, Depends(require(Permission.CITY_DOCUMENTS))],
    limit: Limit = 100,
    offset: Offset = 0,
    target: Annotated[str | None, Query(max_length=30, description="目标省/市")] = None,
    as_of: AsOf = None,
) -> Any:
    """跨区域协调清单：每行一个（受阻配套企业, 直接采购方, 配套产品）。可查某日的状态。"""
    snap = await snapshot_for(state, as_of)
    vis = user.visibility
    return await cached_page_async(
        snap,
        vis,
        ("coordination", target),
        lambda: queries.coordination(snap, vis, target=target),
        limit,
        offset,
    )


@router.get("/local", response_model=Page[RequestRow])
async def local(
    state: State,
    user: CurrentUser,
    limit: Limit = 100,
    offset: Offset = 0,
    county: Annotated[str | None, Query(max_length=6)] = None,
    as_of: AsOf = None,
) -> Any:
    """本地配套企业督促复产清单。县市区账号只看本县市区的。可查某日的状态。"""
    snap = await snapshot_for(state, as_of)
    vis = user.visibility
    return await cached_page_async(
        snap,
        vis,
        ("local", county),
        lambda: queries.local(snap, vis, county=county).drop(columns=["supplier_adcode"]),
        limit,
        offset,
    )


@router.post("/analysis/scenarios")
def scenario(body: Scenario, state: State, user: CurrentUser) -> dict[str, Any]:
    """情景推演：停产/复产/设定产能/停某地区，返回与当前状态的差异。有时限（设置 scenario_timeout_s）。"""
    return state.what_if(state.snapshot(), user.visibility, body)  # 503 when busy, 504 when too slow
