"""Schemathesis over the app's own OpenAPI schema: no request the schema allows gives a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Err

from api.app import create_app
from api.state import AppState
from api.users import Role
from chain_graph.settings import Settings
from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import read_directory
from tests.defaults import SETTINGS
from tests.fuzzing import examples
from tests.ledger_files import write_canonical

_TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    base = tmp_path_factory.mktemp("schemathesis")
    app_settings = Settings(store=f"sqlite:///{base}/api.db", auth_db=str(base / "auth.db"))
    with SQLiteStore(app_settings.store, batch_size=SETTINGS.write_batch_size) as store:
        store.write(read_directory(write_canonical(Path(base) / "data"), settings=SETTINGS).ledgers)
    state = AppState(app_settings)
    _TOKEN["admin"] = state.users.add("admin", Role.ADMIN)[1]
    yield create_app(app_settings, state=state)
    state.close()


def test_no_server_errors(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {_TOKEN['admin']}"}
    failures: list[str] = []
    operations = 0
    calls = [0]
    for result in schema.get_all_operations():
        assert not isinstance(result, Err), result
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples(12), deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def check(case: schemathesis.Case[Any]) -> None:
            response = case.call(headers=headers)
            calls[0] += 1
            if response.status_code >= 500 and response.status_code not in (503, 504):
                failures.append(
                    f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}"
                )

        check()
    assert operations >= 15
    assert calls[0] > operations * 3  # Hypothesis generated several requests per operation
    assert not failures, failures[:5]
