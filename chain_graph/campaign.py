"""The campaign over time (campaign spec): the state at a date, rounds, series, targets, ranks.

Status reports (状态填报) are observations of firms and projects at dates. They never change
the base ledgers: the **state at a date D** overlays on the base, field by field and in
``as_of`` order, every report dated on or before D (an empty field leaves the value it had).
A round's state is then a capacity scenario on the base graph (:meth:`SupplyGraph.with_capacity`,
one propagation), not a new analysis, so a year of weekly rounds costs a few analyses.

One reading of the contract is ours (the spec is silent, an official would expect it): a
report that gives a production status but no capacity resets the capacity to that status's
own (normal 100 %, partial 50 %, stopped 0): "back to normal" must not keep last week's 60 %.

Reports arrive as a table with the columns of :data:`REPORT_COLUMNS` (``as_of`` an ISO date,
``seq`` the order in which they were recorded: of two reports of one entity and day, the
later recorded is the correction).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from chain_graph.analysis import key_enterprises
from chain_graph.graph import SupplyGraph, own_capacity
from chain_graph.model import LedgerTables

__all__ = [
    "GROUPS",
    "METRICS",
    "REPORT_COLUMNS",
    "Target",
    "TargetState",
    "compliance",
    "county_ranking",
    "round_ends",
    "series",
    "state_at",
    "target_states",
]

REPORT_COLUMNS: dict[str, str] = {
    "id": "text",
    "as_of": "text",
    "status": "text",
    "capacity": "float",
    "recovery_days": "float",
    "problem": "text",
    "started": "float",
    "completed": "float",
    "workers": "float",
    "reporter": "text",
    "seq": "int",
}
"""A report's columns: the spec's, ``started`` as 1/0 (empty: not given), and ``seq``."""

_FIRM_FIELDS = ("status", "capacity", "recovery_days", "problem")
_PROJECT_FIELDS = ("started", "completed")
_RESET = -1.0
"""Capacity of a report that gives a status but no capacity: the status's own (see above)."""

GROUPS = ("city", "county", "chain")
METRICS = ("recovery", "availability", "at_target", "started", "completed", "progress")
"""What a target may be set on (campaign spec, Targets)."""


