"""Coordination between governments (跨区域协调): requests, their state rules, clocks and letters.

A **coordination request** (协调事项) is one blocked supplier outside the home city that the
city asks the provincial industry department to coordinate (属地原则: the supplier's own
government must act, and only the province can reach it). Requests travel in numbered
**letters** (商请函), one per target: the province for suppliers in other cities of the
province, the province marked 跨省协调 for suppliers in other provinces. Incoming requests
are the other way round: another city asks about one of our suppliers; we answer them
with a reply letter (复函).

The life of a request (outgoing)::

    待报送 pending ──send (city)──▶ 已报送 sent ──acknowledge (province)──▶ 已受理 acknowledged
        ──answer (province: outcome + text)──▶ 已反馈 answered ──close (city)──▶ 已办结 closed

An incoming request starts 已受理 (we received it) and we, as its addressee, answer it.

Every change is a :class:`CoordinationEvent` appended to the request's history; the
request carries a ``version`` so that two officials acting at once never lose an update.
This module is pure: :func:`apply` turns a request and a move into the new request and its
event; the stores keep them, :mod:`application.coordination` decides who may act.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from chain_graph.errors import ProblemLedgerError
from chain_graph.list_rows import problem_text
from chain_graph.model import LedgerTables, ProblemStatus
from chain_graph.regions import region_name
from chain_graph.settings import Settings
from chain_graph.workdays import add_working_days, working_days_after

if TYPE_CHECKING:
    from chain_graph.gaps import GapAnalysis
    from chain_graph.problem_ledger import LedgerItem

__all__ = [
    "MOVE_LABELS",
    "OUTCOME_LABELS",
    "STATE_LABELS",
    "Clock",
    "CoordinationError",
    "CoordinationEvent",
    "CoordinationRequest",
    "Direction",
    "Letter",
    "LetterKind",
    "Move",
    "Outcome",
    "Party",
    "RequestState",
    "apply",
    "available_moves",
    "clock",
    "event_from_row",
    "event_to_row",
    "group_for_letters",
    "letter_from_row",
    "letter_number",
    "letter_to_row",
    "request_from_row",
    "request_to_row",
    "requests_from_analysis",
]


class CoordinationError(ProblemLedgerError):
    """A move on a coordination request that the state rules refuse."""


class RequestState(StrEnum):
    """Where a request stands."""

    PENDING = "pending"  # 待报送
    SENT = "sent"  # 已报送
    ACKNOWLEDGED = "acknowledged"  # 已受理
    ANSWERED = "answered"  # 已反馈
    CLOSED = "closed"  # 已办结


class Outcome(StrEnum):
    """The province's answer."""

    RESUMED = "resumed"  # 已协调复产
    PARTIAL = "partial"  # 部分解决
    FAILED = "failed"  # 无法协调


class Move(StrEnum):
    """What can be done to a request."""

    REGISTER = "register"  # 登记
    ASSIGN = "assign"  # 编入函件 (a numbered letter)
    SEND = "send"  # 报送 (with its letter)
    ACKNOWLEDGE = "acknowledge"  # 受理
    ANSWER = "answer"  # 反馈
    CLOSE = "close"  # 办结
    NOTE = "note"  # 备注


class Direction(StrEnum):
    """Whether the home city asks (outgoing) or is asked (incoming)."""

    OUTGOING = "outgoing"
    INCOMING = "incoming"


class Party(StrEnum):
    """Who acts on a request: the side that asked, or the side it is addressed to."""

    SENDER = "sender"
    ADDRESSEE = "addressee"


class LetterKind(StrEnum):
    """商请函 (a request to the province) or 复函 (a reply to another city)."""

    REQUEST = "request"
    REPLY = "reply"


STATE_LABELS: dict[str, str] = {
    "pending": "待报送",
    "sent": "已报送",
    "acknowledged": "已受理",
    "answered": "已反馈",
    "closed": "已办结",
}
OUTCOME_LABELS: dict[str, str] = {"resumed": "已协调复产", "partial": "部分解决", "failed": "无法协调"}
MOVE_LABELS: dict[str, str] = {
    "register": "登记",
    "assign": "编入函件",
    "send": "报送",
    "acknowledge": "受理",
    "answer": "反馈",
    "close": "办结",
    "note": "备注",
}

