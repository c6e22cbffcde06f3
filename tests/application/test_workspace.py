"""The per-version memo, the install of a prepared import, and the analysis updated after a status report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from application.workspace import Snapshot, Workspace
from chain_graph.model import LedgerTables
from chain_graph.settings import Settings
from ingest.loader import read_directory
from tests.defaults import SETTINGS


@pytest.fixture
def snap() -> Snapshot:
    return Snapshot(version=1, ledgers=LedgerTables(), settings=SETTINGS)


@pytest.fixture
def tables(canonical_dir: Path) -> LedgerTables:
    """The canonical data set, validated."""
    return read_directory(canonical_dir, settings=SETTINGS).ledgers


def _settings(tmp_path: Path, **changes: Any) -> Settings:
    """A deployment of its own: a SQLite store and a users file in ``tmp_path``."""
    return Settings(store=f"sqlite:///{tmp_path}/w.db", auth_db=str(tmp_path / "auth.db"), **changes)


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


def test_a_prepared_import_is_not_installed_over_a_later_write(tmp_path: Path, tables: LedgerTables) -> None:

    settings = _settings(tmp_path)
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
    tmp_path: Path, tables: LedgerTables
) -> None:
    import threading

    settings = _settings(tmp_path)
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


def _report(node: str, *, status: str, day: str) -> pd.DataFrame:
    """One status report of a firm (the report columns but ``seq``)."""
    row = {"id": node, "as_of": day, "status": status, "capacity": np.nan, "recovery_days": np.nan}
    row |= {"problem": "", "started": np.nan, "completed": np.nan, "workers": np.nan, "reporter": "甲"}
    return pd.DataFrame([row])


@pytest.mark.parametrize(("limit", "incremental"), [(1000, True), (0, False)])
def test_a_status_report_updates_the_analysis_through_its_cone(
    tmp_path: Path, tables: LedgerTables, limit: int, incremental: bool
) -> None:
    from chain_graph.gaps import analyze
    from chain_graph.graph import build_graph
    from chain_graph.store.results import result_key

    settings = _settings(tmp_path, incremental_limit=limit)
    workspace = Workspace(settings)
    try:
        with workspace.store() as store:
            store.write(tables, replace=True)
        before = workspace.snapshot()
        # S1 (stopped) holds back 60 % of E1's steel: E1 and P1 at 0.4; E2 (partial, 60) at 0.6.
        assert before.analysis.summary()["value_at_risk"] == pytest.approx(
            0.6 * 30000 + 0.6 * 20000 + 0.4 * 5000
        )
        with workspace.store() as store:
            store.append_reports(
                _report("S1", status="normal", day=dt.date.today().isoformat()),
                by="鹤城区",
                at=dt.datetime.now(),
            )
        workspace.refresh()
        after = workspace.snapshot()
        assert after is not before
        assert after.analysis.summary()["value_at_risk"] == pytest.approx(0.4 * 5000)  # only E2's own
        assert after.analysis.to_json() == analyze(build_graph(after.ledgers), settings=SETTINGS).to_json()
        shared = after.graph.__dict__.get("structure") is before.graph.__dict__.get("structure")
        assert shared is incremental  # updated through the cone: the graph's structure is reused
        # A whole analysis is published for the other workers; an update is not (each updates).
        assert after.day is not None
        version = (after.version, after.reports_version)
        key = result_key(settings, version=version[0], reports_version=version[1], day=after.day)
        with workspace.store() as store:
            assert (store.result_get(key) is None) is incremental
    finally:
        workspace.close()


def test_a_second_worker_reads_the_published_analysis_instead_of_analysing(
    tmp_path: Path, tables: LedgerTables, monkeypatch: pytest.MonkeyPatch
) -> None:
    import application.workspace as workspace_module

    settings = _settings(tmp_path)
    first, second = Workspace(settings), Workspace(settings)
    try:
        with first.store() as store:
            store.write(tables, replace=True)
        analysed = first.snapshot()  # analyses, then publishes (synchronously outside the service)

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("analysed again")

        monkeypatch.setattr(workspace_module, "analyze", refuse)
        monkeypatch.setattr("chain_graph.gaps.substitutes", refuse)
        read = second.snapshot()
        # The first computed every substitute ahead and published them too: none computed again.
        assert analysed.analysis.computed("substitutes")
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


def test_nothing_is_published_when_the_setting_is_off(tmp_path: Path, tables: LedgerTables) -> None:
    from chain_graph.store.results import result_key

    settings = _settings(tmp_path, publish_results=False)
    workspace = Workspace(settings)
    try:
        with workspace.store() as store:
            store.write(tables, replace=True)
        snap = workspace.snapshot()
        assert snap.day is not None
        key = result_key(settings, version=snap.version, reports_version=snap.reports_version, day=snap.day)
        with workspace.store() as store:
            assert store.result_get(key) is None
    finally:
        workspace.close()


def test_substitutes_are_computed_ahead_once_for_the_current_snapshot_within_the_limit(
    tmp_path: Path, tables: LedgerTables
) -> None:
    workspace = Workspace(_settings(tmp_path))
    try:
        with workspace.store() as store:
            store.write(tables, replace=True)
        snap = workspace.snapshot()
        assert snap.analysis.computed("substitutes")  # ahead of the first page that needs them
        assert not workspace.compute_ahead(snap)  # once
        with workspace.store() as store:
            store.write(tables, replace=True)
        workspace.refresh()
        later = workspace.snapshot()
        assert later is not snap
        stale = Snapshot(version=later.version, ledgers=later.ledgers, settings=later.settings)
        assert not workspace.compute_ahead(stale)  # not the current snapshot: skipped
        assert not stale.analysis.computed("substitutes")
    finally:
        workspace.close()
    (tmp_path / "over").mkdir()
    over = Workspace(_settings(tmp_path / "over", substitutes_ahead_limit=0))
    try:
        with over.store() as store:
            store.write(tables, replace=True)
        snap = over.snapshot()
        assert len(snap.analysis.blocked) > 0
        assert not snap.analysis.computed("substitutes")  # more blocked suppliers than the limit
    finally:
        over.close()
