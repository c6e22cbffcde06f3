"""The staged Neo4j import: generations, the switch, and what readers see meanwhile.

The store contract (``test_contract.py``) proves the results of imports on both backends;
these tests look inside Neo4j: only one generation is ever read, the replaced one is
deleted, a failed import's half-written generation is deleted by the next one, and records
outside the imported graph (ledger, reports) are never touched.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import neo4j
import pandas as pd
import pytest

from chain_graph.errors import StoreError
from chain_graph.model import LINK_COLUMNS, LedgerTables
from chain_graph.problem_ledger import LedgerItem, ProblemLedger
from chain_graph.store import cypher
from chain_graph.store import neo4j_store as store_module
from chain_graph.store.neo4j_store import Neo4jStore
from ingest.loader import read_directory
from tests.chain_graph.store.plans import operators
from tests.defaults import SETTINGS


def _refused(links: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Return a batch of ``links`` the server refuses: a map is no property value."""
    return {**links, "share": [{} for _ in links["share"]]}


def _query(url: str, query: str, **params: Any) -> list[dict[str, Any]]:
    with neo4j.GraphDatabase.driver(url, notifications_min_severity="OFF") as driver:
        return [dict(r) for r in driver.execute_query(query, params).records]


def _generations(url: str) -> dict[int, int]:
    """Imported nodes per generation."""
    rows = _query(
        url,
        "MATCH (n) WHERE n:Entity OR n:Problem OR n:Region OR n:Material RETURN n.g AS g, count(*) AS nodes",
    )
    return {int(r["g"]): int(r["nodes"]) for r in rows}


def _same(a: LedgerTables, b: LedgerTables) -> None:
    a, b = a.canonical(), b.canonical()
    for name in LedgerTables.TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


@pytest.fixture
def ledgers(canonical_dir: Path) -> LedgerTables:
    return read_directory(canonical_dir, settings=SETTINGS).ledgers


def _renamed(ledgers: LedgerTables) -> LedgerTables:
    return LedgerTables(
        firms=ledgers.firms.assign(name=ledgers.firms["name"] + "（新）"),
        projects=ledgers.projects,
        links=ledgers.links.assign(share=ledgers.links["share"] / 2),
        problems=ledgers.problems,
        materials=ledgers.materials,
    )


def test_one_generation_is_left_after_each_import(neo4j_store: Neo4jStore, ledgers: LedgerTables) -> None:
    for replace in (False, True, False):
        neo4j_store.write(ledgers, replace=replace)
        neo4j_store.wait_for_cleanup()
        current = neo4j_store._current()[0]
        assert list(_generations(neo4j_store.url)) == [current]
    nodes = _generations(neo4j_store.url)[current]
    # Regions of the canonical set, firms, projects, problems, materials: nothing doubled.
    regions = len(set(pd.concat([ledgers.firms["adcode"], ledgers.projects["adcode"]])) - {""})
    assert nodes == regions + sum(n for t, n in ledgers.counts().items() if t != "links")


@pytest.mark.parametrize("workers", [2, 4])
def test_batches_written_at_once_give_the_same_graph(
    neo4j_url: str, neo4j_store: Neo4jStore, ledgers: LedgerTables, workers: int
) -> None:
    with Neo4jStore(neo4j_url, batch_size=2, page_size=2, write_workers=workers) as parallel:
        parallel.write(ledgers)
        parallel.write(_renamed(ledgers))  # an upsert: carried forward batch by batch too
        parallel.wait_for_cleanup()
        _same(parallel.load(), _renamed(ledgers))
        assert parallel.counts() == ledgers.counts()
        assert len(_generations(neo4j_url)) == 1


def test_a_failed_batch_among_parallel_ones_changes_nothing(
    neo4j_url: str, neo4j_store: Neo4jStore, ledgers: LedgerTables, monkeypatch: pytest.MonkeyPatch
) -> None:
    neo4j_store.write(ledgers)
    neo4j_store.wait_for_cleanup()
    real = store_module._batches

    def failing(frame: pd.DataFrame, table: str, size: int) -> Iterator[dict[str, list[Any]]]:
        for i, columns in enumerate(real(frame, table, size)):
            yield columns
            if table == "links" and i == 0:  # a bad batch after a good one: the server refuses a map
                yield _refused(columns)

    monkeypatch.setattr(store_module, "_batches", failing)
    with (
        Neo4jStore(neo4j_url, batch_size=2, page_size=2, write_workers=3) as parallel,
        pytest.raises(StoreError),
    ):
        parallel.write(_renamed(ledgers))
    monkeypatch.undo()
    _same(neo4j_store.load(), ledgers)


