"""Coordination use cases (跨区域协调): register requests, issue and send letters, act, answer.

The rules of a request's life are in :mod:`chain_graph.coordination`; this module adds who
may see which request (:class:`~application.visibility.Visibility`: a county sees the
requests about its buyers and, for requests from other cities, its suppliers), who may
act on it (:class:`Actor`: the city sends and closes, the province acknowledges and answers
what is addressed to it, the city answers what other cities ask of it), the ledger items a
request closes, and the requests that arrive from other cities. The CLI and the web service
both call these functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

import numpy as np
import pandas as pd

from application.visibility import Visibility
from application.workspace import Snapshot, Workspace
from chain_graph import coordination as coord
from chain_graph.coordination import (
    CoordinationEvent,
    CoordinationRequest,
    Direction,
    Letter,
    LetterKind,
    Move,
    Outcome,
    Party,
    RequestState,
)
from chain_graph.errors import ConfigError, ForbiddenError, NotFoundError
from chain_graph.incoming import match_own_suppliers
from chain_graph.model import ProblemCategory, ProblemStatus
from chain_graph.problem_ledger import Action, LedgerItem, ProblemLedger
from chain_graph.regions import classify, region_name
from chain_graph.workdays import add_working_days
from exports.letters import letter_docx, letter_xlsx

__all__ = [
    "Actor",
    "Closed",
    "Incoming",
    "Side",
    "act",
    "close",
    "history",
    "import_incoming",
    "issue_letters",
    "issue_replies",
    "letter",
    "letter_document",
    "letter_requests",
    "letter_rows",
    "letters",
    "public",
    "register_from_analysis",
    "request",
    "requests",
    "send_letter",
    "summary",
]


class Side(StrEnum):
    """Which government a user acts for."""

    CITY = "city"  # 市工业和信息化局
    COUNTY = "county"  # a county government: reads its requests, acts on none
    PROVINCE = "province"  # 省工业和信息化厅
    VIEWER = "viewer"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a name for the history, a side, and for the province its adcode."""

    name: str
    side: Side
    province: str = ""

    def party(self, request: CoordinationRequest) -> Party | None:
        """Return the side of ``request`` this actor may act as, or ``None``.

        Examples
        --------
        >>> now = dt.datetime(2026, 12, 1)
        >>> r = CoordinationRequest(id="XT-S1", supplier_id="S1", addressed_to="430000",
        ...                         created_at=now, updated_at=now)
        >>> Actor("市工信局", Side.CITY).party(r), Actor("省厅", Side.PROVINCE, "430000").party(r)
        (<Party.SENDER: 'sender'>, <Party.ADDRESSEE: 'addressee'>)
        >>> Actor("粤工信厅", Side.PROVINCE, "440000").party(r) is None
        True
        """
        if request.direction == Direction.INCOMING:
            return Party.ADDRESSEE if self.side == Side.CITY else None
        if self.side == Side.CITY:
            return Party.SENDER
        if self.side == Side.PROVINCE and self.province == request.addressed_to:
            return Party.ADDRESSEE
        return None


# --- reading ------------------------------------------------------------------------------


def _sees(request: CoordinationRequest, snap: Snapshot, vis: Visibility) -> bool:
    """Return whether ``vis`` sees a request: a county, one about its buyers or (incoming) its supplier."""
    if not vis.is_county:
        return True
    if request.direction == Direction.INCOMING:
        return vis.sees(snap.adcode_of.get(request.supplier_id))
    return any(vis.sees(snap.adcode_of.get(b)) for b in request.buyer_ids)


