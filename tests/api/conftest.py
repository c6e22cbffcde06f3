"""An app over the canonical ledgers in SQLite, with one user per role."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.app import create_app
from api.state import AppState
from api.users import Role
from chain_graph.settings import Settings
from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import read_directory
from tests.defaults import SETTINGS
from tests.neo4j_server import free_port

# Canonical ledgers: E1 in 鹤城区 (431202), E2 in 芷江 (431228), S1 in Changsha, S2 in Wuhan.
COUNTY_E1, COUNTY_E2 = "431202", "431228"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(store=f"sqlite:///{tmp_path}/api.db", auth_db=str(tmp_path / "auth.db"))


@pytest.fixture
def state(settings: Settings, canonical_dir: Path) -> Iterator[AppState]:
    with SQLiteStore(settings.store, batch_size=SETTINGS.write_batch_size) as store:
        store.write(read_directory(canonical_dir, settings=SETTINGS).ledgers)
    opened = AppState(settings)
    yield opened
    opened.close()


@pytest.fixture
def tokens(state: AppState) -> dict[str, str]:
    made = {}
    for name, role, county in [
        ("admin", Role.ADMIN, ""),
        ("hecheng", Role.COUNTY, COUNTY_E1),
        ("zhijiang", Role.COUNTY, COUNTY_E2),
        ("province", Role.PROVINCE, ""),
        ("viewer", Role.VIEWER, ""),
    ]:
        made[name] = state.users.add(name, role, county=county)[1]
    return made


@pytest.fixture
def client(settings: Settings, state: AppState) -> Iterator[TestClient]:
    with TestClient(create_app(settings, state=state)) as test_client:
        yield test_client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def serve(settings: Settings, state: AppState) -> Iterator[str]:
    """Serve the app over real HTTP (uvicorn on loopback, in a thread); yield its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, state=state), host="127.0.0.1", port=port, log_level="warning"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(100):
        if running.started:
            break
        time.sleep(0.05)
    assert running.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def head_only(base: str, head: str) -> str:
    """Send a request's head (no body) and return the status line of the answer."""
    url = urlsplit(base)
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=10) as conn:
        conn.sendall(head.replace("\n", "\r\n").encode("utf-8") + b"\r\n")
        answer = b""
        while b"\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode("latin-1")