def _reports(reports: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Return the reports dated up to ``as_of``, in overlay order, blanks as missing values."""
    if reports.empty:
        return reports
    shown = reports[reports["as_of"] <= as_of.isoformat()]
    shown = shown.sort_values(["as_of", "seq"], kind="stable")
    text = shown[["status", "problem"]].replace("", np.nan)
    capacity = shown["capacity"].where(shown["capacity"].notna() | (text["status"].isna()), _RESET)
    return shown.assign(status=text["status"], problem=text["problem"], capacity=capacity)


def state_at(ledgers: LedgerTables, reports: pd.DataFrame, *, as_of: dt.date) -> LedgerTables:
    """Return the ledgers as they stood at ``as_of``: the base with every report up to it.

    Firms take ``status``, ``capacity``, ``recovery_days`` and ``problem`` from their
    reports; projects ``started`` (a column added: 1, 0 or missing) and ``completed``.

    Examples
    --------
    >>> firms = pd.DataFrame({"id": ["F"], "status": ["stopped"], "capacity": [float("nan")],
    ...                       "recovery_days": [10], "problem": ["停电"]})
    >>> base = LedgerTables.from_frames(firms=firms)
    >>> reports = pd.DataFrame({"id": ["F", "F", "F"], "as_of": ["2026-11-02", "2026-11-09", "2026-11-20"],
    ...     "status": ["partial", "", "normal"], "capacity": [40.0, 70.0, float("nan")],
    ...     "recovery_days": [float("nan")] * 3, "problem": ["", "", ""], "started": [float("nan")] * 3,
    ...     "completed": [float("nan")] * 3, "workers": [float("nan")] * 3, "reporter": [""] * 3,
    ...     "seq": [1, 2, 3]})
    >>> at = state_at(base, reports, as_of=dt.date(2026, 11, 10)).firms.iloc[0]
    >>> at["status"], float(at["capacity"]), at["problem"]  # 11-09 gave a capacity only
    ('partial', 70.0, '停电')
    >>> at = state_at(base, reports, as_of=dt.date(2026, 11, 30)).firms.iloc[0]
    >>> at["status"], bool(np.isnan(at["capacity"]))  # back to normal: the status's own
    ('normal', True)
    """
    shown = _reports(reports, as_of)
    firms = ledgers.firms.copy()
    projects = ledgers.projects.assign(started=np.nan)
    if shown.empty:
        return LedgerTables(firms=firms, projects=projects, links=ledgers.links, problems=ledgers.problems)
    last = shown.groupby("id", sort=False).last()  # per column, the last value given
    firms = _overlay(firms, last, _FIRM_FIELDS)
    firms["capacity"] = firms["capacity"].where(firms["capacity"] != _RESET, np.nan)
    projects = _overlay(projects, last, _PROJECT_FIELDS)
    return LedgerTables(firms=firms, projects=projects, links=ledgers.links, problems=ledgers.problems)


def _overlay(table: pd.DataFrame, last: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
    table = table.copy()
    found = table["id"].map(lambda i: i in last.index).to_numpy(dtype=bool)
    if not found.any():
        return table
    for field in fields:
        given = last[field].reindex(table["id"]).to_numpy()
        present = found & pd.notna(given)
        if field == "recovery_days":
            table[field] = table[field].astype("Float64").where(~present, pd.Series(given, index=table.index))
            table[field] = table[field].round().astype("Int64")
        else:
            table.loc[present, field] = given[present]
    return table


def round_ends(start: dt.date, end: dt.date, *, weekday: int) -> list[dt.date]:
    """Return the ends of the rounds from ``start`` to ``end``: every ``weekday`` (0 Monday).

    The round ending on day E covers E−6 … E. The first end is the first ``weekday`` on or
    after ``start``; the last on or before ``end``.

    Examples
    --------
    >>> [str(d) for d in round_ends(dt.date(2026, 11, 1), dt.date(2026, 11, 30), weekday=4)]  # Fridays
    ['2026-11-06', '2026-11-13', '2026-11-20', '2026-11-27']
    """
    first = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
    return [first + dt.timedelta(days=7 * k) for k in range(max(0, (end - first).days // 7 + 1))]


def _groups(graph: SupplyGraph, group: str) -> np.ndarray:
    if group == "city":
        return np.full(graph.n, "city", dtype=object)
    if group == "county":
        return graph.adcodes.astype(str).astype(object)
    return graph.chains.astype(str).astype(object)


def series(
    graph: SupplyGraph,
    ledgers: LedgerTables,
    reports: pd.DataFrame,
    *,
    ends: Sequence[dt.date],
    group: Literal["city", "county", "chain"],
    output_threshold: float,
    tax_threshold: float,
    threshold: float,
) -> pd.DataFrame:
    """Return the campaign's series: one row per round end and group (city, county or chain).

    Columns: ``round``, ``group``, ``recovery`` (Σ output·c / Σ output over the key
    enterprises), ``availability`` (the same of a), ``at_target`` (key enterprises with
    c ≥ ``threshold``), ``blocked`` (firms with buyers and c < ``threshold``), ``value_at_risk``
    (Σ weight·(1 − a)), and for projects ``started``, ``completed`` (万元), ``planned_to_date``
    (Σ annual_plan · months elapsed / 12, counting the month of the round end when it is its
    last day, else the months before it) and ``progress`` (completed / planned_to_date).
    A group without key enterprises has recovery and availability NaN; chains have no
    projects (their project figures are 0 and progress NaN).

    ``graph`` is the base ledgers' graph; each round is a capacity scenario on it.
    """
    key = key_enterprises(graph, output_threshold=output_threshold, tax_threshold=tax_threshold)
    labels = _groups(graph, group)
    codes, names = pd.factorize(pd.Series(labels))
    size = len(names)
    has_buyers = np.zeros(graph.n, dtype=bool)
    has_buyers[graph.src] = True
    output = np.where(key, graph.output_weight, 0.0)
    project_rows = graph.index_of(ledgers.projects["id"])
    firm_rows = graph.index_of(ledgers.firms["id"])  # the state keeps the base's rows and order
    rows = []
    for end in ends:
        state = state_at(ledgers, reports, as_of=end)
        capacity = graph.capacity.copy()
        capacity[firm_rows] = own_capacity(state.firms)
        a = graph.with_capacity(capacity).base_availability
        started = np.zeros(graph.n)
        completed = np.zeros(graph.n)
        planned = np.zeros(graph.n)
        if len(project_rows):
            started[project_rows] = (state.projects["started"].to_numpy(dtype=float) == 1.0).astype(float)
            completed[project_rows] = np.nan_to_num(state.projects["completed"].to_numpy(dtype=float))
            planned[project_rows] = np.nan_to_num(state.projects["annual_plan"].to_numpy(dtype=float))
        months = _months_elapsed(end)
        sums = {
            "output": np.bincount(codes, weights=output, minlength=size),
            "recovered": np.bincount(codes, weights=output * capacity, minlength=size),
            "available": np.bincount(codes, weights=output * a, minlength=size),
            "at_target": np.bincount(codes, weights=key & (capacity >= threshold), minlength=size),
            "blocked": np.bincount(
                codes, weights=has_buyers & ~graph.is_project & (capacity < threshold), minlength=size
            ),
            "value_at_risk": np.bincount(codes, weights=graph.weight * (1.0 - a), minlength=size),
            "started": np.bincount(codes, weights=started, minlength=size),
            "completed": np.bincount(codes, weights=completed, minlength=size),
            "planned": np.bincount(codes, weights=planned * months / 12.0, minlength=size),
        }
        for k, name in enumerate(names):
            total = sums["output"][k]
            plan = sums["planned"][k]
            rows.append(
                {
                    "round": end,
                    "group": str(name),
                    "recovery": sums["recovered"][k] / total if total > 0 else np.nan,
                    "availability": sums["available"][k] / total if total > 0 else np.nan,
                    "at_target": int(sums["at_target"][k]),
                    "blocked": int(sums["blocked"][k]),
                    "value_at_risk": float(sums["value_at_risk"][k]) + 0.0,
                    "started": int(sums["started"][k]),
                    "completed": float(sums["completed"][k]),
                    "planned_to_date": float(plan),
                    "progress": sums["completed"][k] / plan if plan > 0 else np.nan,
                }
            )
    columns = [
        "round",
        "group",
        "recovery",
        "availability",
        "at_target",
        "blocked",
        "value_at_risk",
        "started",
        "completed",
        "planned_to_date",
        "progress",
    ]
    return pd.DataFrame(rows, columns=columns)


def _months_elapsed(day: dt.date) -> int:
    """Whole months of the year elapsed at ``day`` (its own month when ``day`` is its last).

    Examples
    --------
    >>> _months_elapsed(dt.date(2026, 6, 30)), _months_elapsed(dt.date(2026, 6, 29))
    (6, 5)
    """
    last = (day + dt.timedelta(days=1)).month != day.month
    return day.month if last else day.month - 1


def compliance(reports: pd.DataFrame, *, end: dt.date, due: pd.DataFrame) -> pd.DataFrame:
    """Return who has reported in the round ending ``end``: per county, due, reported, missing.

    ``due`` lists the entities due (columns ``id`` and ``county``: the key enterprises and
    key projects). Reported: a report whose ``as_of`` falls in ``end``−6 … ``end``. Columns:
    ``county``, ``due``, ``reported``, ``compliance`` (reported / due; 1 when nothing is
    due) and ``missing`` (the ids not reported, sorted). By county.

    Examples
    --------
    >>> due = pd.DataFrame({"id": ["E1", "E2", "P1"], "county": ["431202", "431202", "431228"]})
    >>> reports = pd.DataFrame({"id": ["E1", "P1"], "as_of": ["2026-11-27", "2026-11-19"]})
    >>> t = compliance(reports, end=dt.date(2026, 11, 27), due=due)
    >>> t[["county", "due", "reported", "compliance", "missing"]].values.tolist()
    [['431202', 2, 1, 0.5, ['E2']], ['431228', 1, 0, 0.0, ['P1']]]
    """
    first = (end - dt.timedelta(days=6)).isoformat()
    seen: set[str] = set()
    if len(reports):
        dates = reports["as_of"]
        seen = set(reports.loc[(dates >= first) & (dates <= end.isoformat()), "id"])
    table = due.assign(reported=due["id"].map(lambda i: i in seen))
    rows = []
    for county, part in table.groupby("county", sort=True):
        n, done = len(part), int(part["reported"].sum())
        rows.append(
            {
                "county": str(county),
                "due": n,
                "reported": done,
                "compliance": done / n if n else 1.0,
                "missing": sorted(part.loc[~part["reported"], "id"].astype(str)),
            }
        )
    return pd.DataFrame(rows, columns=["county", "due", "reported", "compliance", "missing"])


def county_ranking(by_county: pd.DataFrame) -> pd.DataFrame:
    """Rank counties each round by recovery, then availability, then adcode; with the change.

    ``by_county`` is :func:`series` by county. Returns its rows with ``rank`` (1 first) and
    ``rank_change`` (previous rank − this rank: positive when a county moved up; missing in
    the first round). Counties without key enterprises are not ranked.

    Examples
    --------
    >>> s = pd.DataFrame({"round": [1, 1, 2, 2], "group": ["A", "B", "A", "B"],
    ...                   "recovery": [0.8, 0.7, 0.75, 0.9], "availability": [0.8, 0.7, 0.7, 0.9]})
    >>> county_ranking(s)[["round", "group", "rank", "rank_change"]].values.tolist()
    [[1, 'A', 1, nan], [1, 'B', 2, nan], [2, 'B', 1, 1.0], [2, 'A', 2, -1.0]]
    """
    ranked = by_county.dropna(subset=["recovery"])
    ranked = ranked.sort_values(
        ["round", "recovery", "availability", "group"], ascending=[True, False, False, True], kind="stable"
    )
    ranked = ranked.assign(rank=ranked.groupby("round").cumcount() + 1)
    previous = ranked.groupby("group")["rank"].shift(1)
    return ranked.assign(rank_change=previous - ranked["rank"]).reset_index(drop=True)


TargetState = Literal["reached", "on_track", "behind", "missed"]


@dataclass(frozen=True)
class Target:
    """One target of the plan: ``metric`` to reach ``value`` by the day ``by`` in ``scope``."""

    metric: str
    value: float
    by: dt.date
    scope: str = "city"


def target_states(target: Target, actual: pd.Series) -> pd.Series:
    """Return the state of ``target`` at each round of ``actual`` (indexed by round end).

    ``reached`` (actual ≥ value); after ``by``, not reached: ``missed``; else ``on_track``
    when actual ≥ the straight line from the first round's actual to ``value`` at ``by``,
    else ``behind``.

    Examples
    --------
    >>> t = Target("recovery", 0.9, dt.date(2026, 4, 30))
    >>> actual = pd.Series([0.5, 0.63, 0.62, 0.95, 0.8],
    ...     index=[dt.date(2026, 1, 30), dt.date(2026, 2, 27), dt.date(2026, 3, 27),
    ...            dt.date(2026, 4, 24), dt.date(2026, 5, 29)])
    >>> target_states(t, actual).tolist()
    ['on_track', 'on_track', 'behind', 'reached', 'missed']
    """
    if actual.empty:
        return pd.Series([], dtype=object)
    days: list[dt.date] = list(actual.index)
    first_day, first = days[0], float(actual.iloc[0])
    span = max((target.by - first_day).days, 1)
    states = []
    for day, value in zip(days, actual.to_numpy(dtype=float), strict=True):
        line = first + (target.value - first) * min((day - first_day).days / span, 1.0)
        if value >= target.value:
            states.append("reached")
        elif day > target.by:
            states.append("missed")
        elif value >= line - 1e-12:
            states.append("on_track")
        else:
            states.append("behind")
    return pd.Series(states, index=actual.index, dtype=object)
