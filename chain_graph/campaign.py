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
from dataclasses import dataclass, replace
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
    "series_by_groups",
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
        return replace(ledgers, firms=firms, projects=projects)
    last = shown.groupby("id", sort=False).last()  # per column, the last value given
    firms = _overlay(firms, last, _FIRM_FIELDS)
    firms["capacity"] = firms["capacity"].where(firms["capacity"] != _RESET, np.nan)
    projects = _overlay(projects, last, _PROJECT_FIELDS)
    return replace(ledgers, firms=firms, projects=projects)


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


_COLUMNS = [
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
    mask: np.ndarray | None = None,
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

    ``graph`` is the base ledgers' graph; each round is a capacity scenario on it. With
    ``mask`` only the nodes in it count (a county's own: its chains, its city line).
    """
    found = series_by_groups(
        graph,
        ledgers,
        reports,
        ends=ends,
        groups=[group],
        output_threshold=output_threshold,
        tax_threshold=tax_threshold,
        threshold=threshold,
        mask=mask,
    )
    return found[group]


def series_by_groups(
    graph: SupplyGraph,
    ledgers: LedgerTables,
    reports: pd.DataFrame,
    *,
    ends: Sequence[dt.date],
    groups: Sequence[Literal["city", "county", "chain"]],
    output_threshold: float,
    tax_threshold: float,
    threshold: float,
    mask: np.ndarray | None = None,
) -> dict[str, pd.DataFrame]:
    """Return :func:`series` for several groups at once: each round is propagated once for all."""
    inside = np.ones(graph.n, dtype=bool) if mask is None else mask
    key = key_enterprises(graph, output_threshold=output_threshold, tax_threshold=tax_threshold) & inside
    factorized = {group: pd.factorize(pd.Series(_groups(graph, group))) for group in groups}
    has_buyers = np.zeros(graph.n, dtype=bool)
    has_buyers[graph.src] = True
    output = np.where(key, graph.output_weight, 0.0)
    planned = np.zeros(graph.n)
    planned[graph.index_of(ledgers.projects["id"])] = np.nan_to_num(
        ledgers.projects["annual_plan"].to_numpy(dtype=float)
    )
    rows: dict[str, list[pd.DataFrame]] = {group: [] for group in groups}
    seen = [(graph.capacity, graph)]  # a round without new reports repeats a state: not propagated again
    for end, state in zip(ends, _rounds(graph, ledgers, reports, ends=ends), strict=True):
        capacity = state.capacity
        same = next((g for c, g in seen if np.array_equal(c, capacity)), None)
        if same is None:
            same = graph.with_capacity(capacity)
            seen = [seen[0], (capacity, same)]
        a = same.base_availability
        months = _months_elapsed(end)
        weights = {
            "output": output,
            "recovered": output * capacity,
            "available": output * a,
            "at_target": (key & (capacity >= threshold)).astype(float),
            "blocked": (inside & has_buyers & ~graph.is_project & (capacity < threshold)).astype(float),
            "value_at_risk": inside * graph.weight * (1.0 - a),
            "started": inside * (state.started == 1.0),
            "completed": inside * np.nan_to_num(state.completed),
            "planned": inside * planned * months / 12.0,
        }
        for group, (codes, names) in factorized.items():
            sums = {k: np.bincount(codes, weights=w, minlength=len(names)) for k, w in weights.items()}
            rows[group].append(_rows(end, names, sums))
    return {
        group: pd.concat(rows[group], ignore_index=True) if rows[group] else pd.DataFrame(columns=_COLUMNS)
        for group in groups
    }


def _rows(end: dt.date, names: pd.Index, sums: dict[str, np.ndarray]) -> pd.DataFrame:
    """One round's rows: one per group, columns :data:`_COLUMNS` (built as columns, not row by row)."""
    total, plan = sums["output"], sums["planned"]
    with np.errstate(divide="ignore", invalid="ignore"):
        recovery = np.where(total > 0, sums["recovered"] / total, np.nan)
        availability = np.where(total > 0, sums["available"] / total, np.nan)
        progress = np.where(plan > 0, sums["completed"] / plan, np.nan)
    return pd.DataFrame(
        {
            "round": pd.Series([end] * len(names), dtype=object),
            "group": pd.Series(names.astype(str), dtype="str"),
            "recovery": recovery,
            "availability": availability,
            "at_target": sums["at_target"].astype(np.int64),
            "blocked": sums["blocked"].astype(np.int64),
            "value_at_risk": sums["value_at_risk"].astype(float) + 0.0,
            "started": sums["started"].astype(np.int64),
            "completed": sums["completed"].astype(float),
            "planned_to_date": plan.astype(float),
            "progress": progress,
        },
        columns=_COLUMNS,
    )


@dataclass
class _State:
    """The reported state of every node at a round's end, as arrays by node position."""

    status: np.ndarray
    capacity_given: np.ndarray
    started: np.ndarray
    completed: np.ndarray

    @property
    def capacity(self) -> np.ndarray:
        """Own capacity c(v) (firms by :func:`own_capacity`; projects 1)."""
        frame = pd.DataFrame({"status": self.status, "capacity": self.capacity_given})
        found: np.ndarray = np.where(self.status == "", 1.0, own_capacity(frame))
        return found


def _rounds(
    graph: SupplyGraph, ledgers: LedgerTables, reports: pd.DataFrame, *, ends: Sequence[dt.date]
) -> list[_State]:
    """Return the state at each of ``ends`` (ascending), applying each week's reports once.

    The same overlay as :func:`state_at` (property-tested against it), incrementally: the
    reports are sorted once, and each round applies only those dated since the last.
    """
    firm_rows = graph.index_of(ledgers.firms["id"])
    project_rows = graph.index_of(ledgers.projects["id"])
    status = np.full(graph.n, "", dtype=object)
    status[firm_rows] = ledgers.firms["status"].to_numpy(dtype=object)
    given = np.full(graph.n, np.nan)
    given[firm_rows] = ledgers.firms["capacity"].to_numpy(dtype=float)
    started = np.full(graph.n, np.nan)
    completed = np.full(graph.n, np.nan)
    completed[project_rows] = ledgers.projects["completed"].to_numpy(dtype=float)
    shown = _reports(reports, max(ends)) if len(ends) else reports.iloc[:0]
    known = shown["id"].isin(graph.index) if len(shown) else shown["id"]
    shown = shown[known] if len(shown) else shown
    positions = graph.index_of(shown["id"]) if len(shown) else np.zeros(0, dtype=np.int64)
    dates = shown["as_of"].to_numpy(dtype=object) if len(shown) else np.zeros(0, dtype=object)
    states = []
    done = 0
    for end in ends:
        upto = int(np.searchsorted(dates, end.isoformat(), side="right"))
        if upto > done:
            batch = shown.iloc[done:upto].assign(_node=positions[done:upto])
            last = batch.groupby("_node", sort=False).last()  # per column, the last value given
            nodes = last.index.to_numpy(dtype=np.int64)
            for column, target in (("status", status), ("started", started), ("completed", completed)):
                values = last[column].to_numpy(dtype=object)
                present = pd.notna(values)
                target[nodes[present]] = values[present]
            capacity = last["capacity"].to_numpy(dtype=float)
            present = ~np.isnan(capacity)
            given[nodes[present]] = np.where(capacity[present] == _RESET, np.nan, capacity[present])
            done = upto
        states.append(_State(status.copy(), given.copy(), started.copy(), completed.copy()))
    return states


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
