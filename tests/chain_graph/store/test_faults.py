"""Faults while writing: the process killed mid-import or mid-update, a locked file, a full disk.

After each, the store holds the old content or the new one, never a mix, and the ledger
history is intact. The killed writer is a real child process (SIGKILL: no cleanup runs).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from chain_graph.errors import StoreError
from chain_graph.model import LedgerTables
from chain_graph.problem_ledger import Action, LedgerItem, ProblemLedger
from chain_graph.store import open_store
from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import read_directory
from ingest.synth import synthesize
from tests.defaults import SETTINGS

ROOT = Path(__file__).resolve().parents[3]

# The child writes a bigger set over the store's content and signals (a marker file) once
# a few batches are in the open transaction, then waits to be killed.
_IMPORT_CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from chain_graph.settings import Settings
    from chain_graph.store import open_store
    import chain_graph.store.{module} as module
    import pickle
    url, data, marker = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    ledgers = pickle.loads(Path(data).read_bytes())
    real = module._batches
    links = 0  # batches of links built so far (over every call: a store may batch in parts)
    def slow(frame, table, size):
        global links
        for batch in real(frame, table, size):
            if table == "links":
                links += 1
                if links == 3:
                    marker.write_text("in the middle")
                    time.sleep(60)
            yield batch
    module._batches = slow
    with open_store(url, settings=Settings(write_batch_size=500, neo4j_batch_size=500)) as store:
        store.write(ledgers, replace=True)
""")

# The child closes an item and is killed with the change written but not committed: on
# SQLite after the item row is updated and before its event is inserted, on Neo4j after the
# one statement that does both and before the commit.
_UPDATE_CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    url, item_id, marker = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    if url.startswith("sqlite"):
        import chain_graph.store.sqlite as module
        real = module._insert
        def slow(table, fields, **kw):
            if table == "ledger_history":
                marker.write_text("in the middle")
                time.sleep(60)
            return real(table, fields, **kw)
        module._insert = slow
    else:
        import neo4j
        real_commit = neo4j.Transaction.commit
        def slow_commit(self):
            marker.write_text("in the middle")
            time.sleep(60)
            return real_commit(self)
        neo4j.Transaction.commit = slow_commit
    from chain_graph.problem_ledger import Action, ProblemLedger
    from chain_graph.store import open_store
    from tests.defaults import SETTINGS
    with open_store(url, settings=SETTINGS) as store:
        ProblemLedger(store).act(item_id, Action.CLOSE, by="killed", note="不会写入")
""")


def _wait_until_rolled_back(url: str, *, seconds: float = 30.0) -> None:
    """Wait until Neo4j has dropped the killed writer's transaction (no fixed sleep)."""
    if not url.startswith("neo4j"):
        return  # SQLite: the killed process's journal is rolled back by the next open
    import neo4j

    deadline = time.monotonic() + seconds
    with neo4j.GraphDatabase.driver(url, notifications_min_severity="OFF") as driver:
        while True:
            records = driver.execute_query("SHOW TRANSACTIONS YIELD currentQuery RETURN currentQuery").records
            others = [r for r in records if "SHOW TRANSACTIONS" not in str(r["currentQuery"])]
            if not others:
                return
            assert time.monotonic() < deadline, f"Neo4j still holds the killed writer's transaction: {others}"
            time.sleep(0.05)


def _run_and_kill(code: str, *args: str, marker: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT))
    )
    try:
        for _ in range(600):
            if marker.exists() or child.poll() is not None:
                break
            time.sleep(0.05)
        assert marker.exists(), f"the child never reached the middle (exit code {child.poll()})"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()


def _same(a: LedgerTables, b: LedgerTables) -> None:
    a, b = a.canonical(), b.canonical()
    for name in LedgerTables.TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


@pytest.fixture(scope="module")
def bigger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pickled city-size set: enough link batches to be killed in the middle of."""
    import pickle

    base = tmp_path_factory.mktemp("bigger")
    synthesize(base / "data", firms=2300, seed=5)
    path = base / "ledgers.pickle"
    path.write_bytes(pickle.dumps(read_directory(base / "data", settings=SETTINGS).ledgers))
    return path


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/killed.db", "sqlite"
    else:
        yield request.getfixturevalue("neo4j_url"), "neo4j_store"


def test_writer_killed_mid_import(
    target: tuple[str, str], canonical_dir: Path, bigger: Path, tmp_path: Path
) -> None:
    url, module = target
    before = read_directory(canonical_dir, settings=SETTINGS).ledgers
    with open_store(url, settings=SETTINGS) as store:
        if hasattr(store, "clear"):
            store.clear()
        store.write(before, replace=True)
        version = store.data_version()
    _run_and_kill(
        _IMPORT_CHILD.format(module=module),
        url,
        str(bigger),
        str(tmp_path / "marker"),
        marker=tmp_path / "marker",
    )
    _wait_until_rolled_back(url)
    with open_store(url, settings=SETTINGS) as store:
        assert store.data_version() == version
        _same(store.load(), before)


# The child imports with small batches and stops (marker, then sleep) at batch ``n`` of the
# whole staged import — its nodes, links, problems — or, with ``n`` = -1, inside the switch
# transaction, after the statement that moves the pointer and before its commit.
_STAGED_CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import pickle
    import neo4j
    import chain_graph.store.neo4j_store as module
    from chain_graph.store import cypher
    from chain_graph.store.neo4j_store import Neo4jStore
    url, data, marker, stop = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
    ledgers = pickle.loads(Path(data).read_bytes())
    def pause():
        marker.write_text("in the middle")
        time.sleep(60)
    real = module._batches
    sent = 0
    def counting(frame, table, size):
        global sent
        for batch in real(frame, table, size):
            if sent == stop:
                pause()
            sent += 1
            yield batch
    module._batches = counting
    real_run = neo4j.Transaction.run
    def run(self, query, *args, **kwargs):
        result = real_run(self, query, *args, **kwargs)
        if query == cypher.SWITCH_GENERATION and stop == -1:
            result.consume()
            pause()
        return result
    neo4j.Transaction.run = run
    with Neo4jStore(url, batch_size=200, page_size=200) as store:
        store.write(ledgers, replace=True)
""")


