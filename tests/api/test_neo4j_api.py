"""The service on a real Neo4j store: reads and ledger writes work, /ready answers 503 when it dies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.state import AppState
from api.users import Role
from chain_graph.settings import Settings
from chain_graph.store.neo4j_store import Neo4jStore
from ingest.loader import read_directory
from tests.api.conftest import auth
from tests.defaults import SETTINGS
from tests.neo4j_server import Neo4jServer, free_port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    own = Neo4jServer(tmp_path_factory.mktemp("neo4j-api"), free_port())
    own.start()
    try:
        yield own
    finally:
        own.stop()


def test_service_on_neo4j_and_its_failure(server: Neo4jServer, canonical_dir: Path, tmp_path: Path) -> None:
    with Neo4jStore(
        server.url, batch_size=SETTINGS.neo4j_batch_size, page_size=SETTINGS.read_page_size
    ) as store:
        store.clear()
        store.write(read_directory(canonical_dir, settings=SETTINGS).ledgers)
    settings = Settings(store=server.url, auth_db=str(tmp_path / "auth.db"))
    state = AppState(settings)
    token = state.users.add("admin", Role.ADMIN)[1]
    try:
        with TestClient(create_app(settings, state=state)) as client:
            assert client.get("/ready").json() == {"status": "ready", "data_version": 1}
            summary = client.get("/analysis/summary", headers=auth(token)).json()["summary"]
            assert (summary["firms"], summary["blocked"]) == (4, 1)
            item = client.post(
                "/ledger", json={"subject_id": "E1", "description": "钢材断供"}, headers=auth(token)
            ).json()
            closed = client.post(
                f"/ledger/{item['id']}/actions",
                json={"action": "close", "version": 1, "note": "已恢复"},
                headers=auth(token),
            )
            assert closed.json()["status"] == "closed"
            server.kill()
            down = client.get("/ready")
            assert down.status_code == 503
            assert down.json()["code"] == "CG200"
            assert "服务未启动" in down.json()["message"]
            write = client.post("/ledger", json={"subject_id": "E1", "description": "x"}, headers=auth(token))
            assert write.status_code == 503
    finally:
        state.close()
