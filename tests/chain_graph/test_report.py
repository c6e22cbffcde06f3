"""The weekly report's figures, computed by hand on the canonical ledgers and small ledgers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain_graph.errors import ConfigError
from chain_graph.gaps import analyze
from chain_graph.model import ProblemStatus
from chain_graph.problem_ledger import Action, LedgerEvent, LedgerItem, apply, registration
from chain_graph.report import report_period, unit_ranking, weekly_report, weekly_trend
from chain_graph.settings import Settings
from ingest.loader import read_directory
from tests.defaults import SETTINGS

START, END = dt.date(2026, 11, 23), dt.date(2026, 11, 29)


def test_canonical_figures(canonical_dir: Path) -> None:
    analysis = analyze(read_directory(canonical_dir, settings=SETTINGS).ledgers, settings=SETTINGS)
    report = weekly_report(analysis, [], [], start=START, end=END, target=0.9)
    # E1: output 30000, a = 0.4 (S1, 60 % of its steel, is stopped); E2: 5000, own capacity 60 %.
    assert report.recovery == pytest.approx((30000 * 0.4 + 5000 * 0.6) / 35000)
    assert not report.target_met
    assert (report.enterprises, report.enterprises_below_target) == (2, 2)
    assert report.output_at_risk == pytest.approx(30000 * 0.6 + 5000 * 0.4)
    # P1: annual plan 20000, fed by E1 (a = 0.4).
    assert (report.projects, report.annual_plan) == (1, 20000.0)
    assert report.investment_at_risk == pytest.approx(12000.0)
    scopes = report.blocked_by_scope.set_index("scope")
    assert scopes.loc["in_province", "suppliers"] == 1
    s1 = analysis.blocked[analysis.blocked["id"] == "S1"]["recovered_value"].iloc[0]
    assert scopes.loc["in_province", "value"] == pytest.approx(s1)
    assert scopes.loc["local", "suppliers"] == 0
    assert weekly_report(analysis, [], [], start=START, end=END, target=0.4).target_met


def test_only_key_scale_enterprises_count_for_the_recovery(canonical_dir: Path) -> None:
    # E2 (output 5000, tax 600) is a key scale enterprise by its tax; at 700 万元 it is not,
    # and only E1 (output 30000, a = 0.4) is left.
    settings = Settings(key_tax_threshold=700)
    analysis = analyze(read_directory(canonical_dir, settings=settings).ledgers, settings=settings)
    report = weekly_report(analysis, [], [], start=START, end=END, target=0.9)
    assert report.recovery == pytest.approx(0.4)
    assert (report.enterprises, report.enterprises_below_target) == (1, 1)
    # The losses stay those of the analysis spec: every firm of the enterprises table.
    assert report.output_at_risk == pytest.approx(30000 * 0.6 + 5000 * 0.4)


def test_a_reversed_period_is_refused(canonical_dir: Path) -> None:
    analysis = analyze(read_directory(canonical_dir, settings=SETTINGS).ledgers, settings=SETTINGS)
    with pytest.raises(ConfigError, match="早于开始日"):
        weekly_report(analysis, [], [], start=END, end=START, target=0.9)


TODAY = dt.date(2026, 11, 28)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, (dt.date(2026, 11, 22), TODAY)),
        (dt.date(2026, 11, 1), None, (dt.date(2026, 11, 1), TODAY)),
        (None, dt.date(2026, 10, 31), (dt.date(2026, 10, 25), dt.date(2026, 10, 31))),
        (dt.date(2026, 11, 27), dt.date(2026, 11, 27), (dt.date(2026, 11, 27), dt.date(2026, 11, 27))),
    ],
)
def test_report_period_defaults(
    start: dt.date | None, end: dt.date | None, expected: tuple[dt.date, dt.date]
) -> None:
    assert report_period(start, end, today=TODAY) == expected


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (None, dt.date(1, 1, 1), "结束日 0001-01-01 应在 2000 年到 2100 年之间"),  # six days before: no date
        (dt.date(9999, 12, 31), None, "开始日 9999-12-31 应在 2000 年到 2100 年之间"),
        (dt.date(2026, 11, 28), dt.date(2026, 11, 1), "早于开始日"),
    ],
)
def test_report_period_refuses(start: dt.date | None, end: dt.date | None, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        report_period(start, end, today=TODAY)


def _day(d: int, h: int = 9) -> dt.datetime:
    return dt.datetime(2026, 11, d, h)


def _history(item: LedgerItem, *steps: tuple[Action, dt.datetime]) -> tuple[LedgerItem, list[LedgerEvent]]:
    events = [registration(item, by="市工信局")]
    for action, at in steps:
        item, event = apply(item, action, by="x", at=at, note="说明", deadline=dt.date(2026, 12, 20))
        events.append(event)
    return item, events


def test_unit_ranking_by_hand() -> None:
    def new(item_id: str, unit: str, deadline: int | None, created: int = 20) -> LedgerItem:
        return LedgerItem(
            id=item_id,
            subject_id="E1",
            responsible_unit=unit,
            deadline=dt.date(2026, 11, deadline) if deadline else None,
            created_at=_day(created),
            updated_at=_day(created),
        )

    items, events = [], []
    for item, steps in [
        (new("A1", "甲", 25), [(Action.CLOSE, _day(24))]),  # on time, in period
        (new("A2", "甲", 26), [(Action.CLOSE, _day(28))]),  # closed late
        (new("B1", "乙", 27), [(Action.CLOSE, _day(27, 17))]),  # on time, on the deadline
        (new("B2", "乙", 10, created=1), [(Action.CLOSE, _day(5))]),  # closed before the period: not counted
        (new("C1", "丙", 24), []),  # open and overdue at END: 5 days
        # Reopened: open again, and overdue by 1 day at END.
        (new("C2", "丙", 28), [(Action.CLOSE, _day(26)), (Action.REOPEN, _day(27))]),
        (new("D1", "丁", None, created=24), []),  # no deadline: nothing due
    ]:
        final, history = _history(item, *steps)
        items.append(final)
        events += history
    table = unit_ranking(items, events, start=START, end=END).set_index("unit")
    assert list(table.index) == ["乙", "甲", "丙", "丁"]
    assert list(table["rank"]) == [1, 2, 3, None]  # 丁 had nothing due: no rate, no rank
    assert list(table.loc["甲", ["registered", "closed", "due", "on_time", "overdue"]]) == [0, 2, 2, 1, 0]
    assert table.loc["甲", "rate"] == 0.5
    assert list(table.loc["乙", ["closed", "due", "on_time"]]) == [1, 1, 1]
    assert list(table.loc["丙", ["open", "overdue", "overdue_days", "due", "on_time"]]) == [2, 2, 6, 2, 0]
    assert table.loc["丙", "rate"] == 0.0
    assert table.loc["丁", "registered"] == 1
    assert table.loc["丁", "due"] == 0
    assert table["rate"].isna().tolist() == [False, False, False, True]


def test_equal_rates_rank_by_fewer_overdue_then_name() -> None:
    def open_item(item_id: str, unit: str, deadline: int) -> LedgerItem:
        return LedgerItem(
            id=item_id,
            subject_id="E1",
            responsible_unit=unit,
            deadline=dt.date(2026, 11, deadline),
            created_at=_day(20),
            updated_at=_day(20),
        )

    items = [
        open_item("X1", "乙", 24),
        open_item("X2", "甲", 24),
        open_item("X3", "甲", 25),
        open_item("X4", "丙", 24),
    ]
    table = unit_ranking(items, [], start=START, end=END)
    assert table["unit"].tolist() == ["丙", "乙", "甲"]  # all 0 %; 乙 and 丙 one overdue each, by name


_DAY0 = dt.date(2026, 9, 1)


@st.composite
def _ledgers(draw: st.DrawFn) -> tuple[list[LedgerItem], list[LedgerEvent]]:
    items, events = [], []
    for n in range(draw(st.integers(0, 12))):
        created = dt.datetime.combine(_DAY0 + dt.timedelta(days=draw(st.integers(0, 90))), dt.time(9))
        offset = draw(st.none() | st.integers(-5, 60))
        deadline = None if offset is None else created.date() + dt.timedelta(days=offset)
        item = LedgerItem(
            id=f"W{n}",
            subject_id="E1",
            responsible_unit=draw(st.sampled_from(["甲", "乙", ""])),
            deadline=deadline,
            created_at=created,
            updated_at=created,
        )
        steps = draw(st.lists(st.sampled_from([Action.CLOSE, Action.REOPEN]), max_size=3))
        status, seq, at = ProblemStatus.REGISTERED, 1, created
        for action in steps:
            if (action == Action.CLOSE) == (status == ProblemStatus.CLOSED):
                continue
            seq, at = seq + 1, at + dt.timedelta(days=draw(st.integers(0, 20)))
            new = ProblemStatus.CLOSED if action == Action.CLOSE else ProblemStatus.IN_PROGRESS
            events.append(
                LedgerEvent(
                    item_id=item.id,
                    seq=seq,
                    at=at,
                    by="x",
                    action=action,
                    from_status=status,
                    to_status=new,
                    note="n",
                )
            )
            status = new
        items.append(item.model_copy(update={"status": status}))
    return items, events


@given(_ledgers(), st.integers(0, 120))
@settings(max_examples=60, deadline=None)
def test_weekly_trend_agrees_with_each_weeks_unit_record(
    ledger: tuple[list[LedgerItem], list[LedgerEvent]], day: int
) -> None:
    items, events = ledger
    end = _DAY0 + dt.timedelta(days=day)
    for week in weekly_trend(items, events, end=end, weeks=4):
        assert isinstance(week["start"], dt.date)
        assert isinstance(week["end"], dt.date)
        table = unit_ranking(items, events, start=week["start"], end=week["end"])
        for column in ("registered", "closed", "open", "overdue"):
            assert week[column] == (int(table[column].sum()) if len(table) else 0), column
