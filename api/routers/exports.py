"""Downloads: the coordination and local lists, the ledger, the weekly report (xlsx, CSV, HTML).

What a download holds is the application's (:mod:`application.documents`, with the caller's
visibility); this router names the file and sends it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import CurrentUser, State, require
from api.routers.common import AsOf
from api.users import Permission, User
from application import documents, notices
from application.imports import TEMPLATE_NAME, template_workbook
from chain_graph.scorecard import parse_month, parse_quarter

__all__ = ["Format", "Reader", "router", "send_file"]

router = APIRouter(tags=["exports"])
Reader = Annotated[User, Depends(require(Permission.CITY_DOCUMENTS))]
Format = Annotated[Literal["xlsx", "csv"], Query(description="xlsx 或 csv")]
_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def send_file(content: bytes, filename: str, fmt: str) -> Response:
    """Send a download: its type by ``fmt``, named ``filename`` (UTF-8) for the browser."""
    # RFC 6266/5987: an ASCII fallback and the UTF-8 name for browsers that read it.
    disposition = f"attachment; filename=\"export.{fmt}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=_TYPES[fmt], headers={"Content-Disposition": disposition})


@router.get("/exports/coordination")
def export_coordination(
    state: State, user: Reader, fmt: Format = "xlsx", by_region: bool = False
) -> Response:
    """下载跨区域协调清单。"""
    name, content = documents.download(
        state,
        state.snapshot(),
        user.visibility,
        "coordination",
        fmt=fmt,
        today=dt.date.today(),
        by_region=by_region,
    )
    return send_file(content, name, fmt)


@router.get("/exports/local")
def export_local(state: State, user: CurrentUser, fmt: Format = "xlsx") -> Response:
    """下载本地配套企业督促复产清单（县市区账号只含本县市区）。"""
    name, content = documents.download(
        state, state.snapshot(), user.visibility, "local", fmt=fmt, today=dt.date.today()
    )
    return send_file(content, name, fmt)


@router.get("/exports/gaps")
def export_gaps(state: State, user: Reader, fmt: Format = "xlsx", as_of: AsOf = None) -> Response:
    """下载产业链补链清单（招商方向：本地配套比例低于阈值的物料）。可导出某日的状态。"""
    day = as_of or dt.date.today()
    snap = state.snapshot_at(as_of) if as_of else state.snapshot()
    name, content = documents.download(state, snap, user.visibility, "gaps", fmt=fmt, today=day)
    return send_file(content, name, fmt)


@router.get("/exports/ledger")
def export_ledger(state: State, user: CurrentUser, fmt: Format = "xlsx") -> Response:
    """下载问题台账（xlsx 含办理记录）。"""
    name, content = documents.download(
        state, state.snapshot(), user.visibility, "ledger", fmt=fmt, today=dt.date.today()
    )
    return send_file(content, name, fmt)


@router.get("/reports/notice")
def notice(
    state: State,
    user: Reader,
    period: Annotated[
        str, Query(max_length=10, description="月份如 2026-11（月调度），季度如 2026Q4（季督查）")
    ],
    fmt: Annotated[Literal["docx", "xlsx", "html"], Query()] = "docx",
) -> Response:
    """月调度、季督查通报（Word 公文、xlsx 或可打印的 HTML）：各县市区记分卡和全市突出问题。"""
    text = period.strip().upper()
    chosen = parse_quarter(text) if "Q" in text else parse_month(text)
    name, content = notices.notice_file(
        state, state.snapshot(), period=chosen, fmt=fmt, today=dt.date.today()
    )
    if fmt == "html":
        return Response(content, media_type=_TYPES["html"])
    return send_file(content, name, fmt)


@router.get("/reports/weekly")
def weekly(
    state: State,
    user: CurrentUser,
    start: Annotated[dt.date | None, Query(description="报告期开始日（默认 7 天前）")] = None,
    end: Annotated[dt.date | None, Query(description="报告期结束日（默认今天）")] = None,
    fmt: Annotated[Literal["xlsx", "html", "docx"], Query()] = "html",
    target: Annotated[float | None, Query(gt=0, le=1, description="产能恢复目标（默认取设置）")] = None,
) -> Response:
    """周报（HTML 可直接打印，或 xlsx）；县市区账号得到本县市区的周报。"""
    name, content = documents.report_file(
        state,
        state.snapshot(),
        user.visibility,
        start=start,
        end=end,
        today=dt.date.today(),
        target=target,
        fmt=fmt,
    )
    if fmt == "html":
        return Response(content, media_type=_TYPES["html"])
    return send_file(content, name, fmt)


@router.get("/exports/template")
def export_template(user: CurrentUser) -> Response:
    """下载空白台账模板（每张表一个工作表，附填写说明）。"""
    return send_file(template_workbook(), TEMPLATE_NAME, "xlsx")
