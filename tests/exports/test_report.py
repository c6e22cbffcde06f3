"""The weekly report files: the workbook with its chart, the printable page offline and escaped."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from chain_graph.gaps import analyze
from chain_graph.problem_ledger import LedgerItem
from chain_graph.report import WeeklyReport, weekly_report
from exports.report import render_html, write_report_xlsx
from ingest.loader import read_directory
from tests.defaults import SETTINGS

HOSTILE = "<script>alert(1)</script>局"


@pytest.fixture
def report(canonical_dir: Path) -> WeeklyReport:
    at = dt.datetime(2026, 11, 20, 9)
    items = [
        LedgerItem(
            id="W1",
            subject_id="E1",
            responsible_unit=HOSTILE,
            deadline=dt.date(2026, 11, 24),
            created_at=at,
            updated_at=at,
        ),
        LedgerItem(
            id="W2",
            subject_id="E2",
            responsible_unit="市交通运输局",
            deadline=dt.date(2026, 12, 24),
            created_at=at,
            updated_at=at,
        ),
    ]
    return weekly_report(
        analyze(read_directory(canonical_dir, settings=SETTINGS).ledgers, settings=SETTINGS),
        items,
        [],
        start=dt.date(2026, 11, 23),
        end=dt.date(2026, 11, 29),
        target=0.9,
    )


def test_workbook_sheets_figures_and_chart(tmp_path: Path, report: WeeklyReport) -> None:
    path = tmp_path / "周报.xlsx"
    write_report_xlsx(path, report, exported=dt.date(2026, 11, 29))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["概况", "受阻配套企业", "责任单位考核排名"]
    summary = {r[0].value: r[1] for r in book["概况"].iter_rows(min_row=3, max_row=10)}
    assert summary["产值加权产能恢复率"].value == pytest.approx(15000 / 35000)
    assert summary["受影响投资"].value == pytest.approx(12000)
    # Counts print as integers (2 家, never 2.00 家), rates as percentages, money with cents.
    formats = {item: cell.number_format for item, cell in summary.items()}
    assert formats["重点规模企业数"] == formats["重点建设项目数"] == "#,##0"
    assert summary["重点建设项目数"].value == 1
    assert formats["产值加权产能恢复率"] == formats["恢复目标"] == "0.00%"
    assert formats["影响产值（全部企业）"] == formats["受影响投资"] == "#,##0.00"
    ranking = book["责任单位考核排名"]
    assert ranking.cell(row=3, column=2).value == HOSTILE  # text, as written
    assert ranking.cell(row=3, column=10).value == 0  # W1 due and open: 0 %
    assert ranking.cell(row=4, column=10).value is None  # W2 not due yet: no rate
    # openpyxl keeps charts it reads only in the drawing part: check the package has one.
    import zipfile

    with zipfile.ZipFile(path) as package:
        assert any(name.startswith("xl/charts/chart") for name in package.namelist())


def test_page_is_offline_and_escaped(report: WeeklyReport) -> None:
    page = render_html(report, generated=dt.datetime(2026, 11, 29, 18))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;局" in page
    assert not re.search(r"(src|href)\s*=", page)
    assert "http://" not in page
    assert "https://" not in page
    assert "42.9%" in page  # the recovery rate
    assert "未达标" in page
    assert page.count("<rect") == 2  # one bar per unit


def test_unreported_names_print_the_first_few_and_the_workbook_lists_every_one(
    tmp_path: Path, report: WeeklyReport
) -> None:
    import dataclasses

    import pandas as pd

    from exports.report import UNREPORTED_NAMES_SHOWN

    many = [f"QY{i:04d}" for i in range(UNREPORTED_NAMES_SHOWN + 2)]
    unreported = pd.DataFrame(
        {
            "county": ["431202", "431221"],
            "name": ["鹤城区", "中方县"],
            "due": [20, 5],
            "reported": [8, 4],
            "compliance": [0.4, 0.8],
            "missing": [many, ["XM0001"]],
            "missing_names": [[f"企业{i}" for i in range(len(many))], [HOSTILE]],
        }
    )
    trend = pd.DataFrame(
        {"round": [dt.date(2026, 11, 27)], "recovery": [0.5], "availability": [0.4], "at_target": [1]}
    )
    with_campaign = dataclasses.replace(report, unreported=unreported, trend=trend)
    page = render_html(with_campaign, generated=dt.datetime(2026, 11, 29, 18))
    shown = "、".join(f"企业{i}" for i in range(UNREPORTED_NAMES_SHOWN))
    assert f"{shown} 等 {len(many)} 家" in page
    assert f"企业{UNREPORTED_NAMES_SHOWN}" not in page  # the 11th and 12th only in the workbook
    assert "<script>alert" not in page
    path = tmp_path / "周报.xlsx"
    write_report_xlsx(path, with_campaign, exported=dt.date(2026, 11, 29))
    sheet = openpyxl.load_workbook(path)["未报送名单"]
    cells = sheet.iter_rows(min_row=3, max_col=4, values_only=True)
    rows = [list(row) for row in cells if row[0] is not None]
    assert len(rows) == len(many) + 1
    assert rows[0] == [1, "鹤城区", "QY0000", "企业0"]
    assert rows[-1] == [len(many) + 1, "中方县", "XM0001", HOSTILE]  # text as written, numbered on
