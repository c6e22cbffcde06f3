"""The ledger's status rules, transition by transition, and items made from data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain_graph.errors import ProblemLedgerError
from chain_graph.gaps import analyze
from chain_graph.model import ProblemStatus
from chain_graph.problem_ledger import (
    Action,
    LedgerItem,
    apply,
    available_actions,
    item_from_row,
    item_to_row,
    items_from_analysis,
    items_from_problems,
    overdue_days,
)
from chain_graph.settings import Settings
from ingest.loader import read_directory
from tests.defaults import SETTINGS

NOW = dt.datetime(2026, 11, 20, 10, 0)
R, P, C = ProblemStatus.REGISTERED, ProblemStatus.IN_PROGRESS, ProblemStatus.CLOSED


def _item(status: ProblemStatus = R, deadline: dt.date | None = dt.date(2026, 11, 25)) -> LedgerItem:
    return LedgerItem(
        id="W1", subject_id="E1", status=status, deadline=deadline, created_at=NOW, updated_at=NOW
    )


@pytest.mark.parametrize(
    ("status", "action", "note", "to"),
    [
        (R, Action.START, "", P),
        (R, Action.CLOSE, "已协调恢复供货", C),
        (P, Action.CLOSE, "已协调恢复供货", C),
        (C, Action.REOPEN, "供应商再次停产", P),
        (R, Action.NOTE, "已电话沟通", R),
        (P, Action.EXTEND, "等待设备到货", P),
    ],
)
def test_allowed_transitions(status: ProblemStatus, action: Action, note: str, to: ProblemStatus) -> None:
    item = _item(status)
    new, event = apply(item, action, by="张三", at=NOW, note=note, deadline=dt.date(2026, 12, 5))
    assert new.status == to
    assert new.version == item.version + 1
    assert (event.from_status, event.to_status, event.by, event.seq) == (status, to, "张三", 2)
    assert event.note == note


@pytest.mark.parametrize(
    ("status", "action", "note", "deadline", "message"),
    [
        (P, Action.START, "", None, "只有“已挂号”的事项可以开始办理"),
        (C, Action.START, "", None, "只有“已挂号”的事项可以开始办理"),
        (P, Action.CLOSE, "", None, "销号须填写办结情况"),
        (P, Action.CLOSE, "   ", None, "销号须填写办结情况"),
        (C, Action.CLOSE, "又办了一次", None, "不能重复销号"),
        (P, Action.REOPEN, "原因", None, "只有“已销号”的事项可以重新打开"),
        (C, Action.REOPEN, "", None, "重新打开须说明原因"),
        (C, Action.EXTEND, "原因", dt.date(2026, 12, 30), "已销号，不能延期"),
        (P, Action.EXTEND, "原因", None, "须给出新的办理期限"),
        (P, Action.EXTEND, "", dt.date(2026, 12, 30), "延期须说明原因"),
        (P, Action.EXTEND, "原因", dt.date(2026, 11, 25), "应晚于原期限"),
        (P, Action.ESCALATE, "", None, "未逾期"),
        (P, Action.NOTE, "", None, "进展备注不能为空"),
        (P, Action.REGISTER, "", None, "不能重复挂号"),
    ],
)
def test_refused_transitions(
    status: ProblemStatus, action: Action, note: str, deadline: dt.date | None, message: str
) -> None:
    with pytest.raises(ProblemLedgerError, match=message):
        apply(_item(status), action, by="张三", at=NOW, note=note, deadline=deadline)


def test_close_keeps_the_note_and_reopen_clears_it() -> None:
    closed, _ = apply(_item(P), Action.CLOSE, by="a", at=NOW, note="已复产")
    assert closed.closing_note == "已复产"
    reopened, event = apply(closed, Action.REOPEN, by="b", at=NOW, note="复查未达产")
    assert reopened.closing_note == ""
    assert event.note == "复查未达产"


def test_extension_records_old_and_new_deadline() -> None:
    new, event = apply(
        _item(P), Action.EXTEND, by="a", at=NOW, note="设备未到", deadline=dt.date(2026, 12, 10)
    )
    assert new.deadline == dt.date(2026, 12, 10)
    assert event.detail == "期限 2026-11-25 → 2026-12-10"


@pytest.mark.parametrize(
    ("today", "days"),
    [
        (dt.date(2026, 11, 24), 0),
        (dt.date(2026, 11, 25), 0),
        (dt.date(2026, 11, 26), 1),
        (dt.date(2026, 12, 25), 30),
        (dt.date(2027, 1, 1), 37),
    ],
)
def test_overdue_days_across_the_deadline(today: dt.date, days: int) -> None:
    assert overdue_days(_item(P), today) == days


def test_closed_or_undated_items_are_never_overdue() -> None:
    late = dt.date(2027, 1, 1)
    assert overdue_days(_item(C), late) == 0
    assert overdue_days(_item(P, deadline=None), late) == 0


def test_escalation_only_when_overdue_and_counted() -> None:
    late = dt.datetime(2026, 11, 28, 9)
    once, event = apply(_item(P), Action.ESCALATE, by="督查室", at=late)
    assert once.escalations == 1
    assert event.detail == "逾期 3 天，第 1 次督办"
    twice, _ = apply(once, Action.ESCALATE, by="督查室", at=late)
    assert twice.escalations == 2
    with pytest.raises(ProblemLedgerError, match="未逾期"):
        apply(_item(C), Action.ESCALATE, by="督查室", at=late)


def test_row_round_trip() -> None:
    item = _item(P).model_copy(
        update={"co_units": ("鹤城区人民政府", "省工业和信息化厅"), "description": "引号\"与'换行\n"}
    )
    assert item_from_row(item_to_row(item)) == item


def test_items_from_problems_take_default_units(canonical_dir: Path) -> None:
    ledgers = read_directory(canonical_dir, settings=SETTINGS).ledgers
    items = items_from_problems(ledgers, at=NOW, settings=Settings())
    assert [i.id for i in items] == list(ledgers.problems["id"])
    for item, row in zip(items, ledgers.problems.to_dict("records"), strict=True):
        assert item.source == "import"
        assert item.responsible_unit == (
            row["responsible_unit"] or Settings().responsible_units[row["category"] or "其他"]
        )


def test_items_from_analysis_once_per_open_pair(canonical_dir: Path) -> None:
    ledgers = read_directory(canonical_dir, settings=SETTINGS).ledgers
    analysis = analyze(ledgers, settings=SETTINGS)
    first = items_from_analysis(analysis, ledgers, [], at=NOW, settings=Settings())
    pairs = {(row["id"], buyer) for row in analysis.blocked.to_dict("records") for buyer in row["affected"]}
    assert {(i.supplier_id, i.subject_id) for i in first} == pairs
    assert len(first) == len(pairs) > 0
    assert items_from_analysis(analysis, ledgers, first, at=NOW, settings=Settings()) == []
    # Closing one pair's item lets the next run register a new item for it, with a new id.
    closed = first[0].model_copy(update={"status": C})
    again = items_from_analysis(analysis, ledgers, [closed, *first[1:]], at=NOW, settings=Settings())
    assert [(i.supplier_id, i.subject_id) for i in again] == [(closed.supplier_id, closed.subject_id)]
    assert again[0].id == f"{closed.id}-2"
    assert again[0].deadline == dt.date(2026, 12, 5)


def test_a_city_overrides_the_responsible_units(monkeypatch: pytest.MonkeyPatch) -> None:
    from chain_graph.problem_ledger import default_unit

    monkeypatch.setenv("CHAIN_GRAPH_RESPONSIBLE_UNITS", '{"资金": "某市金融工作局", "其他": "某市工信局"}')
    settings = Settings()
    assert default_unit("资金", is_project=False, settings=settings) == "某市金融工作局"
    assert default_unit("用工", is_project=False, settings=settings) == "某市工信局"  # not listed: 其他
    assert default_unit("其他", is_project=True, settings=settings) == "市发展改革委"


@given(
    status=st.sampled_from(list(ProblemStatus)),
    deadline=st.none() | st.dates(dt.date(2026, 11, 1), dt.date(2026, 12, 31)),
    today=st.dates(dt.date(2026, 11, 1), dt.date(2026, 12, 31)),
)
def test_the_actions_offered_are_exactly_those_the_rules_allow(
    status: ProblemStatus, deadline: dt.date | None, today: dt.date
) -> None:
    item = _item(status, deadline)
    at = dt.datetime.combine(today, dt.time(10))
    offered = available_actions(item, today)
    for action in Action:
        if action == Action.REGISTER:
            continue
        new_deadline = max(deadline or today, today) + dt.timedelta(days=7)
        try:  # every input an action may need, given: only the status rules can refuse
            apply(item, action, by="x", at=at, note="说明", deadline=new_deadline)
        except ProblemLedgerError:
            assert action not in offered, action
        else:
            assert action in offered, action
