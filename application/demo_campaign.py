"""The demo's campaign (演示复工复产填报): weeks of county status reports and the plan's targets.

:func:`seed_reports` records, for each of the last ``weeks`` rounds, the reports the
counties sent: every key scale enterprise and key project of a county, except those a
county missed that week. Recovery climbs towards the plan's 90 % unevenly: each county has
its own pace, so the trend, the laggards and the rankings show at once. The reports go to
the store through its ``append_reports`` as an import would, each round's at its own time.
:func:`write_targets` writes the plan's own targets (campaign spec): recovery 90 % by the
end of the campaign's fourth month; 630亿元 completed investment by the year's end.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from application.workspace import Snapshot, Workspace
from chain_graph.analysis import key_enterprises
from chain_graph.campaign import REPORT_COLUMNS, round_ends

__all__ = ["seed_reports", "write_targets"]


def seed_reports(ws: Workspace, snap: Snapshot, *, today: dt.date, weeks: int = 12, seed: int = 1) -> int:
    """Record ``weeks`` rounds of county reports up to ``today``; return how many rows.

    Each key enterprise starts 20–60 points below its ledger capacity and climbs back at its
    county's pace (some counties get there in six weeks, some are still short); projects
    start one after another and report their completed investment. A county misses a few
    entities in some rounds (its compliance).
    """
    rng = np.random.default_rng(seed)
    settings = ws.settings
    graph = snap.graph
    key = key_enterprises(
        graph, output_threshold=settings.key_output_threshold, tax_threshold=settings.key_tax_threshold
    )
    firms = graph.ids[key].astype(str)
    firm_counties = graph.adcodes[key].astype(str)
    target = np.nan_to_num(graph.capacity[key] * 100.0, nan=100.0)
    gap = rng.uniform(20, 60, len(firms))
    counties = sorted(set(firm_counties) | set(snap.ledgers.projects["adcode"]))
    pace = {c: float(rng.uniform(0.5, 1.6)) for c in counties}
    diligence = {c: float(rng.uniform(0.8, 1.0)) for c in counties}
    projects = snap.ledgers.projects
    start_week = rng.integers(0, weeks, len(projects))
    ends = round_ends(today - dt.timedelta(days=7 * weeks - 1), today, weekday=settings.report_weekday)
    rows = 0
    for week, end in enumerate(ends):
        day = end - dt.timedelta(days=int(rng.integers(0, 3)))
        progress = np.array([min(1.0, pace[c] * (week + 1) / weeks) for c in firm_counties])
        capacity = np.clip(target - gap * (1.0 - progress) + rng.normal(0, 2, len(firms)), 0, 100).round(1)
        sent = rng.random(len(firms)) < np.array([diligence[c] for c in firm_counties])
        firm_rows = _frame(firms[sent], day, capacity=capacity[sent])
        started = (start_week <= week).astype(float)
        plan = np.nan_to_num(projects["annual_plan"].to_numpy(dtype=float))
        done = plan * np.clip((week - start_week + 1) / (weeks * 1.3), 0, 1) * (10 + week) / (10 + weeks)
        sent = rng.random(len(projects)) < np.array([diligence[c] for c in projects["adcode"]])
        project_rows = _frame(
            projects["id"].to_numpy(dtype=str)[sent],
            day,
            started=started[sent],
            completed=done[sent].round(1),
        )
        frame = pd.concat([firm_rows, project_rows], ignore_index=True)
        at = dt.datetime.combine(end, dt.time(17, 30))
        with ws.store() as store:
            rows += store.append_reports(frame, by="县市区工信局（演示）", at=at)
    ws.refresh()
    return rows


def _frame(
    ids: np.ndarray,
    day: dt.date,
    *,
    capacity: np.ndarray | None = None,
    started: np.ndarray | None = None,
    completed: np.ndarray | None = None,
) -> pd.DataFrame:
    n = len(ids)
    blank = np.full(n, np.nan)
    return pd.DataFrame(
        {
            "id": ids,
            "as_of": day.isoformat(),
            "status": "",
            "capacity": blank if capacity is None else capacity,
            "recovery_days": blank,
            "problem": "",
            "started": blank if started is None else started,
            "completed": blank if completed is None else completed,
            "workers": blank,
            "reporter": "演示填报",
        },
        columns=[c for c in REPORT_COLUMNS if c != "seq"],
    )


def write_targets(path: Path, *, start: dt.date, recovery: float) -> Path:
    """Write the plan's targets: ``recovery`` by the end of the campaign's fourth month, 630亿元 by year end.

    The campaign starts at ``start`` (the demo's first round).
    """
    month = start.month + 4
    year = start.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    by = dt.date(year, month, 1) - dt.timedelta(days=1)
    text = (
        "# 复工复产目标（演示：按市里的方案）\n"
        f"- {{metric: recovery, value: {recovery}, by: {by.isoformat()}}}\n"
        f"- {{metric: completed, value: 6300000, by: {dt.date(by.year, 12, 31).isoformat()}}}\n"
    )
    path.write_text(text, encoding="utf-8")
    return path
