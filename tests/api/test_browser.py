"""A real headless Chromium (Debian's, driven by Playwright) through the console.

Logs in, opens the dashboard, the coordination list and the ledger, closes an item through
its form, downloads the coordination workbook, and checks that the browser asked no host
but 127.0.0.1. Screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import openpyxl
import pytest
from playwright.sync_api import BrowserContext, Page, Route, sync_playwright

from api.state import AppState
from api.users import Role
from chain_graph.problem_ledger import LedgerItem, ProblemLedger
from chain_graph.settings import Settings
from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import read_directory
from tests.api.conftest import serve
from tests.defaults import SETTINGS
from tests.ledger_files import CANONICAL, write_canonical, write_xlsx

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def server(settings: Settings, state: AppState) -> Iterator[str]:
    yield from serve(settings, state)


@pytest.fixture
def big_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A synthetic set of 8,000 firms: more than the aggregation limit, so an overview."""
    from ingest.synth import synthesize

    big = Settings(store=f"sqlite:///{tmp_path}/big.db", auth_db=str(tmp_path / "big-auth.db"))
    synthesize(tmp_path / "big", firms=8000, seed=2)
    with SQLiteStore(big.store, batch_size=SETTINGS.write_batch_size) as store:
        store.write(read_directory(tmp_path / "big", settings=SETTINGS).ledgers)
    opened = AppState(big)
    token = opened.users.add("admin", Role.ADMIN)[1]
    try:
        for url in serve(big, opened):
            yield url, token
    finally:
        opened.close()


