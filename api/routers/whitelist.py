"""The 重点产业链供应链企业白名单推荐表: the city's nominations, as JSON and as a workbook.

What each caller sees is the application's (:mod:`application.whitelist`): a county its own
firms among the city's nominations; the workbook is the city's document, read by the users
of the city's documents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentUser, State
from api.routers.common import AsOf, Limit, Offset, cached_page_async, snapshot_for
from api.routers.exports import Format, Reader, send_file
from api.schemas import Page, WhitelistRow
from application import whitelist

__all__ = ["router"]

router = APIRouter(tags=["whitelist"])


@router.get("/coordination/whitelist", response_model=Page[WhitelistRow])
async def nominations(
    state: State, user: CurrentUser, limit: Limit = 100, offset: Offset = 0, as_of: AsOf = None
) -> Any:
    """重点产业链供应链企业白名单推荐：按风险敞口、唯一供应的重点企业/项目数、市外客户数排序的本市配套企业。

    县市区账号只看到本县市区的企业（序号为其在全市推荐表中的位置）。可查某日的状态。
    """
    snap = await snapshot_for(state, as_of)
    vis = user.visibility
    return await cached_page_async(
        snap, vis, ("whitelist",), lambda: whitelist.nominations(snap, vis), limit, offset
    )


@router.get("/exports/whitelist")
async def export_whitelist(state: State, user: Reader, fmt: Format = "xlsx", as_of: AsOf = None) -> Response:
    """下载重点产业链供应链企业白名单推荐表（xlsx 或 csv）。可导出某日的状态。"""
    snap = await snapshot_for(state, as_of)
    day = as_of or dt.date.today()
    name, content = await run_in_threadpool(whitelist.download, snap, user.visibility, fmt=fmt, today=day)
    return send_file(content, name, fmt)
