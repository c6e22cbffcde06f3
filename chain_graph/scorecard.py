"""The counties' scorecard of a month (月调度) or a quarter (季督查), and the city's top problems.

A **period** is a calendar month or quarter; its **rounds** are the weekly round ends that
fall in it (:func:`chain_graph.campaign.round_ends`), and the **base round** is the last round
before it (上期末), against which changes are measured. For each county of the home city
(an adcode sharing the city's first four digits) the scorecard gives:

- ``recovery`` and ``availability`` at the period's last round, ``recovery_change`` since the
  base round, ``at_target``, ``blocked`` suppliers and their ``value_at_risk`` (万元) at the
  last round (:func:`chain_graph.campaign.series`);
- the problem ledger: items ``opened`` and ``closed`` in the period and ``overdue`` at its end,
  by the rules of :mod:`chain_graph.report` (an item's county is its subject's county);
- ``due`` and ``reported`` summed over the period's rounds, and ``compliance`` = reported / due
  (1 when nothing was due);
- ``rank`` by recovery at the last round (then availability, then adcode;
  :func:`chain_graph.campaign.county_ranking`) and ``rank_change`` since the base round
  (positive: moved up). Counties without key enterprises have no recovery and no rank.

The city's line has the same figures for the whole city (every item, every entity due), and
the city's **top problems** are the open items longest overdue at the period's end and the
blocked suppliers whose recovery would restore the most value at the last round.

The scorecard is a value object of tables; :mod:`exports.notice` writes it as a workbook, a
printable page and a Word notice (通报).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from chain_graph.analysis import blocked, key_enterprises, rank_blocked, recovery
from chain_graph.campaign import compliance, county_ranking, round_ends, series_by_groups, state_at
from chain_graph.errors import ConfigError
from chain_graph.graph import SupplyGraph, own_capacity
from chain_graph.model import LedgerTables
from chain_graph.problem_ledger import LedgerEvent, LedgerItem
from chain_graph.regions import Scope, classify, divisions, region_name
from chain_graph.report import item_record
from chain_graph.settings import Settings

__all__ = [
    "COUNTY_COLUMNS",
    "Period",
    "Scorecard",
    "month_period",
    "parse_month",
    "parse_quarter",
    "quarter_period",
    "scorecard",
]

_QUARTER_NAMES = ("一", "二", "三", "四")

COUNTY_COLUMNS = [
    "county",
    "name",
    "recovery",
    "recovery_change",
    "availability",
    "at_target",
    "blocked",
    "value_at_risk",
    "opened",
    "closed",
    "overdue",
    "due",
    "reported",
    "compliance",
    "rank",
    "rank_change",
]
"""The columns of :attr:`Scorecard.counties` (and the keys of :attr:`Scorecard.city`)."""


@dataclass(frozen=True)
class Period:
    """A calendar month or quarter: ``start`` and ``end`` both included."""

    kind: Literal["month", "quarter"]
    year: int
    number: int
    """The month (1–12) or the quarter (1–4)."""
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        """The period as a notice names it: 2026年11月, 2026年第四季度."""
        if self.kind == "month":
            return f"{self.year}年{self.number}月"
        return f"{self.year}年第{_QUARTER_NAMES[self.number - 1]}季度"


def month_period(year: int, month: int) -> Period:
    """Return the calendar month ``year``-``month``.

    Examples
    --------
    >>> p = month_period(2026, 2)
    >>> p.label, str(p.start), str(p.end)
    ('2026年2月', '2026-02-01', '2026-02-28')
    """
    if not 1 <= month <= 12:
        raise ConfigError(f"月份应在 1 到 12 之间，当前为 {month}")
    first = dt.date(year, month, 1)
    after = dt.date(year + month // 12, month % 12 + 1, 1)
    return Period("month", year, month, first, after - dt.timedelta(days=1))


def quarter_period(year: int, quarter: int) -> Period:
    """Return the calendar quarter ``quarter`` (1–4) of ``year``.

    Examples
    --------
    >>> p = quarter_period(2026, 4)
    >>> p.label, str(p.start), str(p.end)
    ('2026年第四季度', '2026-10-01', '2026-12-31')
    """
    if not 1 <= quarter <= 4:
        raise ConfigError(f"季度应在 1 到 4 之间，当前为 {quarter}")
    first, last = month_period(year, 3 * quarter - 2), month_period(year, 3 * quarter)
    return Period("quarter", year, quarter, first.start, last.end)


def parse_month(text: str) -> Period:
    """Return the month written ``YYYY-MM``; a :class:`ConfigError` says what is wrong.

    Examples
    --------
    >>> parse_month("2026-11").label
    '2026年11月'
    >>> parse_month("2026/11")
    Traceback (most recent call last):
    ...
    chain_graph.errors.ConfigError: 月份应写作 YYYY-MM（如 2026-11），当前为 '2026/11'
    """
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not match:
        raise ConfigError(f"月份应写作 YYYY-MM（如 2026-11），当前为 {text!r}")
    return month_period(int(match.group(1)), int(match.group(2)))


def parse_quarter(text: str) -> Period:
    """Return the quarter written ``YYYYQn``; a :class:`ConfigError` says what is wrong.

    Examples
    --------
    >>> parse_quarter("2026Q4").label
    '2026年第四季度'
    >>> parse_quarter("2026-4")
    Traceback (most recent call last):
    ...
    chain_graph.errors.ConfigError: 季度应写作 YYYYQn（如 2026Q4），当前为 '2026-4'
    """
    match = re.fullmatch(r"(\d{4})[Qq](\d)", text.strip())
    if not match:
        raise ConfigError(f"季度应写作 YYYYQn（如 2026Q4），当前为 {text!r}")
    return quarter_period(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class Scorecard:
    """Every figure of one monthly or quarterly scorecard (the module docstring)."""

    period: Period
    end: dt.date
    """The last day counted: the period's end, or an earlier day while it runs."""
    rounds: tuple[dt.date, ...]
    base_round: dt.date
    target: float
    counties: pd.DataFrame
    """One row per county (:data:`COUNTY_COLUMNS`), ranked first, then by adcode."""
    city: dict[str, Any]
    """The city's line: the keys of :data:`COUNTY_COLUMNS` (rank and its change empty)."""
    overdue_items: pd.DataFrame
    """Open items longest overdue at ``end``: id, subject_id, subject, county, category,
    description, unit, deadline, overdue_days."""
    blocked_suppliers: pd.DataFrame
    """Blocked suppliers at the last round by value restored: rank, id, name, place,
    capacity, value, affected."""

    @property
    def last_round(self) -> dt.date:
        """The period's last round end counted."""
        return self.rounds[-1]

    @property
    def target_met(self) -> bool:
        """Whether the city's recovery at the last round reaches the target."""
        recovered = self.city["recovery"]
        return recovered is not None and not np.isnan(recovered) and recovered >= self.target - 1e-12


