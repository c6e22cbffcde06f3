"""Imports over HTTP: upload a workbook or CSVs, get the same validation report as the CLI.

Nothing is written when the upload has a problem (unless ``keep_valid``); the rejects file
(CSV with BOM) can be downloaded for 24 hours. Uploads are bounded by the ``upload_limit_mb``
setting, counted while reading, so an oversized upload is refused without filling the disk.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import tempfile
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, UploadFile, status
from fastapi.responses import FileResponse, JSONResponse

from api.deps import State, require
from api.schemas import ImportIssue, ImportResult, SkippedLinePublic
from api.state import AppState
from api.users import Permission, User
from application.imports import import_directory
from application.workspace import Snapshot
from chain_graph.errors import ChainGraphError, NotFoundError
from chain_graph.model import LedgerTables

__all__ = ["UPLOAD_FOLDER", "perform_import", "router", "save_uploads", "upload_name"]

router = APIRouter(prefix="/imports", tags=["imports"])
Admin = Annotated[User, Depends(require(Permission.IMPORT))]
UPLOAD_FOLDER = "上传的台账"
"""What an issue about the whole upload (a table missing) names as its file."""
_CHUNK = 1 << 20
_KEEP_SECONDS = 24 * 3600
_SAFE_NAME = re.compile(r"^[^/\\\x00]{1,120}\.(xlsx|xlsm|xls|ods|csv)$", re.IGNORECASE)


def upload_name(filename: str) -> str:
    r"""Return an uploaded file's name as it is saved and shown in the import report.

    The name the user's computer gave the file, less what a name must not carry: any folder
    part (some browsers send ``C:\…\name``), control and invisible format characters
    (a right-to-left override can make ``exe.csv`` read ``vsc.exe``), and surrounding spaces.
    The report shows it as text (templates escape it).

    Raises
    ------
    HTTPException
        422 when what is left is no ``.xlsx`` / ``.xls`` / ``.ods`` / ``.csv`` name of at most 120
        characters.

    Examples
    --------
    >>> upload_name("C:\\台账\\ 重点企业.csv "), upload_name("供应\u202e商.xlsx")
    ('重点企业.csv', '供应商.xlsx')
    """
    name = unicodedata.normalize("NFC", re.split(r"[/\\]", filename)[-1])
    name = "".join(c for c in name if unicodedata.category(c) not in {"Cc", "Cf"}).strip()
    if not _SAFE_NAME.match(name):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"文件名“{name[:60]}”不可用：只接受 .xlsx、.xls、.ods 或 .csv 文件（文件名不超过 120 个字符）",
        )
    return name


def save_uploads(files: list[UploadFile], target: Path, limit: int) -> None:
    """Save uploaded files under their :func:`upload_name` in ``target``, ``limit`` bytes in all.

    Raises
    ------
    HTTPException
        422 for two files of one name or a name refused, 413 past ``limit``.
    """
    total = 0
    saved: set[str] = set()
    for upload in files:
        name = upload_name(upload.filename or "")
        if name.casefold() in saved:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, f"上传了两个同名文件“{name}”：请只保留一个"
            )
        saved.add(name.casefold())
        with (target / name).open("wb") as out:
            while chunk := upload.file.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise HTTPException(
                        status.HTTP_413_CONTENT_TOO_LARGE, f"上传文件合计超过 {limit / 2**20:g} MB 上限"
                    )
                out.write(chunk)


def perform_import(
    state: AppState, files: list[UploadFile], *, keep_valid: bool, replace: bool
) -> ImportResult:
    """Save the uploaded files, import them (the CLI's use case), and report what happened."""
    limit = int(state.settings.upload_limit_mb * 2**20)
    directory = _rejects_dir(state)
    directory.mkdir(exist_ok=True)
    _expire(directory)
    ticket = uuid.uuid4().hex
    prepared: list[Snapshot] = []
    analysing: list[threading.Thread] = []

    def analyse_while_writing(tables: LedgerTables) -> None:
        # A replacing import leaves the store holding exactly these tables: analyse them
        # while the store writes, and nothing needs reading back afterwards.
        if replace:

            def work() -> None:
                prepared.append(state.prepare(tables))

            analysing.append(state.background(lambda: _quietly(work), name="analyse-import"))

    with tempfile.TemporaryDirectory() as tmp:
        # Issues about the upload as a whole name this folder: a word for the user, not a temp name.
        uploaded = Path(tmp) / UPLOAD_FOLDER
        uploaded.mkdir()
        save_uploads(files, uploaded, limit)
        with state.store() as store:
            outcome = import_directory(
                uploaded,
                store,
                settings=state.settings,
                keep_valid=keep_valid,
                replace=replace,
                rejects=directory / f"{ticket}.csv",
                before_write=analyse_while_writing,
            )
            written_version = store.data_version()  # the version these tables are, before any other write
    if outcome.written:
        expected = state.expect(written_version) if analysing else None
        state.refresh()

        def install() -> None:  # in the background: the answer does not wait for it
            try:
                for thread in analysing:
                    thread.join()
                if prepared:
                    state.install(prepared[0], version=written_version)
            finally:
                if expected is not None:
                    expected.set()  # installed, or failed: pages stop waiting either way
            if not prepared:  # an upsert merged the tables into the store: read it back, now
                state.snapshot()

        state.background(lambda: _quietly(install), name="install-import")
    report = outcome.report
    return ImportResult(
        written=outcome.written,
        rejected_rows=len(report.validation.rejected),
        counts_before=report.before,
        counts_after=report.after,
        rejects_url=f"/imports/{ticket}/rejects.csv" if outcome.rejects else None,
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
            for i in report.validation.issues
        ],
        skipped=[SkippedLinePublic(**dataclasses.asdict(line)) for line in report.validation.skipped],
    )


def _quietly(work: Callable[[], object]) -> None:
    """Run an optimisation that may fail (the service closing, the store gone).

    The next request then computes what it needs the ordinary way, and reports any error.
    """
    try:
        work()
    except (ChainGraphError, OSError, sqlite3.Error):
        return


def _rejects_dir(state: AppState) -> Path:
    return Path(state.settings.auth_db).resolve().parent / "chain_graph_rejects"


@router.post("", response_model=ImportResult)
def upload(
    state: State,
    user: Admin,
    files: Annotated[list[UploadFile], File(description="台账文件：一个工作簿或多个 CSV")],
    keep_valid: Annotated[bool, Form()] = False,
    replace: Annotated[bool, Form()] = False,
) -> Any:
    """上传台账并导入（与命令行 ingest 相同的校验）。有问题时不写入，返回逐条问题及剔除行文件。"""
    result = perform_import(state, files, keep_valid=keep_valid, replace=replace)
    code = status.HTTP_200_OK if result.written else status.HTTP_422_UNPROCESSABLE_CONTENT
    return JSONResponse(result.model_dump(), status_code=code)


@router.get("/{ticket}/rejects.csv")
def rejects(ticket: str, state: State, user: Admin) -> FileResponse:
    """下载剔除行文件（CSV，Excel 可直接打开）。"""
    path = _rejects_dir(state) / f"{ticket}.csv"
    if not re.fullmatch(r"[0-9a-f]{32}", ticket) or not path.is_file():
        raise NotFoundError("剔除行文件不存在或已过期（保留 24 小时）")
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename="rejects.csv")


def _expire(directory: Path) -> None:
    cutoff = time.time() - _KEEP_SECONDS
    for old in directory.glob("*.csv"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
