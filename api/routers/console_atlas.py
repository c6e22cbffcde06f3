"""The console's 产业链图谱 pages: the chain atlas, and the firms behind one of its cells.

What a caller sees is the application's (:mod:`application.atlas`): the whole city's
atlas, or a county's own entities and their direct partners. Gap cells (缺链) are drawn
for the readers of the city's gap list (补链清单) only, as on the 本地配套与补链 page. The
atlas can show any earlier day.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from api.deps import State
from api.routers.pages import PAGE, login_first, page_user, refuse, render, snapshot_of_day
from api.users import Permission
from application import atlas
from chain_graph.atlas import TIERS
from chain_graph.errors import NotFoundError
from chain_graph.records import plain_records
from viz.atlas import ATLAS_CSS, atlas_fragment

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)


def _day_query(day: dt.date) -> dict[str, str]:
    return {"as_of": day.isoformat()} if day != dt.date.today() else {}


@router.get("/atlas")
def atlas_page(request: Request, state: State, chain: str = "", as_of: str = "") -> Response:
    """产业链图谱：每条产业链的上游、中游、下游环节，各环节的企业数、所在地、受阻和缺链。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    found = snapshot_of_day(request, state, user, as_of)
    if isinstance(found, Response):
        return found
    snap, day = found
    vis = user.visibility
    try:
        shown = atlas.chain_atlas(snap, vis, chain=chain or None)
    except NotFoundError as error:
        return refuse(request, state, user, error.message, status_code=404, title="未找到")
    every = atlas.chain_atlas(snap, vis).chains
    extra = _day_query(day)
    show_gaps = user.may(Permission.CITY_DOCUMENTS)

    def cell_url(c: str, t: str, s: str) -> str:
        return "/console/atlas/cell?" + urlencode({"chain": c, "tier": t, "segment": s, **extra})

    def chain_url(c: str) -> str:
        return "/console/atlas?" + urlencode({"chain": c, **extra})

    def draw() -> Markup:
        return atlas_fragment(
            plain_records(shown.cells),
            chains=shown.chains,
            tiers=TIERS,
            cell_url=cell_url,
            show_gaps=show_gaps,
            more_url=None if chain else chain_url,  # the whole atlas links a long tier's rest
        )

    # Drawn once per data version, day, visibility and chain: a province's atlas has thousands of cells.
    fragment = snap.memo(("atlas-html", vis.key, chain, show_gaps), draw)
    return render(
        request,
        state,
        user,
        "atlas.html",
        "产业链图谱",
        atlas_html=fragment,
        atlas_css=ATLAS_CSS,
        chains=every,
        chain=chain,
        day=day,
        today=dt.date.today(),
    )


@router.get("/atlas/cell")
def atlas_cell_page(
    request: Request,
    state: State,
    chain: str = "",
    tier: str = "",
    segment: str = "",
    as_of: str = "",
    offset: int = 0,
) -> Response:
    """产业链图谱的一个环节：该环节的企业（所在地、状态、是否受阻；分页）。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    found = snapshot_of_day(request, state, user, as_of)
    if isinstance(found, Response):
        return found
    snap, day = found
    offset = max(offset, 0)
    try:
        cell = atlas.cell_firms(snap, user.visibility, chain=chain, tier=tier, segment=segment)
    except NotFoundError as error:
        return refuse(request, state, user, error.message, status_code=404, title="未找到")
    back = "/console/atlas?" + urlencode({"chain": chain, **_day_query(day)})
    return render(
        request,
        state,
        user,
        "atlas_cell.html",
        f"{chain}·{tier}·{cell['cell']['name']}",
        cell=cell["cell"],
        firms=cell["firms"][offset : offset + PAGE],
        count=len(cell["firms"]),
        offset=offset,
        limit=PAGE,
        query=urlencode({"chain": chain, "tier": tier, "segment": segment, **_day_query(day)}),
        show_gaps=user.may(Permission.CITY_DOCUMENTS),
        back=back,
        day=day,
        today=dt.date.today(),
    )