_MOVER: dict[Move, Party] = {
    Move.ASSIGN: Party.SENDER,
    Move.SEND: Party.SENDER,
    Move.ACKNOWLEDGE: Party.ADDRESSEE,
    Move.ANSWER: Party.ADDRESSEE,
    Move.CLOSE: Party.SENDER,
}
"""Which side makes each move (a note either side may add)."""

_NEXT: dict[Move, tuple[RequestState, RequestState]] = {
    Move.ASSIGN: (RequestState.PENDING, RequestState.PENDING),
    Move.SEND: (RequestState.PENDING, RequestState.SENT),
    Move.ACKNOWLEDGE: (RequestState.SENT, RequestState.ACKNOWLEDGED),
    Move.ANSWER: (RequestState.ACKNOWLEDGED, RequestState.ANSWERED),
    Move.CLOSE: (RequestState.ANSWERED, RequestState.CLOSED),
}
"""The one state each move starts from, and where it leads."""

_PARTY_LABELS = {Party.SENDER: "发函单位", Party.ADDRESSEE: "受理单位"}


class CoordinationRequest(BaseModel):
    """One coordination request (协调事项)."""

    model_config = ConfigDict(frozen=True)

    id: str
    direction: Direction = Direction.OUTGOING
    supplier_id: str
    supplier: str = Field(default="", description="The supplier's name when registered.")
    supplier_adcode: str = ""
    scope: str = Field(default="", description="in_province or out_of_province (outgoing).")
    target_region: str = Field(default="", description="The supplier's city or province, by name.")
    addressed_to: str = Field(
        description="Adcode of the addressee: the province (outgoing), the city (incoming)."
    )
    cross_province: bool = False
    buyers: tuple[str, ...] = Field(default=(), description="The buyers held back (names).")
    buyer_ids: tuple[str, ...] = Field(
        default=(), description="Their ids (outgoing: our own firms and projects)."
    )
    materials: tuple[str, ...] = ()
    ledger_items: tuple[str, ...] = Field(default=(), description="Problem-ledger items it concerns (GA-…).")
    recovered_value: float = Field(default=0.0, description="万元 held back, through every tier.")
    output: float = 0.0
    investment: float = 0.0
    days_to_impact: int | None = None
    recovery_days: int | None = None
    problem: str = ""
    source: str = Field(default="", description="The requesting city (incoming), by name.")
    letter: str = Field(default="", description="Number of the letter it was sent in (商请函).")
    reply_letter: str = Field(default="", description="Number of the reply letter (incoming, 复函).")
    state: RequestState = RequestState.PENDING
    outcome: Outcome | None = None
    feedback: str = Field(default="", description="The answer's text (反馈情况).")
    sent_at: dt.datetime | None = None
    acknowledged_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = Field(default=1, ge=1, description="Grows by one with every event.")


