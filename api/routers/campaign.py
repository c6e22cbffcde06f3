"""The campaign over HTTP: series per round, who has reported, county ranks, targets.

What each caller sees is the application's (:mod:`application.campaign`): a county gets the
city's headline line and its own rows, never another county's.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import CurrentUser, State
from application import campaign
from chain_graph.records import plain_records

__all__ = ["router"]

router = APIRouter(prefix="/campaign", tags=["campaign"])
Day = Annotated[dt.date | None, Query(description="截至日期（默认今天）")]
Count = Annotated[int, Query(ge=1, le=104, description="轮次数（默认 12 周）")]


@router.get("/series")
def series(
    state: State,
    user: CurrentUser,
    group: Annotated[campaign.Group, Query(description="city、county 或 chain")] = "city",
    end: Day = None,
    rounds: Count = campaign.ROUNDS_SHOWN,
) -> dict[str, Any]:
    """各轮次的产能恢复率、可用度、达标企业、受阻企业、影响产值投资、项目开复工与时序进度。"""
    snap = state.snapshot()
    ends = campaign.rounds(state.settings, end=end or dt.date.today(), count=rounds)
    table = campaign.series(snap, user.visibility, state.reports(), ends=ends, group=group)
    return {"rounds": ends, "data": plain_records(table)}


@router.get("/compliance")
def compliance(state: State, user: CurrentUser, end: Day = None) -> dict[str, Any]:
    """最近一轮（或截至某日的一轮）各县市区应报、已报、报送率和未按时报送的企业项目。"""
    snap = state.snapshot()
    ends = campaign.rounds(state.settings, end=end or dt.date.today(), count=1)
    if not ends:
        return {"round": None, "data": []}
    table = campaign.compliance(snap, user.visibility, state.reports(), end=ends[-1])
    return {"round": ends[-1], "data": plain_records(table)}


@router.get("/ranking")
def ranking(state: State, user: CurrentUser, end: Day = None, rounds: Count = 2) -> dict[str, Any]:
    """各县市区按产能恢复率排名及名次变化（县市区账号只看本县市区的名次）。"""
    ends = campaign.rounds(state.settings, end=end or dt.date.today(), count=rounds)
    table, counties = campaign.ranking(state.snapshot(), user.visibility, state.reports(), ends=ends)
    return {"rounds": ends, "counties": counties, "data": plain_records(table)}


@router.get("/targets")
def targets(
    state: State, user: CurrentUser, end: Day = None, rounds: Count = campaign.ROUNDS_SHOWN
) -> dict[str, Any]:
    """目标及每轮的实际值和状态（达成、进度正常、落后、未完成）。"""
    snap = state.snapshot()
    ends = campaign.rounds(state.settings, end=end or dt.date.today(), count=rounds)
    return {"data": campaign.targets(snap, user.visibility, state.reports(), ends=ends)}
