"""``chain-graph reports import`` and ``template --reports``: 下发 → fill in → 回收, on SQLite."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from chain_graph.store.sqlite import SQLiteStore
from cli.main import app
from tests.defaults import SETTINGS
from tests.ledger_files import write_csv

runner = CliRunner()
HECHENG = "431202"  # E1 (a key enterprise) and P1; E2 is a key enterprise of 芷江


@pytest.fixture
def store_url(tmp_path: Path, canonical_dir: Path) -> str:
    url = f"sqlite:///{tmp_path}/c.db"
    assert runner.invoke(app, ["ingest", str(canonical_dir), "--store", url]).exit_code == 0
    return url


def _recorded(url: str) -> list[tuple[str, str, str]]:
    with SQLiteStore(url, batch_size=SETTINGS.write_batch_size) as store:
        frame = store.reports()
    return list(zip(frame["id"], frame["as_of"], frame["recorded_by"], strict=True))


def _rows(path: Path) -> tuple[list[object], list[list[object]]]:
    sheet = openpyxl.load_workbook(path)["复产填报"]
    rows: list[list[object]] = [list(r) for r in sheet.iter_rows(values_only=True)]
    return rows[1], rows[2:]


def test_hand_out_fill_in_and_take_back(tmp_path: Path, store_url: str) -> None:
    today = dt.date.today().isoformat()
    out = tmp_path / "鹤城区填报.xlsx"
    made = runner.invoke(
        app, ["template", "--reports", "--county", HECHENG, "-o", str(out), "--store", store_url]
    )
    assert made.exit_code == 0, made.output
    book = openpyxl.load_workbook(out)
    sheet = book["复产填报"]
    assert "鹤城区" in str(sheet["A1"].value)
    headers, rows = _rows(out)
    assert headers[:4] == ["对象编号", "名称", "填报日期", "生产状态"]
    column = {h: i for i, h in enumerate(headers)}
    assert [r[0] for r in rows] == ["E1", "P1"]  # the county's key enterprise, then its project
    e1, p1 = rows
    assert (e1[column["生产状态"]], e1[column["填报日期"]]) == ("正常", today)
    assert p1[column["生产状态"]] is None
    # The county fills it in: E1 back to 60 %, P1 started with 3000 万元 done.
    sheet.cell(row=3, column=column["生产状态"] + 1, value="部分停产")
    sheet.cell(row=3, column=column["产能恢复率"] + 1, value="60%")
    sheet.cell(row=4, column=column["是否开复工"] + 1, value="是")
    sheet.cell(row=4, column=column["累计完成投资(万元)"] + 1, value=3000)
    book.save(out)
    back = runner.invoke(
        app,
        ["reports", "import", str(out), "--county", HECHENG, "--by", "鹤城区工信局", "--store", store_url],
    )
    assert back.exit_code == 0, back.output
    assert "已记录 2 条填报" in back.output
    assert _recorded(store_url) == [("E1", today, "鹤城区工信局"), ("P1", today, "鹤城区工信局")]
    # Handed out again, the workbook shows the state with the reports.
    again = tmp_path / "again.xlsx"
    cmd = ["template", "--reports", "--county", HECHENG, "-o", str(again), "--store", store_url]
    assert runner.invoke(app, cmd).exit_code == 0
    _, (e1, p1) = _rows(again)
    assert (e1[column["生产状态"]], e1[column["产能恢复率"]]) == ("部分停产", 60)
    assert (p1[column["是否开复工"]], p1[column["累计完成投资(万元)"]]) == ("是", 3000)


def test_a_row_of_another_county_is_refused_and_nothing_written(tmp_path: Path, store_url: str) -> None:
    out = tmp_path / "鹤城区.xlsx"
    cmd = ["template", "--reports", "--county", HECHENG, "-o", str(out), "--store", store_url]
    assert runner.invoke(app, cmd).exit_code == 0
    book = openpyxl.load_workbook(out)
    book["复产填报"].append(["E2", "芷江乙食品有限公司", dt.date.today().isoformat(), "正常"])
    book.save(out)
    back = runner.invoke(app, ["reports", "import", str(out), "--county", HECHENG, "--store", store_url])
    assert back.exit_code == 1, back.output
    assert "E033" in back.output
    assert "未写入任何填报" in back.output
    assert _recorded(store_url) == []
    # The city bureau may record it (without --county).
    city = runner.invoke(app, ["reports", "import", str(out), "--by", "市工信局", "--store", store_url])
    assert city.exit_code == 0, city.output
    assert [r[0] for r in _recorded(store_url)] == ["E1", "P1", "E2"]


def test_an_import_of_the_ledgers_leaves_the_reports(
    tmp_path: Path, store_url: str, canonical_dir: Path
) -> None:
    path = write_csv(
        tmp_path / "复产填报.csv", [["企业编号", "截至日期", "产能恢复率"], ["E1", "2026-01-05", "30"]]
    )
    assert runner.invoke(app, ["reports", "import", str(path), "--store", store_url]).exit_code == 0
    before = _recorded(store_url)
    assert (
        runner.invoke(app, ["ingest", str(canonical_dir), "--replace", "--store", store_url]).exit_code == 0
    )
    assert _recorded(store_url) == before


@pytest.mark.parametrize(
    "args",
    [
        ["template", "--reports"],
        ["template", "--county", HECHENG],
        ["template", "--reports", "--county", "4312"],
        ["template", "--reports", "--county", "110101"],
        ["reports", "import", "no-such-file.xlsx"],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, store_url: str, args: list[str]) -> None:
    result = runner.invoke(app, [*args, "--store", store_url])
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "复产填报_4312.xlsx").exists()


def test_analyze_as_of_a_date_overlays_the_reports_up_to_it(tmp_path: Path, canonical_dir: Path) -> None:
    reports = write_csv(
        tmp_path / "复产填报.csv", [["企业编号", "截至日期", "生产状态"], ["S1", "2026-11-20", "正常"]]
    )

    def blocked(*options: str) -> list[str]:
        result = runner.invoke(app, ["analyze", str(canonical_dir), "--json", *options])
        assert result.exit_code == 0, result.output
        return [row["id"] for row in json.loads(result.stdout)["blocked"]]

    assert blocked() == ["S1"]  # no reports: the ledgers as they are
    assert blocked("--reports", str(reports), "--as-of", "2026-11-19") == ["S1"]  # before S1's report
    assert blocked("--reports", str(reports), "--as-of", "2026-11-25") == []  # S1 reported back
    bad = runner.invoke(app, ["analyze", str(canonical_dir), "--as-of", "上周五"])
    assert bad.exit_code == 2
    assert "--as-of 应为日期" in bad.output
