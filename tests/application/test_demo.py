"""The demo's problem ledger: every state, several weeks, overdue items, a ranking with content."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from application.demo import ANALYSIS_DAYS, DemoLedger, busiest_county, seed_ledger
from application.workspace import Snapshot, Workspace
from chain_graph.model import ProblemStatus
from chain_graph.problem_ledger import Action, LedgerEvent, LedgerItem, overdue_days
from chain_graph.report import unit_ranking, weekly_trend
from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import read_directory
from ingest.synth import synthesize
from tests.defaults import SETTINGS

TODAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo") / "data"
    synthesize(directory, firms=600, seed=1)
    return directory


def _seeded(data: Path, url: str, *, seed: int = 1) -> Iterator[tuple[Workspace, Snapshot, DemoLedger]]:
    with SQLiteStore(url, batch_size=SETTINGS.write_batch_size) as store:
        store.write(read_directory(data, settings=SETTINGS).ledgers)
        ws = Workspace(SETTINGS, store=store)
        snap = ws.snapshot()
        made = seed_ledger(ws, snap, by="市工信局管理员", today=TODAY, seed=seed)
        yield ws, snap, made


@pytest.fixture(scope="module")
def seeded(
    data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Workspace, Snapshot, DemoLedger]]:
    yield from _seeded(data, f"sqlite:///{tmp_path_factory.mktemp('store')}/demo.db")


def _ledger(seeded: tuple[Workspace, Snapshot, DemoLedger]) -> tuple[list[LedgerItem], list[LedgerEvent]]:
    ws = seeded[0]
    ledger = ws.ledger()
    return ledger.items, ledger.events


def test_every_state_and_every_action(seeded: tuple[Workspace, Snapshot, DemoLedger]) -> None:
    items, events = _ledger(seeded)
    assert {i.status for i in items} == set(ProblemStatus)
    assert {e.action for e in events} == set(Action)
    made = seeded[2]
    assert made.items == len(items)
    assert made.by_status == dict(Counter(i.status.value for i in items))


def test_history_spans_weeks_and_ends_yesterday(seeded: tuple[Workspace, Snapshot, DemoLedger]) -> None:
    items, events = _ledger(seeded)
    registered_weeks = {i.created_at.date().isocalendar()[:2] for i in items if i.source != "import"}
    assert len(registered_weeks) >= 3
    assert len({e.at.date().isocalendar()[:2] for e in events}) >= 6
    assert min(e.at.date() for e in events) == TODAY - dt.timedelta(days=49) == seeded[2].first
    assert max(e.at.date() for e in events) < TODAY
    by_item: dict[str, list[LedgerEvent]] = {}
    for event in events:
        by_item.setdefault(event.item_id, []).append(event)
    for history in by_item.values():  # each item's history runs forward in time
        ordered = sorted(history, key=lambda e: e.seq)
        assert [e.at for e in ordered] == sorted(e.at for e in ordered)


def test_overdue_escalated_and_closed_late_items(seeded: tuple[Workspace, Snapshot, DemoLedger]) -> None:
    items, events = _ledger(seeded)
    overdue = [i for i in items if overdue_days(i, TODAY) > 0]
    assert overdue
    assert seeded[2].overdue == len(overdue)
    closes = {e.item_id: e.at.date() for e in events if e.action == Action.CLOSE}
    deadlines = {i.id: i.deadline for i in items}
    on_time = [k for k, day in closes.items() if (d := deadlines[k]) is not None and day <= d]
    late = [k for k, day in closes.items() if (d := deadlines[k]) is not None and day > d]
    assert on_time
    assert late
    # The analysis's items were due ANALYSIS_DAYS after the first day (unless extended since).
    first = seeded[2].first
    analysis = [
        i
        for i in items
        if i.source == "analysis" and i.id not in {e.item_id for e in events if e.action == Action.EXTEND}
    ]
    assert {i.deadline for i in analysis} == {first + dt.timedelta(days=ANALYSIS_DAYS)}


def test_the_dashboard_trend_and_the_ranking_have_content(
    seeded: tuple[Workspace, Snapshot, DemoLedger],
) -> None:
    items, events = _ledger(seeded)
    trend = weekly_trend(items, events, end=TODAY)  # the dashboard's eight weeks
    assert all(week["open"] for week in trend)
    assert sum(week["registered"] > 0 for week in trend) >= 3  # type: ignore[operator]
    assert sum(week["closed"] > 0 for week in trend) >= 3  # type: ignore[operator]
    assert trend[-1]["overdue"]
    ranking = unit_ranking(items, events, start=TODAY - dt.timedelta(days=6), end=TODAY)
    rated = ranking.dropna(subset=["rate"])
    assert len(rated) >= 3
    assert rated["rate"].nunique() >= 2


def test_the_same_seed_and_day_give_the_same_ledger(
    data: Path, tmp_path: Path, seeded: tuple[Workspace, Snapshot, DemoLedger]
) -> None:
    items, events = _ledger(seeded)
    for ws, _, _ in _seeded(data, f"sqlite:///{tmp_path}/again.db"):
        again = ws.ledger()
        assert again.items == items
        assert sorted(again.events, key=lambda e: (e.item_id, e.seq)) == sorted(
            events, key=lambda e: (e.item_id, e.seq)
        )


def test_busiest_county_has_the_most_blocked_local_suppliers(
    seeded: tuple[Workspace, Snapshot, DemoLedger],
) -> None:
    snap = seeded[1]
    counts = Counter(snap.adcode_of[s] for s in snap.analysis.local_list()["id"])
    county = busiest_county(snap)
    assert counts[county] == max(counts.values()) > 0
    assert len(county) == 6
