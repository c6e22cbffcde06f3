"""``chain-graph ledger`` and ``chain-graph export`` end to end on a SQLite store."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from chain_graph.model import ProblemStatus
from chain_graph.problem_ledger import Action
from chain_graph.store.sqlite import SQLiteStore
from cli.main import app
from ingest.synth import synthesize
from tests.defaults import SETTINGS

runner = CliRunner()


@pytest.fixture(scope="module")
def city_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    base = tmp_path_factory.mktemp("city")
    synthesize(base / "data", firms=2300, seed=1)
    url = f"sqlite:///{base}/city.db"
    result = runner.invoke(app, ["ingest", str(base / "data"), "--store", url])
    assert result.exit_code == 0, result.output
    return url


@pytest.fixture
def canonical_store(tmp_path: Path, canonical_dir: Path) -> str:
    url = f"sqlite:///{tmp_path}/c.db"
    assert runner.invoke(app, ["ingest", str(canonical_dir), "--store", url]).exit_code == 0
    return url


def test_from_analysis_twice_registers_each_item_once(city_store: str) -> None:
    first = runner.invoke(app, ["ledger", "from-analysis", "--store", city_store, "--by", "市工信局"])
    assert first.exit_code == 0, first.output
    with SQLiteStore(city_store, batch_size=SETTINGS.write_batch_size) as store:
        items = store.ledger_items()
        ledgers = store.load()
    assert len(items) > len(ledgers.problems) > 0
    pairs = [(i.supplier_id, i.subject_id) for i in items if i.source == "analysis"]
    assert len(pairs) == len(set(pairs))
    second = runner.invoke(app, ["ledger", "from-analysis", "--store", city_store])
    assert second.exit_code == 0, second.output
    assert "新挂号 0 项" in second.output
    with SQLiteStore(city_store, batch_size=SETTINGS.write_batch_size) as store:
        assert store.ledger_items() == items


def test_status_flow_through_the_cli(canonical_store: str) -> None:
    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, [*args, "--store", canonical_store])
        return result.exit_code, result.output

    code, out = run(
        "ledger",
        "register",
        "--id",
        "X1",
        "--subject",
        "E1",
        "--category",
        "资金",
        "--description",
        "流动资金紧张",
        "--deadline",
        "2026-12-31",
        "--by",
        "市工信局",
    )
    assert code == 0, out
    assert "市政府金融办" in out
    assert run("ledger", "register", "--id", "X2", "--subject", "NOPE", "--description", "x")[0] == 2
    assert run("ledger", "start", "X1", "--by", "鹤城区")[0] == 0
    code, out = run("ledger", "close", "X1")
    assert code == 1
    assert "销号须填写办结情况" in out
    assert "Traceback" not in out
    code, out = run("ledger", "close", "X1", "--note", "已协调贷款", "--version", "1")
    assert code == 1
    assert "请刷新后重试" in out
    assert run("ledger", "close", "X1", "--note", "已协调贷款", "--version", "2")[0] == 0
    code, out = run("ledger", "show", "X1")
    assert code == 0
    assert "已协调贷款" in out
    with SQLiteStore(canonical_store, batch_size=SETTINGS.write_batch_size) as store:
        item = store.ledger_item("X1")
        history = store.ledger_history("X1")
    assert item is not None
    assert item.status == ProblemStatus.CLOSED
    assert [(e.action, e.by) for e in history] == [
        (Action.REGISTER, "市工信局"),
        (Action.START, "鹤城区"),
        (Action.CLOSE, history[2].by),
    ]


@pytest.mark.parametrize(
    ("kind", "sheet"), [("coordination", "跨区域协调清单"), ("local", "本地配套企业"), ("ledger", "问题台账")]
)
def test_exports_write_workbooks(canonical_store: str, tmp_path: Path, kind: str, sheet: str) -> None:
    out = tmp_path / f"{kind}.xlsx"
    result = runner.invoke(app, ["export", kind, "-o", str(out), "--store", canonical_store])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames[0] == sheet


def test_export_refuses_an_unknown_format(canonical_store: str, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["export", "ledger", "-o", str(tmp_path / "x.pdf"), "--format", "pdf", "--store", canonical_store],
    )
    assert result.exit_code == 2
    assert "xlsx 或 csv" in result.output


@pytest.mark.parametrize("suffix", [".xlsx", ".html"])
def test_weekly_report_files(canonical_store: str, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"周报{suffix}"
    result = runner.invoke(
        app,
        [
            "report",
            "weekly",
            "--from",
            "2026-11-23",
            "--to",
            "2026-11-29",
            "-o",
            str(out),
            "--store",
            canonical_store,
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000


def test_weekly_report_refuses_bad_options(canonical_store: str, tmp_path: Path) -> None:
    for args in (
        ["-o", str(tmp_path / "w.pdf")],
        ["-o", str(tmp_path / "w.html"), "--from", "2026-13-01"],
        ["-o", str(tmp_path / "w.html"), "--from", "2026-11-29", "--to", "2026-11-01"],
    ):
        result = runner.invoke(app, ["report", "weekly", *args, "--store", canonical_store])
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
