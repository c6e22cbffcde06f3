"""The monthly and quarterly scorecard, by hand on the canonical ledgers.

E1 (鹤城区 431202, output 30000, normal) takes 60 % of its steel from S1 (长沙, stopped) and
40 % from S2; E2 (芷江 431228, output 5000, partial 60 %) takes chips from S2 (not critical);
P1 (鹤城区, annual plan 20000) takes machinery from E1. Due each round: E1, P1 (鹤城区) and
E2 (芷江). November 2026's rounds end on the Fridays 11-06, 11-13, 11-20 and 11-27; the
base round is 10-30.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chain_graph.campaign import REPORT_COLUMNS
from chain_graph.errors import ConfigError
from chain_graph.graph import build_graph
from chain_graph.model import LedgerTables, ProblemCategory, ProblemStatus
from chain_graph.problem_ledger import Action, LedgerEvent, LedgerItem
from chain_graph.scorecard import (
    COUNTY_COLUMNS,
    Scorecard,
    month_period,
    parse_month,
    parse_quarter,
    quarter_period,
    scorecard,
)
from ingest.loader import read_directory
from tests.defaults import SETTINGS

FRIDAY = 4
HECHENG, ZHIJIANG = "431202", "431228"


def _reports(*rows: dict[str, object]) -> pd.DataFrame:
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


REPORTS = _reports(
    {"id": "E2", "as_of": "2026-10-28", "capacity": 50.0},  # before the base round
    {"id": "E1", "as_of": "2026-11-05", "status": "partial", "capacity": 80.0},  # round 11-06
    {"id": "E2", "as_of": "2026-11-12", "capacity": 50.0},  # round 11-13
    {"id": "P1", "as_of": "2026-11-19", "started": 1.0},  # round 11-20
    {"id": "S1", "as_of": "2026-11-20", "status": "normal"},  # not due: a supplier
    {"id": "E2", "as_of": "2026-11-25", "capacity": 95.0},  # round 11-27
    {"id": "E2", "as_of": "2026-12-02", "status": "stopped"},  # after the period
)


def _item(item_id: str, subject: str, created: dt.date, deadline: dt.date, **extra: object) -> LedgerItem:
    at = dt.datetime.combine(created, dt.time(9))
    return LedgerItem(
        id=item_id,
        subject_id=subject,
        category=ProblemCategory.MATERIALS,
        description=f"{item_id} 的问题",
        responsible_unit="市工业和信息化局",
        deadline=deadline,
        created_at=at,
        updated_at=at,
        **extra,
    )


ITEMS = [
    _item("A", "E1", dt.date(2026, 10, 20), dt.date(2026, 11, 10)),  # open: 20 days late at 11-30
    _item("B", "E2", dt.date(2026, 11, 3), dt.date(2026, 11, 25), status=ProblemStatus.CLOSED),
    _item("C", "P1", dt.date(2026, 11, 10), dt.date(2026, 12, 15)),  # opened, not yet due
    _item("D", "E2", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),  # open: 30 days late
]
EVENTS = [
    LedgerEvent(
        item_id="B",
        seq=2,
        at=dt.datetime(2026, 11, 24, 16),
        by="芷江",
        action=Action.CLOSE,
        from_status=ProblemStatus.REGISTERED,
        to_status=ProblemStatus.CLOSED,
        note="已办结",
    )
]


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory: pytest.TempPathFactory) -> LedgerTables:
    from tests.ledger_files import write_canonical

    directory: Path = write_canonical(tmp_path_factory.mktemp("canonical"))
    return read_directory(directory, settings=SETTINGS).ledgers


@pytest.fixture(scope="module")
def november(ledgers: LedgerTables) -> Scorecard:
    return scorecard(
        build_graph(ledgers),
        ledgers,
        REPORTS,
        ITEMS,
        EVENTS,
        period=month_period(2026, 11),
        settings=SETTINGS,
        weekday=FRIDAY,
    )


def test_rounds_and_base(november: Scorecard) -> None:
    assert [str(d) for d in november.rounds] == ["2026-11-06", "2026-11-13", "2026-11-20", "2026-11-27"]
    assert november.base_round == dt.date(2026, 10, 30)
    assert november.end == dt.date(2026, 11, 30)


def test_county_figures_by_hand(november: Scorecard) -> None:
    rows = november.counties.set_index("county")
    assert list(november.counties.columns) == COUNTY_COLUMNS
    # Base round: E1 100 %, E2 50 %. Last round: E1 80 % (partial), E2 95 %.
    assert rows.loc[HECHENG, "recovery"] == pytest.approx(0.8)
    assert rows.loc[HECHENG, "recovery_change"] == pytest.approx(-0.2)
    assert rows.loc[ZHIJIANG, "recovery"] == pytest.approx(0.95)
    assert rows.loc[ZHIJIANG, "recovery_change"] == pytest.approx(0.45)
    # 芷江 overtakes 鹤城区.
    assert november.counties["county"].tolist()[:2] == [ZHIJIANG, HECHENG]
    assert (rows.loc[ZHIJIANG, "rank"], rows.loc[ZHIJIANG, "rank_change"]) == (1, 1)
    assert (rows.loc[HECHENG, "rank"], rows.loc[HECHENG, "rank_change"]) == (2, -1)
    assert (rows.loc[ZHIJIANG, "at_target"], rows.loc[HECHENG, "at_target"]) == (1, 0)
    # At 11-27 S1 is back; E1 (80 %, supplying P1) is the one blocked supplier, in 鹤城区.
    assert (rows.loc[HECHENG, "blocked"], rows.loc[ZHIJIANG, "blocked"]) == (1, 0)
    assert rows.loc[HECHENG, "value_at_risk"] == pytest.approx(30000 * 0.2 + 20000 * 0.2)
    assert rows.loc[ZHIJIANG, "value_at_risk"] == pytest.approx(5000 * 0.05)
    assert rows.loc[HECHENG, "name"] == "鹤城区"


def test_ledger_and_compliance_by_hand(november: Scorecard) -> None:
    rows = november.counties.set_index("county")
    # 鹤城区: C opened, A overdue; 芷江: B opened and closed, D overdue.
    assert list(rows.loc[HECHENG, ["opened", "closed", "overdue"]]) == [1, 0, 1]
    assert list(rows.loc[ZHIJIANG, ["opened", "closed", "overdue"]]) == [1, 1, 1]
    # 鹤城区 owes E1 and P1 four times and reported E1 (11-05) and P1 (11-19); 芷江 E2 twice of four.
    assert list(rows.loc[HECHENG, ["due", "reported"]]) == [8, 2]
    assert rows.loc[HECHENG, "compliance"] == pytest.approx(0.25)
    assert rows.loc[ZHIJIANG, "compliance"] == pytest.approx(0.5)


def test_counties_without_key_enterprises_are_listed_unranked(november: Scorecard) -> None:
    rows = november.counties.set_index("county")
    assert "431281" in rows.index  # 洪江市: nothing in the ledgers, still one of the city's counties
    assert pd.isna(rows["rank"].loc["431281"])
    assert np.isnan(float(rows["recovery"].loc["431281"]))
    assert rows.loc["431281", "compliance"] == 1.0  # nothing due: nobody failed to report
    assert "431200" not in rows.index  # the city is its own line
    assert "430111" not in rows.index  # 长沙 is not a county of the city


def test_city_line_by_hand(november: Scorecard) -> None:
    city = november.city
    assert city["name"] == "怀化市"
    assert city["recovery"] == pytest.approx((30000 * 0.8 + 5000 * 0.95) / 35000)
    assert city["recovery_change"] == pytest.approx((30000 * 0.8 + 5000 * 0.95) / 35000 - 32500 / 35000)
    assert (city["opened"], city["closed"], city["overdue"]) == (2, 1, 2)
    assert (city["due"], city["reported"]) == (12, 4)
    assert city["compliance"] == pytest.approx(1 / 3)
    assert city["at_target"] == 1
    assert isinstance(city["at_target"], int)
    assert not november.target_met  # 82 % < 90 %


def test_top_problems(november: Scorecard) -> None:
    late = november.overdue_items
    assert late[["id", "overdue_days"]].values.tolist() == [["D", 30], ["A", 20]]
    assert late.loc[0, "subject"] == "芷江乙食品有限公司"
    assert late.loc[0, "county"] == "芷江侗族自治县"
    suppliers = november.blocked_suppliers
    assert suppliers["id"].tolist() == ["E1"]
    assert suppliers.loc[0, "value"] == pytest.approx(30000 * 0.2 + 20000 * 0.2)
    assert suppliers.loc[0, "capacity"] == pytest.approx(0.8)
    assert suppliers.loc[0, "place"] == "鹤城区"


def test_before_any_report_the_base_blocks_s1(ledgers: LedgerTables) -> None:
    october = scorecard(
        build_graph(ledgers),
        ledgers,
        REPORTS.iloc[:0],
        [],
        [],
        period=month_period(2026, 10),
        settings=SETTINGS,
        weekday=FRIDAY,
    )
    assert october.blocked_suppliers[["id", "place"]].values.tolist() == [["S1", "长沙市雨花区"]]
    assert october.overdue_items.empty
    assert october.city["reported"] == 0
    assert (october.counties["rank_change"].dropna() == 0).all()


def test_a_running_period_stops_at_until(ledgers: LedgerTables) -> None:
    card = scorecard(
        build_graph(ledgers),
        ledgers,
        REPORTS,
        ITEMS,
        EVENTS,
        period=quarter_period(2026, 4),
        settings=SETTINGS,
        weekday=FRIDAY,
        until=dt.date(2026, 11, 22),
    )
    assert card.last_round == dt.date(2026, 11, 20)
    assert card.base_round == dt.date(2026, 9, 25)
    assert card.counties.set_index("county").loc[ZHIJIANG, "recovery"] == pytest.approx(0.5)
    with pytest.raises(ConfigError, match="尚无已结束的填报轮次"):
        scorecard(
            build_graph(ledgers),
            ledgers,
            REPORTS,
            [],
            [],
            period=month_period(2026, 11),
            settings=SETTINGS,
            weekday=FRIDAY,
            until=dt.date(2026, 11, 4),
        )


@pytest.mark.parametrize(
    ("text", "label", "start", "end"),
    [
        ("2026-11", "2026年11月", dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
        ("2026-12", "2026年12月", dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
        ("2028-2", "2028年2月", dt.date(2028, 2, 1), dt.date(2028, 2, 29)),
    ],
)
def test_months(text: str, label: str, start: dt.date, end: dt.date) -> None:
    period = parse_month(text)
    assert (period.label, period.start, period.end, period.kind) == (label, start, end, "month")


@pytest.mark.parametrize(
    ("text", "label", "start", "end"),
    [
        ("2026Q1", "2026年第一季度", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        ("2026q3", "2026年第三季度", dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        ("2026Q4", "2026年第四季度", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
    ],
)
def test_quarters(text: str, label: str, start: dt.date, end: dt.date) -> None:
    period = parse_quarter(text)
    assert (period.label, period.start, period.end, period.kind) == (label, start, end, "quarter")


@pytest.mark.parametrize(
    ("parse", "text"),
    [(parse_month, "2026-13"), (parse_month, "11-2026"), (parse_quarter, "2026Q5"), (parse_quarter, "Q4")],
)
def test_bad_periods_are_refused(parse: object, text: str) -> None:
    with pytest.raises(ConfigError):
        parse(text)  # type: ignore[operator]
