"""The console's 本地配套与补链 page: local supply rates, the gap list and its chart.

What a caller sees is the application's (:mod:`application.supply`): the whole city's
figures, or a county's own; the gap list (the city's investment-attraction plan) only for
the users of the city's documents. The page can show any earlier day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from api.deps import State
from api.routers.pages import PAGE, login_first, page_user, render, snapshot_of_day
from api.users import Permission
from application import supply
from chain_graph.labels import SCOPE_LABELS, SHARE_BASIS_LABELS
from chain_graph.records import plain_records
from exports.supply import gap_rows
from viz.charts import Bar, bar_chart

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)

GAPS_SHOWN = 20
"""Gap-list rows the page shows (the workbook has them all)."""


@router.get("/supply")
def supply_page(request: Request, state: State, as_of: str = "") -> Response:
    """本地配套与补链：本地配套率（全市、产业链、县市区、企业）、补链清单和最大缺口。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    today = dt.date.today()
    found = snapshot_of_day(request, state, user, as_of)
    if isinstance(found, Response):
        return found
    snap, day = found
    vis = user.visibility
    figures = supply.local_supply(snap, vis)
    enterprises = supply.local_enterprises(snap, vis)
    context: dict[str, Any] = {
        "area": figures["area"],
        "headline": figures["headline"],
        "chains": figures["chains"],
        "counties": figures["counties"],
        "enterprises": plain_records(enterprises.iloc[:PAGE]),
        "enterprise_count": len(enterprises),
        "gaps": None,
        "day": day,
        "today": today,
        "threshold": snap.settings.local_gap_threshold,
        "scope_labels": SCOPE_LABELS,
        "basis_labels": SHARE_BASIS_LABELS,
    }
    if user.may(Permission.CITY_DOCUMENTS):
        gaps = supply.gap_list(snap)
        context |= {
            "gaps": plain_records(gap_rows(gaps.iloc[:GAPS_SHOWN])),
            "gap_count": len(gaps),
            "gap_chart": _gap_chart(supply.gap_chart(snap)),
            "export_url": "/exports/gaps?fmt=xlsx" + (f"&as_of={day}" if day != today else ""),
        }
    return render(request, state, user, "supply.html", "本地配套与补链", **context)


_CHAIN_COLORS = (
    "#b2182b",
    "#2166ac",
    "#1a9850",
    "#762a83",
    "#e08214",
    "#4d4d4d",
    "#8c510a",
    "#01665e",
    "#c51b7d",
    "#5e3c99",
)
"""One colour per chain, in turn (the bars of a chain are together)."""


def _gap_chart(rows: list[dict[str, Any]]) -> Markup:
    """Draw the largest gaps of each chain, by purchase value from outside the city (万元)."""
    colors: dict[str, str] = {}
    for r in rows:
        colors.setdefault(r["chain"], _CHAIN_COLORS[len(colors) % len(_CHAIN_COLORS)])
    bars = [
        Bar(f"{r['chain']}：{r['material']}", r["value"], f"{r['value']:,.0f} 万元", color=colors[r["chain"]])
        for r in rows
    ]
    return bar_chart(
        bars,
        title="各产业链最大缺口（市外采购额，万元）",
        color="#b2182b",
        label_width=220,
        empty="补链清单中的物料都没有采购额",
    )
