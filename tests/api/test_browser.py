"""A real headless Chromium (Debian's, driven by Playwright) through the console.

Logs in, opens the dashboard, the coordination list and the ledger, closes an item through
its form, downloads the coordination workbook, and checks that the browser asked no host
but 127.0.0.1. Screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import openpyxl
import pytest
import uvicorn
from playwright.sync_api import sync_playwright

from api.app import create_app
from api.state import AppState
from chain_graph.ledger import Ledger, LedgerItem
from chain_graph.settings import Settings
from tests.neo4j_server import free_port

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def server(settings: Settings, state: AppState) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, state=state), host="127.0.0.1", port=port, log_level="warning"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(100):
        if running.started:
            break
        time.sleep(0.05)
    assert running.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def test_console_in_chromium(server: str, state: AppState, tokens: dict[str, str], tmp_path: Path) -> None:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run scripts/system-deps.sh"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with state.store() as store:
        ledger = Ledger(
            store,
        )
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
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(accept_downloads=True, locale="zh-CN")
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
        assert openpyxl.load_workbook(saved).sheetnames == ["跨区域协调清单"]

        page.click("text=问题台账")
        row = page.locator("#item-W-BROWSER")
        row.locator("select[name=action]").select_option("close")
        row.locator("input[name=note]").fill("已协调恢复供货")
        row.locator("button[type=submit]").click()
        page.wait_for_selector("text=销号完成")
        assert page.locator("#item-W-BROWSER .status").inner_text() == "已销号"
        page.screenshot(path=str(ARTEFACTS / "3-ledger.png"), full_page=True)
        browser.close()
    with state.store() as store:
        item = store.ledger_item("W-BROWSER")
        history = store.ledger_history("W-BROWSER")
    assert item is not None
    assert item.closing_note == "已协调恢复供货"
    assert history[-1].by == "admin"
    assert hosts
    assert set(hosts) == {"127.0.0.1"}, f"requests left the machine: {sorted(set(hosts))}"