def requests(
    ws: Workspace,
    snap: Snapshot,
    vis: Visibility,
    *,
    today: dt.date,
    state: str | None = None,
    direction: str | None = None,
    overdue: bool = False,
) -> list[CoordinationRequest]:
    """Return the requests ``vis`` sees, filtered, by value held back (largest first), then id."""
    records = ws.coordination_records()

    def build() -> list[CoordinationRequest]:
        settings = ws.settings
        found = [
            r
            for r in records.requests
            if _sees(r, snap, vis)
            and (not state or r.state == state)
            and (not direction or r.direction == direction)
            and (not overdue or _clock(r, today, settings).overdue)
        ]
        return sorted(found, key=lambda r: (-r.recovered_value, r.id))

    key = ("coordination", vis.key, state, direction, overdue, today, records.version)
    return snap.memo(key, build)


def request(ws: Workspace, snap: Snapshot, vis: Visibility, request_id: str) -> CoordinationRequest:
    """One request; not found when it does not exist or ``vis`` does not see it."""
    with ws.store() as store:
        found = store.coordination_request(request_id)
    if found is None or not _sees(found, snap, vis):
        raise NotFoundError(f"没有编号为 {request_id} 的协调事项")
    return found


def history(ws: Workspace, snap: Snapshot, vis: Visibility, request_id: str) -> list[CoordinationEvent]:
    """Every event of one request (append-only), oldest first."""
    request(ws, snap, vis, request_id)
    with ws.store() as store:
        return store.coordination_history(request_id)


def letters(ws: Workspace, snap: Snapshot, vis: Visibility) -> list[Letter]:
    """Return the letters with at least one request ``vis`` sees, newest first."""
    records = ws.coordination_records()
    seen = {r.id for r in records.requests if _sees(r, snap, vis)}
    found = [x for x in records.letters if seen.intersection(x.request_ids)]
    return sorted(found, key=lambda x: (x.year, x.created_at, x.seq), reverse=True)


def letter(ws: Workspace, snap: Snapshot, vis: Visibility, number: str) -> Letter:
    """One letter; not found when it does not exist or ``vis`` sees none of its requests."""
    for found in letters(ws, snap, vis):
        if found.number == number:
            return found
    raise NotFoundError(f"没有编号为 {number} 的函件")


def letter_requests(
    ws: Workspace, snap: Snapshot, vis: Visibility, found: Letter
) -> list[CoordinationRequest]:
    """Return the requests of a letter that ``vis`` sees, in the letter's order."""
    by_id = {r.id: r for r in ws.coordination_records().requests if _sees(r, snap, vis)}
    return [by_id[i] for i in found.request_ids if i in by_id]


def _clock(request: CoordinationRequest, today: dt.date, settings: Any) -> coord.Clock:
    return coord.clock(
        request,
        today,
        ack_days=settings.coordination_ack_days,
        answer_days=settings.coordination_answer_days,
    )


def public(
    request: CoordinationRequest, ws: Workspace, *, today: dt.date, actor: Actor | None = None
) -> dict[str, Any]:
    """Return a request as the console and the API show it: labels, clocks, allowed moves."""
    clock = _clock(request, today, ws.settings)
    party = actor.party(request) if actor is not None else None
    return {
        **request.model_dump(mode="json"),
        "state_label": coord.STATE_LABELS[request.state],
        "outcome_label": coord.OUTCOME_LABELS.get(request.outcome or "", ""),
        "ack_due": clock.ack_due.isoformat() if clock.ack_due else None,
        "answer_due": clock.answer_due.isoformat() if clock.answer_due else None,
        "ack_overdue": clock.ack_overdue,
        "answer_overdue": clock.answer_overdue,
        "overdue": clock.overdue,
        "moves": [m.value for m in coord.available_moves(request, party)] if party else [],
    }


def summary(ws: Workspace, snap: Snapshot, vis: Visibility, *, today: dt.date) -> dict[str, Any]:
    """Count requests by state, and those overdue (the dashboard's coordination box)."""
    shown = requests(ws, snap, vis, today=today)

    def build() -> dict[str, Any]:
        by_state = {s.value: 0 for s in RequestState}
        for r in shown:
            by_state[r.state.value] += 1
        overdue = sum(_clock(r, today, ws.settings).overdue for r in shown)
        return {
            "total": len(shown),
            "by_state": by_state,
            "overdue": int(overdue),
            "incoming": sum(r.direction == Direction.INCOMING for r in shown),
        }

    # Counted once per coordination version and day (a province has thousands of requests).
    return dict(snap.memo(("coordination-summary", vis.key, today, ws.coordination_records().version), build))


