"""Coordination requests and letters in every backend (SQLite file, real Neo4j server)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from chain_graph import coordination as coord
from chain_graph.coordination import CoordinationRequest, Letter, Move, Outcome, Party, RequestState
from chain_graph.errors import NotFoundError, StaleItemError
from chain_graph.store import Store, open_store
from tests.defaults import SETTINGS

_NOW = dt.datetime(2026, 12, 1, 9, 30)


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest) -> Store:
    """Each test runs once per backend, on an empty store."""
    opened: Store = request.getfixturevalue({"sqlite": "sqlite_store", "neo4j": "neo4j_store"}[request.param])
    return opened


def _request(request_id: str = "XT-S1", **changes: object) -> CoordinationRequest:
    values: dict[str, object] = {
        "id": request_id,
        "supplier_id": request_id.removeprefix("XT-"),
        "supplier": "长沙某钢材厂",
        "supplier_adcode": "430111",
        "scope": "in_province",
        "target_region": "长沙市",
        "addressed_to": "430000",
        "buyers": ("怀化重点企业甲", "重点项目乙"),
        "buyer_ids": ("E1", "P1"),
        "materials": ("钢材",),
        "ledger_items": ("GA-S1-E1",),
        "recovered_value": 1234.5,
        "days_to_impact": 7,
        "created_at": _NOW,
        "updated_at": _NOW,
    }
    return CoordinationRequest.model_validate(values | changes)


def _register(store: Store, *requests: CoordinationRequest) -> list[str]:
    return store.coordination_register(requests, [coord.registration(r, by="市工信局") for r in requests])


def _letter(*ids: str, year: int = 2026, issuer: str = "怀化市工业和信息化局") -> Letter:
    return Letter(
        number="",
        year=year,
        issuer=issuer,
        recipient="湖南省工业和信息化厅",
        addressed_to="430000",
        title="关于商请协调解决重点企业和重点项目配套供应问题的函",
        request_ids=ids,
        created_at=_NOW,
        created_by="市工信局",
    )


def test_round_trip_of_every_field(store: Store) -> None:
    original = _request(
        cross_province=True,
        outcome=Outcome.PARTIAL,
        feedback="已协调，部分复产",
        state=RequestState.ANSWERED,
        sent_at=_NOW,
        recovery_days=None,
    )
    assert _register(store, original) == ["XT-S1"]
    assert store.coordination_request("XT-S1") == original
    assert store.coordination_requests() == [original]
    assert store.coordination_request("XT-S9") is None


def test_registering_twice_keeps_the_first(store: Store) -> None:
    assert _register(store, _request()) == ["XT-S1"]
    assert _register(store, _request(recovered_value=1.0), _request("XT-S2")) == ["XT-S2"]
    kept = store.coordination_request("XT-S1")
    assert kept is not None
    assert kept.recovered_value == 1234.5
    assert [e.move for e in store.coordination_history("XT-S1")] == [Move.REGISTER]


def test_update_appends_history_and_refuses_stale_versions(store: Store) -> None:
    _register(store, _request())
    first = store.coordination_request("XT-S1")
    assert first is not None
    drafted, event = coord.apply(first, Move.ASSIGN, party=Party.SENDER, by="甲", at=_NOW, letter="L1")
    store.coordination_update(drafted, expected_version=1, event=event)
    sent, event = coord.apply(drafted, Move.SEND, party=Party.SENDER, by="甲", at=_NOW)
    with pytest.raises(StaleItemError, match="请刷新后重试"):
        store.coordination_update(sent, expected_version=1, event=event)
    store.coordination_update(sent, expected_version=2, event=event)
    history = store.coordination_history("XT-S1")
    assert [(e.seq, e.move, e.to_state) for e in history] == [
        (1, Move.REGISTER, RequestState.PENDING),
        (2, Move.ASSIGN, RequestState.PENDING),
        (3, Move.SEND, RequestState.SENT),
    ]
    assert store.coordination_request("XT-S1") == sent
    with pytest.raises(NotFoundError):
        store.coordination_update(_request("XT-S9", version=2), expected_version=1, event=event)


def test_version_grows_with_events_and_letters(store: Store) -> None:
    assert store.coordination_version() == 0
    _register(store, _request(), _request("XT-S2"))
    after_register = store.coordination_version()
    assert after_register > 0
    store.letter_issue(_letter("XT-S1"), prefix="怀工信函", assign=lambda _: [])
    assert store.coordination_version() > after_register


def test_letters_are_numbered_per_issuer_and_year(store: Store) -> None:
    numbers = [
        store.letter_issue(_letter(year=2026), prefix="怀工信函", assign=lambda _: []).number,
        store.letter_issue(_letter(year=2026), prefix="怀工信函", assign=lambda _: []).number,
        store.letter_issue(_letter(year=2027), prefix="怀工信函", assign=lambda _: []).number,
        store.letter_issue(_letter(issuer="怀化市发展改革委"), prefix="怀发改函", assign=lambda _: []).number,
    ]
    assert numbers == [
        "怀工信函〔2026〕1号",
        "怀工信函〔2026〕2号",
        "怀工信函〔2027〕1号",
        "怀发改函〔2026〕1号",
    ]
    assert [x.number for x in store.letters()] == [numbers[3], numbers[0], numbers[1], numbers[2]]


def test_a_stale_request_rolls_the_letter_back_with_its_number(store: Store) -> None:
    _register(store, _request())
    current = store.coordination_request("XT-S1")
    assert current is not None

    def stale(numbered: Letter) -> list[tuple[CoordinationRequest, int, coord.CoordinationEvent]]:
        new, event = coord.apply(
            current, Move.ASSIGN, party=Party.SENDER, by="甲", at=_NOW, letter=numbered.number
        )
        return [(new, 7, event)]

    with pytest.raises(StaleItemError):
        store.letter_issue(_letter("XT-S1"), prefix="怀工信函", assign=stale)
    assert store.letters() == []
    assert store.coordination_request("XT-S1") == current
    # The number was not used up: the next letter is still the first.
    assert (
        store.letter_issue(_letter(), prefix="怀工信函", assign=lambda _: []).number == "怀工信函〔2026〕1号"
    )


def test_two_workers_numbering_at_once_get_distinct_numbers_without_gaps(
    store: Store, request: pytest.FixtureRequest
) -> None:
    stores = [open_store(store.url, settings=SETTINGS) for _ in range(2)]
    for opened in stores:
        request.addfinalizer(opened.close)
    barrier = threading.Barrier(2)
    numbers: list[str] = []
    failures: list[BaseException] = []

    def issue(target: Store) -> None:
        barrier.wait()
        try:
            for _ in range(5):
                numbers.append(target.letter_issue(_letter(), prefix="怀工信函", assign=lambda _: []).number)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=issue, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(numbers, key=lambda n: int(n.split("〕")[1][:-1])) == [
        f"怀工信函〔2026〕{n}号" for n in range(1, 11)
    ]
    assert sorted(x.seq for x in store.letters()) == list(range(1, 11))
