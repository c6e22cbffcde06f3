"""Neo4j's offline bulk importer: the same graph as the staged import, read back whole.

Every test runs the real ``neo4j-admin database import full`` (from the Maven jars, through
``services/neo4j/neo4j.sh admin``) into a real Neo4j home, and reads it back through a real
server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pandas as pd
import pytest

from chain_graph.errors import StoreError
from chain_graph.model import LedgerTables
from chain_graph.store.neo4j_bulk import Neo4jBulkImport
from chain_graph.store.neo4j_store import Neo4jStore
from ingest.loader import read_directory
from tests.defaults import SETTINGS
from tests.neo4j_server import SCRIPT, Neo4jServer, free_port

_AWKWARD = '钢,铁 "特种"\n第二行 =SUM(A1)'


def _same(a: LedgerTables, b: LedgerTables) -> None:
    a, b = a.canonical(), b.canonical()
    for name in LedgerTables.TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


def _shape(url: str) -> dict[str, Any]:
    """What the graph holds, by label set and relationship type, with each one's property keys."""
    with neo4j.GraphDatabase.driver(url) as driver:
        nodes = driver.execute_query(
            "MATCH (n) WHERE n:Entity OR n:Region OR n:Problem OR n:Material "
            "UNWIND keys(n) AS key WITH labels(n) AS labels, key, count(*) AS c "
            "RETURN labels, collect([key, c]) AS keys"
        ).records
        links = driver.execute_query(
            "MATCH (a)-[r]->(b) WHERE a:Entity OR a:Problem "
            "RETURN type(r) AS type, labels(a) AS from, labels(b) AS to, count(*) AS c, "
            "reduce(k = [], x IN collect(keys(r)) | k + [y IN x WHERE NOT y IN k]) AS keys"
        ).records
        pointer = driver.execute_query(
            "MATCH (m:ChainGraphMeta {key: 'generation'}) RETURN properties(m) AS p"
        ).records[0]["p"]
    return {
        "nodes": {tuple(sorted(r["labels"])): dict(map(tuple, r["keys"])) for r in nodes},
        "links": {
            (r["type"], tuple(sorted(r["from"])), tuple(sorted(r["to"]))): (r["c"], sorted(r["keys"]))
            for r in links
        },
        "counts": {k: v for k, v in pointer.items() if k not in ("key", "value")},
    }


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory: pytest.TempPathFactory) -> LedgerTables:
    from tests.ledger_files import write_canonical

    found = read_directory(write_canonical(tmp_path_factory.mktemp("bulk") / "canonical"), settings=SETTINGS)
    firms = found.ledgers.firms.copy()
    firms.loc[firms.index[0], "name"] = _AWKWARD  # a comma, quotes, a line break, a formula
    firms.loc[firms.index[1], "address"] = ""
    return LedgerTables(
        firms=firms,
        projects=found.ledgers.projects,
        links=found.ledgers.links,
        problems=found.ledgers.problems,
        materials=found.ledgers.materials,
    )


def _admin(home: Path) -> list[str]:
    return [str(SCRIPT), "admin", str(home)]