def scorecard(
    graph: SupplyGraph,
    ledgers: LedgerTables,
    reports: pd.DataFrame,
    items: Sequence[LedgerItem],
    events: Sequence[LedgerEvent],
    *,
    period: Period,
    settings: Settings,
    weekday: int,
    until: dt.date | None = None,
    top: int = 10,
) -> Scorecard:
    """Compute the scorecard of ``period``.

    Parameters
    ----------
    graph
        The base ledgers' graph (each round is a capacity scenario on it).
    ledgers, reports
        The base ledgers and the status reports (:data:`chain_graph.campaign.REPORT_COLUMNS`).
    items, events
        The problem ledger and its whole history.
    period
        The month or quarter (:func:`month_period`, :func:`quarter_period`).
    settings
        The home city, the key-enterprise and blocked thresholds, the recovery target.
    weekday
        The weekday rounds end on (0 Monday; the setting ``report_weekday``).
    until
        Count only up to this day (a period still running); default its end.
    top
        How many overdue items and blocked suppliers the top problems list.

    Raises
    ------
    ConfigError
        When no round of the period has ended by ``until``.
    """
    end = period.end if until is None else min(period.end, until)
    rounds = round_ends(period.start, end, weekday=weekday)
    if not rounds:
        raise ConfigError(f"{period.label}截至 {end} 尚无已结束的填报轮次，无法生成调度通报")
    base = rounds[0] - dt.timedelta(days=7)
    codes = _counties(graph, home_adcode=settings.home_adcode)
    both = series_by_groups(
        graph,
        ledgers,
        reports,
        ends=[base, rounds[-1]],
        groups=["county", "city"],
        output_threshold=settings.key_output_threshold,
        tax_threshold=settings.key_tax_threshold,
        threshold=settings.blocked_threshold,
    )
    by_county = both["county"][both["county"]["group"].isin(codes)]
    city_series = both["city"]
    table = _round_figures(by_county, base=base, last=rounds[-1]).reindex(codes)
    ranked = county_ranking(by_county)
    ranked = ranked[ranked["round"] == rounds[-1]].set_index("group")
    table["rank"] = ranked["rank"].reindex(codes)
    table["rank_change"] = ranked["rank_change"].reindex(codes)

    due = _due(graph, settings=settings)
    record = item_record(items, events, start=period.start, end=end)
    record["county"] = _item_counties(graph, items)
    ledger = record.groupby("county")[["registered", "closed", "overdue"]].sum()
    ledger = ledger.rename(columns={"registered": "opened"})
    reported = _reported(reports, due, rounds=rounds)
    for column in ("opened", "closed", "overdue"):
        table[column] = ledger[column].reindex(codes).fillna(0).astype(int)
    for column in ("due", "reported"):
        table[column] = reported[column].reindex(codes).fillna(0).astype(int)
    table["compliance"] = _share(table["reported"], table["due"])
    table.insert(0, "name", [region_name(c) or c for c in codes])
    table = table.rename_axis("county").reset_index()
    table = table.assign(_unranked=table["rank"].isna()).sort_values(["_unranked", "rank", "county"])
    counties = table.drop(columns="_unranked")[COUNTY_COLUMNS].reset_index(drop=True)
    for column in ("at_target", "blocked"):
        counties[column] = counties[column].fillna(0).astype(int)
    counties["value_at_risk"] = counties["value_at_risk"].fillna(0.0)
    counties["rank"] = counties["rank"].astype("Int64")

    city_figures = _round_figures(city_series, base=base, last=rounds[-1]).to_dict("records")[0]
    total_due, total_reported = int(reported["due"].sum()), int(reported["reported"].sum())
    city: dict[str, Any] = {
        "county": settings.home_adcode,
        "name": region_name(settings.home_adcode) or "全市",
        **{str(k): _plain(v) for k, v in city_figures.items()},
        "opened": int(record["registered"].sum()),
        "closed": int(record["closed"].sum()),
        "overdue": int(record["overdue"].sum()),
        "due": total_due,
        "reported": total_reported,
        "compliance": total_reported / total_due if total_due else 1.0,
        "rank": None,
        "rank_change": None,
    }
    return Scorecard(
        period=period,
        end=end,
        rounds=tuple(rounds),
        base_round=base,
        target=settings.capacity_target,
        counties=counties,
        city=city,
        overdue_items=_overdue_items(graph, items, record, top=top),
        blocked_suppliers=_blocked_suppliers(
            graph, ledgers, reports, day=rounds[-1], settings=settings, top=top
        ),
    )


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    """Return part / whole, 1 where nothing was due (nobody failed to report)."""
    return (part / whole.where(whole > 0, 1)).where(whole > 0, 1.0).astype(float)


