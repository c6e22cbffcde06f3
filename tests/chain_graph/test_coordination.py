"""Coordination requests: the state rules move by move, the clocks in working days, requests
registered from the analysis without duplicates, and letters grouped by addressee.

The ledgers are the canonical ones with 武汉丁电子 (S2, 湖北) stopped as well: two blocked
suppliers outside the city — S1 in 长沙 (in the province) and S2 in 武汉 (another province).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain_graph import coordination as coord
from chain_graph.coordination import (
    CoordinationRequest,
    Direction,
    Move,
    Outcome,
    Party,
    RequestState,
)
from chain_graph.gaps import analyze
from chain_graph.model import LedgerTables, ProblemStatus
from chain_graph.problem_ledger import LedgerItem
from ingest.loader import read_directory
from tests.defaults import SETTINGS
from tests.ledger_files import CANONICAL, SUPPLIERS, write_canonical

NOW = dt.datetime(2026, 12, 1, 9, 0)
PENDING, SENT, ACK, ANSWERED, CLOSED = (
    RequestState.PENDING,
    RequestState.SENT,
    RequestState.ACKNOWLEDGED,
    RequestState.ANSWERED,
    RequestState.CLOSED,
)
SENDER, ADDRESSEE = Party.SENDER, Party.ADDRESSEE


def _request(state: RequestState = PENDING, **changes: object) -> CoordinationRequest:
    values: dict[str, object] = {
        "id": "XT-S1",
        "supplier_id": "S1",
        "addressed_to": "430000",
        "state": state,
        "letter": "" if state == PENDING else "怀工信函〔2026〕1号",
        "created_at": NOW,
        "updated_at": NOW,
    }
    return CoordinationRequest.model_validate(values | changes)


@pytest.mark.parametrize(
    ("state", "move", "party", "to"),
    [
        (SENT, Move.ACKNOWLEDGE, ADDRESSEE, ACK),
        (ACK, Move.ANSWER, ADDRESSEE, ANSWERED),
        (ANSWERED, Move.CLOSE, SENDER, CLOSED),
        (ACK, Move.NOTE, SENDER, ACK),
        (ACK, Move.NOTE, ADDRESSEE, ACK),
    ],
)
def test_allowed_moves(state: RequestState, move: Move, party: Party, to: RequestState) -> None:
    request = _request(state)
    new, event = coord.apply(
        request, move, party=party, by="李四", at=NOW, note="已协调", outcome=Outcome.RESUMED
    )
    assert new.state == to
    assert new.version == request.version + 1
    assert (event.from_state, event.to_state, event.by, event.seq, event.move) == (state, to, "李四", 2, move)


def test_assign_then_send_starts_the_clock() -> None:
    drafted, event = coord.apply(_request(), Move.ASSIGN, party=SENDER, by="甲", at=NOW, letter="L7")
    assert (drafted.state, drafted.letter, event.detail) == (PENDING, "L7", "编入 L7")
    later = NOW + dt.timedelta(hours=2)
    sent, event = coord.apply(drafted, Move.SEND, party=SENDER, by="甲", at=later)
    assert (sent.state, sent.sent_at, event.detail) == (SENT, later, "随 L7 报送")


def test_the_answer_keeps_outcome_and_text() -> None:
    answered, event = coord.apply(
        _request(ACK),
        Move.ANSWER,
        party=ADDRESSEE,
        by="省厅",
        at=NOW,
        note="已协调复产",
        outcome=Outcome.PARTIAL,
    )
    assert (answered.outcome, answered.feedback, answered.answered_at) == (Outcome.PARTIAL, "已协调复产", NOW)
    assert event.detail == "协调结果：部分解决"


@pytest.mark.parametrize(
    ("state", "move", "party", "kwargs", "message"),
    [
        (PENDING, Move.SEND, SENDER, {}, "协调事项 XT-S1 须随商请函报送（先生成函件）"),
        (PENDING, Move.ASSIGN, SENDER, {}, "协调事项 XT-S1 编入函件须给出函件编号"),
        (
            PENDING,
            Move.ACKNOWLEDGE,
            ADDRESSEE,
            {},
            "协调事项 XT-S1 当前为“待报送”，只有“已报送”的事项可以受理",
        ),
        (SENT, Move.ACKNOWLEDGE, SENDER, {}, "协调事项 XT-S1 的“受理”应由受理单位办理"),
        (SENT, Move.ANSWER, ADDRESSEE, {}, "协调事项 XT-S1 当前为“已报送”，只有“已受理”的事项可以反馈"),
        (SENT, Move.SEND, SENDER, {}, "协调事项 XT-S1 当前为“已报送”，只有“待报送”的事项可以报送"),
        (
            SENT,
            Move.ASSIGN,
            SENDER,
            {"letter": "L2"},
            "协调事项 XT-S1 当前为“已报送”，只有“待报送”的事项可以编入函件",
        ),
        (
            ACK,
            Move.ANSWER,
            ADDRESSEE,
            {"note": "x"},
            "反馈须选择协调结果（已协调复产、部分解决或无法协调）（协调事项 XT-S1）",
        ),
        (ACK, Move.ANSWER, ADDRESSEE, {"outcome": Outcome.FAILED}, "反馈须填写协调情况（协调事项 XT-S1）"),
        (ACK, Move.CLOSE, SENDER, {}, "协调事项 XT-S1 当前为“已受理”，只有“已反馈”的事项可以办结"),
        (ANSWERED, Move.CLOSE, ADDRESSEE, {}, "协调事项 XT-S1 的“办结”应由发函单位办理"),
        (CLOSED, Move.CLOSE, SENDER, {}, "协调事项 XT-S1 当前为“已办结”，只有“已反馈”的事项可以办结"),
        (CLOSED, Move.NOTE, SENDER, {}, "备注不能为空（协调事项 XT-S1）"),
        (PENDING, Move.REGISTER, SENDER, {}, "协调事项 XT-S1 已登记，不能重复登记"),
    ],
)
def test_refused_moves_say_why(
    state: RequestState, move: Move, party: Party, kwargs: dict[str, object], message: str
) -> None:
    request = _request(state)
    with pytest.raises(coord.CoordinationError) as refused:
        coord.apply(request, move, party=party, by="甲", at=NOW, **kwargs)  # type: ignore[arg-type]
    assert str(refused.value) == message


def test_a_request_already_in_a_letter_cannot_go_in_another() -> None:
    with pytest.raises(coord.CoordinationError, match="已编入 L1，不能再编入其他函件"):
        coord.apply(_request(letter="L1"), Move.ASSIGN, party=SENDER, by="甲", at=NOW, letter="L2")


@pytest.mark.parametrize("move", [Move.ASSIGN, Move.SEND, Move.CLOSE])
def test_an_incoming_request_is_sent_and_closed_by_the_city_that_asked(move: Move) -> None:
    incoming = _request(ACK, direction=Direction.INCOMING, source="长沙市")
    with pytest.raises(coord.CoordinationError, match="外地来函，由来函单位报送和办结"):
        coord.apply(incoming, move, party=SENDER, by="甲", at=NOW, letter="L1")
    assert coord.available_moves(incoming, ADDRESSEE) == [Move.ANSWER, Move.NOTE]
    assert coord.available_moves(incoming, SENDER) == [Move.NOTE]


@pytest.mark.parametrize(
    ("sent", "today", "ack_due", "answer_due", "ack_overdue", "answer_overdue"),
    [
        # Friday 27 Nov 2026: Mon 30, Tue 1, Wed 2 → ack due Wed 2 Dec; 10 working days → Fri 11 Dec.
        (dt.date(2026, 11, 27), dt.date(2026, 12, 2), dt.date(2026, 12, 2), dt.date(2026, 12, 11), 0, 0),
        (dt.date(2026, 11, 27), dt.date(2026, 12, 3), dt.date(2026, 12, 2), dt.date(2026, 12, 11), 1, 0),
        # Sat 5 and Sun 6 Dec do not count: Thu 3, Fri 4, Mon 7.
        (dt.date(2026, 11, 27), dt.date(2026, 12, 7), dt.date(2026, 12, 2), dt.date(2026, 12, 11), 3, 0),
        (dt.date(2026, 11, 27), dt.date(2026, 12, 14), dt.date(2026, 12, 2), dt.date(2026, 12, 11), 8, 1),
        # Wed 30 Sep: National Day 1–7 Oct off, Sat 10 Oct worked in lieu (调休):
        # ack Thu 8, Fri 9, Sat 10; answer … Mon 12 to Fri 16, Mon 19, Tue 20.
        (dt.date(2026, 9, 30), dt.date(2026, 10, 9), dt.date(2026, 10, 10), dt.date(2026, 10, 20), 0, 0),
        (dt.date(2026, 9, 30), dt.date(2026, 10, 12), dt.date(2026, 10, 10), dt.date(2026, 10, 20), 1, 0),
    ],
)
def test_clocks_count_working_days(
    sent: dt.date,
    today: dt.date,
    ack_due: dt.date,
    answer_due: dt.date,
    ack_overdue: int,
    answer_overdue: int,
) -> None:
    at = dt.datetime.combine(sent, dt.time(10))
    request = _request(SENT, sent_at=at)
    clock = coord.clock(request, today, ack_days=3, answer_days=10)
    assert (clock.ack_due, clock.answer_due) == (ack_due, answer_due)
    assert (clock.ack_overdue, clock.answer_overdue) == (ack_overdue, answer_overdue)
    assert clock.overdue == (ack_overdue + answer_overdue > 0)


def test_a_step_done_stops_its_clock() -> None:
    sent = dt.datetime(2026, 11, 27, 10)
    late = _request(ACK, sent_at=sent, acknowledged_at=dt.datetime(2026, 12, 7, 9))
    clock = coord.clock(late, dt.date(2026, 12, 14), ack_days=3, answer_days=10)
    assert (clock.ack_overdue, clock.answer_overdue) == (0, 1)
    assert coord.clock(_request(), dt.date(2026, 12, 14), ack_days=3, answer_days=10).ack_due is None


# --- requests from the analysis -----------------------------------------------------------


@pytest.fixture
def ledgers(tmp_path: Path) -> LedgerTables:
    suppliers = [row if row[0] != "S2" else [*row[:4], "stopped", "", "", "芯片断供"] for row in SUPPLIERS]
    directory = write_canonical(tmp_path / "data", {**CANONICAL, "suppliers": suppliers})
    return read_directory(directory, settings=SETTINGS).ledgers


def _item(item_id: str, supplier: str, status: ProblemStatus = ProblemStatus.REGISTERED) -> LedgerItem:
    return LedgerItem(
        id=item_id, subject_id="E1", supplier_id=supplier, status=status, created_at=NOW, updated_at=NOW
    )


def test_one_request_per_blocked_supplier_outside_the_city(ledgers: LedgerTables) -> None:
    analysis = analyze(ledgers, settings=SETTINGS)
    items = [_item("GA-S1-E1", "S1"), _item("GA-S1-P1", "S1", ProblemStatus.CLOSED), _item("GA-S2-E1", "S2")]
    found = coord.requests_from_analysis(analysis, ledgers, [], items, at=NOW, settings=SETTINGS)
    by_id = {r.id: r for r in found}
    assert sorted(by_id) == ["XT-S1", "XT-S2"]
    s1, s2 = by_id["XT-S1"], by_id["XT-S2"]
    assert (s1.scope, s1.target_region, s1.cross_province, s1.addressed_to) == (
        "in_province",
        "长沙市",
        False,
        "430000",
    )
    assert (s2.scope, s2.target_region, s2.cross_province, s2.addressed_to) == (
        "out_of_province",
        "湖北省",
        True,
        "430000",
    )
    assert s1.ledger_items == ("GA-S1-E1",)  # the closed item is not linked
    assert s1.buyer_ids == ("E1", "P1")
    assert s1.buyers == ("怀化甲机械有限公司", "鹤城区物流园建设项目")
    assert s1.materials == ("钢材",)
    blocked = analysis.blocked.set_index("id")
    assert s1.recovered_value == pytest.approx(blocked.loc["S1", "recovered_value"])
    assert (s1.days_to_impact, s1.recovery_days) == (10, 20)
    assert s1.problem == "停产；原材料供应中断"


def test_re_analysis_never_duplicates_an_open_request(ledgers: LedgerTables) -> None:
    analysis = analyze(ledgers, settings=SETTINGS)
    first = coord.requests_from_analysis(analysis, ledgers, [], [], at=NOW, settings=SETTINGS)
    again = coord.requests_from_analysis(analysis, ledgers, first, [], at=NOW, settings=SETTINGS)
    assert again == []
    # Once XT-S1 is closed and S1 is still blocked, a new request XT-S1-2 starts.
    closed = [r.model_copy(update={"state": CLOSED}) if r.id == "XT-S1" else r for r in first]
    later = coord.requests_from_analysis(analysis, ledgers, closed, [], at=NOW, settings=SETTINGS)
    assert [r.id for r in later] == ["XT-S1-2"]


def test_letters_group_by_addressee_and_cross_province_mark(ledgers: LedgerTables) -> None:
    analysis = analyze(ledgers, settings=SETTINGS)
    found = coord.requests_from_analysis(analysis, ledgers, [], [], at=NOW, settings=SETTINGS)
    sent = _request(SENT, id="XT-S9", supplier_id="S9")
    groups = coord.group_for_letters([*found, sent])
    assert [[r.id for r in g] for g in groups] == [["XT-S1"], ["XT-S2"]]
    assert [g[0].cross_province for g in groups] == [False, True]


_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=8)
_moment = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1))


@given(
    supplier=_text.filter(bool),
    buyers=st.lists(_text, max_size=3).map(tuple),
    value=st.floats(min_value=0, max_value=1e9, allow_nan=False),
    days=st.none() | st.integers(min_value=0, max_value=999),
    state=st.sampled_from(RequestState),
    outcome=st.none() | st.sampled_from(Outcome),
    sent=st.none() | _moment,
    cross=st.booleans(),
)
def test_rows_round_trip(
    supplier: str,
    buyers: tuple[str, ...],
    value: float,
    days: int | None,
    state: RequestState,
    outcome: Outcome | None,
    sent: dt.datetime | None,
    cross: bool,
) -> None:
    request = _request(
        state,
        supplier=supplier,
        buyers=buyers,
        recovered_value=value,
        days_to_impact=days,
        outcome=outcome,
        sent_at=sent,
        cross_province=cross,
    )
    assert coord.request_from_row(coord.request_to_row(request)) == request
