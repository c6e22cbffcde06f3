"""Status-report use cases (状态填报): import (the city's file, a county's 回收), list, 下发.

A county imports reports about its own firms and projects only: a row about another
county's entity is refused, located, exactly as an id that does not exist
(:class:`~application.visibility.Visibility`). The pre-filled workbook a county receives
(下发) has one row per key enterprise and project of that county with its current state;
filled in, it imports back (回收). The CLI and the web service both call these functions.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from application.visibility import Visibility
from application.workspace import Snapshot, Workspace
from chain_graph.campaign import state_at
from chain_graph.errors import ConfigError, StaleItemError
from ingest.readers import RawTable, Source
from ingest.reports import read_reports
from ingest.validate import ReportValidation, validate_reports

__all__ = [
    "FORM_COLUMNS",
    "ReportImport",
    "import_reports",
    "prefilled",
    "public",
    "record_form",
    "recorded",
    "version",
]


@dataclass(frozen=True)
class ReportImport:
    """What an import of reports did: its validation, and how many rows were recorded."""

    validation: ReportValidation
    appended: int

    @property
    def written(self) -> bool:
        """Whether anything was recorded (only when there was no issue at all)."""
        return self.validation.ok and self.appended > 0


def import_reports(
    ws: Workspace,
    snap: Snapshot,
    vis: Visibility,
    paths: Sequence[Path],
    *,
    by: str,
    today: dt.date,
    at: dt.datetime,
) -> ReportImport:
    """Validate reports files against the current ledgers and record them, all or nothing.

    Parameters
    ----------
    ws, snap
        The workspace and its current snapshot (the base ledgers the reports are about).
    vis
        Who imports: a county may report on its own entities only.
    paths
        The reports files.
    by
        Who is recorded as having imported them.
    today
        No report may be dated after it.
    at
        When they are recorded.

    Raises
    ------
    ConfigError
        When a path is no reports file (see :func:`ingest.reports.read_reports`).
    """
    validation = read_reports(paths, ledgers=snap.base_ledgers, today=today, county=vis.county)
    if not validation.ok:
        return ReportImport(validation, 0)
    with ws.store() as store:
        appended = store.append_reports(validation.reports, by=by, at=at)
    ws.refresh()  # the next page is the state with these reports, at once
    return ReportImport(validation, appended)


def recorded(
    ws: Workspace,
    snap: Snapshot,
    vis: Visibility,
    *,
    node_id: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Return the recorded reports ``vis`` may see, oldest recorded first.

    A county sees the reports of its own entities. ``node_id`` keeps one entity's (one
    of another county answers as one that does not exist: ``NotFoundError``); ``since``
    and ``until`` keep the reports dated within them (both included).
    """
    frame = ws.reports()
    if node_id is not None:
        vis.require(node_id, snap.adcode_of)
        frame = frame[frame["id"] == node_id]
    frame = vis.rows_of(frame, frame["id"], snap.adcode_of)
    if since is not None:
        frame = frame[frame["as_of"] >= since.isoformat()]
    if until is not None:
        frame = frame[frame["as_of"] <= until.isoformat()]
    return frame.reset_index(drop=True)


