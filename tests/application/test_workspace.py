"""The per-version memo: built once, seen again at once when the problem ledger changes."""

from __future__ import annotations

from pathlib import Path

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


def test_a_prepared_import_is_not_installed_over_a_later_write(tmp_path: Path, canonical_dir: Path) -> None:
    from application.workspace import Workspace
    from chain_graph.settings import Settings
    from ingest.loader import read_directory

    settings = Settings(store=f"sqlite:///{tmp_path}/w.db", auth_db=str(tmp_path / "auth.db"))
    tables = read_directory(canonical_dir, settings=SETTINGS).ledgers
    workspace = Workspace(settings)
    try:
        with workspace.store() as store:
            store.write(tables, replace=True)
            written = store.data_version()
        prepared = workspace.prepare(tables)
        with workspace.store() as store:
            store.write(tables)  # another write lands before the install
        workspace.install(prepared, version=written)
        assert workspace.fresh_snapshot() is None  # not installed: the next request reads the store
        current = workspace.snapshot()
        assert current is not prepared
        assert current.version == written + 1
        workspace.install(workspace.prepare(tables), version=current.version)
        assert workspace.fresh_snapshot() is not None
    finally:
        workspace.close()


def test_a_page_waits_for_an_expected_import_instead_of_analysing_again(
    tmp_path: Path, canonical_dir: Path
) -> None:
    import threading

    from application.workspace import Workspace
    from chain_graph.settings import Settings
    from ingest.loader import read_directory

    settings = Settings(store=f"sqlite:///{tmp_path}/w.db", auth_db=str(tmp_path / "auth.db"))
    tables = read_directory(canonical_dir, settings=SETTINGS).ledgers
    workspace = Workspace(settings)
    try:
        with workspace.store() as store:
            store.write(tables, replace=True)
            written = store.data_version()
        expected = workspace.expect(written)
        prepared = workspace.prepare(tables)
        installing = threading.Timer(0.2, workspace.install, args=(prepared,), kwargs={"version": written})
        installing.start()
        assert workspace.snapshot() is prepared  # waited for the install: no second analysis
        assert expected.is_set()
        installing.join()
        # An expected import that fails sets its event: the page then analyses the store itself.
        with workspace.store() as store:
            store.write(tables, replace=True)
            failed = workspace.expect(store.data_version())
        workspace.refresh()
        failed.set()
        current = workspace.snapshot()
        assert current is not prepared
        assert current.version == written + 1
    finally:
        workspace.close()


def test_a_second_worker_reads_the_published_analysis_instead_of_analysing(
    tmp_path: Path, canonical_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import application.workspace as workspace_module
    from application.workspace import Workspace
    from chain_graph.settings import Settings
    from ingest.loader import read_directory

    settings = Settings(store=f"sqlite:///{tmp_path}/w.db", auth_db=str(tmp_path / "auth.db"))
    tables = read_directory(canonical_dir, settings=SETTINGS).ledgers
    first, second = Workspace(settings), Workspace(settings)
    try:
        with first.store() as store:
            store.write(tables, replace=True)
        analysed = first.snapshot()  # analyses, then publishes (synchronously outside the service)

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("analysed again")

        monkeypatch.setattr(workspace_module, "analyze", refuse)
        read = second.snapshot()
        assert read.analysis.to_json() == analysed.analysis.to_json()
        assert read.version == analysed.version
        # A write makes a new version: the published result is not for it, so it is analysed.
        monkeypatch.undo()
        with second.store() as store:
            store.write(tables, replace=True)
        second.refresh()
        assert second.snapshot().version == analysed.version + 1
    finally:
        first.close()
        second.close()


def test_nothing_is_published_when_the_setting_is_off(tmp_path: Path, canonical_dir: Path) -> None:
    from application.workspace import Workspace
    from chain_graph.settings import Settings
    from chain_graph.store.results import result_key
    from ingest.loader import read_directory

    settings = Settings(
        store=f"sqlite:///{tmp_path}/w.db", auth_db=str(tmp_path / "auth.db"), publish_results=False
    )
    workspace = Workspace(settings)
    try:
        with workspace.store() as store:
            store.write(read_directory(canonical_dir, settings=SETTINGS).ledgers, replace=True)
        snap = workspace.snapshot()
        assert snap.day is not None
        key = result_key(settings, version=snap.version, reports_version=snap.reports_version, day=snap.day)
        with workspace.store() as store:
            assert store.result_get(key) is None
    finally:
        workspace.close()