@pytest.mark.parametrize("replace", [False, True])
def test_reimport_is_idempotent(neo4j_store: Neo4jStore, ledgers: LedgerTables, *, replace: bool) -> None:
    neo4j_store.write(ledgers, replace=replace)
    neo4j_store.wait_for_cleanup()
    once = (_generations(neo4j_store.url), neo4j_store.load().canonical())
    neo4j_store.write(ledgers, replace=replace)
    neo4j_store.wait_for_cleanup()
    twice = (_generations(neo4j_store.url), neo4j_store.load().canonical())
    assert list(once[0].values()) == list(twice[0].values())
    _same(once[1], twice[1])
    assert neo4j_store.counts() == ledgers.counts()


def test_an_upsert_carries_forward_what_it_does_not_replace(
    neo4j_store: Neo4jStore, ledgers: LedgerTables
) -> None:
    neo4j_store.write(ledgers)
    one = ledgers.firms.iloc[[0]].assign(name="改过的名字", adcode="431221")
    neo4j_store.write(LedgerTables.from_frames(firms=one))
    expected = LedgerTables(
        firms=pd.concat([one, ledgers.firms.iloc[1:]], ignore_index=True),
        projects=ledgers.projects,
        links=ledgers.links,
        problems=ledgers.problems,
        materials=ledgers.materials,
    )
    _same(neo4j_store.load(), expected)
    assert neo4j_store.counts() == ledgers.counts()
    neo4j_store.wait_for_cleanup()
    located = _query(
        neo4j_store.url,
        "MATCH (n:Entity {id: $id})-[:LOCATED_IN]->(r:Region) RETURN r.adcode AS adcode, r.g = n.g AS same",
        id=one["id"].iloc[0],
    )
    assert located == [{"adcode": "431221", "same": True}]
    concerns = _query(neo4j_store.url, "MATCH (p:Problem)-[:CONCERNS]->(s:Entity) RETURN p.g = s.g AS same")
    assert [r["same"] for r in concerns] == [True] * len(ledgers.problems)


