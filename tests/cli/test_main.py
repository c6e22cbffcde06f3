from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from chain_graph.store.sqlite import SQLiteStore
from cli.main import app
from ingest.rejects import REJECT_HEADERS
from tests.defaults import SETTINGS
from tests.ingest.broken import EXPECTED, write_broken

runner = CliRunner()


def _store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/cli.db"


def _content(url: str) -> dict[str, pd.DataFrame]:
    with SQLiteStore(url, batch_size=SETTINGS.write_batch_size) as store:
        loaded = store.load().canonical()
    return {name: getattr(loaded, name) for name in loaded.TABLES}


def test_ingest_then_broken_ingest_leaves_the_store_unchanged(tmp_path: Path, canonical_dir: Path) -> None:
    url = _store_url(tmp_path)
    first = runner.invoke(
        app, ["ingest", str(canonical_dir), "--store", url, "--rejects", str(tmp_path / "r0.csv")]
    )
    assert first.exit_code == 0, first.output
    before = _content(url)
    rejects = tmp_path / "rejects.csv"
    result = runner.invoke(
        app, ["ingest", str(write_broken(tmp_path / "broken")), "--store", url, "--rejects", str(rejects)]
    )
    assert result.exit_code == 1
    assert "未写入任何数据" in result.output
    after = _content(url)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(after[name], frame)
    # The rejects file lists every issue (and the cascaded rejections), opens in Excel.
    assert rejects.read_bytes().startswith(b"\xef\xbb\xbf")
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == REJECT_HEADERS
    located = {(r[0], int(r[2]) if r[2] else 0, r[5].split()[0]) for r in rows[1:]}
    assert {(f, row, code.value) for f, row, code in EXPECTED} <= located


def test_keep_valid_writes_the_good_rows(tmp_path: Path) -> None:
    url = _store_url(tmp_path)
    result = runner.invoke(
        app,
        [
            "ingest",
            str(write_broken(tmp_path / "broken")),
            "--store",
            url,
            "--keep-valid",
            "--rejects",
            str(tmp_path / "r.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    content = _content(url)
    assert sorted(content["firms"]["id"]) == ["S1", "S3", "S4"]
    assert sorted(content["projects"]["id"]) == ["P1"]


def test_required_table_missing_exits_1_even_with_keep_valid(tmp_path: Path, canonical_dir: Path) -> None:
    (canonical_dir / "suppliers.csv").unlink()
    result = runner.invoke(
        app,
        [
            "ingest",
            str(canonical_dir),
            "--store",
            _store_url(tmp_path),
            "--keep-valid",
            "--rejects",
            str(tmp_path / "r.csv"),
        ],
    )
    assert result.exit_code == 1
    assert "E003" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "/no/such/dir", "--store", "sqlite:///:memory:"], "数据目录不存在"),
        (["ingest", ".", "--store", "mysql://db"], "不支持的存储地址"),
        (["synth", "x", "--scale", "huge"], "--scale"),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_unopenable_store_exits_3(tmp_path: Path, canonical_dir: Path) -> None:
    result = runner.invoke(
        app, ["ingest", str(canonical_dir), "--store", f"sqlite:///{tmp_path}/missing/dir/x.db"]
    )
    assert result.exit_code == 3
    assert "Traceback" not in result.output


def test_demo_loads_and_summarises(tmp_path: Path) -> None:
    url = _store_url(tmp_path)
    result = runner.invoke(app, ["demo", "--dir", str(tmp_path / "demo"), "--store", url, "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "演示数据摘要" in result.output
    assert "缺口分析摘要" in result.output
    with SQLiteStore(url, batch_size=SETTINGS.write_batch_size) as store:
        counts = store.counts()
    assert counts["projects"] == 385
    assert counts["links"] == 6000


def test_template_round_trips_through_the_reader(tmp_path: Path) -> None:
    from chain_graph.errors import IssueCode
    from ingest.loader import read_directory

    directory = tmp_path / "t"
    directory.mkdir()
    result = runner.invoke(app, ["template", str(directory / "台账模板.xlsx")])
    assert result.exit_code == 0, result.output
    validation = read_directory(directory, settings=SETTINGS)
    # Every sheet's header is recognised; the only complaint is that the tables are empty.
    assert {i.code for i in validation.issues} == {IssueCode.TABLE_EMPTY}
    assert {i.sheet for i in validation.issues} == {"重点企业", "重点项目", "供应商", "供应关系", "问题台账"}