@pytest.fixture(scope="module")
def bulk_server(tmp_path_factory: pytest.TempPathFactory, ledgers: LedgerTables) -> Iterator[Neo4jServer]:
    """A Neo4j whose database was written by the bulk importer, then started."""
    home = tmp_path_factory.mktemp("bulk-home")
    Neo4jBulkImport(_admin(home)).write(ledgers)
    server = Neo4jServer(home, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_the_bulk_imported_graph_reads_back_whole(bulk_server: Neo4jServer, ledgers: LedgerTables) -> None:
    with Neo4jStore(bulk_server.url, batch_size=50, page_size=50) as store:
        loaded = store.load()
        _same(loaded, ledgers)
        assert _AWKWARD in loaded.firms["name"].tolist()
        assert store.counts() == ledgers.counts()
        assert store.data_version() >= 1


def test_it_is_the_graph_the_staged_import_writes(
    bulk_server: Neo4jServer, ledgers: LedgerTables, neo4j_store: Neo4jStore, neo4j_url: str
) -> None:
    neo4j_store.write(ledgers)
    neo4j_store.wait_for_cleanup()
    with Neo4jStore(bulk_server.url, batch_size=50, page_size=50):  # creates the constraints, as on any start
        bulk = _shape(bulk_server.url)
    staged = _shape(neo4j_url)
    assert bulk["links"] == staged["links"]
    assert bulk["counts"] == staged["counts"]
    # the same nodes and properties, but for the generation number (1 here, whatever it is there)
    assert bulk["nodes"] == staged["nodes"]


def test_a_running_server_is_refused(bulk_server: Neo4jServer, ledgers: LedgerTables) -> None:
    with pytest.raises(StoreError, match="正在运行"):
        Neo4jBulkImport(_admin(bulk_server.home), overwrite=True).write(ledgers)
    with Neo4jStore(bulk_server.url, batch_size=50, page_size=50) as store:
        _same(store.load(), ledgers)


def test_staged_imports_go_on_from_a_bulk_import(bulk_server: Neo4jServer, ledgers: LedgerTables) -> None:
    changed = LedgerTables(firms=ledgers.firms.assign(name=ledgers.firms["name"] + "（新）"))
    with Neo4jStore(bulk_server.url, batch_size=50, page_size=50) as store:
        version = store.data_version()
        store.write(changed)
        store.wait_for_cleanup()
        _same(
            store.load(),
            LedgerTables(
                firms=changed.firms,
                projects=ledgers.projects,
                links=ledgers.links,
                problems=ledgers.problems,
                materials=ledgers.materials,
            ),
        )
        assert store.data_version() == version + 1


def test_an_existing_database_is_kept_unless_overwritten(tmp_path: Path, ledgers: LedgerTables) -> None:
    first = LedgerTables(firms=ledgers.firms.iloc[:2], links=ledgers.links.iloc[:0])
    Neo4jBulkImport(_admin(tmp_path)).write(first)
    again = Neo4jBulkImport(_admin(tmp_path))
    with pytest.raises(StoreError, match="已存在") as refused:
        again.write(ledgers)
    assert "--overwrite" in str(refused.value)
    assert again.counts()["firms"] == 0  # nothing written
    server = Neo4jServer(tmp_path, free_port())
    server.start()
    try:
        with Neo4jStore(server.url, batch_size=50, page_size=50) as store:
            assert store.counts()["firms"] == 2
    finally:
        server.stop()
    overwrite = Neo4jBulkImport(_admin(tmp_path), overwrite=True)
    overwrite.write(ledgers)
    assert overwrite.counts() == ledgers.counts()


def test_a_missing_tool_is_a_clear_error(ledgers: LedgerTables, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="无法运行 Neo4j 离线导入工具"):
        Neo4jBulkImport([str(tmp_path / "no-such-neo4j-admin")]).write(ledgers)


# --- the command: chain-graph bulk-import ---------------------------------------------------


def test_the_command_imports_then_refuses_to_overwrite(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from tests.ledger_files import write_canonical

    runner = CliRunner()
    data = write_canonical(tmp_path / "canonical")
    home = tmp_path / "home"
    done = runner.invoke(app, ["bulk-import", str(data), "--home", str(home)])
    assert done.exit_code == 0, done.output
    assert "导入完成" in done.output
    again = runner.invoke(app, ["bulk-import", str(data), "--home", str(home)])
    assert again.exit_code == 3
    assert "已存在" in again.output
    assert "--overwrite" in again.output
    assert "Traceback" not in again.output
    server = Neo4jServer(home, free_port())
    server.start()
    try:
        with Neo4jStore(server.url, batch_size=50, page_size=50) as store:
            _same(store.load(), read_directory(data, settings=SETTINGS).ledgers)
    finally:
        server.stop()


def test_the_command_writes_nothing_from_broken_ledgers(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from tests.ingest.broken import write_broken

    home = tmp_path / "home"
    result = CliRunner().invoke(
        app,
        [
            "bulk-import",
            str(write_broken(tmp_path / "broken")),
            "--home",
            str(home),
            "--rejects",
            str(tmp_path / "r.csv"),
        ],
    )
    assert result.exit_code == 1
    assert "未写入任何数据" in result.output
    assert not (home / "data" / "databases" / "neo4j").exists()


@pytest.mark.parametrize("options", [[], ["--home", "h", "--neo4j-admin", "neo4j-admin"]])
def test_the_command_needs_one_target(tmp_path: Path, options: list[str]) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["bulk-import", str(tmp_path), *options])
    assert result.exit_code == 2
    assert "--home" in result.output
    assert "--neo4j-admin" in result.output
