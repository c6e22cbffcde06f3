from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chain_graph.store.sqlite import SQLiteStore
from tests.ledger_files import write_canonical


@pytest.fixture
def canonical_dir(tmp_path: Path) -> Path:
    return write_canonical(tmp_path / "canonical")


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(f"sqlite:///{tmp_path}/test.db", batch_size=3) as store:
        yield store