def _counties(graph: SupplyGraph, *, home_adcode: str) -> list[str]:
    """Return the home city's counties: every division of the table and every code in the data."""
    prefix = home_adcode[:4]
    known = {code for code in divisions() if code.startswith(prefix)}
    present = {str(code) for code in graph.adcodes if str(code).startswith(prefix)}
    return sorted((known | present) - {home_adcode})


def _round_figures(table: pd.DataFrame, *, base: dt.date, last: dt.date) -> pd.DataFrame:
    """Per group: the figures at ``last`` and recovery's change since ``base``."""
    now = table[table["round"] == last].set_index("group")
    before = table[table["round"] == base].set_index("group")["recovery"]
    figures = now[["recovery", "availability", "at_target", "blocked", "value_at_risk"]].copy()
    figures.insert(1, "recovery_change", figures["recovery"] - before.reindex(figures.index))
    return figures


def _due(graph: SupplyGraph, *, settings: Settings) -> pd.DataFrame:
    """Who reports each round: the key scale enterprises and the key projects, with county."""
    key = key_enterprises(
        graph, output_threshold=settings.key_output_threshold, tax_threshold=settings.key_tax_threshold
    )
    chosen = key | graph.is_project
    return pd.DataFrame({"id": graph.ids[chosen].astype(str), "county": graph.adcodes[chosen].astype(str)})


