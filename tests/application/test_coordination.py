"""Coordination use cases end to end on a real SQLite store.

The canonical ledgers with 武汉丁电子 (S2, 湖北) stopped as well: S1 (长沙, in the province)
holds back E1 and P1 (鹤城区), S2 (武汉, another province) holds back E1 (and E2 through
its links). The city asks the province for both; the province answers; the city closes.
The round trip: our coordination workbook imported as another city's request (长沙's view,
home 430100) gives exactly the suppliers, buyers and figures it was written with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from application import coordination, problems
from application.coordination import Actor, Side
from application.visibility import Visibility
from application.workspace import Workspace
from chain_graph.coordination import Direction, LetterKind, Move, Outcome, RequestState
from chain_graph.errors import ForbiddenError, NotFoundError
from chain_graph.model import LedgerTables, ProblemStatus
from chain_graph.settings import Settings
from chain_graph.store.sqlite import SQLiteStore
from exports.lists import coordination_sheets
from exports.workbook import write_xlsx
from ingest.coordination import read_coordination_workbook
from ingest.loader import read_directory
from tests.defaults import SETTINGS
from tests.ledger_files import CANONICAL, SUPPLIERS, write_canonical

HECHENG, ZHIJIANG = "431202", "431228"
MONDAY = dt.datetime(2026, 11, 30, 9, 0)
CITY = Actor("市工信局张三", Side.CITY)
PROVINCE = Actor("省工信厅李四", Side.PROVINCE, "430000")
EVERYONE = Visibility.whole_city()


@pytest.fixture
def ledgers(tmp_path: Path) -> LedgerTables:
    suppliers = [row if row[0] != "S2" else [*row[:4], "stopped", "", "", "芯片断供"] for row in SUPPLIERS]
    directory = write_canonical(tmp_path / "data", {**CANONICAL, "suppliers": suppliers})
    return read_directory(directory, settings=SETTINGS).ledgers


def _workspace(tmp_path: Path, ledgers: LedgerTables, name: str, **settings: object) -> Iterator[Workspace]:
    config = Settings(store=f"sqlite:///{tmp_path}/{name}.db", **settings)  # type: ignore[arg-type]
    with SQLiteStore(config.store, batch_size=SETTINGS.write_batch_size) as store:
        store.write(ledgers)
        yield Workspace(config, store=store)


@pytest.fixture
def ws(tmp_path: Path, ledgers: LedgerTables) -> Iterator[Workspace]:
    yield from _workspace(tmp_path, ledgers, "huaihua")


def test_letters_group_requests_by_addressee_and_number_them(ws: Workspace) -> None:
    snap = ws.snapshot()
    letters = coordination.issue_letters(ws, snap, by="张三", now=MONDAY)
    assert [(x.number, x.cross_province, x.request_ids) for x in letters] == [
        ("怀工信函〔2026〕1号", False, ("XT-S1",)),
        ("怀工信函〔2026〕2号", True, ("XT-S2",)),
    ]
    assert letters[0].recipient == "湖南省工业和信息化厅"
    assert "跨省协调" in letters[1].title
    # Again: nothing new to register, nothing left to put in a letter.
    assert coordination.issue_letters(ws, snap, by="张三", now=MONDAY) == []
    assert coordination.register_from_analysis(ws, snap, by="张三", now=MONDAY) == []
    found = coordination.requests(ws, snap, EVERYONE, today=MONDAY.date())
    assert [(r.id, r.state, r.letter) for r in found] == sorted(
        [
            ("XT-S1", RequestState.PENDING, "怀工信函〔2026〕1号"),
            ("XT-S2", RequestState.PENDING, "怀工信函〔2026〕2号"),
        ],
        key=lambda t: -next(r.recovered_value for r in found if r.id == t[0]),
    )


def _through_the_province(ws: Workspace) -> None:
    snap = ws.snapshot()
    problems.register_from_analysis(ws, snap, EVERYONE, by="张三", days=7, now=MONDAY)
    coordination.issue_letters(ws, snap, by="张三", now=MONDAY)
    coordination.send_letter(ws, snap, CITY, "怀工信函〔2026〕1号", now=MONDAY)
    coordination.act(
        ws, snap, EVERYONE, PROVINCE, "XT-S1", move=Move.ACKNOWLEDGE, now=MONDAY + dt.timedelta(days=1)
    )
    coordination.act(
        ws,
        snap,
        EVERYONE,
        PROVINCE,
        "XT-S1",
        move=Move.ANSWER,
        outcome=Outcome.RESUMED,
        note="经长沙市工信局协调，12月5日恢复供货",
        now=MONDAY + dt.timedelta(days=2),
    )


def test_sent_acknowledged_answered_closed_closes_the_ledger_items(ws: Workspace) -> None:
    _through_the_province(ws)
    snap = ws.snapshot()
    request = coordination.request(ws, snap, EVERYONE, "XT-S1")
    assert request.ledger_items == ("GA-S1-E1", "GA-S1-P1")
    done = coordination.close(ws, snap, EVERYONE, CITY, "XT-S1", now=MONDAY + dt.timedelta(days=3))
    assert done.request.state == RequestState.CLOSED
    assert done.items_closed == ["GA-S1-E1", "GA-S1-P1"]
    for item_id in done.items_closed:
        item = problems.item(ws, snap, EVERYONE, item_id)
        assert item.status == ProblemStatus.CLOSED
        assert (
            item.closing_note
            == "跨区域协调反馈（怀工信函〔2026〕1号，已协调复产）：经长沙市工信局协调，12月5日恢复供货"
        )
    moves = [e.move for e in coordination.history(ws, snap, EVERYONE, "XT-S1")]
    assert moves == [Move.REGISTER, Move.ASSIGN, Move.SEND, Move.ACKNOWLEDGE, Move.ANSWER, Move.CLOSE]
    # The other letter was never sent: its request still waits.
    assert coordination.request(ws, snap, EVERYONE, "XT-S2").state == RequestState.PENDING


def test_closing_may_leave_the_ledger_items_open(ws: Workspace) -> None:
    _through_the_province(ws)
    snap = ws.snapshot()
    done = coordination.close(ws, snap, EVERYONE, CITY, "XT-S1", close_items=False, now=MONDAY)
    assert done.items_closed == []
    assert problems.item(ws, snap, EVERYONE, "GA-S1-E1").status != ProblemStatus.CLOSED


@pytest.mark.parametrize(
    ("actor", "move"),
    [
        (Actor("粤工信厅", Side.PROVINCE, "440000"), Move.ACKNOWLEDGE),  # not addressed to it
        (Actor("鹤城区", Side.COUNTY), Move.ACKNOWLEDGE),
        (Actor("观察员", Side.VIEWER), Move.NOTE),
    ],
)
def test_only_the_addressee_acts(ws: Workspace, actor: Actor, move: Move) -> None:
    snap = ws.snapshot()
    coordination.issue_letters(ws, snap, by="张三", now=MONDAY)
    coordination.send_letter(ws, snap, CITY, "怀工信函〔2026〕1号", now=MONDAY)
    with pytest.raises(ForbiddenError, match="不是报送给本单位的"):
        coordination.act(ws, snap, EVERYONE, actor, "XT-S1", move=move, note="x")
    with pytest.raises(ForbiddenError):
        coordination.send_letter(ws, snap, PROVINCE, "怀工信函〔2026〕2号")


def test_a_county_sees_the_requests_about_its_buyers_only(ws: Workspace) -> None:
    snap = ws.snapshot()
    coordination.issue_letters(ws, snap, by="张三", now=MONDAY)
    hecheng, zhijiang = Visibility.of_county(HECHENG), Visibility.of_county(ZHIJIANG)
    assert {r.id for r in coordination.requests(ws, snap, hecheng, today=MONDAY.date())} == {"XT-S1", "XT-S2"}
    # 芷江's E2 is held back by S2 only through its links: S2's request names E1 and E2.
    zhijiang_ids = {r.id for r in coordination.requests(ws, snap, zhijiang, today=MONDAY.date())}
    assert "XT-S1" not in zhijiang_ids
    with pytest.raises(NotFoundError):
        coordination.request(ws, snap, zhijiang, "XT-S1")
    with pytest.raises(NotFoundError):
        coordination.history(ws, snap, zhijiang, "XT-S1")
    with pytest.raises(NotFoundError):
        coordination.letter(ws, snap, zhijiang, "怀工信函〔2026〕1号")


def test_clocks_and_overdue_filter(ws: Workspace) -> None:
    snap = ws.snapshot()
    coordination.issue_letters(ws, snap, by="张三", now=MONDAY)
    coordination.send_letter(ws, snap, CITY, "怀工信函〔2026〕1号", now=MONDAY)
    # Sent Monday 30 Nov: acknowledgement due Thursday 3 Dec; on Monday 7 Dec two working days late.
    late = coordination.requests(ws, snap, EVERYONE, today=dt.date(2026, 12, 7), overdue=True)
    assert [r.id for r in late] == ["XT-S1"]
    shown = coordination.public(late[0], ws, today=dt.date(2026, 12, 7), actor=PROVINCE)
    assert (shown["ack_due"], shown["ack_overdue"], shown["answer_due"]) == ("2026-12-03", 2, "2026-12-14")
    assert shown["moves"] == ["acknowledge", "note"]
    summary = coordination.summary(ws, snap, EVERYONE, today=dt.date(2026, 12, 7))
    assert summary["by_state"]["sent"] == 1
    assert summary["by_state"]["pending"] == 1
    assert summary["overdue"] == 1


def test_our_workbook_round_trips_as_another_citys_incoming_request(
    tmp_path: Path, ws: Workspace, ledgers: LedgerTables
) -> None:
    snap = ws.snapshot()
    written = snap.coordination
    path = tmp_path / "怀化市跨区域协调清单.xlsx"
    write_xlsx(path, coordination_sheets(written, as_of=MONDAY.date()))
    rows = read_coordination_workbook(path, source="怀化市")
    # 长沙 (430100) receives it: S1 (雨花区) is its own; S2 (武汉) is not.
    for changsha in _workspace(tmp_path, ledgers, "changsha", home_adcode="430100"):
        there = changsha.snapshot()
        done = coordination.import_incoming(
            changsha, there, rows, source="怀化市", by="长沙工信局", now=MONDAY
        )
        assert done.requests == ["LH-S1"]
        assert done.skipped == int((written["supplier_id"] != "S1").sum())
        request = coordination.request(changsha, there, EVERYONE, "LH-S1")
        s1 = written[written["supplier_id"] == "S1"]
        assert request.direction == Direction.INCOMING
        assert request.state == RequestState.ACKNOWLEDGED
        assert request.source == "怀化市"
        assert set(request.buyers) == set(s1["buyer"])
        assert set(request.materials) == set(s1["material"])
        assert request.recovered_value == pytest.approx(float(s1["total"].iloc[0]))
        assert request.output == pytest.approx(float(s1["output"].sum()))
        assert request.investment == pytest.approx(float(s1["investment"].sum()))
        item = problems.item(changsha, there, EVERYONE, request.ledger_items[0])
        assert item.subject_id == "S1"
        assert item.responsible_unit == "雨花区人民政府"
        assert "怀化市来函" in item.description
        # Importing the same workbook again adds nothing while the request is open.
        again = coordination.import_incoming(
            changsha, there, rows, source="怀化市", by="长沙工信局", now=MONDAY
        )
        assert again.requests == []
        # 长沙 answers as the addressee and replies to 怀化.
        city = Actor("长沙工信局", Side.CITY)
        coordination.act(
            changsha,
            there,
            EVERYONE,
            city,
            "LH-S1",
            move=Move.ANSWER,
            outcome=Outcome.PARTIAL,
            note="已复产五成",
        )
        replies = coordination.issue_replies(changsha, by="长沙工信局", now=MONDAY)
        assert [(x.kind, x.recipient, x.request_ids) for x in replies] == [
            (LetterKind.REPLY, "怀化市工业和信息化局", ("LH-S1",))
        ]
        assert coordination.request(changsha, there, EVERYONE, "LH-S1").reply_letter == replies[0].number
        assert coordination.issue_replies(changsha, by="长沙工信局", now=MONDAY) == []


def test_letter_rows_follow_the_letter_and_keep_a_restored_supplier(ws: Workspace) -> None:
    snap = ws.snapshot()
    coordination.register_from_analysis(ws, snap, by="张三", now=MONDAY)
    found = {r.supplier_id: r for r in coordination.requests(ws, snap, EVERYONE, today=MONDAY.date())}
    gone = found["S1"].model_copy(update={"id": "XT-GONE", "supplier_id": "GONE", "supplier": "已恢复公司"})
    rows = coordination.letter_rows(snap, [found["S2"], gone, found["S1"]])
    listed = snap.coordination["supplier_id"].tolist()
    expected = ["S2"] * listed.count("S2") + ["GONE"] + ["S1"] * listed.count("S1")
    assert rows["supplier_id"].tolist() == expected
    assert rows["supplier"].tolist()[listed.count("S2")] == "已恢复公司"
    assert rows["priority"].tolist() == [1] * listed.count("S2") + [2] + [3] * listed.count("S1")
    assert rows["no"].tolist() == list(range(1, len(expected) + 1))
    assert coordination.letter_rows(snap, []).empty
