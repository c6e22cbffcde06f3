"""The demo's problem ledger (演示问题台账): some weeks of a bureau's work, made through the use cases.

``chain-graph demo`` loads synthetic ledgers; :func:`seed_ledger` gives them a problem
ledger that a newcomer can explore in the console: items in every state, registered,
worked on, extended, escalated, closed on time and late, and reopened, over several past
weeks, so that the dashboard's weekly trend, the overdue items and the weekly report's
ranking of responsible units all have something to show.

Nothing is written to the store directly: every item is registered and every action taken
through :mod:`application.problems`, each at a backdated time (the use cases' ``now``), so
the history is what the console would have recorded had officials done the same. The
plan is drawn from a seeded generator over days counted from ``today``: the same seed,
data and day give the same ledger.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from application import problems
from application.visibility import Visibility
from application.workspace import Snapshot, Workspace
from chain_graph.model import ProblemCategory
from chain_graph.problem_ledger import Action, overdue_days

__all__ = ["DemoLedger", "busiest_county", "seed_ledger"]

ANALYSIS_DAYS = 21
"""Deadline of the items registered from the analysis on the first day (days after it)."""

_ISSUES: dict[ProblemCategory, str] = {
    ProblemCategory.LABOUR: "技术工人缺口约 {n} 人，影响满负荷生产",
    ProblemCategory.LOGISTICS: "原料运输车辆通行受限，申请办理通行证（约 {n} 车次/周）",
    ProblemCategory.FINANCE: "流动资金缺口约 {n}0 万元，申请贷款贴息",
    ProblemCategory.APPROVAL: "扩产项目环评批复未下达，{n} 个工作日内需开工",
    ProblemCategory.ENERGY: "用电负荷不足，申请增容 {n}00 千伏安",
    ProblemCategory.OTHER: "厂区道路改造影响进出货，约 {n} 天",
}
"""New difficulties reported week by week (the categories other than 原材料, which the analysis covers)."""

_NOTES: dict[Action, tuple[str, ...]] = {
    Action.START: ("", "已转责任单位办理"),
    Action.NOTE: ("已与企业对接，正在协调", "责任单位已现场办公", "已召开协调会，明确办理路径"),
    Action.CLOSE: ("已协调恢复供货", "企业已复产，供货恢复正常", "问题已解决，企业确认"),
    Action.EXTEND: ("企业设备检修，需延长办理期限", "涉及外地企业，协调需要更多时间"),
    Action.ESCALATE: ("逾期未办结，请加快办理",),
    Action.REOPEN: ("供货再次中断，重新打开",),
}

_FATES = ("untouched", "working", "on_time", "late", "extended", "reopened")
_FATE_SHARES = (0.18, 0.2, 0.3, 0.12, 0.14, 0.06)


@dataclass(frozen=True)
class DemoLedger:
    """What :func:`seed_ledger` made.

    Attributes
    ----------
    items
        Items in the ledger.
    by_status
        Items per 办理状态 (``registered``, ``in_progress``, ``closed``).
    overdue
        Items past their deadline on ``today``.
    first, last
        The first and the last day of the history.
    """

    items: int
    by_status: dict[str, int]
    overdue: int
    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class _Step:
    """One thing done to the ledger: register a new item, or act on one."""

    at: dt.datetime
    item_id: str
    action: Action
    note: str = ""
    deadline: dt.date | None = None
    subject_id: str = ""
    category: ProblemCategory = ProblemCategory.OTHER
    description: str = ""


def busiest_county(snap: Snapshot) -> str:
    """Return the county (adcode) with the most blocked local suppliers, ``""`` when there is none.

    Ties go to the smaller adcode.
    """
    local = snap.analysis.local_list()
    counts = Counter(snap.adcode_of.get(supplier, "") for supplier in local["id"])
    counts.pop("", None)
    if not counts:
        return ""
    return min(counts, key=lambda county: (-counts[county], county))


def seed_ledger(
    ws: Workspace, snap: Snapshot, *, by: str, today: dt.date, seed: int = 1, weeks: int = 7
) -> DemoLedger:
    """Register and work the demo ledger over the ``weeks`` weeks before ``today``.

    On the first day the bureau registers every item of the data (the imported problems
    and one per blocked supplier and affected key buyer, due in :data:`ANALYSIS_DAYS`
    days); every week some new difficulties are reported. Each item then meets one fate —
    left alone, worked on (escalated once overdue), closed on time, closed late, extended,
    or closed and reopened — on days up to yesterday.

    Parameters
    ----------
    ws, snap
        The workspace and the data version whose ledger is seeded (an empty ledger).
    by
        Who is recorded as acting (the demo's city administrator).
    today
        The demo's day; the history ends the day before.
    seed
        Seed of the plan.
    weeks
        How far back the history starts.
    """
    rng = np.random.default_rng(seed)
    start = dt.datetime.combine(today - dt.timedelta(days=7 * weeks), dt.time(9))
    last_day = 7 * weeks - 1
    problems.register_from_analysis(ws, snap, Visibility.whole_city(), by=by, days=ANALYSIS_DAYS, now=start)
    steps: list[_Step] = []
    found = [i for i in ws.ledger().items if i.source == "analysis"]
    for entry in found:
        steps += _fate(rng, entry.id, registered=0, deadline=ANALYSIS_DAYS, last=last_day, start=start)
    subjects = sorted({buyer for affected in snap.analysis.blocked["affected"] for buyer in affected})
    categories = list(_ISSUES)
    for week in range(weeks if subjects else 0):  # new difficulties of the key buyers held back
        for number in range(int(rng.integers(4, 9))):
            day = 7 * week + int(rng.integers(0, 5))
            at = _time(start, day, rng)
            category = categories[int(rng.integers(len(categories)))]
            due = day + int(rng.integers(7, 15))
            item_id = f"W{at:%Y%m%d%H%M}-{week}{number}"
            steps.append(
                _Step(
                    at=at,
                    item_id=item_id,
                    action=Action.REGISTER,
                    deadline=(start + dt.timedelta(days=due)).date(),
                    subject_id=subjects[int(rng.integers(len(subjects)))],
                    category=category,
                    description=_ISSUES[category].format(n=int(rng.integers(2, 30))),
                )
            )
            steps += _fate(rng, item_id, registered=day, deadline=due, last=last_day, start=start)
    _run(ws, snap, sorted(steps, key=lambda step: (step.at, step.item_id)), by=by)
    items = ws.ledger().items
    return DemoLedger(
        items=len(items),
        by_status=dict(Counter(i.status.value for i in items)),
        overdue=sum(overdue_days(i, today) > 0 for i in items),
        first=start.date(),
        last=today - dt.timedelta(days=1),
    )


def _fate(
    rng: np.random.Generator, item_id: str, *, registered: int, deadline: int, last: int, start: dt.datetime
) -> list[_Step]:
    """Plan what happens to one item after it is registered: the days count from ``start``.

    Every planned day lies after the previous one and no later than ``last``; what would
    fall later is left out (the item stays as it was that day).
    """
    fate = _FATES[int(rng.choice(len(_FATES), p=_FATE_SHARES))]
    plan: list[tuple[int, Action, int | None]] = []  # (day, action, new deadline day)
    if fate == "untouched":
        return []
    day = registered + int(rng.integers(1, 4))
    plan.append((day, Action.START, None))
    if rng.random() < 0.35:
        day += int(rng.integers(1, 4))
        plan.append((day, Action.NOTE, None))
    if fate == "working" and deadline < last:
        day = max(day, deadline) + int(rng.integers(1, 8))
        plan.append((day, Action.ESCALATE, None))
    elif fate in ("on_time", "reopened"):
        day = max(day + 1, min(deadline, day + int(rng.integers(1, 12))))
        plan.append((day, Action.CLOSE, None))
        if fate == "reopened":
            day += int(rng.integers(2, 12))
            plan.append((day, Action.REOPEN, None))
    elif fate == "late":
        day = max(day, deadline) + int(rng.integers(1, 12))
        plan.append((day, Action.CLOSE, None))
    elif fate == "extended":
        day = max(day + 1, deadline - int(rng.integers(0, 5)))
        extended = deadline + int(rng.integers(7, 28))
        plan.append((day, Action.EXTEND, extended))
        if rng.random() < 0.5:
            day = min(extended, day + int(rng.integers(3, 20)))
            plan.append((day, Action.CLOSE, None))
    steps = []
    for when, action, new_deadline in plan:
        if when > last:
            break
        notes = _NOTES[action]
        steps.append(
            _Step(
                at=_time(start, when, rng),
                item_id=item_id,
                action=action,
                note=notes[int(rng.integers(len(notes)))],
                deadline=None if new_deadline is None else (start + dt.timedelta(days=new_deadline)).date(),
            )
        )
    return steps


def _time(start: dt.datetime, day: int, rng: np.random.Generator) -> dt.datetime:
    """Return a working-hours time on day ``day`` after ``start`` (09:00–17:59)."""
    return start + dt.timedelta(days=day, hours=int(rng.integers(0, 9)), minutes=int(rng.integers(0, 60)))


def _run(ws: Workspace, snap: Snapshot, steps: Sequence[_Step], *, by: str) -> None:
    """Carry out the steps, oldest first, through the ledger's use cases."""
    city = Visibility.whole_city()
    for step in steps:
        if step.action == Action.REGISTER:
            problems.register(
                ws,
                snap,
                city,
                by=by,
                subject_id=step.subject_id,
                description=step.description,
                category=step.category,
                deadline=step.deadline,
                item_id=step.item_id,
                now=step.at,
            )
        else:
            problems.act(
                ws,
                snap,
                city,
                step.item_id,
                step.action,
                by=by,
                note=step.note,
                deadline=step.deadline,
                now=step.at,
            )