def _staged_batches(ledgers: LedgerTables, size: int) -> int:
    counts = ledgers.counts()
    label_sets = ledgers.firms.groupby(["is_enterprise", "is_supplier"]).size().tolist()
    nodes = sum(-(-n // size) for n in label_sets) + -(-counts["projects"] // size)
    return nodes + sum(-(-counts[t] // size) for t in ("links", "problems", "materials"))


@pytest.mark.neo4j
@pytest.mark.parametrize("where", ["batch", "switch"])
def test_staged_import_killed_leaves_the_previous_generation(
    neo4j_url: str, canonical_dir: Path, bigger: Path, tmp_path: Path, where: str
) -> None:
    import pickle
    import random

    before = read_directory(canonical_dir, settings=SETTINGS).ledgers
    after: LedgerTables = pickle.loads(bigger.read_bytes())
    with open_store(neo4j_url, settings=SETTINGS) as store:
        store.clear()  # type: ignore[attr-defined]
        store.write(before, replace=True)
        version = store.data_version()
    stop = random.randrange(_staged_batches(after, 200)) if where == "batch" else -1
    _run_and_kill(
        _STAGED_CHILD, neo4j_url, str(bigger), str(tmp_path / "marker"), str(stop), marker=tmp_path / "marker"
    )
    _wait_until_rolled_back(neo4j_url)
    with open_store(neo4j_url, settings=SETTINGS) as store:
        assert store.data_version() == version, f"killed at batch {stop}"
        assert store.counts() == before.counts(), f"killed at batch {stop}"
        _same(store.load(), before)
        store.write(after, replace=True)
        assert store.data_version() == version + 1
        assert store.counts() == after.counts()
        _same(store.load(), after)


def test_writer_killed_mid_ledger_update(target: tuple[str, str], tmp_path: Path) -> None:
    url, _ = target
    item_id = f"W-{tmp_path.name}"  # the Neo4j server is shared by the session's tests
    with open_store(url, settings=SETTINGS) as store:
        ledger = ProblemLedger(store)
        now = ledger.now()
        ledger.register([LedgerItem(id=item_id, subject_id="E1", created_at=now, updated_at=now)], by="a")
        ledger.act(item_id, Action.START, by="a")
        events = store.ledger_version()
    _run_and_kill(_UPDATE_CHILD, url, item_id, str(tmp_path / "marker"), marker=tmp_path / "marker")
    _wait_until_rolled_back(url)
    with open_store(url, settings=SETTINGS) as store:
        item = store.ledger_item(item_id)
        assert item is not None
        assert (item.status.value, item.version) == ("in_progress", 2)
        assert [e.action for e in store.ledger_history(item_id)] == [Action.REGISTER, Action.START]
        assert store.ledger_version() == events
        ProblemLedger(store).act(item_id, Action.CLOSE, by="b", note="重启后办结", expected_version=2)
        assert [e.seq for e in store.ledger_history(item_id)] == [1, 2, 3]


def test_a_locked_file_is_a_clear_error_and_changes_nothing(tmp_path: Path, canonical_dir: Path) -> None:
    url = f"sqlite:///{tmp_path}/locked.db"
    before = read_directory(canonical_dir, settings=SETTINGS).ledgers
    with SQLiteStore(url, batch_size=SETTINGS.write_batch_size) as store:
        store.write(before)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import sqlite3, sys, time
        db = sqlite3.connect({str(tmp_path / "locked.db")!r}, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        print("locked", flush=True)
        time.sleep(60)
    """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with (
            SQLiteStore(url, busy_timeout=0.5, batch_size=SETTINGS.write_batch_size) as store,
            pytest.raises(StoreError, match="被其他程序占用"),
        ):
            store.write(LedgerTables(firms=before.firms.assign(name="改")))
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    with SQLiteStore(url, batch_size=SETTINGS.write_batch_size) as store:
        _same(store.load(), before)


def test_a_full_disk_rolls_back(tmp_path: Path, canonical_dir: Path, bigger: Path) -> None:
    import pickle

    url = f"sqlite:///{tmp_path}/full.db"
    before = read_directory(canonical_dir, settings=SETTINGS).ledgers
    with SQLiteStore(url, batch_size=SETTINGS.write_batch_size) as store:
        store.write(before)
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        # SQLite's own way to run out of room: no page beyond a few more than it has.
        store._db.execute(f"PRAGMA max_page_count = {pages + 5}")
        with pytest.raises(StoreError, match="磁盘空间不足"):
            store.write(pickle.loads(bigger.read_bytes()), replace=True)
        _same(store.load(), before)
    assert sqlite3.connect(tmp_path / "full.db").execute("PRAGMA integrity_check").fetchone() == ("ok",)
