"""The campaign over time: state at a date, series, compliance, ranks, targets — by hand and by property.

The canonical ledgers: E1 (鹤城区, output 30000, normal) takes 60 % of its steel from S1
(长沙, stopped) and 40 % from S2 (武汉); E2 (芷江, output 5000, tax 600, partial 60 %) takes
chips from S2 (not critical); P1 (鹤城区, annual plan 20000) takes machinery from E1. Both E1
(output) and E2 (tax) are key scale enterprises.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain_graph.campaign import (
    REPORT_COLUMNS,
    Target,
    _rounds,
    compliance,
    county_ranking,
    round_ends,
    series,
    state_at,
    target_states,
)
from chain_graph.graph import build_graph, own_capacity
from chain_graph.model import LedgerTables
from ingest.loader import read_directory
from tests.defaults import SETTINGS
from tests.fuzzing import examples

ROUND_1, ROUND_2, ROUND_3 = dt.date(2026, 11, 13), dt.date(2026, 11, 20), dt.date(2026, 11, 27)


def _reports(*rows: dict[str, object]) -> pd.DataFrame:
    """Reports with every column: blanks where a row says nothing; ``seq`` in the given order."""
    blank: dict[str, object] = {
        "status": "",
        "capacity": np.nan,
        "recovery_days": np.nan,
        "problem": "",
        "started": np.nan,
        "completed": np.nan,
        "workers": np.nan,
        "reporter": "",
    }
    return pd.DataFrame(
        [blank | row | {"seq": k + 1} for k, row in enumerate(rows)], columns=list(REPORT_COLUMNS)
    )


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory: pytest.TempPathFactory) -> LedgerTables:
    from tests.ledger_files import write_canonical

    directory: Path = write_canonical(tmp_path_factory.mktemp("canonical"))
    return read_directory(directory, settings=SETTINGS).ledgers


def _series(ledgers: LedgerTables, reports: pd.DataFrame, group: str, *ends: dt.date) -> pd.DataFrame:
    return series(
        build_graph(ledgers),
        ledgers,
        reports,
        ends=list(ends),
        group=group,  # type: ignore[arg-type]
        output_threshold=SETTINGS.key_output_threshold,
        tax_threshold=SETTINGS.key_tax_threshold,
        threshold=SETTINGS.blocked_threshold,
    )


REPORTS = _reports(
    {"id": "S1", "as_of": "2026-11-20", "status": "normal"},  # S1 back: E1's steel whole again
    {"id": "P1", "as_of": "2026-11-20", "started": 1.0, "completed": 5000.0},
    {"id": "E2", "as_of": "2026-11-25", "capacity": 95.0},
    {"id": "E2", "as_of": "2026-12-04", "status": "stopped"},  # after every round below
)


def test_city_series_by_hand(ledgers: LedgerTables) -> None:
    table = _series(ledgers, REPORTS, "city", ROUND_1, ROUND_2, ROUND_3).set_index("round")
    # Round 1, the base: c = 1 (E1), 0.6 (E2); a = 0.4 (E1: 60 % of its steel stopped), 0.6 (E2).
    first = table.loc[ROUND_1]
    assert first["recovery"] == pytest.approx((30000 * 1 + 5000 * 0.6) / 35000)
    assert first["availability"] == pytest.approx((30000 * 0.4 + 5000 * 0.6) / 35000)
    assert (first["at_target"], first["blocked"]) == (1, 1)  # E1 at target; S1 blocked
    assert first["value_at_risk"] == pytest.approx(30000 * 0.6 + 5000 * 0.4 + 20000 * 0.6)
    assert (first["started"], first["completed"]) == (0, 0.0)
    # Round 2: S1 normal (a status without a capacity: the status's own, 100 %); P1 started.
    second = table.loc[ROUND_2]
    assert second["availability"] == pytest.approx((30000 * 1 + 5000 * 0.6) / 35000)
    assert (second["blocked"], second["started"], second["completed"]) == (0, 1, 5000.0)
    assert second["value_at_risk"] == pytest.approx(5000 * 0.4)
    # Round 3: E2 at 95 %; the report of 12-04 is after the round and changes nothing yet.
    third = table.loc[ROUND_3]
    assert third["recovery"] == pytest.approx((30000 + 5000 * 0.95) / 35000)
    assert third["at_target"] == 2
    # 时序进度: ten whole months of the year elapsed at 11-27 (November not over).
    assert third["planned_to_date"] == pytest.approx(20000 * 10 / 12)
    assert third["progress"] == pytest.approx(5000 / (20000 * 10 / 12))


def test_county_series_and_ranking(ledgers: LedgerTables) -> None:
    by_county = _series(ledgers, REPORTS, "county", ROUND_1, ROUND_3)
    rows = by_county.set_index(["round", "group"])
    assert rows.loc[(ROUND_1, "431202"), "recovery"] == pytest.approx(1.0)  # E1 alone
    assert rows.loc[(ROUND_1, "431228"), "recovery"] == pytest.approx(0.6)  # E2 alone
    assert math.isnan(float(rows["recovery"].loc[(ROUND_1, "430111")]))  # 长沙: S1, no key enterprise
    ranked = county_ranking(by_county)
    first = ranked[ranked["round"] == ROUND_1]
    assert first[["group", "rank"]].values.tolist() == [["431202", 1], ["431228", 2]]
    third = ranked[ranked["round"] == ROUND_3].set_index("group")
    assert third.loc["431228", "rank"] == 2
    assert third.loc["431228", "rank_change"] == 0


def test_chain_series(ledgers: LedgerTables) -> None:
    by_chain = _series(ledgers, REPORTS, "chain", ROUND_1).set_index("group")
    assert by_chain.loc["装备制造", "recovery"] == pytest.approx(1.0)
    assert by_chain.loc["食品加工", "availability"] == pytest.approx(0.6)


def test_state_at_a_date(ledgers: LedgerTables) -> None:
    corrected = pd.concat(
        [REPORTS, _reports({"id": "E2", "as_of": "2026-11-25", "capacity": 85.0}).assign(seq=9)]
    )
    at = state_at(ledgers, corrected, as_of=ROUND_3).firms.set_index("id")
    assert at.loc["E2", "capacity"] == 85.0  # the same day reported again: the correction wins
    assert at.loc["E2", "status"] == "partial"  # an empty field leaves the value it had
    assert at.loc["S1", "status"] == "normal"
    before = state_at(ledgers, corrected, as_of=dt.date(2026, 11, 19)).firms.set_index("id")
    assert (before.loc["S1", "status"], before.loc["E2", "capacity"]) == ("stopped", 60.0)
    assert ledgers.firms.set_index("id").loc["S1", "status"] == "stopped"  # the base is untouched


@pytest.mark.parametrize("reports", [REPORTS, REPORTS.iloc[:0]], ids=["reports", "none"])
def test_state_at_a_date_keeps_the_links_problems_and_catalogue(
    ledgers: LedgerTables, reports: pd.DataFrame
) -> None:
    # The catalogue decides which links are one material (钢材 is 7208): dropping it would
    # split a buyer's groups at a date.
    at = state_at(ledgers, reports, as_of=ROUND_3)
    assert len(ledgers.materials) == 2
    for name in ("links", "problems", "materials"):
        pd.testing.assert_frame_equal(getattr(at, name), getattr(ledgers, name), obj=name)


def test_rounds_and_compliance() -> None:
    assert round_ends(dt.date(2026, 11, 21), dt.date(2026, 11, 26), weekday=4) == []
    assert round_ends(dt.date(2026, 11, 20), dt.date(2026, 11, 20), weekday=4) == [dt.date(2026, 11, 20)]
    due = pd.DataFrame({"id": ["E1", "P1", "E2"], "county": ["431202", "431202", "431228"]})
    reports = pd.DataFrame({"id": ["E1", "E2", "P1"], "as_of": ["2026-11-21", "2026-11-20", "2026-11-28"]})
    table = compliance(reports, end=ROUND_3, due=due).set_index("county")
    # The round ending 11-27 covers 11-21 … 11-27: E1 reported; E2 a day early, P1 a day late.
    assert list(table.loc["431202", ["due", "reported", "compliance"]]) == [2, 1, 0.5]
    assert table.loc["431202", "missing"] == ["P1"]
    assert table.loc["431228", "compliance"] == 0.0


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ([0.5, 0.9], ["on_track", "reached"]),
        ([0.5, 0.55], ["on_track", "behind"]),  # the line stands at 0.5 + 0.4 · 28/89 ≈ 0.626
        ([0.5, 0.7], ["on_track", "on_track"]),
    ],
)
def test_target_states(actual: list[float], expected: list[str]) -> None:
    days = [dt.date(2026, 1, 30), dt.date(2026, 2, 27)]
    target = Target("recovery", 0.9, dt.date(2026, 4, 29))
    assert target_states(target, pd.Series(actual, index=days)).tolist() == expected


def test_a_target_past_its_day_is_missed() -> None:
    target = Target("recovery", 0.9, dt.date(2026, 4, 30))
    actual = pd.Series([0.85, 0.89], index=[dt.date(2026, 4, 24), dt.date(2026, 5, 1)])
    assert target_states(target, actual).tolist() == ["on_track", "missed"]


_DAYS = [f"2026-11-{d:02d}" for d in range(1, 29)]
_report_rows = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["E1", "E2", "S1", "S2", "P1"]),
        "as_of": st.sampled_from(_DAYS),
    },
    optional={
        "status": st.sampled_from(["normal", "partial", "stopped"]),
        "capacity": st.floats(0, 100),
        "problem": st.sampled_from(["停电", "缺工"]),
        "started": st.sampled_from([0.0, 1.0]),
        "completed": st.floats(0, 50000),
    },
)


def _oracle(ledgers: LedgerTables, reports: pd.DataFrame, as_of: str) -> dict[str, dict[str, object]]:
    """Apply each report in turn, field by field, as the contract says (a status alone resets capacity)."""
    firms = {
        r["id"]: {k: r[k] for k in ("status", "capacity", "problem")}
        for r in ledgers.firms.to_dict("records")
    }
    for row in reports.sort_values(["as_of", "seq"], kind="stable").to_dict("records"):
        if row["as_of"] > as_of or row["id"] not in firms:
            continue
        state = firms[row["id"]]
        if row["status"]:
            state["status"] = row["status"]
            state["capacity"] = row["capacity"]
        elif not np.isnan(row["capacity"]):
            state["capacity"] = row["capacity"]
        if row["problem"]:
            state["problem"] = row["problem"]
    return firms


@settings(max_examples=examples(60), deadline=None)
@given(rows=st.lists(_report_rows, max_size=12), cut=st.sampled_from(_DAYS))
def test_the_state_at_a_date_is_every_report_up_to_it_applied_in_turn(
    ledgers: LedgerTables, rows: list[dict[str, object]], cut: str
) -> None:
    reports = _reports(*rows)
    day = dt.date.fromisoformat(cut)
    found = state_at(ledgers, reports, as_of=day).firms.set_index("id")
    for firm, state in _oracle(ledgers, reports, cut).items():
        assert found.loc[firm, "status"] == state["status"]
        assert found.loc[firm, "problem"] == state["problem"]
        capacity = float(found["capacity"].astype(float).loc[firm])
        expected = float(state["capacity"])  # type: ignore[arg-type]
        assert (np.isnan(capacity) and np.isnan(expected)) or capacity == expected
    # The series' incremental rounds agree with the state at the date.
    graph = build_graph(ledgers)
    (at_day,) = _rounds(graph, ledgers, reports, ends=[day])
    firm_rows = graph.index_of(ledgers.firms["id"])
    expected_capacity = own_capacity(state_at(ledgers, reports, as_of=day).firms)
    assert np.allclose(at_day.capacity[firm_rows], expected_capacity)
    # Figures at a date do not depend on the reports dated after it.
    later_ones_dropped = reports[reports["as_of"] <= cut]
    assert _series(ledgers, reports, "county", day).equals(
        _series(ledgers, later_ones_dropped, "county", day)
    )
