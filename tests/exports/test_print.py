"""The exports as printed: converted to PDF by LibreOffice headless, read back with poppler.

What an official gets from the printer: every column on the first page, the title whole
and on every page, and no more pages than fitting the columns to one page width gives.
LibreOffice (``libreoffice-calc-nogui``, ``libreoffice-writer-nogui`` for Word) and poppler
(``poppler-utils``) come from ``scripts/system-deps.sh``; in CI (``CI`` set) their absence
fails the test, elsewhere it skips it.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from chain_graph.gaps import GapAnalysis, analyze
from chain_graph.list_rows import coordination_rows, local_rows
from chain_graph.model import LedgerTables
from chain_graph.problem_ledger import items_from_analysis, registration
from chain_graph.report import weekly_report
from chain_graph.scorecard import Scorecard, month_period, scorecard
from exports.lists import COORDINATION_COLUMNS, coordination_sheets, ledger_sheets, local_sheets
from exports.notice import (
    SCORECARD_COLUMNS,
    notice_title,
    write_notice_docx,
    write_notice_html,
    write_notice_xlsx,
)
from exports.report import write_html, write_report_docx, write_report_xlsx
from exports.workbook import write_xlsx
from ingest.loader import read_directory
from ingest.synth import synthesize
from tests.defaults import SETTINGS

TODAY = dt.date(2026, 11, 29)
ROWS_PER_PAGE = 40
"""At least this many one-line rows fit an A4 landscape page once the columns fit its width
(a portrait page at 100 % held 28, and only 4 of the 15 columns)."""


def _tools() -> dict[str, str]:
    found = {name: shutil.which(name) for name in ("soffice", "pdfinfo", "pdftotext")}
    missing = sorted(name for name, path in found.items() if path is None)
    if missing:
        reason = f"{', '.join(missing)} missing: run scripts/system-deps.sh"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return {name: str(path) for name, path in found.items()}


def _to_pdf(tools: dict[str, str], files: list[Path], out: Path) -> None:
    profile = out / "profile"  # a profile of its own: parallel conversions do not collide
    subprocess.run(
        [
            tools["soffice"],
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def _pages(tools: dict[str, str], pdf: Path) -> int:
    info = subprocess.run([tools["pdfinfo"], str(pdf)], check=True, capture_output=True, text=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def _text(tools: dict[str, str], pdf: Path, page: int) -> str:
    """Text of one page in drawing order (a wrapped cell's lines together), without spaces."""
    args = [tools["pdftotext"], "-raw", "-f", str(page), "-l", str(page), str(pdf), "-"]
    return re.sub(r"\s+", "", subprocess.run(args, check=True, capture_output=True, text=True).stdout)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[LedgerTables, GapAnalysis]:
    data = tmp_path_factory.mktemp("city")
    synthesize(data, firms=1200, seed=3)
    ledgers = read_directory(data, settings=SETTINGS).ledgers
    return ledgers, analyze(ledgers, settings=SETTINGS)


def test_coordination_list_and_weekly_report_print_whole(
    tmp_path: Path, city: tuple[LedgerTables, GapAnalysis]
) -> None:
    tools = _tools()
    ledgers, analysis = city
    rows = coordination_rows(analysis, ledgers)
    assert len(rows) >= 2 * ROWS_PER_PAGE  # more than one page, so that flowing is tested
    sheets = coordination_sheets(rows, as_of=TODAY)
    write_xlsx(tmp_path / "coordination.xlsx", sheets)
    report = weekly_report(analysis, [], [], start=TODAY - dt.timedelta(days=6), end=TODAY, target=0.9)
    write_report_xlsx(tmp_path / "report.xlsx", report, exported=TODAY)
    _to_pdf(tools, [tmp_path / "coordination.xlsx", tmp_path / "report.xlsx"], tmp_path)

    coordination = tmp_path / "coordination.pdf"
    pages = _pages(tools, coordination)
    assert pages <= math.ceil(len(rows) / ROWS_PER_PAGE)
    first = _text(tools, coordination, 1)
    for column in COORDINATION_COLUMNS:
        assert column.header in first, column.header
    title = sheets[0].title
    for page in range(1, pages + 1):
        text = _text(tools, coordination, page)
        assert title in text  # the title row repeats, whole
        assert f"第{page}页共{pages}页" in text

    weekly = _text(tools, tmp_path / "report.pdf", 1)
    assert f"产业链供应链保障工作周报告（{report.start:%Y年%m月%d日}—{report.end:%m月%d日}）" in weekly
    assert f"{report.enterprises}家" in weekly  # a count, not "128.00 家"
    assert f"{report.recovery * 100:.2f}%" in weekly


PRINT_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "print"


def _first_page_png(pdf: Path, name: str) -> None:
    """Keep the first page as a PNG under docs/screenshots/print/ (to look at, and to review)."""
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm missing: run scripts/system-deps.sh"
    PRINT_SHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            pdftoppm,
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(PRINT_SHOTS / name),
        ],
        check=True,
        timeout=60,
    )