# --- registering and letters --------------------------------------------------------------


def _now(ledger_clock: dt.datetime | None) -> dt.datetime:
    return ledger_clock or dt.datetime.now().replace(microsecond=0)


def register_from_analysis(
    ws: Workspace, snap: Snapshot, *, by: str, now: dt.datetime | None = None
) -> list[str]:
    """登记: one request per blocked supplier of the coordination list without an open request.

    Returns the ids registered. Re-running it registers nothing twice.
    """
    at = _now(now)
    with ws.store() as store:
        existing = store.coordination_requests()
        found = coord.requests_from_analysis(
            snap.analysis, snap.ledgers, existing, store.ledger_items(), at=at, settings=ws.settings
        )
        return store.coordination_register(found, [coord.registration(r, by=by) for r in found])


def _letter_title(*, kind: LetterKind, cross_province: bool, source: str = "") -> str:
    if kind == LetterKind.REPLY:
        return f"关于{source}商请协调配套企业复产事项的复函"
    what = "跨省协调" if cross_province else "协调"
    return f"关于商请{what}解决重点企业和重点项目配套供应问题的函"


def issue_letters(ws: Workspace, snap: Snapshot, *, by: str, now: dt.datetime | None = None) -> list[Letter]:
    """Register the requests not yet registered, then put those not yet in a letter into letters.

    One 商请函 per addressee and 跨省 mark (:func:`chain_graph.coordination.group_for_letters`),
    numbered in one transaction with the requests it takes (per issuer and year, no gaps).
    Returns the letters issued (none when every request is already in one).
    """
    at = _now(now)
    register_from_analysis(ws, snap, by=by, now=at)
    settings = ws.settings
    issued = []
    with ws.store() as store:
        for group in coord.group_for_letters(store.coordination_requests()):
            cross = group[0].cross_province
            draft = Letter(
                number="",
                year=at.year,
                issuer=settings.issuing_unit,
                kind=LetterKind.REQUEST,
                recipient=coord.province_department(settings.home_adcode),
                addressed_to=group[0].addressed_to,
                cross_province=cross,
                title=_letter_title(kind=LetterKind.REQUEST, cross_province=cross),
                request_ids=tuple(r.id for r in group),
                created_at=at,
                created_by=by,
            )
            issued.append(
                store.letter_issue(draft, prefix=settings.letter_prefix, assign=_assigning(group, by, at))
            )
    return issued


def _assigning(group: Sequence[CoordinationRequest], by: str, at: dt.datetime) -> Any:
    def assign(numbered: Letter) -> list[tuple[CoordinationRequest, int, CoordinationEvent]]:
        changes = []
        for r in group:
            new, event = coord.apply(r, Move.ASSIGN, party=Party.SENDER, by=by, at=at, letter=numbered.number)
            changes.append((new, r.version, event))
        return changes

    return assign


def send_letter(
    ws: Workspace, snap: Snapshot, actor: Actor, number: str, *, now: dt.datetime | None = None
) -> list[CoordinationRequest]:
    """报送: send a 商请函 — each of its requests still 待报送 becomes 已报送 (the clocks start)."""
    found = letter(ws, snap, Visibility.whole_city(), number)
    if actor.side != Side.CITY or found.kind != LetterKind.REQUEST:
        raise ForbiddenError(f"函件 {number} 由{found.issuer}报送")
    at = _now(now)
    sent = []
    with ws.store() as store:
        for request_id in found.request_ids:
            current = store.coordination_request(request_id)
            if current is None or current.state != RequestState.PENDING:
                continue
            new, event = coord.apply(current, Move.SEND, party=Party.SENDER, by=actor.name, at=at)
            store.coordination_update(new, expected_version=current.version, event=event)
            sent.append(new)
    if not sent:
        raise coord.CoordinationError(f"函件 {number} 的协调事项均已报送")
    return sent


