"""The weekly report (周报告): recovery against target, value at risk, and the ledger's record.

Figures for a period ``[start, end]`` (dates, both included):

- **recovery**: the key scale enterprises' output-weighted availability now (key: the
  settings ``key_output_threshold``, ``key_tax_threshold``), against the city's target
  (setting ``capacity_target``, 90 %), and how many key enterprises are below it;
- **projects**: the annual planned investment of key projects and the part at risk;
- **blocked by scope**: blocked suppliers and the value they hold back, per scope;
- **units**: per responsible unit, items registered and closed in the period, open and
  overdue at ``end``, and the on-time closure rate. An item *counts* for a unit when its
  deadline falls on or before ``end`` and it was not closed before ``start``; it is *on
  time* when it was closed on or before its deadline (and by ``end``). Units are ranked by
  rate (highest first), then fewer overdue, then name; units with nothing due come last,
  unranked (their rank is empty: there is no rate to rank them by).

The report is a value object of tables; :mod:`exports.report` writes it as xlsx and HTML.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chain_graph.analysis import weighted_availability
from chain_graph.gaps import GapAnalysis
from chain_graph.labels import SCOPE_LABELS
from chain_graph.model import ProblemStatus
from chain_graph.problem_ledger import Action, LedgerEvent, LedgerItem

__all__ = ["WeeklyReport", "item_record", "report_period", "unit_ranking", "weekly_report", "weekly_trend"]


@dataclass(frozen=True)
class WeeklyReport:
    """Every figure of one weekly report."""

    start: dt.date
    end: dt.date
    target: float
    enterprises: int
    enterprises_below_target: int
    recovery: float
    output_at_risk: float
    projects: int
    annual_plan: float
    investment_at_risk: float
    blocked_by_scope: pd.DataFrame
    units: pd.DataFrame
    area: str = "全市"
    """Whose report it is: the whole city, or a county's name."""
    trend: pd.DataFrame | None = None
    """The campaign's rounds up to the period's end (``round``, ``recovery``,
    ``availability``, ``at_target``), when the report carries them."""
    targets: tuple[dict[str, Any], ...] = ()
    """Each target with its value, day, last actual and state."""
    unreported: pd.DataFrame | None = None
    """Counties that had not all reported in the period's last round (``name``, ``due``,
    ``reported``, ``compliance``, ``missing_names``)."""

    @property
    def target_met(self) -> bool:
        """Whether the key enterprises' output-weighted recovery reaches the target."""
        return self.recovery >= self.target


FIRST_YEAR, LAST_YEAR = 2000, 2100  # the ledgers' own date range (ledger spec)


