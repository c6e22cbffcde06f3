"""Coordination between governments over HTTP: requests (协调事项), letters (商请函/复函), moves.

Who sees which request is the application's rule (a county: those about its buyers, or its
suppliers when another city asks; anything else answers 404); who may act on it is the
application's too (:class:`application.coordination.Actor`): the city sends and closes,
the province acknowledges and answers the requests addressed to its province (403 for the
others), the city answers what other cities ask of it.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, UploadFile, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentUser, State, require
from api.routers.common import Limit, Offset, cached_json
from api.routers.imports import save_uploads
from api.users import COORDINATION_MOVES, Permission, User
from application import coordination
from chain_graph.coordination import Move, Outcome, RequestState

__all__ = ["router"]

router = APIRouter(prefix="/coordination", tags=["coordination"])
City = Annotated[User, Depends(require(Permission.COORDINATE))]

_DOCUMENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class MoveBody(BaseModel):
    """A move on a request; ``version`` is the one the user saw (optimistic check)."""

    model_config = ConfigDict(extra="forbid")

    move: Literal["acknowledge", "answer", "close", "note"]
    version: int = Field(ge=1, le=1_000_000_000)
    note: str = Field(default="", max_length=2000)
    outcome: Outcome | None = None
    close_items: bool = Field(
        default=True, description="办结时同时销号所关联的问题台账事项（以反馈情况为办结情况）。"
    )


def _today() -> dt.date:
    return dt.date.today()


@router.get("/requests")
def list_requests(
    state: State,
    user: CurrentUser,
    limit: Limit = 100,
    offset: Offset = 0,
    state_: Annotated[RequestState | None, Query(alias="state")] = None,
    direction: Annotated[Literal["outgoing", "incoming"] | None, Query()] = None,
    overdue: bool = False,
) -> dict[str, Any]:
    """协调事项（报省协调的和外地来函的），按影响产值排序；含办理时限（工作日）与逾期标记。"""
    snap, today = state.snapshot(), _today()
    actor = user.actor(home_adcode=state.settings.home_adcode)
    found = coordination.requests(
        state, snap, user.visibility, today=today, state=state_, direction=direction, overdue=overdue
    )
    shown = found[offset : offset + limit]
    return {
        "data": [coordination.public(r, state, today=today, actor=actor) for r in shown],
        "count": len(found),
    }


@router.get("/summary")
def summary(state: State, user: CurrentUser) -> dict[str, Any]:
    """协调事项按状态计数、逾期数。"""
    return coordination.summary(state, state.snapshot(), user.visibility, today=_today())


@router.get("/requests/{request_id}")
def get_request(request_id: str, state: State, user: CurrentUser) -> dict[str, Any]:
    """一个协调事项，及其全部办理记录（只增不改）。"""
    snap = state.snapshot()
    found = coordination.request(state, snap, user.visibility, request_id)
    actor = user.actor(home_adcode=state.settings.home_adcode)
    events = coordination.history(state, snap, user.visibility, request_id)
    return coordination.public(found, state, today=_today(), actor=actor) | {
        "history": [e.model_dump(mode="json") for e in events]
    }


@router.post("/requests/{request_id}/moves")
def move(request_id: str, body: MoveBody, state: State, user: CurrentUser) -> dict[str, Any]:
    """办理：受理、反馈（省级）；办结（市级，可同时销号关联台账事项）；备注。版本不符时返回 409。"""
    if not user.may(COORDINATION_MOVES[body.move]):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "当前账号无权进行此操作")
    snap = state.snapshot()
    actor = user.actor(home_adcode=state.settings.home_adcode)
    closed: list[str] = []
    if body.move == "close":
        done = coordination.close(
            state,
            snap,
            user.visibility,
            actor,
            request_id,
            close_items=body.close_items,
            note=body.note,
            expected_version=body.version,
        )
        new, closed = done.request, done.items_closed
    else:
        new = coordination.act(
            state,
            snap,
            user.visibility,
            actor,
            request_id,
            move=Move(body.move),
            note=body.note,
            outcome=body.outcome,
            expected_version=body.version,
        )
    return coordination.public(new, state, today=_today(), actor=actor) | {"items_closed": closed}


@router.post("/register")
def register(state: State, user: City) -> dict[str, Any]:
    """登记：为跨区域协调清单上尚无在办事项的受阻配套企业各登记一个协调事项（重复分析不会重复登记）。"""
    return {"registered": coordination.register_from_analysis(state, state.snapshot(), by=user.name)}


@router.get("/letters")
def list_letters(state: State, user: CurrentUser) -> list[dict[str, Any]]:
    """函件（商请函、复函），新的在前。"""
    return [x.model_dump(mode="json") for x in coordination.letters(state, state.snapshot(), user.visibility)]


@router.post("/letters", status_code=status.HTTP_201_CREATED)
def issue_letters(state: State, user: City) -> list[dict[str, Any]]:
    """生成商请函：先登记未登记的协调事项，再把待报送事项按主送单位（省内 / 跨省）编入新函件并编号。"""
    return [
        x.model_dump(mode="json") for x in coordination.issue_letters(state, state.snapshot(), by=user.name)
    ]


@router.get("/letters/{number}")
def get_letter(number: str, state: State, user: CurrentUser) -> Response:
    """一份函件及其协调事项。"""
    snap, today = state.snapshot(), _today()
    found = coordination.letter(state, snap, user.visibility, number)
    actor = user.actor(home_adcode=state.settings.home_adcode)

    def build() -> dict[str, Any]:
        shown = coordination.letter_requests(state, snap, user.visibility, found)
        return found.model_dump(mode="json") | {
            "requests": [coordination.public(r, state, today=today, actor=actor) for r in shown]
        }

    # Serialised once per coordination version, day and side: a letter lists up to thousands of requests.
    version = state.coordination_records().version
    key = ("letter", number, version, today, actor.side, actor.province)
    return cached_json(snap, user.visibility, key, build)


@router.post("/letters/{number}/send")
def send_letter(number: str, state: State, user: City) -> dict[str, Any]:
    """报送：函件中待报送的协调事项转为已报送，开始计算受理、反馈时限。"""
    actor = user.actor(home_adcode=state.settings.home_adcode)
    sent = coordination.send_letter(state, state.snapshot(), actor, number)
    return {"sent": [r.id for r in sent]}


@router.get("/letters/{number}/document")
def letter_document(
    number: str, state: State, user: CurrentUser, fmt: Literal["docx", "xlsx"] = "docx"
) -> Response:
    """下载函件：Word（.docx，公文格式，附协调事项清单）或 Excel（.xlsx）。"""
    from urllib.parse import quote

    snap = state.snapshot()
    filename, content = coordination.letter_document(state, snap, user.visibility, number, fmt=fmt)

    return Response(
        content,
        media_type=_DOCUMENT_TYPES[fmt],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@router.post("/incoming")
def incoming(
    state: State,
    user: City,
    file: Annotated[UploadFile, File(description="外地城市导出的跨区域协调清单（.xlsx）")],
    source: Annotated[str, Form(min_length=1, max_length=50, description="来函城市，如 长沙市")],
) -> dict[str, Any]:
    """导入外地来函：其跨区域协调清单中本市配套企业的事项，按属地转为问题台账事项并登记为来函事项。"""
    from ingest.coordination import read_coordination_workbook

    snap = state.snapshot()
    with tempfile.TemporaryDirectory() as directory:
        target = Path(directory)
        save_uploads([file], target, int(state.settings.upload_limit_mb * 1024 * 1024))
        path = next(target.iterdir())
        rows = read_coordination_workbook(path, source=source)
    done = coordination.import_incoming(state, snap, rows, source=source, by=user.name)
    return {
        "requests": done.requests,
        "items": done.items,
        "skipped": done.skipped,
        "unmatched": [{"supplier": n, "reason": r} for n, r in done.unmatched],
    }


@router.post("/replies", status_code=status.HTTP_201_CREATED)
def replies(state: State, user: City) -> list[dict[str, Any]]:
    """生成复函：对已反馈的外地来函事项，按来函城市各出一份复函。"""
    return [x.model_dump(mode="json") for x in coordination.issue_replies(state, by=user.name)]