def act(
    ws: Workspace,
    snap: Snapshot,
    vis: Visibility,
    actor: Actor,
    request_id: str,
    *,
    move: Move,
    note: str = "",
    outcome: Outcome | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> CoordinationRequest:
    """Apply ``move`` to a request ``vis`` sees, as the side ``actor`` may act for.

    A province user acts only on requests addressed to its province, a county on none
    (:class:`ForbiddenError`); stale versions are refused.
    """
    current = request(ws, snap, vis, request_id)
    party = actor.party(current)
    if party is None:
        raise ForbiddenError(f"协调事项 {request_id} 不是报送给本单位的，不能办理")
    if expected_version is not None and expected_version != current.version:
        from chain_graph.errors import StaleItemError

        raise StaleItemError(
            f"协调事项 {request_id} 已被他人修改（版本 {expected_version} → {current.version}），请刷新后重试"
        )
    new, event = coord.apply(
        current, move, party=party, by=actor.name, at=_now(now), note=note, outcome=outcome
    )
    with ws.store() as store:
        store.coordination_update(new, expected_version=current.version, event=event)
    return new


@dataclass(frozen=True)
class Closed:
    """What :func:`close` did: the request, and the ledger items it closed."""

    request: CoordinationRequest
    items_closed: list[str]


def close(
    ws: Workspace,
    snap: Snapshot,
    vis: Visibility,
    actor: Actor,
    request_id: str,
    *,
    close_items: bool = True,
    note: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Closed:
    """办结 an answered request; with ``close_items``, 销号 its open ledger items.

    Each item is closed with the province's feedback as its 办结情况 (``note`` is added to
    the request's event).
    """
    at = _now(now)
    done = act(
        ws,
        snap,
        vis,
        actor,
        request_id,
        move=Move.CLOSE,
        note=note,
        expected_version=expected_version,
        now=at,
    )
    closed: list[str] = []
    if close_items and done.ledger_items:
        outcome = coord.OUTCOME_LABELS.get(done.outcome or "", "")
        text = f"跨区域协调反馈（{done.letter}，{outcome}）：{done.feedback}"
        with ws.store() as store:
            ledger = ProblemLedger(store, clock=lambda: at)
            for item_id in done.ledger_items:
                item = store.ledger_item(item_id)
                if item is None or item.status == ProblemStatus.CLOSED:
                    continue
                ledger.act(item_id, Action.CLOSE, by=actor.name, note=text)
                closed.append(item_id)
    return Closed(done, closed)


def letter_rows(snap: Snapshot, requests: Sequence[CoordinationRequest]) -> pd.DataFrame:
    """Return the coordination list's rows of a letter's suppliers, numbered 1…n in its order.

    A supplier that the current analysis no longer lists (restored since) keeps one row from
    what the request recorded.
    """
    table = snap.coordination
    at = snap.memo(("coordination-rows-of",), lambda: table.groupby("supplier_id", sort=False).indices)
    positions: list[np.ndarray] = []
    recorded: list[dict[str, object]] = []  # the rows of suppliers the list no longer has
    for r in requests:
        found = at.get(r.supplier_id)
        if found is not None and len(found):
            positions.append(np.asarray(found))
            continue
        positions.append(np.array([len(table) + len(recorded)]))
        recorded.append(
            {
                "buyer": "、".join(r.buyers),
                "supplier_id": r.supplier_id,
                "supplier": r.supplier,
                "supplier_adcode": r.supplier_adcode,
                "supplier_place": r.target_region,
                "material": "、".join(r.materials),
                "problem": r.problem,
                "output": r.output,
                "investment": r.investment,
                "total": r.recovered_value,
                "stock_days": r.days_to_impact,
                "recovery_days": r.recovery_days,
                "target_region": r.target_region,
            }
        )
    if not positions:
        return table.iloc[0:0]
    source = pd.concat([table, pd.DataFrame(recorded)], ignore_index=True) if recorded else table
    out = source.iloc[np.concatenate(positions)].reset_index(drop=True)
    out["priority"] = pd.factorize(out["supplier_id"])[0] + 1
    out["no"] = np.arange(1, len(out) + 1)
    return out


def letter_document(
    ws: Workspace, snap: Snapshot, vis: Visibility, number: str, *, fmt: Literal["docx", "xlsx"]
) -> tuple[str, bytes]:
    """Return a letter as a document (its file name and bytes): Word (公文) or a workbook.

    Built once per letter, format, visibility and coordination version (a move on one of
    its requests changes what it lists).

    Raises
    ------
    NotFoundError
        No such letter, or ``vis`` sees none of its requests.
    """
    found = letter(ws, snap, vis, number)
    version = ws.coordination_records().version

    def build() -> tuple[str, bytes]:
        shown = letter_requests(ws, snap, vis, found)
        write = letter_docx if fmt == "docx" else letter_xlsx
        return f"{found.number}.{fmt}", write(found, shown, letter_rows(snap, shown), settings=ws.settings)

    return snap.memo(("letter-document", number, fmt, vis.key, version), build)


# --- incoming requests (another city asks about our suppliers) ----------------------------


@dataclass(frozen=True)
class Incoming:
    """What :func:`import_incoming` did."""

    requests: list[str]
    items: list[str]
    skipped: int
    """Rows not imported: suppliers outside the home city, and ours that could not be matched."""
    unmatched: list[tuple[str, str]]
    """Suppliers that may be ours but match no firm (or several), with the reason in Chinese."""


def import_incoming(
    ws: Workspace,
    snap: Snapshot,
    rows: pd.DataFrame,
    *,
    source: str,
    by: str,
    now: dt.datetime | None = None,
) -> Incoming:
    """Register another city's requests about our own suppliers.

    ``rows`` are the rows of its coordination workbook
    (:func:`ingest.coordination.read_coordination_workbook`); each row placed in the home
    city is matched to one of our firms (:func:`chain_graph.incoming.match_own_suppliers`),
    the others are counted as skipped and the unmatched listed. Per supplier: one incoming
    request (已受理, addressed to the home city, the requesting city as ``source``) and one
    problem-ledger item (挂号) on the supplier, routed to its county government (属地),
    naming the requesting city's buyers and materials. Re-importing the same workbook adds
    nothing while the earlier request is open.
    """
    source = source.strip()
    if not source:
        raise ConfigError("请注明来函城市（--from）")
    at = _now(now)
    settings = ws.settings
    matched = match_own_suppliers(rows, snap.ledgers.firms, home_adcode=settings.home_adcode)
    ours = matched[matched["supplier_id"].astype(str).isin(snap.adcode_of)]
    skipped = len(rows) - len(ours)
    misses = matched[matched["supplier_id"] == ""]
    unmatched = sorted(
        {(str(n), str(r)) for n, r in zip(misses["supplier"], misses["unmatched_reason"], strict=True)}
    )
    with ws.store() as store:
        existing = store.coordination_requests()
        open_about = {
            (r.supplier_id, r.source)
            for r in existing
            if r.direction == Direction.INCOMING and r.state != RequestState.CLOSED
        }
        taken = {r.id for r in existing}
        items_taken = {i.id for i in store.ledger_items()}
        new_requests: list[CoordinationRequest] = []
        new_items: list[LedgerItem] = []
        for key, part in ours.groupby("supplier_id", sort=True):
            supplier_id = str(key)
            if (supplier_id, source) in open_about:
                continue
            request_id = _free(f"LH-{supplier_id}", taken)
            item_id = _free(f"LH-{supplier_id}", items_taken)
            adcode = snap.adcode_of.get(supplier_id, "")
            region = classify(adcode, home_adcode=settings.home_adcode)
            buyers = tuple(sorted(set(part["buyer"].astype(str))))
            materials = tuple(sorted(set(part["material"].astype(str)) - {""}))
            total = float(pd.to_numeric(part["total"], errors="coerce").fillna(0).max())
            name = snap.name_of.get(supplier_id, supplier_id)
            new_items.append(
                LedgerItem(
                    id=item_id,
                    subject_id=supplier_id,
                    category=ProblemCategory.MATERIALS,
                    description=f"{source}来函：{name}（{'、'.join(materials) or '配套产品'}）影响"
                    f"{'、'.join(buyers)}，请督促复产并反馈",
                    responsible_unit=region.route_to or settings.issuing_unit,
                    co_units=(settings.issuing_unit,),
                    deadline=add_working_days(at.date(), settings.coordination_answer_days),
                    source="incoming",
                    created_at=at,
                    updated_at=at,
                )
            )
            days = (
                pd.to_numeric(part["stock_days"], errors="coerce").min() if "stock_days" in part else np.nan
            )
            new_requests.append(
                CoordinationRequest(
                    id=request_id,
                    direction=Direction.INCOMING,
                    supplier_id=supplier_id,
                    supplier=name,
                    supplier_adcode=adcode,
                    scope="local",
                    target_region=region_name(adcode) or "",
                    addressed_to=settings.home_adcode,
                    buyers=buyers,
                    materials=materials,
                    ledger_items=(item_id,),
                    recovered_value=total,
                    output=float(pd.to_numeric(part["output"], errors="coerce").fillna(0).sum()),
                    investment=float(pd.to_numeric(part["investment"], errors="coerce").fillna(0).sum()),
                    days_to_impact=None if pd.isna(days) else int(days),
                    problem=str(part["problem"].iloc[0]) if "problem" in part else "",
                    source=source,
                    state=RequestState.ACKNOWLEDGED,
                    acknowledged_at=at,
                    created_at=at,
                    updated_at=at,
                )
            )
        ProblemLedger(store, clock=lambda: at).register(new_items, by=by)
        registered = store.coordination_register(
            new_requests, [coord.registration(r, by=by) for r in new_requests]
        )
    return Incoming(
        requests=registered, items=[i.id for i in new_items], skipped=skipped, unmatched=unmatched
    )


def _free(base: str, taken: set[str]) -> str:
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def issue_replies(ws: Workspace, *, by: str, now: dt.datetime | None = None) -> list[Letter]:
    """复函: one reply letter per requesting city for its answered requests not yet replied to."""
    at = _now(now)
    settings = ws.settings
    issued = []
    with ws.store() as store:
        waiting: dict[str, list[CoordinationRequest]] = {}
        for r in store.coordination_requests():
            if r.direction == Direction.INCOMING and r.state == RequestState.ANSWERED and not r.reply_letter:
                waiting.setdefault(r.source, []).append(r)
        for source, group in sorted(waiting.items()):
            draft = Letter(
                number="",
                year=at.year,
                issuer=settings.issuing_unit,
                kind=LetterKind.REPLY,
                recipient=f"{source}工业和信息化局",
                title=_letter_title(kind=LetterKind.REPLY, cross_province=False, source=source),
                request_ids=tuple(r.id for r in sorted(group, key=lambda r: r.id)),
                created_at=at,
                created_by=by,
            )

            def assign(numbered: Letter, group: list[CoordinationRequest] = group) -> list[Any]:
                changes = []
                for r in group:
                    new, event = coord.apply(
                        r, Move.NOTE, party=Party.ADDRESSEE, by=by, at=at, note=f"已复函 {numbered.number}"
                    )
                    changes.append(
                        (new.model_copy(update={"reply_letter": numbered.number}), r.version, event)
                    )
                return changes

            issued.append(store.letter_issue(draft, prefix=settings.letter_prefix, assign=assign))
    return issued