def report_period(start: dt.date | None, end: dt.date | None, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """Return the report period: ``end`` defaults to today, ``start`` to six days before.

    Both days must lie in the ledgers' years and in order, else a :class:`ConfigError`
    says which.

    Examples
    --------
    >>> report_period(None, dt.date(2026, 11, 27), today=dt.date(2026, 11, 28))
    (datetime.date(2026, 11, 21), datetime.date(2026, 11, 27))
    >>> report_period(None, dt.date(1, 1, 1), today=dt.date(2026, 11, 28))
    Traceback (most recent call last):
    ...
    chain_graph.errors.ConfigError: 报告期结束日 0001-01-01 应在 2000 年到 2100 年之间
    """
    from chain_graph.errors import ConfigError

    last = end or today
    for day, label in ((start, "开始日"), (last, "结束日")):
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ConfigError(f"报告期{label} {day} 应在 {FIRST_YEAR} 年到 {LAST_YEAR} 年之间")
    first = start or last - dt.timedelta(days=6)
    if last < first:
        raise ConfigError(f"报告期结束日 {last} 早于开始日 {first}")
    return first, last


def weekly_report(
    analysis: GapAnalysis,
    items: Sequence[LedgerItem],
    events: Sequence[LedgerEvent],
    *,
    start: dt.date,
    end: dt.date,
    target: float,
    mask: np.ndarray | None = None,
    shown: np.ndarray | None = None,
    area: str = "全市",
) -> WeeklyReport:
    """Compute the weekly report of ``[start, end]``.

    Parameters
    ----------
    analysis
        The gap analysis of the current ledgers.
    items, events
        The problem ledger and its whole history.
    start, end
        The period, both days included.
    target
        Capacity recovery target of key enterprises (share of output, 0–1).
    mask, shown, area
        A county's report: its own nodes, those it may see (its own and their direct
        partners), and its name. The figures are of the key enterprises and projects in
        ``mask``; the blocked suppliers are those in ``shown`` holding one of them back,
        with the value they hold back from them (:meth:`GapAnalysis.held_back`). ``items``
        should be the county's already.
    """
    if end < start:
        from chain_graph.errors import ConfigError

        raise ConfigError(f"报告期结束日 {end} 早于开始日 {start}")
    g = analysis.graph
    own = np.ones(g.n, dtype=bool) if mask is None else mask
    key = analysis.key_enterprises & own
    blocked = analysis.blocked.rename(columns={"recovered_value": "value"})
    if mask is not None:
        blocked = analysis.held_back(own, shown=own if shown is None else shown)
    gap = 1.0 - g.base_availability
    by_scope = (
        blocked.groupby("scope")
        .agg(suppliers=("id", "size"), value=("value", "sum"))
        .reindex(list(SCOPE_LABELS), fill_value=0)
        .reset_index()
    )
    by_scope.insert(1, "label", by_scope["scope"].map(SCOPE_LABELS))
    return WeeklyReport(
        start=start,
        end=end,
        target=target,
        enterprises=int(key.sum()),
        enterprises_below_target=int((key & (g.base_availability < target - 1e-12)).sum()),
        recovery=weighted_availability(g, key),
        output_at_risk=float(np.sum(np.where(own, g.output_weight * gap, 0.0))) + 0.0,
        projects=int((g.is_project & own).sum()),
        annual_plan=float(np.where(own, g.investment_weight, 0.0).sum()),
        investment_at_risk=float(np.sum(np.where(own, g.investment_weight * gap, 0.0))) + 0.0,
        blocked_by_scope=by_scope,
        units=unit_ranking(items, events, start=start, end=end),
        area=area,
    )


def unit_ranking(
    items: Sequence[LedgerItem], events: Sequence[LedgerEvent], *, start: dt.date, end: dt.date
) -> pd.DataFrame:
    """Per responsible unit: the period's record and its rank by on-time closure rate.

    Examples
    --------
    >>> t = dt.datetime(2026, 11, 2, 9)
    >>> a = LedgerItem(id="A", subject_id="E1", responsible_unit="甲", deadline=dt.date(2026, 11, 5),
    ...                created_at=t, updated_at=t)
    >>> b = a.model_copy(update={"id": "B", "responsible_unit": "乙"})
    >>> close = LedgerEvent(item_id="A", seq=2, at=dt.datetime(2026, 11, 4, 16), by="甲",
    ...                     action=Action.CLOSE, from_status=ProblemStatus.REGISTERED,
    ...                     to_status=ProblemStatus.CLOSED, note="已办结")
    >>> a = a.model_copy(update={"status": ProblemStatus.CLOSED})
    >>> table = unit_ranking([a, b], [close], start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 8))
    >>> for row in table[["rank", "unit", "due", "on_time", "overdue", "rate"]].to_dict("records"):
    ...     print(row)
    {'rank': 1, 'unit': '甲', 'due': 1, 'on_time': 1, 'overdue': 0, 'rate': 1.0}
    {'rank': 2, 'unit': '乙', 'due': 1, 'on_time': 0, 'overdue': 1, 'rate': 0.0}
    """
    rows = _unit_rows(items, _last_close(events), start=start, end=end)
    columns = ["registered", "closed", "open", "overdue", "overdue_days", "due", "on_time"]
    if not rows:
        return pd.DataFrame(columns=["rank", "unit", *columns, "rate"])
    table = pd.DataFrame(rows).groupby("unit", as_index=False)[columns].sum()
    table["rate"] = np.where(
        table["due"] > 0, table["on_time"] / table["due"].where(table["due"] > 0, 1), np.nan
    )
    table = (
        table.assign(_none=table["rate"].isna(), _rate=-table["rate"].fillna(0))
        .sort_values(["_none", "_rate", "overdue", "unit"], kind="stable")
        .drop(columns=["_none", "_rate"])
    )
    ranked = table["rate"].notna().to_numpy()
    rank = [int(k) if r else None for k, r in zip(np.cumsum(ranked), ranked, strict=True)]
    table.insert(0, "rank", pd.Series(rank, index=table.index, dtype=object))  # none: nothing to rank by
    return table.reset_index(drop=True)


def item_record(
    items: Sequence[LedgerItem], events: Sequence[LedgerEvent], *, start: dt.date, end: dt.date
) -> pd.DataFrame:
    """Return each item's part in the record of ``[start, end]``, one row per item, in order.

    Columns: ``id``, ``unit`` and the counts of :func:`unit_ranking` (``registered``,
    ``closed``, ``open``, ``overdue``, ``overdue_days``, ``due``, ``on_time``), each 0 or 1
    but ``overdue_days``; by the rules of the module docstring, so that a county's or a
    unit's totals are sums of these rows.

    Examples
    --------
    >>> t = dt.datetime(2026, 11, 2, 9)
    >>> a = LedgerItem(id="A", subject_id="E1", responsible_unit="甲", deadline=dt.date(2026, 11, 5),
    ...                created_at=t, updated_at=t)
    >>> row = item_record([a], [], start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 8)).iloc[0]
    >>> int(row["registered"]), int(row["open"]), int(row["overdue"]), int(row["overdue_days"])
    (1, 1, 1, 3)
    """
    rows = _unit_rows(items, _last_close(events), start=start, end=end)
    columns = ["unit", "registered", "closed", "open", "overdue", "overdue_days", "due", "on_time"]
    table = pd.DataFrame(rows, columns=columns)
    table.insert(0, "id", [item.id for item in items])
    return table


def _last_close(events: Sequence[LedgerEvent]) -> dict[str, dt.date]:
    """Return the day each item was last closed (and not reopened since)."""
    last_close: dict[str, dt.date] = {}
    for event in sorted(events, key=lambda e: (e.item_id, e.seq)):
        if event.action == Action.CLOSE:
            last_close[event.item_id] = event.at.date()
        elif event.action == Action.REOPEN:
            last_close.pop(event.item_id, None)
    return last_close


def _unit_rows(
    items: Sequence[LedgerItem], last_close: dict[str, dt.date], *, start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    """Return each item's part in the period's record (the rules: the module docstring)."""
    rows = []
    for item in items:
        closed_on = last_close.get(item.id) if item.status == ProblemStatus.CLOSED else None
        created = item.created_at.date()
        deadline = item.deadline
        due = deadline is not None and deadline <= end and not (closed_on is not None and closed_on < start)
        on_time = bool(
            due and closed_on is not None and deadline is not None and closed_on <= min(deadline, end)
        )
        open_at_end = closed_on is None or closed_on > end
        late = open_at_end and deadline is not None and end > deadline and created <= end
        rows.append(
            {
                "unit": item.responsible_unit or "未指定",
                "registered": int(start <= created <= end),
                "closed": int(closed_on is not None and start <= closed_on <= end),
                "open": int(open_at_end and created <= end),
                "overdue": int(late),
                # days past the deadline at the period's end, as if still open then
                "overdue_days": (end - deadline).days if late and deadline is not None else 0,
                "due": int(due),
                "on_time": int(on_time),
            }
        )
    return rows


def weekly_trend(
    items: Sequence[LedgerItem], events: Sequence[LedgerEvent], *, end: dt.date, weeks: int = 8
) -> list[dict[str, object]]:
    """Return the ledger week by week, oldest first: registered, closed, open, overdue at week end.

    Examples
    --------
    >>> weekly_trend([], [], end=dt.date(2026, 11, 29), weeks=2)[0]["start"]
    datetime.date(2026, 11, 16)
    """
    closes = _last_close(events)
    never = dt.date.max.toordinal()
    created = np.array([i.created_at.date().toordinal() for i in items], dtype=np.int64)
    closed = np.array(
        [
            closes[i.id].toordinal() if i.status == ProblemStatus.CLOSED and i.id in closes else never
            for i in items
        ],
        dtype=np.int64,
    )
    deadline = np.array([i.deadline.toordinal() if i.deadline else never for i in items], dtype=np.int64)
    rows: list[dict[str, object]] = []
    for k in range(weeks - 1, -1, -1):  # the same rules as :func:`unit_ranking`, as array operations
        last = end - dt.timedelta(days=7 * k)
        first = last - dt.timedelta(days=6)
        a, b = first.toordinal(), last.toordinal()
        open_at_end = (closed > b) & (created <= b)
        totals = {
            "registered": int(((created >= a) & (created <= b)).sum()),
            "closed": int(((closed >= a) & (closed <= b)).sum()),
            "open": int(open_at_end.sum()),
            "overdue": int((open_at_end & (deadline < b)).sum()),
        }
        rows.append({"start": first, "end": last, **totals})
    return rows