class CoordinationEvent(BaseModel):
    """One entry of a request's append-only history."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    seq: int = Field(ge=1, description="The request's version after this event.")
    at: dt.datetime
    by: str
    move: Move
    from_state: RequestState | None
    to_state: RequestState
    note: str = ""
    detail: str = ""


class Letter(BaseModel):
    """One letter: a 商请函 to the province or a 复函 to a requesting city."""

    model_config = ConfigDict(frozen=True)

    number: str = Field(description="e.g. 怀工信函〔2026〕12号; empty until the store numbers it.")
    year: int
    seq: int = Field(default=0, ge=0, description="Per issuer and year, 1, 2, … without gaps.")
    issuer: str
    kind: LetterKind = LetterKind.REQUEST
    recipient: str = Field(description="主送: the unit it is addressed to.")
    addressed_to: str = Field(default="", description="The recipient's adcode.")
    cross_province: bool = False
    title: str
    request_ids: tuple[str, ...]
    created_at: dt.datetime
    created_by: str


REQUEST_FIELDS = tuple(CoordinationRequest.model_fields)
EVENT_FIELDS = tuple(CoordinationEvent.model_fields)
LETTER_FIELDS = tuple(Letter.model_fields)
_TUPLES = ("buyers", "buyer_ids", "materials", "ledger_items", "request_ids")


def request_to_row(request: CoordinationRequest) -> dict[str, Any]:
    """Return ``request`` as flat text/number values (lists as JSON, ``None`` as ``""``)."""
    return _flat(request.model_dump(mode="json"))


def request_from_row(row: dict[str, Any]) -> CoordinationRequest:
    """Inverse of :func:`request_to_row`."""
    return CoordinationRequest.model_validate(_unflat(row))


def event_to_row(event: CoordinationEvent) -> dict[str, Any]:
    """Return ``event`` as flat values (``from_state`` ``""`` for a registration)."""
    return _flat(event.model_dump(mode="json"))


def event_from_row(row: dict[str, Any]) -> CoordinationEvent:
    """Inverse of :func:`event_to_row`."""
    return CoordinationEvent.model_validate(_unflat(row))


def letter_to_row(letter: Letter) -> dict[str, Any]:
    """Return ``letter`` as flat values."""
    return _flat(letter.model_dump(mode="json"))


def letter_from_row(row: dict[str, Any]) -> Letter:
    """Inverse of :func:`letter_to_row`."""
    return Letter.model_validate(_unflat(row))


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in _TUPLES:
            out[key] = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, bool):
            out[key] = int(value)
        else:
            out[key] = "" if value is None else value
    return out


def _unflat(row: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for key, value in row.items():
        if key in _TUPLES:
            values[key] = json.loads(value or "[]")
        elif value == "" and key not in ("number", "note", "detail", "feedback", "problem", "source"):
            values[key] = None
        else:
            values[key] = value
    return {k: v for k, v in values.items() if v is not None or k in ("from_state", "outcome")}


# --- the state rules ----------------------------------------------------------------------


def available_moves(request: CoordinationRequest, party: Party) -> list[Move]:
    """Return the moves the rules of :func:`apply` allow ``party`` on ``request``.

    Examples
    --------
    >>> now = dt.datetime(2026, 12, 1, 9)
    >>> r = CoordinationRequest(id="XT-S1", supplier_id="S1", addressed_to="430000",
    ...                         created_at=now, updated_at=now)
    >>> [m.value for m in available_moves(r, Party.SENDER)]
    ['assign', 'note']
    >>> [m.value for m in available_moves(r, Party.ADDRESSEE)]
    ['note']
    >>> [m.value for m in available_moves(r.model_copy(update={"letter": "L1"}), Party.SENDER)]
    ['send', 'note']
    >>> sent = r.model_copy(update={"state": RequestState.SENT})
    >>> [m.value for m in available_moves(sent, Party.ADDRESSEE)]
    ['acknowledge', 'note']
    """
    moves = [m for m, (start, _) in _NEXT.items() if request.state == start and _MOVER[m] == party]
    if request.direction == Direction.INCOMING:
        moves = [m for m in moves if m not in (Move.ASSIGN, Move.SEND, Move.CLOSE)]
    moves = [
        m for m in moves if (m == Move.ASSIGN) == (not request.letter) or m not in (Move.ASSIGN, Move.SEND)
    ]
    return [*moves, Move.NOTE]


def apply(
    request: CoordinationRequest,
    move: Move,
    *,
    party: Party,
    by: str,
    at: dt.datetime,
    note: str = "",
    outcome: Outcome | None = None,
    letter: str = "",
) -> tuple[CoordinationRequest, CoordinationEvent]:
    """Return ``request`` after ``move`` and the event that records it.

    Parameters
    ----------
    request
        The request as last read (its ``version`` is what the store checks).
    move
        Any move but ``register``.
    party
        Which side acts: the sender (the city that asked) sends and closes; the addressee
        (the province, or we for an incoming request) acknowledges and answers.
    by, at
        Who acts and when (recorded in the history; ``at`` starts the clocks).
    note
        The answer's text (``answer``, required), a closing remark, a note's text.
    outcome
        The answer's result (``answer``, required).
    letter
        The letter's number (``assign``: the numbered letter it goes in; ``send`` needs it).

    Raises
    ------
    CoordinationError
        When the rules refuse the move; the message says why, in Chinese.

    Examples
    --------
    >>> now = dt.datetime(2026, 12, 1, 9)
    >>> r = CoordinationRequest(id="XT-S1", supplier_id="S1", addressed_to="430000",
    ...                         created_at=now, updated_at=now)
    >>> number = "怀工信函〔2026〕1号"
    >>> drafted, _ = apply(r, Move.ASSIGN, party=Party.SENDER, by="市工信局", at=now, letter=number)
    >>> sent, event = apply(drafted, Move.SEND, party=Party.SENDER, by="市工信局", at=now)
    >>> sent.state.value, sent.letter, sent.version, event.to_state.value
    ('sent', '怀工信函〔2026〕1号', 3, 'sent')
    >>> apply(sent, Move.CLOSE, party=Party.SENDER, by="市工信局", at=now)
    Traceback (most recent call last):
    ...
    chain_graph.coordination.CoordinationError: 协调事项 XT-S1 当前为“已报送”，只有“已反馈”的事项可以办结
    """
    note = note.strip()
    state = request.state
    label = STATE_LABELS[state]
    changes: dict[str, Any] = {}
    detail = ""
    if move == Move.REGISTER:
        _refuse(f"协调事项 {request.id} 已登记，不能重复登记")
    if move != Move.NOTE:
        start, end = _NEXT[move]
        if party != _MOVER[move]:
            _refuse(f"协调事项 {request.id} 的“{MOVE_LABELS[move]}”应由{_PARTY_LABELS[_MOVER[move]]}办理")
        if request.direction == Direction.INCOMING and move in (Move.ASSIGN, Move.SEND, Move.CLOSE):
            _refuse(f"协调事项 {request.id} 是外地来函，由来函单位报送和办结，本市只需受理和反馈")
        if state != start:
            needed = STATE_LABELS[start]
            _refuse(f"协调事项 {request.id} 当前为“{label}”，只有“{needed}”的事项可以{MOVE_LABELS[move]}")
        changes["state"] = end
    if move == Move.ASSIGN:
        if request.letter:
            _refuse(f"协调事项 {request.id} 已编入 {request.letter}，不能再编入其他函件")
        if not letter:
            _refuse(f"协调事项 {request.id} 编入函件须给出函件编号")
        changes["letter"] = letter
        detail = f"编入 {letter}"
    elif move == Move.SEND:
        if not request.letter:
            _refuse(f"协调事项 {request.id} 须随商请函报送（先生成函件）")
        changes["sent_at"] = at
        detail = f"随 {request.letter} 报送"
    elif move == Move.ACKNOWLEDGE:
        changes["acknowledged_at"] = at
    elif move == Move.ANSWER:
        if outcome is None:
            _refuse(f"反馈须选择协调结果（已协调复产、部分解决或无法协调）（协调事项 {request.id}）")
        if not note:
            _refuse(f"反馈须填写协调情况（协调事项 {request.id}）")
        assert outcome is not None
        changes |= {"outcome": outcome, "feedback": note, "answered_at": at}
        detail = f"协调结果：{OUTCOME_LABELS[outcome]}"
    elif move == Move.CLOSE:
        changes["closed_at"] = at
    elif move == Move.NOTE and not note:
        _refuse(f"备注不能为空（协调事项 {request.id}）")
    new = request.model_copy(update=changes | {"version": request.version + 1, "updated_at": at})
    event = CoordinationEvent(
        request_id=request.id,
        seq=new.version,
        at=at,
        by=by,
        move=move,
        from_state=state,
        to_state=new.state,
        note=note,
        detail=detail,
    )
    return new, event


def _refuse(message: str) -> None:
    raise CoordinationError(message)


def registration(request: CoordinationRequest, *, by: str) -> CoordinationEvent:
    """Return the first event of a new request (登记)."""
    where = f"来自{request.source}" if request.direction == Direction.INCOMING else request.target_region
    return CoordinationEvent(
        request_id=request.id,
        seq=request.version,
        at=request.created_at,
        by=by,
        move=Move.REGISTER,
        from_state=None,
        to_state=request.state,
        note=f"{request.supplier}（{where}）" if where else request.supplier,
    )


# --- the clocks ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clock:
    """A request's deadlines (working days after it was sent) and how far past them it is.

    ``ack_overdue`` / ``answer_overdue``: working days past the deadline while the step is
    not done (0: on time, done, or not started).
    """

    ack_due: dt.date | None
    answer_due: dt.date | None
    ack_overdue: int
    answer_overdue: int

    @property
    def overdue(self) -> bool:
        """Whether either step is late."""
        return self.ack_overdue > 0 or self.answer_overdue > 0


def clock(request: CoordinationRequest, today: dt.date, *, ack_days: int, answer_days: int) -> Clock:
    """Return the clocks of ``request`` at ``today``.

    Both run from the day it was sent (报送): acknowledgement is due ``ack_days`` working
    days after it, the answer ``answer_days`` working days after it. A step done late
    stops its clock (it is no longer overdue).

    Examples
    --------
    >>> sent = dt.datetime(2026, 11, 27, 10)  # a Friday
    >>> r = CoordinationRequest(id="XT-S1", supplier_id="S1", addressed_to="430000", state="sent",
    ...                         sent_at=sent, created_at=sent, updated_at=sent)
    >>> c = clock(r, dt.date(2026, 12, 4), ack_days=3, answer_days=10)
    >>> c.ack_due, c.answer_due, c.ack_overdue, c.answer_overdue
    (datetime.date(2026, 12, 2), datetime.date(2026, 12, 11), 2, 0)
    """
    if request.sent_at is None:
        return Clock(None, None, 0, 0)
    sent = request.sent_at.date()
    ack_due = add_working_days(sent, ack_days)
    answer_due = add_working_days(sent, answer_days)
    acknowledged = request.acknowledged_at is not None
    answered = request.answered_at is not None
    return Clock(
        ack_due=ack_due,
        answer_due=answer_due,
        ack_overdue=0 if acknowledged else working_days_after(ack_due, today),
        answer_overdue=0 if answered else working_days_after(answer_due, today),
    )


# --- requests from the analysis -----------------------------------------------------------


def province_of(adcode: str) -> str:
    """Return the province's adcode of an adcode.

    Examples
    --------
    >>> province_of("431202")
    '430000'
    """
    return adcode[:2] + "0000"


def requests_from_analysis(
    analysis: GapAnalysis,
    ledgers: LedgerTables,
    existing: Iterable[CoordinationRequest],
    ledger_items: Iterable[LedgerItem],
    *,
    at: dt.datetime,
    settings: Settings,
) -> list[CoordinationRequest]:
    """One request per blocked supplier of the coordination list without an open request.

    A request is open until it is 已办结: re-running the analysis never registers a second
    request for a supplier whose request is still travelling. Ids are ``XT-<supplier>``
    (``-2``, ``-3`` … once earlier requests for it were closed). The request carries the
    supplier's figures as the analysis gives them now, the buyers it holds back, the
    materials of its links, and the open problem-ledger items about it.
    """
    existing = list(existing)
    open_suppliers = {
        r.supplier_id
        for r in existing
        if r.direction == Direction.OUTGOING and r.state != RequestState.CLOSED
    }
    taken = {r.id for r in existing}
    items_of: dict[str, list[str]] = {}
    for item in ledger_items:
        if item.supplier_id and item.status != ProblemStatus.CLOSED:
            items_of.setdefault(item.supplier_id, []).append(item.id)
    firms = ledgers.firms.drop_duplicates("id").set_index("id")
    names = {
        **dict(zip(ledgers.firms["id"], ledgers.firms["name"], strict=True)),
        **dict(zip(ledgers.projects["id"], ledgers.projects["name"], strict=True)),
    }
    materials: dict[str, tuple[str, ...]] = {}
    for supplier_id, material in zip(ledgers.links["supplier_id"], ledgers.links["material"], strict=True):
        materials[supplier_id] = (*materials.get(supplier_id, ()), material)
    home_province = province_of(settings.home_adcode)
    found = []
    for row in analysis.coordination_list().to_dict("records"):
        supplier = str(row["id"])
        if supplier in open_suppliers:
            continue
        request_id, n = f"XT-{supplier}", 1
        while request_id in taken:
            n += 1
            request_id = f"XT-{supplier}-{n}"
        taken.add(request_id)
        adcode = str(firms["adcode"].get(supplier, "") or "")
        recovery = firms["recovery_days"].get(supplier)
        days = row.get("days_to_impact")
        found.append(
            CoordinationRequest(
                id=request_id,
                supplier_id=supplier,
                supplier=str(row["name"]),
                supplier_adcode=adcode,
                scope=str(row["scope"]),
                target_region=str(row.get("target_region") or ""),
                addressed_to=home_province,
                cross_province=row["scope"] == "out_of_province",
                buyers=tuple(names.get(b, b) for b in row["affected"]),
                buyer_ids=tuple(row["affected"]),
                materials=tuple(sorted(set(materials.get(supplier, ())))),
                ledger_items=tuple(sorted(items_of.get(supplier, []))),
                recovered_value=float(row["recovered_value"]),
                output=float(row.get("recovered_output", 0.0) or 0.0),
                investment=float(row.get("recovered_investment", 0.0) or 0.0),
                days_to_impact=None if days is None or pd.isna(days) else int(days),
                recovery_days=None if recovery is None or pd.isna(recovery) else int(recovery),
                problem=_problem_text(firms, supplier),
                created_at=at,
                updated_at=at,
            )
        )
    return found


def _problem_text(firms: pd.DataFrame, supplier: str) -> str:
    if supplier not in firms.index:
        return ""
    firm: pd.Series = firms.loc[supplier]  # type: ignore[assignment]  # ids are unique: one row
    return problem_text(firm)


# --- letters ------------------------------------------------------------------------------


def letter_number(prefix: str, year: int, seq: int) -> str:
    """Return a letter's number in the official form.

    Examples
    --------
    >>> letter_number("怀工信函", 2026, 12)
    '怀工信函〔2026〕12号'
    """
    return f"{prefix}〔{year}〕{seq}号"


def province_department(adcode: str) -> str:
    """Return the name of the provincial industry department of an adcode's province.

    Examples
    --------
    >>> province_department("431200")
    '湖南省工业和信息化厅'
    """
    return f"{region_name(province_of(adcode)) or '省'}工业和信息化厅"


def group_for_letters(requests: Sequence[CoordinationRequest]) -> list[list[CoordinationRequest]]:
    """Group the requests not yet sent into letters: one per addressee and 跨省 mark.

    In-province requests first, then cross-province ones; within a letter, by value held
    back (largest first), then id.

    Examples
    --------
    >>> now = dt.datetime(2026, 12, 1)
    >>> def r(i, cross, value):
    ...     return CoordinationRequest(id=i, supplier_id=i, addressed_to="430000", cross_province=cross,
    ...                                recovered_value=value, created_at=now, updated_at=now)
    >>> [[x.id for x in g] for g in group_for_letters([r("A", True, 5), r("B", False, 1), r("C", False, 9)])]
    [['C', 'B'], ['A']]
    """
    groups: dict[tuple[str, bool], list[CoordinationRequest]] = {}
    for request in requests:
        if (
            request.direction == Direction.OUTGOING
            and request.state == RequestState.PENDING
            and not request.letter
        ):
            groups.setdefault((request.addressed_to, request.cross_province), []).append(request)
    return [
        sorted(groups[key], key=lambda r: (-r.recovered_value, r.id))
        for key in sorted(groups, key=lambda k: (k[1], k[0]))
    ]