@pytest.mark.parametrize(("workers", "batch"), [(1, 1), (2, 1), (2, 100)])
def test_links_to_written_and_carried_nodes_all_land(
    neo4j_url: str,
    neo4j_store: Neo4jStore,
    ledgers: LedgerTables,
    monkeypatch: pytest.MonkeyPatch,
    workers: int,
    batch: int,
) -> None:
    # Canonical graph: S1 → E1, S2 → E1, S2 → E2, E1 → P1. The upsert writes S2 and E1 again:
    # S2 → E1 joins two nodes it writes (by element id); the others reach a carried node (by id).
    neo4j_store.write(ledgers)
    statements: list[str] = []
    real = store_module._link_statements

    def spying(*args: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        for statement, parameters in real(*args):
            statements.append(statement)
            yield statement, parameters

    monkeypatch.setattr(store_module, "_link_statements", spying)
    again = ledgers.firms["id"].isin(["S2", "E1"])
    changed = ledgers.firms[again].assign(name="改过的名字")
    halved = ledgers.links.assign(share=ledgers.links["share"] / 2)
    with Neo4jStore(neo4j_url, batch_size=batch, page_size=batch, write_workers=workers) as store:
        store.write(LedgerTables.from_frames(firms=changed, links=halved))
        store.wait_for_cleanup()
        expected = LedgerTables(
            firms=pd.concat([ledgers.firms[~again], changed], ignore_index=True),
            projects=ledgers.projects,
            links=halved,
            problems=ledgers.problems,
            materials=ledgers.materials,
        )
        _same(store.load(), expected)
    assert set(statements) == {cypher.CREATE_LINKS_BETWEEN, cypher.CREATE_LINKS}


def test_a_link_by_element_id_lands_only_on_an_entity_of_its_generation(
    neo4j_store: Neo4jStore, ledgers: LedgerTables
) -> None:
    neo4j_store.write(ledgers)
    g = neo4j_store._current()[0]
    url = neo4j_store.url
    nodes = {
        r["id"]: r["node"]
        for r in _query(
            url,
            "MATCH (n) WHERE n.g = $g AND (n:Entity OR n:Problem) RETURN n.id AS id, elementId(n) AS node",
            g=g,
        )
    }

    def written(supplier: str, buyer: str, *, g: int) -> int:
        link = {column: [None] for column in LINK_COLUMNS} | {"supplier_id": ["S1"], "buyer_id": ["E2"]}
        ends = {"material": ["测试"], "s": [supplier], "b": [buyer]}
        _query(url, cypher.CREATE_LINKS_BETWEEN, **(link | ends), g=g)
        return int(_query(url, "MATCH ()-[r:SUPPLIES {material: '测试'}]->() RETURN count(r) AS n")[0]["n"])

    other = {
        r["id"]: r["node"]
        for r in _query(
            url,
            "MATCH (n:Entity) WHERE n.id IN ['S1', 'E2'] CREATE (c:Entity) SET c = n{.*, g: $other} "
            "RETURN c.id AS id, elementId(c) AS node",
            other=g + 100,
        )
    }
    # One side at a time: each check guards both ends.
    assert written(nodes["S1"], nodes["W1"], g=g) == 0  # the buyer is a problem, no entity
    assert written(nodes["W1"], nodes["E2"], g=g) == 0  # so is the supplier
    assert written(other["S1"], nodes["E2"], g=g) == 0  # the supplier is of another generation
    assert written(nodes["S1"], other["E2"], g=g) == 0  # so is the buyer
    assert written(nodes["S1"], nodes["E2"], g=g) == 1


def test_readers_see_the_previous_generation_until_the_switch(
    neo4j_store: Neo4jStore, ledgers: LedgerTables, monkeypatch: pytest.MonkeyPatch
) -> None:
    neo4j_store.write(ledgers)
    before = neo4j_store.load()
    version = neo4j_store.data_version()
    firm = ledgers.firms["id"].iloc[0]
    around = neo4j_store.neighbourhood(firm)
    staged, release = threading.Event(), threading.Event()
    real = store_module._batches

    def pausing(frame: pd.DataFrame, table: str, size: int) -> Iterator[dict[str, list[Any]]]:
        for batch in real(frame, table, size):
            yield batch
            if table == "problems":  # nodes and links of the new generation are committed
                staged.set()
                release.wait(30)

    monkeypatch.setattr(store_module, "_batches", pausing)
    failures: list[BaseException] = []

    def importing() -> None:
        try:
            with Neo4jStore(neo4j_store.url, batch_size=3, page_size=3) as writer:
                writer.write(_renamed(ledgers), replace=True)
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    writer = threading.Thread(target=importing)
    writer.start()
    try:
        assert staged.wait(60)
        assert len(_generations(neo4j_store.url)) == 2  # the new one is written, not current
        _same(neo4j_store.load(), before)
        _same(neo4j_store.neighbourhood(firm), around)
        assert neo4j_store.counts() == ledgers.counts()
        assert neo4j_store.data_version() == version
    finally:
        release.set()
        writer.join(60)
    monkeypatch.undo()
    assert not failures
    _same(neo4j_store.load(), _renamed(ledgers))
    assert neo4j_store.data_version() == version + 1


def test_a_failed_import_is_deleted_by_the_next(
    neo4j_store: Neo4jStore, ledgers: LedgerTables, monkeypatch: pytest.MonkeyPatch
) -> None:
    neo4j_store.write(ledgers)
    real = store_module._batches

    def failing(frame: pd.DataFrame, table: str, size: int) -> Iterator[dict[str, list[Any]]]:
        columns: dict[str, list[Any]] = {}
        for columns in real(frame, table, size):
            yield columns
        if table == "links" and columns:  # after a batch of links
            yield _refused(columns)

    monkeypatch.setattr(store_module, "_batches", failing)
    with pytest.raises(StoreError, match="原有数据未改变"):
        neo4j_store.write(_renamed(ledgers), replace=True)
    monkeypatch.undo()
    assert len(_generations(neo4j_store.url)) == 2  # the half-written one, never current
    _same(neo4j_store.load(), ledgers)
    neo4j_store.write(_renamed(ledgers), replace=True)
    neo4j_store.wait_for_cleanup()
    assert list(_generations(neo4j_store.url)) == [neo4j_store._current()[0]]
    _same(neo4j_store.load(), _renamed(ledgers))


def test_only_the_newest_import_may_switch(
    neo4j_store: Neo4jStore, ledgers: LedgerTables, monkeypatch: pytest.MonkeyPatch
) -> None:
    neo4j_store.write(ledgers)
    old, _ = neo4j_store._current()
    real = neo4j_store._delete_generations

    def overtaken(*, keep: int, below: int) -> None:
        # Another import takes the next number after this one took its own.
        neo4j_store._driver.execute_query(cypher.NEW_GENERATION)
        real(keep=keep, below=below)

    monkeypatch.setattr(neo4j_store, "_delete_generations", overtaken)
    with pytest.raises(StoreError, match="另一个导入"):
        neo4j_store.write(_renamed(ledgers), replace=True)
    monkeypatch.undo()
    assert neo4j_store._current()[0] == old
    _same(neo4j_store.load(), ledgers)


def test_records_outside_the_graph_survive_imports(neo4j_store: Neo4jStore, ledgers: LedgerTables) -> None:
    neo4j_store.write(ledgers)
    ledger = ProblemLedger(neo4j_store)
    now = ledger.now()
    ledger.register([LedgerItem(id="W-keep", subject_id="E1", created_at=now, updated_at=now)], by="a")
    reports = pd.DataFrame({"id": ["S1"], "as_of": ["2026-01-05"], "status": ["stopped"]})
    neo4j_store.append_reports(reports, by="a", at=dt.datetime(2026, 1, 5, 9, 0))
    items, events, kept = neo4j_store.ledger_items(), neo4j_store.ledger_version(), neo4j_store.reports()
    for replace in (True, False):
        neo4j_store.write(_renamed(ledgers), replace=replace)
        neo4j_store.wait_for_cleanup()
    assert neo4j_store.ledger_items() == items
    assert neo4j_store.ledger_version() == events
    pd.testing.assert_frame_equal(neo4j_store.reports(), kept)


def test_a_store_written_before_generations_is_migrated(
    neo4j_store: Neo4jStore, ledgers: LedgerTables
) -> None:
    neo4j_store.write(ledgers)
    neo4j_store.wait_for_cleanup()
    # As an older chain-graph left it: no generation on the nodes, no pointer.
    _query(neo4j_store.url, "MATCH (n) WHERE n:Entity OR n:Problem OR n:Region OR n:Material REMOVE n.g")
    _query(neo4j_store.url, "MATCH (m:ChainGraphMeta) WHERE m.key STARTS WITH 'generation' DELETE m")
    with Neo4jStore(neo4j_store.url, batch_size=3, page_size=3) as reopened:
        _same(reopened.load(), ledgers)
        assert reopened.counts() == ledgers.counts()
        reopened.write(_renamed(ledgers))
        reopened.wait_for_cleanup()
        _same(reopened.load(), _renamed(ledgers))
        assert len(_generations(neo4j_store.url)) == 1


@pytest.mark.parametrize(
    ("statement", "seek"),
    [
        *((statement, "NodeByElementIdSeek") for statement in cypher.CREATE_NODES.values()),
        (cypher.CREATE_LINKS_BETWEEN, "NodeByElementIdSeek"),
        (cypher.CREATE_LINKS, "NodeUniqueIndexSeek"),
        (cypher.CREATE_PROBLEMS, "NodeUniqueIndexSeek"),
        (cypher.CREATE_MATERIALS, None),
    ],
)
def test_an_import_batch_seeks_its_nodes_and_streams(
    neo4j_store: Neo4jStore, statement: str, seek: str | None
) -> None:
    """Each row finds the nodes it points at by one seek, and no step buffers the batch (Eager)."""
    with neo4j.GraphDatabase.driver(neo4j_store.url, notifications_min_severity="OFF") as driver:
        plan = driver.execute_query("EXPLAIN " + statement).summary.plan
    assert plan is not None
    found = operators(plan)
    assert seek is None or seek in found, found
    assert not found & {"Eager", "NodeByLabelScan", "AllNodesScan"}, found


@pytest.mark.parametrize(
    ("statements", "table", "added"),
    [
        ([s for (table, *_), s in cypher.CREATE_NODES.items() if table == "firms"], "firms", {"g", "region"}),
        ([cypher.CREATE_NODES[("projects", False, False)]], "projects", {"g", "region"}),
        ([cypher.CREATE_LINKS_BETWEEN], "links", {"g", "s", "b"}),
        ([cypher.CREATE_LINKS], "links", {"g"}),
        ([cypher.CREATE_PROBLEMS], "problems", {"g"}),
        ([cypher.CREATE_MATERIALS], "materials", {"g"}),
    ],
)
def test_an_import_statement_takes_its_columns_and_names_no_column_twice(
    statements: Iterable[str], table: str, added: set[str]
) -> None:
    """A batch is its table's columns plus ``added``: no column may bear an added name."""
    columns = set(store_module._COLUMNS[table])
    for statement in statements:
        taken = set(re.findall(r"\$(\w+)", statement))
        assert taken <= columns | added
    every = set().union(*store_module._COLUMNS.values())
    assert not every & {"g", "s", "b", "region", "i"}
