"""Downloads: the coordination and local lists, the ledger, the weekly report (xlsx, CSV, HTML)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import CurrentUser, State, require
from api.routers.ledger import visible
from api.users import Role, User
from chain_graph.problem_ledger import ProblemLedger
from chain_graph.report import report_period, weekly_report
from exports.lists import coordination_sheets, ledger_sheets, local_sheets
from exports.report import render_html, write_report_xlsx
from exports.workbook import Sheet, write_csv, write_xlsx

__all__ = ["router"]

router = APIRouter(tags=["exports"])
Reader = Annotated[User, Depends(require(Role.ADMIN, Role.PROVINCE, Role.VIEWER))]
Format = Annotated[Literal["xlsx", "csv"], Query(description="xlsx 或 csv")]
_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


def _download(name: str, fmt: str, sheets: list[Sheet]) -> Response:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"export.{fmt}"
        (write_xlsx if fmt == "xlsx" else write_csv)(path, sheets)
        return _file(path.read_bytes(), f"{name}.{fmt}", fmt)


def _file(content: bytes, filename: str, fmt: str) -> Response:
    # RFC 6266/5987: an ASCII fallback and the UTF-8 name for browsers that read it.
    disposition = f"attachment; filename=\"export.{fmt}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=_TYPES[fmt], headers={"Content-Disposition": disposition})


@router.get("/exports/coordination")
def export_coordination(
    state: State, user: Reader, fmt: Format = "xlsx", by_region: bool = False
) -> Response:
    """下载跨区域协调清单。"""
    snap = state.snapshot()
    today = dt.date.today()
    sheets = coordination_sheets(
        snap.analysis, snap.ledgers, as_of=today, by_region=by_region and fmt == "xlsx"
    )
    return _download(f"跨区域协调清单{today:%Y%m%d}", fmt, sheets)


@router.get("/exports/local")
def export_local(state: State, user: CurrentUser, fmt: Format = "xlsx") -> Response:
    """下载本地配套企业督促复产清单（县市区账号只含本县市区）。"""
    snap = state.snapshot()
    today = dt.date.today()
    county = user.county if user.role == Role.COUNTY else None
    sheets = local_sheets(snap.analysis, snap.ledgers, as_of=today, county=county)
    return _download(f"本地配套企业督促复产清单{today:%Y%m%d}", fmt, sheets)


@router.get("/exports/ledger")
def export_ledger(state: State, user: CurrentUser, fmt: Format = "xlsx") -> Response:
    """下载问题台账（xlsx 含办理记录）。"""
    snap = state.snapshot()
    ledger = state.ledger()
    items = [i for i in ledger.items if visible(i, user, snap)]
    shown = {i.id for i in items}
    events = [e for e in ledger.events if e.item_id in shown]
    today = dt.date.today()
    sheets = ledger_sheets(items, events, snap.ledgers, today=today)
    return _download(f"问题台账{today:%Y%m%d}", fmt, sheets if fmt == "xlsx" else sheets[:1])


@router.get("/reports/weekly")
def weekly(
    state: State,
    user: Reader,
    start: Annotated[dt.date | None, Query(description="报告期开始日（默认 7 天前）")] = None,
    end: Annotated[dt.date | None, Query(description="报告期结束日（默认今天）")] = None,
    fmt: Annotated[Literal["xlsx", "html"], Query()] = "html",
    target: Annotated[float, Query(gt=0, le=1)] = 0.9,
) -> Response:
    """周报告（HTML 可直接打印，或 xlsx）。"""
    snap = state.snapshot()
    first, last = report_period(start, end, today=dt.date.today())
    ledger = state.ledger()
    items, events = ledger.items, ledger.events
    with state.store() as store:
        now = ProblemLedger(store).now()
    report = weekly_report(snap.analysis, items, events, start=first, end=last, target=target)
    name = f"周报告{first:%Y%m%d}-{last:%Y%m%d}"
    if fmt == "html":
        return Response(render_html(report, generated=now), media_type=_TYPES["html"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.xlsx"
        write_report_xlsx(path, report)
        return _file(path.read_bytes(), f"{name}.xlsx", "xlsx")