def public(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return recorded reports as JSON-ready rows: a blank number is ``None``, 是否开复工 a bool."""
    rows: list[dict[str, Any]] = []
    for row in frame.to_dict("records"):
        out = {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        out["started"] = None if out["started"] is None else bool(out["started"])
        out["seq"] = int(row["seq"])
        rows.append(out)
    return rows


def prefilled(ws: Workspace, snap: Snapshot, *, county: str, today: dt.date) -> pd.DataFrame:
    """Return the rows of a county's pre-filled reports workbook (下发): its current state.

    One row per key enterprise (重点规模企业: output or tax at least the settings'
    thresholds) and per project of ``county``, enterprises first, each by id, with its
    name, ``as_of`` today and its state at today (the base ledgers with every report up to
    it; 在岗人数 the last one reported). A firm's row leaves 是否开复工 and 累计完成投资
    blank, a project's 生产状态, 产能恢复率 and 预计恢复天数: they do not apply to it.

    Raises
    ------
    ConfigError
        When ``county`` is no 6-digit adcode, or no key enterprise or project is in it.
    """
    Visibility.of_county(county)  # checks the adcode
    reports = ws.reports()
    state = state_at(snap.base_ledgers, reports, as_of=today)
    settings = snap.settings
    firms = state.firms
    key = firms["is_enterprise"].astype(bool) & (
        (firms["output_value"].fillna(0.0) >= settings.key_output_threshold)
        | (firms["tax"].fillna(0.0) >= settings.key_tax_threshold)
    )
    firms = firms[key & (firms["adcode"] == county)].sort_values("id")
    projects = state.projects[state.projects["adcode"] == county].sort_values("id")
    if firms.empty and projects.empty:
        raise ConfigError(f"县市区 {county} 没有重点规模企业或重点项目，无法生成填报表")
    blank = pd.Series(np.nan, index=firms.index)
    firm_rows = pd.DataFrame(
        {
            "id": firms["id"],
            "name": firms["name"],
            "status": firms["status"],
            "capacity": firms["capacity"].astype(float),
            "recovery_days": pd.to_numeric(firms["recovery_days"]).astype(float),
            "problem": firms["problem"].fillna(""),
            "started": blank,
            "completed": blank,
        }
    )
    project_rows = pd.DataFrame(
        {
            "id": projects["id"],
            "name": projects["name"],
            "status": "",
            "capacity": np.nan,
            "recovery_days": np.nan,
            "problem": "",
            "started": projects["started"].astype(float),
            "completed": projects["completed"].astype(float),
        }
    )
    rows = pd.concat([firm_rows, project_rows], ignore_index=True)
    workers = _last_given(reports, "workers", today)
    return rows.assign(as_of=today.isoformat(), workers=rows["id"].map(workers).astype(float), reporter="")


def _last_given(reports: pd.DataFrame, column: str, today: dt.date) -> dict[str, float]:
    """Return the last value of ``column`` reported up to ``today`` per id (in overlay order)."""
    shown = reports[(reports["as_of"] <= today.isoformat()) & reports[column].notna()]
    last = shown.sort_values(["as_of", "seq"], kind="stable").groupby("id")[column].last()
    return {str(k): float(v) for k, v in last.items()}


FORM_COLUMNS = (
    ("id", "对象编号"),
    ("as_of", "填报日期"),
    ("status", "生产状态"),
    ("capacity", "产能恢复率"),
    ("recovery_days", "预计恢复天数"),
    ("problem", "存在问题"),
    ("started", "是否开复工"),
    ("completed", "累计完成投资"),
    ("workers", "在岗人数"),
    ("reporter", "填报人"),
)
"""The fields of a county's console form (its pre-filled rows), with the headers they are
validated under: the same checks and messages as a reports file."""


def record_form(
    ws: Workspace,
    snap: Snapshot,
    vis: Visibility,
    rows: Sequence[Mapping[str, str]],
    *,
    by: str,
    today: dt.date,
    version: int,
    at: dt.datetime,
) -> ReportImport:
    """Record a county's weekly form: each row an entity's state as of ``today``.

    The rows are validated exactly as a reports file (as the table 在线填报, each row
    located by its place in the form). ``version`` is the reports version the form was
    shown with: if anything was recorded since, the form is refused (:class:`StaleItemError`,
    "refresh and try again"), as a ledger action is.
    """
    with ws.store() as store:
        if store.reports_version() != version:
            raise StaleItemError("填报数据已被他人更新，请刷新页面后重新填写")
    cells = pd.DataFrame(  # one column per header position, all text, as a reader gives them
        {
            k: [today.isoformat() if key == "as_of" else str(row.get(key, "") or "") for row in rows]
            for k, (key, _) in enumerate(FORM_COLUMNS)
        }
    )
    table = RawTable.of_cells(
        Source("reports", Path("在线填报")),
        "",
        [header for _, header in FORM_COLUMNS],
        cells,
        list(range(1, len(rows) + 1)),
    )
    validation = validate_reports([table], ledgers=snap.base_ledgers, today=today, county=vis.county)
    if not validation.ok:
        return ReportImport(validation, 0)
    with ws.store() as store:
        appended = store.append_reports(validation.reports, by=by, at=at)
    ws.refresh()
    return ReportImport(validation, appended)


def version(ws: Workspace) -> int:
    """Return the store's reports version (what a form carries to detect a later change)."""
    with ws.store() as store:
        return store.reports_version()
