"""Local supply (本地配套率), the gap list (补链清单) and substitute suppliers (替代供应商).

What each caller sees is the application's (:mod:`application.supply`); the gap list is the
city's investment-attraction plan, read by the users of the city's documents.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentUser, State, require
from api.routers.common import AsOf, Limit, Offset, cached_json, cached_page_async, page, snapshot_for
from api.schemas import GapPublic, Page
from api.users import Permission, User
from application import supply

__all__ = ["router"]

router = APIRouter(tags=["local supply"])


@router.get("/supply/local")
async def local_supply(
    state: State,
    user: CurrentUser,
    limit: Limit = 100,
    offset: Offset = 0,
    chain: Annotated[str | None, Query(max_length=50)] = None,
    county: Annotated[str | None, Query(max_length=6)] = None,
    as_of: AsOf = None,
) -> Response:
    """本地配套率（按采购额、按采购方-物料组）：全市、各产业链、各县市区，及各企业（分页）。

    县市区账号得到本县市区的数字和本县市区的企业。可查某日的状态。
    """
    snap = await snapshot_for(state, as_of)
    vis = user.visibility

    def build() -> dict[str, Any]:
        rows = supply.local_enterprises(snap, vis, chain=chain, county=county)
        return supply.local_supply(snap, vis) | {"enterprises": page(rows, limit, offset)}

    key = ("supply-local", chain, county, limit, offset)
    return await run_in_threadpool(cached_json, snap, vis, key, build)


@router.get("/supply/gaps", response_model=Page[GapPublic])
async def gaps(
    state: State,
    user: Annotated[User, Depends(require(Permission.CITY_DOCUMENTS))],
    limit: Limit = 100,
    offset: Offset = 0,
    as_of: AsOf = None,
) -> Any:
    """补链清单：本地配套比例低于阈值的物料（招商方向），按市外采购额排序。可查某日的状态。"""
    snap = await snapshot_for(state, as_of)
    return await cached_page_async(
        snap, user.visibility, ("gaps",), lambda: supply.gap_list(snap), limit, offset
    )


@router.get("/analysis/blocked/{supplier_id}/substitutes")
def substitutes(state: State, user: CurrentUser, supplier_id: str, as_of: AsOf = None) -> dict[str, Any]:
    """受阻配套企业的替代供应商：每条供应关系的候选企业（按所在地、可挽回产值与投资排序）。

    县市区账号只可查询本县市区企业及其直接配套企业，只看到其可见的候选企业。可查某日的状态。
    """
    snap = state.snapshot_at(as_of) if as_of else state.snapshot()
    return supply.substitutes(snap, user.visibility, supplier_id)