@contextmanager
def _chromium(**context_options: Any) -> Iterator[BrowserContext]:
    """Debian's Chromium, headless, and one browser context with the given options."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser.new_context(**context_options)
        finally:
            browser.close()


def _offline_page(context: BrowserContext, problems: list[str]) -> Page:
    """A page whose requests to any host but 127.0.0.1 are refused and reported."""

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            problems.append(f"blocked {route.request.url}")
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"console {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"error {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
    return page


def test_console_in_chromium(server: str, state: AppState, tokens: dict[str, str], tmp_path: Path) -> None:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run scripts/system-deps.sh"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with state.store() as store:
        ledger = ProblemLedger(store)
        now = ledger.now()
        ledger.register(
            [
                LedgerItem(
                    id="W-BROWSER",
                    subject_id="E1",
                    description="钢材断供，请协调",
                    responsible_unit="市工业和信息化局",
                    created_at=now,
                    updated_at=now,
                )
            ],
            by="市工信局",
        )
    hosts: list[str] = []
    with _chromium(accept_downloads=True, locale="zh-CN") as context:
        page = context.new_page()
        page.on("request", lambda request: hosts.append(urlsplit(request.url).hostname or ""))
        page.goto(f"{server}/console/")
        assert page.url.endswith("/console/login")
        page.fill("input[name=token]", tokens["admin"])
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/console/")
        assert "全市概况" in page.content()
        page.screenshot(path=str(ARTEFACTS / "1-dashboard.png"), full_page=True)

        page.click("text=跨区域协调清单")
        assert page.locator("table tr").count() == 2  # header + the one row of the canonical ledgers
        page.screenshot(path=str(ARTEFACTS / "2-coordination.png"), full_page=True)
        with page.expect_download() as download_info:
            page.click("#download-xlsx")
        saved = tmp_path / "协调清单.xlsx"
        download_info.value.save_as(saved)
        assert openpyxl.load_workbook(saved).sheetnames == ["跨区域协调清单", "替代供应商"]

        page.click("header nav >> text=问题台账")
        page.click("#item-W-BROWSER a")
        page.fill("form.action:has(input[value=close]) input[name=note]", "已协调恢复供货")
        page.click("form.action:has(input[value=close]) button")
        page.wait_for_selector("text=销号完成")
        assert page.locator("table.facts .status").inner_text().startswith("已销号")
        page.screenshot(path=str(ARTEFACTS / "3-ledger.png"), full_page=True)
    with state.store() as store:
        item = store.ledger_item("W-BROWSER")
        history = store.ledger_history("W-BROWSER")
    assert item is not None
    assert item.closing_note == "已协调恢复供货"
    assert history[-1].by == "admin"
    assert hosts
    assert set(hosts) == {"127.0.0.1"}, f"requests left the machine: {sorted(set(hosts))}"


def test_maps_in_chromium(server: str, tokens: dict[str, str]) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with _chromium(extra_http_headers={"Authorization": f"Bearer {tokens['admin']}"}) as context:
        page = _offline_page(context, problems)
        for path, shot in (("/maps/city", "4-map-city.png"), ("/maps/impact/S1", "5-map-impact.png")):
            page.goto(server + path)
            page.wait_for_selector("body[data-ready=true]", timeout=30_000)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(ARTEFACTS / shot))
        # S1, what it holds back (E1, P1), and S2, its substitute: S1 → E1 → P1, S2 → E1, and
        # the dashed S2 ⇢ E1 of the substitute
        assert page.evaluate("document.getElementById('status').textContent") == "4 个节点，4 条连线"
        page.fill("#search", "怀化甲")
        page.press("#search", "Enter")
        assert page.locator("#status").inner_text() == "找到 1 个"
    assert problems == []


def test_big_overview_is_interactive_within_10_seconds(big_server: tuple[str, str]) -> None:
    url, token = big_server
    problems: list[str] = []
    with _chromium(extra_http_headers={"Authorization": f"Bearer {token}"}) as context:
        page = _offline_page(context, problems)
        page.goto(url + "/maps/city")  # computes the analysis and renders the page (server side)
        started = time.perf_counter()
        page.reload()
        page.wait_for_selector("body[data-ready=true]", timeout=10_000)
        interactive = time.perf_counter() - started
        assert "按县市区/地区和产业链汇总显示" in page.content()
        page.screenshot(path=str(ARTEFACTS / "6-map-overview.png"))
    assert problems == []
    assert interactive < 10


def test_import_names_a_misnamed_file_first_and_every_issue_of_a_formula_file(
    server: str, state: AppState, tokens: dict[str, str], tmp_path: Path
) -> None:
    upload = write_canonical(tmp_path / "upload")
    (upload / "enterprises.csv").rename(upload / "broken_重点企业.csv")
    suppliers = [list(row) for row in CANONICAL["suppliers"]]
    suppliers[1][5] = "=20"  # S1's capacity: a formula saved without its value
    suppliers[2][6] = "两周"  # S2's recovery days: not a number
    (upload / "suppliers.csv").unlink()
    write_xlsx(upload / "suppliers.xlsx", {"suppliers": suppliers})
    with state.store() as store:
        before = store.counts()
    problems: list[str] = []
    with _chromium(locale="zh-CN") as context:
        page = _offline_page(context, problems)
        page.goto(f"{server}/console/login")
        page.fill("input[name=token]", tokens["admin"])
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/console/")
        page.click("text=导入台账")
        assert page.locator("#download-template").get_attribute("href") == "/exports/template"
        page.set_input_files("input[name=files]", sorted(str(p) for p in upload.iterdir()))
        page.click("text=上传并校验")
        page.wait_for_selector("#import-issues")
        page.screenshot(path=str(ARTEFACTS / "7-import-issues.png"), full_page=True)
        rows = [
            [cell.inner_text() for cell in row.locator("td").all()]
            for row in page.locator("#import-issues tr").all()[1:]
        ]
        assert page.locator("h2").first.inner_text() == "未写入任何数据"
    # 文件, 工作表, 行, 列, 值, 代码, 说明: the misnamed file first, named, with its table.
    assert (rows[0][0], rows[0][5]) == ("broken_重点企业.csv", "E008")
    assert "它可能是“重点企业”表" in rows[0][6]
    assert (rows[1][0], rows[1][5]) == ("上传的台账", "E003")
    # The formula cell, located, and the other problem of its file too.
    formula = {(r[0], r[2], r[3], r[5]) for r in rows}
    assert ("suppliers.xlsx", "2", "capacity", "E029") in formula
    assert ("suppliers.xlsx", "3", "recovery_days", "E021") in formula
    assert "E033" not in {r[5] for r in rows}  # no knock-on issue of the table not read
    with state.store() as store:
        assert store.counts() == before
    # The report page answers 422 (nothing written), which Chromium logs as an error; no other.
    assert [p for p in problems if "status of 422" not in p] == []


def test_a_county_map_is_ready_in_the_console_frame_and_downloads(
    server: str, tokens: dict[str, str], tmp_path: Path
) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with _chromium(accept_downloads=True, locale="zh-CN") as context:
        page = _offline_page(context, problems)
        page.goto(f"{server}/console/login")
        page.fill("input[name=token]", tokens["admin"])
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/console/")
        page.goto(f"{server}/console/firms/S1")
        page.click("text=影响范围链图")
        page.wait_for_selector("body[data-ready=true]", timeout=10_000)
        assert page.locator("#console-bar a.back").get_attribute("href") == "/console/firms/S1"
        started = time.perf_counter()
        page.goto(f"{server}/maps/city?county=431202")
        page.wait_for_selector("body[data-ready=true]", timeout=10_000)
        ready = time.perf_counter() - started
        assert page.locator("h1").inner_text() == "鹤城区产业链图"
        page.screenshot(path=str(ARTEFACTS / "8-map-county.png"))
        with page.expect_download() as png:
            page.click("#download-png")
        saved = tmp_path / "map.png"
        png.value.save_as(saved)
        assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with page.expect_download() as svg:
            page.click("#download-svg")
        vector = svg.value.path().read_text(encoding="utf-8")
        assert "<svg" in vector
        assert "鹤城区产业链图" in vector
        assert "怀化甲机械有限公司" in vector
        page.click("#console-bar nav >> text=问题台账")  # the console's menu works from the map
        page.wait_for_url(f"{server}/console/ledger")
        page.go_back()
        page.wait_for_selector("body[data-ready=true]", timeout=10_000)
        page.click("#console-bar a.back")
        page.wait_for_url(f"{server}/console/")
    assert problems == []
    assert ready < 2
