"""Status reports (状态填报) over HTTP: upload report files, list what was recorded.

A county records and reads reports of its own firms and projects only: a row about another
county's entity is refused as an unknown id, a list asked for one answers 404 (the
application's rule, :mod:`application.reports`). Nothing is recorded when an upload has a
problem; the answer lists every issue, located.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile, status
from fastapi.responses import JSONResponse

from api.deps import CurrentUser, State, require
from api.routers.common import Limit, Offset
from api.routers.imports import UPLOAD_FOLDER, save_uploads
from api.schemas import ImportIssue, Page, ReportImportResult, ReportPublic
from api.users import Permission, User
from application import reports

__all__ = ["router"]

router = APIRouter(prefix="/reports", tags=["reports"])
Reporter = Annotated[User, Depends(require(Permission.REPORT))]


@router.post("", response_model=ReportImportResult)
def upload(
    state: State,
    user: Reporter,
    files: Annotated[list[UploadFile], File(description="填报文件：工作簿（复产填报工作表）或 CSV，可多个")],
) -> Any:
    """上传状态填报并记录（与命令行 reports import 相同的校验）。有问题时不写入，返回逐条问题。"""
    limit = int(state.settings.upload_limit_mb * 2**20)
    now = dt.datetime.now()
    with tempfile.TemporaryDirectory() as tmp:
        uploaded = Path(tmp) / UPLOAD_FOLDER
        uploaded.mkdir()
        save_uploads(files, uploaded, limit)
        outcome = reports.import_reports(
            state,
            state.snapshot(),
            user.visibility,
            sorted(uploaded.iterdir()),
            by=user.name,
            today=now.date(),
            at=now,
        )
    result = ReportImportResult(
        written=outcome.written,
        appended=outcome.appended,
        issues=[
            ImportIssue(
                code=i.code.value,
                message=i.message,
                file=i.file,
                sheet=i.sheet,
                row=i.row,
                column=i.column,
                value=i.value,
            )
            for i in outcome.validation.issues
        ],
    )
    code = status.HTTP_200_OK if outcome.validation.ok else status.HTTP_422_UNPROCESSABLE_CONTENT
    return JSONResponse(result.model_dump(), status_code=code)


@router.get("", response_model=Page[ReportPublic])
def list_reports(
    state: State,
    user: CurrentUser,
    limit: Limit = 100,
    offset: Offset = 0,
    node_id: Annotated[str | None, Query(alias="id", max_length=64, description="企业或项目编号")] = None,
    since: Annotated[dt.date | None, Query(description="填报日期不早于")] = None,
    until: Annotated[dt.date | None, Query(description="填报日期不晚于")] = None,
) -> dict[str, Any]:
    """已记录的状态填报（按记录先后；更正是后一条，被更正的仍在其中）。"""
    found = reports.recorded(
        state, state.snapshot(), user.visibility, node_id=node_id, since=since, until=until
    )
    return {"data": reports.public(found.iloc[offset : offset + limit]), "count": len(found)}