def test_local_list_and_ledger_print_whole(tmp_path: Path, city: tuple[LedgerTables, GapAnalysis]) -> None:
    tools = _tools()
    ledgers, analysis = city
    local = local_sheets(local_rows(analysis, ledgers), as_of=TODAY)
    write_xlsx(tmp_path / "local.xlsx", local)
    now = dt.datetime.combine(TODAY, dt.time(9))
    items = items_from_analysis(analysis, ledgers, [], at=now, settings=SETTINGS, days=7)
    events = [registration(i, by="市工信局") for i in items]
    ledger = ledger_sheets(items, events, ledgers, today=TODAY)
    write_xlsx(tmp_path / "ledger.xlsx", ledger)
    _to_pdf(tools, [tmp_path / "local.xlsx", tmp_path / "ledger.xlsx"], tmp_path)
    for name, sheets in (("local", local), ("ledger", ledger)):
        pdf = tmp_path / f"{name}.pdf"
        pages = _pages(tools, pdf)
        first = _text(tools, pdf, 1)
        for column in sheets[0].columns:
            assert column.header in first, (name, column.header)
        for page in range(1, pages + 1):
            assert f"共{pages}页" in _text(tools, pdf, page), (name, page)
        _first_page_png(pdf, name)


@pytest.mark.browser
def test_the_printable_weekly_report_prints_on_a4_with_page_numbers(
    tmp_path: Path, city: tuple[LedgerTables, GapAnalysis]
) -> None:
    tools = _tools()
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: run scripts/system-deps.sh"
    ledgers, analysis = city
    now = dt.datetime.combine(TODAY, dt.time(9))
    items = items_from_analysis(analysis, ledgers, [], at=now, settings=SETTINGS, days=3)
    report = weekly_report(analysis, items, [], start=TODAY - dt.timedelta(days=6), end=TODAY, target=0.9)
    write_html(tmp_path / "report.html", report, generated=now)
    pdf = tmp_path / "report-html.pdf"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            (tmp_path / "report.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    info = subprocess.run([tools["pdfinfo"], str(pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Page size:.*\(A4\)", info), info
    pages = _pages(tools, pdf)
    first = _text(tools, pdf, 1)
    assert f"产业链供应链保障工作周报告（{report.start:%Y年%m月%d日}—{report.end:%m月%d日}）" in first
    for page in range(1, pages + 1):
        assert f"第{page}页共{pages}页" in _text(tools, pdf, page)
    _first_page_png(pdf, "weekly-report-html")


def _campaign(ledgers: LedgerTables, analysis: GapAnalysis) -> Scorecard:
    """November 2026 of the synthetic city: some key enterprises fall back, some report."""
    import numpy as np
    import pandas as pd

    from chain_graph.campaign import REPORT_COLUMNS

    g = analysis.graph
    key = g.ids[analysis.key_enterprises].astype(str)
    rows = [
        {
            "id": firm,
            "as_of": "2026-11-10" if k % 2 else "2026-11-25",
            "status": "partial",
            "capacity": float(40 + 7 * (k % 8)),
            "seq": k + 1,
        }
        for k, firm in enumerate(key[::3])
    ]
    blank = {
        "status": "",
        "problem": "",
        "reporter": "",
        "recovery_days": np.nan,
        "started": np.nan,
        "completed": np.nan,
        "workers": np.nan,
    }
    reports = pd.DataFrame([blank | row for row in rows], columns=list(REPORT_COLUMNS))
    now = dt.datetime(2026, 11, 3, 9)
    items = items_from_analysis(analysis, ledgers, [], at=now, settings=SETTINGS, days=7)
    events = [registration(i, by="市工信局") for i in items]
    return scorecard(
        analysis.graph,
        ledgers,
        reports,
        items,
        events,
        period=month_period(2026, 11),
        settings=SETTINGS,
        weekday=4,
    )