def _reported(reports: pd.DataFrame, due: pd.DataFrame, *, rounds: Sequence[dt.date]) -> pd.DataFrame:
    """Per county: due and reported, each summed over ``rounds``."""
    parts = [compliance(reports, end=end, due=due) for end in rounds]
    if not any(len(part) for part in parts):
        return pd.DataFrame({"due": [], "reported": []}, index=pd.Index([], name="county"))
    return pd.concat(parts).groupby("county")[["due", "reported"]].sum()


def _item_counties(graph: SupplyGraph, items: Sequence[LedgerItem]) -> list[str]:
    """Each item's county: its subject's (empty when the subject is not in the graph)."""
    index = graph.index
    return [str(graph.adcodes[index[i.subject_id]]) if i.subject_id in index else "" for i in items]


def _overdue_items(
    graph: SupplyGraph, items: Sequence[LedgerItem], record: pd.DataFrame, *, top: int
) -> pd.DataFrame:
    """Return the ``top`` items overdue at the period's end, longest overdue first (then by id)."""
    index = graph.index
    rows = [
        {
            "id": item.id,
            "subject_id": item.subject_id,
            "subject": str(graph.names[index[item.subject_id]]) if item.subject_id in index else "",
            "county": region_name(county) or county,
            "category": str(item.category),
            "description": item.description,
            "unit": item.responsible_unit or "未指定",
            "deadline": item.deadline,
            "overdue_days": int(days),
        }
        for item, late, days, county in zip(
            items, record["overdue"], record["overdue_days"], record["county"], strict=True
        )
        if late
    ]
    columns = [
        "id",
        "subject_id",
        "subject",
        "county",
        "category",
        "description",
        "unit",
        "deadline",
        "overdue_days",
    ]
    table = pd.DataFrame(rows, columns=columns)
    table = table.sort_values(["overdue_days", "id"], ascending=[False, True], kind="stable")
    return table.head(top).reset_index(drop=True)


def _blocked_suppliers(
    graph: SupplyGraph,
    ledgers: LedgerTables,
    reports: pd.DataFrame,
    *,
    day: dt.date,
    settings: Settings,
    top: int,
) -> pd.DataFrame:
    """Return the ``top`` blocked suppliers at ``day`` by the value their recovery restores."""
    state = state_at(ledgers, reports, as_of=day)
    capacity = graph.capacity.copy()
    capacity[graph.index_of(ledgers.firms["id"])] = own_capacity(state.firms)
    at = graph.with_capacity(capacity)
    nodes = blocked(at, threshold=settings.blocked_threshold)
    columns = ["rank", "id", "name", "place", "capacity", "value", "affected"]
    if len(nodes) == 0:
        return pd.DataFrame(columns=columns)
    table = rank_blocked(recovery(at, nodes)).head(top)
    positions = at.index_of(table["id"])
    return pd.DataFrame(
        {
            "rank": table["rank"].to_numpy(),
            "id": table["id"].astype(str).to_numpy(),
            "name": at.names[positions].astype(str),
            "place": [_place(str(code), home_adcode=settings.home_adcode) for code in at.adcodes[positions]],
            "capacity": at.capacity[positions].astype(float),
            "value": table["recovered_value"].to_numpy(dtype=float),
            "affected": [len(a) for a in table["affected"]],
        },
        columns=columns,
    )


def _place(adcode: str, *, home_adcode: str) -> str:
    """Where a supplier is, as a notice writes it: the county at home, more levels further away.

    Examples
    --------
    >>> _place("431228", home_adcode="431200"), _place("430111", home_adcode="431200")
    ('芷江侗族自治县', '长沙市雨花区')
    >>> _place("420106", home_adcode="431200"), _place("", home_adcode="431200")
    ('湖北省武汉市武昌区', '未知')
    """
    region = classify(adcode, home_adcode=home_adcode)
    if region.scope == Scope.LOCAL:
        return region.county or region.city
    if region.scope == Scope.IN_PROVINCE:
        return region.city + region.county
    if region.scope == Scope.OUT_OF_PROVINCE:
        return region.province + region.city + region.county
    return adcode or "未知"
