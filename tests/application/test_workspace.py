"""The per-version memo: built once, seen again at once when the problem ledger changes."""

from __future__ import annotations

import pytest

from application.workspace import Snapshot
from chain_graph.model import LedgerTables
from tests.defaults import SETTINGS


@pytest.fixture
def snap() -> Snapshot:
    return Snapshot(version=1, ledgers=LedgerTables(), settings=SETTINGS)


def test_a_result_is_built_once_per_key(snap: Snapshot) -> None:
    built: list[str] = []

    def build(name: str) -> str:
        built.append(name)
        return name

    assert snap.memo(("a",), lambda: build("a")) == "a"
    assert snap.memo(("a",), lambda: build("a2")) == "a"
    assert snap.memo(("b",), lambda: build("b")) == "b"
    assert built == ["a", "b"]


def test_a_newer_ledger_version_drops_the_results_of_older_ones(snap: Snapshot) -> None:
    snap.memo(("data",), lambda: "kept")  # reads no ledger
    snap.memo(("list",), lambda: "v1", ledger=1)
    snap.memo(("workbook",), lambda: "v1", ledger=1)
    assert snap.memo(("list",), lambda: "v2", ledger=2) == "v2"
    assert sorted(v for _, v in snap.memos.values()) == ["kept", "v2"]  # v1's results are gone
    assert snap.memo(("data",), lambda: "rebuilt") == "kept"
