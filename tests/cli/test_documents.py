"""``chain-graph report monthly|quarterly``: the notices written from the store, wrong options refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


@pytest.fixture
def canonical_store(tmp_path: Path, canonical_dir: Path) -> str:
    url = f"sqlite:///{tmp_path}/c.db"
    assert runner.invoke(app, ["ingest", str(canonical_dir), "--store", url]).exit_code == 0
    return url


@pytest.mark.parametrize(
    ("command", "option", "period", "suffix", "title"),
    [
        ("monthly", "--month", "2025-11", "docx", "关于2025年11月产业链供应链保障工作月调度情况的通报"),
        ("monthly", "--month", "2025-11", "html", "关于2025年11月产业链供应链保障工作月调度情况的通报"),
        (
            "quarterly",
            "--quarter",
            "2025Q4",
            "xlsx",
            "关于2025年第四季度产业链供应链保障工作季督查情况的通报",
        ),
    ],
)
def test_notices_are_written(
    canonical_store: str, tmp_path: Path, command: str, option: str, period: str, suffix: str, title: str
) -> None:
    out = tmp_path / f"notice.{suffix}"
    result = runner.invoke(
        app, ["report", command, "-o", str(out), option, period, "--store", canonical_store]
    )
    assert result.exit_code == 0, result.output
    if suffix == "docx":
        text = zipfile.ZipFile(out).read("word/document.xml").decode()
        assert title in text
        assert "怀化市工业和信息化局" in text  # the default 落款
    elif suffix == "html":
        assert title in out.read_text(encoding="utf-8")
    else:
        ws = openpyxl.load_workbook(out)["记分卡"]
        assert str(ws["A1"].value).startswith(title)


@pytest.mark.parametrize(
    "args",
    [
        ["monthly", "-o", "{tmp}/n.pdf", "--month", "2025-11"],
        ["monthly", "-o", "{tmp}/n.docx", "--month", "2025/11"],
        ["monthly", "-o", "{tmp}/n.docx", "--month", "2025-13"],
        ["quarterly", "-o", "{tmp}/n.docx", "--quarter", "2025Q5"],
        ["monthly", "-o", "{tmp}/missing/n.docx", "--month", "2025-11"],
        ["monthly", "-o", "{tmp}/n.docx", "--month", "2999-01"],  # no round has ended yet
    ],
)
def test_notices_refuse_bad_options(canonical_store: str, tmp_path: Path, args: list[str]) -> None:
    args = [a.format(tmp=tmp_path) for a in args]
    result = runner.invoke(app, ["report", *args, "--store", canonical_store])
    assert result.exit_code == 2, (args, result.output)
    assert "Traceback" not in result.output
