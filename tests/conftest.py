from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain_graph.store.neo4j_store import Neo4jStore
from chain_graph.store.sqlite import SQLiteStore
from tests.ledger_files import write_canonical
from tests.neo4j_server import Neo4jServer, free_port

_NEO4J_FIXTURES = {"neo4j_url", "neo4j_store"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs a Neo4j server ``neo4j`` (``make check`` leaves them out).

    A test needs one when it asks for a Neo4j fixture or lives in a ``test_neo4j*`` module;
    fixtures that choose a backend mark their ``neo4j`` parameter, and the browser tests
    mark themselves.
    """
    for item in items:
        if set(getattr(item, "fixturenames", ())) & _NEO4J_FIXTURES or item.path.name.startswith(
            "test_neo4j"
        ):
            item.add_marker(pytest.mark.neo4j)


@pytest.fixture
def canonical_dir(tmp_path: Path) -> Path:
    return write_canonical(tmp_path / "canonical")


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(f"sqlite:///{tmp_path}/test.db", batch_size=3) as store:
        yield store


@pytest.fixture(scope="session")
def neo4j_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bolt URL of a real Neo4j: ``CHAIN_GRAPH_TEST_NEO4J`` if set, else one started here.

    Never skips: when Neo4j cannot start, every test that needs it fails with the reason.
    """
    given = os.environ.get("CHAIN_GRAPH_TEST_NEO4J")
    if given:
        yield given
        return
    server = Neo4jServer(tmp_path_factory.mktemp("neo4j"), free_port())
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def neo4j_store(neo4j_url: str) -> Iterator[Neo4jStore]:
    """An empty Neo4j store (the shared test database, cleared before each test)."""
    with Neo4jStore(neo4j_url, batch_size=3, page_size=3) as store:
        store.clear()
        yield store
