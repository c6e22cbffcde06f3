from __future__ import annotations

import csv
import datetime as dt
import re
import socket
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.users import Role, UserStore
from chain_graph.model import ProblemStatus
from chain_graph.problem_ledger import overdue_days
from chain_graph.regions import region_name
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
        items = store.ledger_items()
        events = store.ledger_history()
    assert counts["projects"] == 385
    assert counts["links"] == 6000
    # A ledger a newcomer can explore: every state, several weeks, overdue items.
    today = dt.date.today()
    assert {i.status for i in items} == set(ProblemStatus)
    assert len({i.created_at.date().isocalendar()[:2] for i in items}) >= 3
    assert (today - min(e.at for e in events).date()).days >= 21
    assert any(overdue_days(i, today) > 0 for i in items)
    # One user per role, each token printed once, with where and how to log in.
    users = UserStore(tmp_path / "demo" / "console" / "users.db")
    try:
        made = users.users()
    finally:
        users.close()
    assert {u.role for u in made} == set(Role)
    assert "市工信局管理员" in {u.name for u in made}
    county = next(u for u in made if u.role == Role.COUNTY)
    assert county.name == f"{region_name(county.county)}工信局"
    tokens = re.findall(r"cg_[A-Za-z0-9_-]{43}", result.output)
    assert len(tokens) == len(set(tokens)) == len(made)
    assert "令牌只显示这一次" in result.output
    assert "http://127.0.0.1:8000/console/" in result.output
    assert "demo-20" not in result.output


def test_demo_starts_afresh_in_its_own_directory(tmp_path: Path) -> None:
    """Without --store, the demo's store and users live in its directory, made anew each run."""
    directory = tmp_path / "demo"
    for _ in range(2):
        result = runner.invoke(app, ["demo", "--dir", str(directory), "--no-serve"])
        assert result.exit_code == 0, result.output
        assert "已存在" not in result.output
    with SQLiteStore(f"sqlite:///{directory}/console/demo.db", batch_size=SETTINGS.write_batch_size) as store:
        again = store.ledger_items()
    registered = re.search(r"共登记 (\d+) 项", result.output)
    assert registered
    assert len(again) == int(registered.group(1))


def test_demo_stops_at_once_when_its_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = runner.invoke(app, ["demo", "--dir", str(tmp_path / "demo"), "--port", port])
    assert result.exit_code == 2
    assert "CG101" in result.output
    assert not (tmp_path / "demo").exists()  # nothing generated for a console that cannot start


def test_template_round_trips_through_the_reader(tmp_path: Path) -> None:
    from chain_graph.errors import IssueCode
    from ingest.loader import read_directory

    directory = tmp_path / "t"
    directory.mkdir()
    result = runner.invoke(app, ["template", str(directory / "台账模板.xlsx")])
    assert result.exit_code == 0, result.output
    validation = read_directory(directory, settings=SETTINGS)
    # Every sheet's header is recognised; the only complaint is that the required tables are
    # empty (an optional one with only its header is simply empty).
    assert {i.code for i in validation.issues} == {IssueCode.TABLE_EMPTY}
    assert {i.sheet for i in validation.issues} == {"重点企业", "供应商", "供应关系"}


def test_a_what_if_moves_a_link_to_a_substitute(tmp_path: Path, canonical_dir: Path) -> None:
    import json

    scenario = tmp_path / "替代.yaml"
    scenario.write_text("substitute:\n  - {buyer: E1, material: 钢材, from: S1, to: S2}\n", encoding="utf-8")
    from_file = runner.invoke(app, ["analyze", str(canonical_dir), "--json", "--scenario", str(scenario)])
    assert from_file.exit_code == 0, from_file.output
    # S2 takes S1's 60 % of E1's 钢材 at full availability: as restoring S1, 30000 万元
    assert json.loads(from_file.output)["delta"]["value_at_risk"] == -30000.0
    typed = runner.invoke(app, ["analyze", str(canonical_dir), "--substitute", "E1,钢材,S1,S2"])
    assert typed.exit_code == 0, typed.output
    assert "替代：E1 的“钢材”由 S1 改由 S2 供应" in typed.output
    wrong = runner.invoke(app, ["analyze", str(canonical_dir), "--substitute", "E1,钢材,S1"])
    assert wrong.exit_code != 0
    assert "--substitute 应写作" in wrong.output
