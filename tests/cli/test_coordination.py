"""``chain-graph coordination`` end to end on a SQLite store: letters written as .docx and .xlsx,
the list with its clocks, another city's workbook imported, the province's consolidation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path, canonical_dir: Path) -> str:
    url = f"sqlite:///{tmp_path}/cli.db"
    assert runner.invoke(app, ["ingest", str(canonical_dir), "--store", url]).exit_code == 0
    return url


def test_letters_are_written_once_and_listed(store: str, tmp_path: Path) -> None:
    out = tmp_path / "letters"
    out.mkdir()
    result = runner.invoke(app, ["coordination", "letters", "--store", store, "-o", str(out), "--by", "张三"])
    assert result.exit_code == 0, result.output
    number = f"怀工信函〔{dt.date.today().year}〕1号"
    assert sorted(p.name for p in out.iterdir()) == [f"{number}.docx", f"{number}.xlsx"]
    text = "\n".join(p.text for p in Document(str(out / f"{number}.docx")).paragraphs)
    assert number in text
    assert "长沙丙钢材有限公司" in "\n".join(
        c.text for t in Document(str(out / f"{number}.docx")).tables for row in t.rows for c in row.cells
    )
    # Run again: no new letter; the unsent one is written again (it is still to be sent).
    again = runner.invoke(app, ["coordination", "letters", "--store", store, "-o", str(out)])
    assert again.exit_code == 0
    assert "新编函件 0 份" in again.output
    listed = runner.invoke(app, ["coordination", "list", "--store", store, "--json"])
    assert listed.exit_code == 0
    rows = json.loads(listed.output)
    assert [(r["id"], r["state"], r["letter"]) for r in rows] == [("XT-S1", "pending", number)]


def test_a_missing_output_directory_is_a_clear_error(store: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["coordination", "letters", "--store", store, "-o", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "输出目录" in result.output
    assert "Traceback" not in result.output


def test_incoming_and_consolidate(store: str, tmp_path: Path) -> None:
    exported = tmp_path / "怀化.xlsx"
    assert (
        runner.invoke(app, ["export", "coordination", "--store", store, "-o", str(exported)]).exit_code == 0
    )
    # 怀化's list imported by 怀化 itself: S1 is in 长沙, not ours — nothing registered, one row skipped.
    result = runner.invoke(
        app, ["coordination", "incoming", str(exported), "--from", "怀化市", "--store", store]
    )
    assert result.exit_code == 0, result.output
    assert "来函事项 0 项" in result.output
    out = tmp_path / "省汇总.xlsx"
    result = runner.invoke(
        app, ["coordination", "consolidate", f"怀化市={exported}", f"邵阳市={exported}", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out, read_only=True)
    cells = [
        str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v is not None
    ]
    assert "长沙丙钢材有限公司" in cells
    assert "怀化市、邵阳市" in cells


def test_a_bad_workbook_is_located_without_a_traceback(store: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    result = runner.invoke(app, ["coordination", "incoming", str(bad), "--from", "长沙市", "--store", store])
    assert result.exit_code == 1
    assert "bad.xlsx" in result.output
    assert "Traceback" not in result.output


def test_whitelist_is_written(store: str, tmp_path: Path) -> None:
    out = tmp_path / "白名单.xlsx"
    result = runner.invoke(app, ["coordination", "whitelist", "--store", store, "-o", str(out)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).worksheets[0]
    assert str(sheet["A1"].value).startswith("重点产业链供应链企业白名单推荐表")