def test_the_monthly_notice_prints_on_a4_as_word_and_workbook(
    tmp_path: Path, city: tuple[LedgerTables, GapAnalysis]
) -> None:
    tools = _tools()
    card = _campaign(*city)
    issued = dt.date(2026, 12, 1)
    write_notice_docx(tmp_path / "notice.docx", card, issuer="怀化市工业和信息化局", issued=issued)
    write_notice_xlsx(tmp_path / "notice-book.xlsx", card, exported=issued)
    _to_pdf(tools, [tmp_path / "notice.docx", tmp_path / "notice-book.xlsx"], tmp_path)
    title = notice_title(card)
    recovery = f"{card.city['recovery'] * 100:.1f}%"
    for name in ("notice", "notice-book"):
        pdf = tmp_path / f"{name}.pdf"
        info = subprocess.run([tools["pdfinfo"], str(pdf)], check=True, capture_output=True, text=True).stdout
        assert re.search(r"Page size:.*\(A4\)", info), (name, info)
        pages = _pages(tools, pdf)
        first = _text(tools, pdf, 1)
        assert title in first, name
        for column in SCORECARD_COLUMNS:
            assert column.header in first, (name, column.header)
        for page in range(1, pages + 1):
            assert f"第{page}页共{pages}页" in _text(tools, pdf, page), (name, page)
        _first_page_png(pdf, name)
    word = _text(tools, tmp_path / "notice.pdf", 1)
    assert f"产能恢复率为{recovery}" in word  # the city's figure, as the body prints it
    assert f"全市{card.city['recovery'] * 100:.1f}%" in "".join(
        _text(tools, tmp_path / "notice.pdf", p) for p in range(1, _pages(tools, tmp_path / "notice.pdf") + 1)
    )
    everything = "".join(_text(tools, tmp_path / "notice.pdf", p) for p in range(1, 5))
    assert "怀化市工业和信息化局2026年12月1日" in everything  # 落款 and date
    book = _text(tools, tmp_path / "notice-book.pdf", 1)
    assert f"{card.city['recovery'] * 100:.2f}%" in book
    # The chart of the ranked counties prints, whole, on a page of its own after the table.
    pages = _pages(tools, tmp_path / "notice-book.pdf")
    charted = [
        p
        for p in range(1, pages + 1)
        if "各县市区产能恢复率" in _text(tools, tmp_path / "notice-book.pdf", p)
    ]
    assert len(charted) == 1
    assert charted[0] > 1


@pytest.mark.browser
def test_the_printable_notice_prints_on_a4_with_page_numbers(
    tmp_path: Path, city: tuple[LedgerTables, GapAnalysis]
) -> None:
    tools = _tools()
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: run scripts/system-deps.sh"
    card = _campaign(*city)
    write_notice_html(
        tmp_path / "notice.html", card, issuer="怀化市工业和信息化局", issued=dt.date(2026, 12, 1)
    )
    pdf = tmp_path / "notice-html.pdf"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            (tmp_path / "notice.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    info = subprocess.run([tools["pdfinfo"], str(pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Page size:.*\(A4\)", info), info
    pages = _pages(tools, pdf)
    first = _text(tools, pdf, 1)
    assert notice_title(card) in first
    assert f"产能恢复率为{card.city['recovery'] * 100:.1f}%" in first
    for column in SCORECARD_COLUMNS:
        assert column.header in first, column.header
    for page in range(1, pages + 1):
        assert f"第{page}页共{pages}页" in _text(tools, pdf, page)
    _first_page_png(pdf, "notice-html")


def test_the_weekly_report_in_word_prints_on_a4_with_its_figures(
    tmp_path: Path, city: tuple[LedgerTables, GapAnalysis]
) -> None:
    tools = _tools()
    ledgers, analysis = city
    now = dt.datetime.combine(TODAY, dt.time(9))
    items = items_from_analysis(analysis, ledgers, [], at=now, settings=SETTINGS, days=3)
    report = weekly_report(analysis, items, [], start=TODAY - dt.timedelta(days=6), end=TODAY, target=0.9)
    write_report_docx(tmp_path / "weekly.docx", report, issuer="怀化市工业和信息化局", issued=TODAY)
    _to_pdf(tools, [tmp_path / "weekly.docx"], tmp_path)
    pdf = tmp_path / "weekly.pdf"
    info = subprocess.run([tools["pdfinfo"], str(pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Page size:.*\(A4\)", info), info
    pages = _pages(tools, pdf)
    first = _text(tools, pdf, 1)
    assert "产业链供应链保障工作周报告" in first  # the title (it wraps at its dash: the dates apart)
    assert f"{report.end:%m月%d日}）" in first
    assert f"{report.recovery * 100:.1f}%" in first  # the figure, as printed
    assert f"第1页共{pages}页" in first
    assert "怀化市工业和信息化局" in _text(tools, pdf, pages)  # 落款 on the last page
    _first_page_png(pdf, "weekly-report-docx")
