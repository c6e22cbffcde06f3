"""The coordination loop in a real headless Chromium: the city sends a letter (商请函), a
province user acknowledges and answers, the city closes the request and its ledger items
close with the province's feedback. Every step is a click on what the page shows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from playwright.sync_api import Page

from api.state import AppState
from api.users import Role
from application import problems
from application.visibility import Visibility
from chain_graph.settings import Settings
from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import read_directory
from ingest.synth import synthesize
from tests.api.conftest import serve
from tests.api.test_browser import _chromium, _offline_page
from tests.api.test_browser_walks import _login, _nav, _shoot
from tests.defaults import SETTINGS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The demo city with the ledger registered from the analysis: URL and tokens."""
    tmp = tmp_path_factory.mktemp("coordination")
    settings = Settings(store=f"sqlite:///{tmp}/c.db", auth_db=str(tmp / "auth.db"))
    synthesize(tmp / "data", seed=1)
    with SQLiteStore(settings.store, batch_size=SETTINGS.write_batch_size) as store:
        store.write(read_directory(tmp / "data", settings=SETTINGS).ledgers)
    state = AppState(settings)
    try:
        problems.register_from_analysis(
            state, state.snapshot(), Visibility.whole_city(), by="市工信局", days=7
        )
        tokens = {
            "admin": state.users.add("市工信局张三", Role.ADMIN)[1],
            "province": state.users.add("省工信厅李四", Role.PROVINCE)[1],
        }
        for url in serve(settings, state):
            yield url, tokens
    finally:
        state.close()


def _flash(page: Page) -> str:
    return page.locator(".flash").first.text_content() or ""


def test_a_letter_travels_to_the_province_and_back(city: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    base, tokens = city
    problems_seen: list[str] = []
    with _chromium(accept_downloads=True, locale="zh-CN", viewport={"width": 1440, "height": 900}) as context:
        page = _offline_page(context, problems_seen)
        _login(page, base, tokens["admin"])
        _nav(page, "协调事项")
        page.click("button:has-text('生成商请函')")
        page.wait_for_load_state()
        assert "已生成" in _flash(page)
        year = dt.date.today().year
        letter = page.locator("table >> a", has_text=f"〔{year}〕1号").first
        letter.click()
        page.wait_for_load_state()
        assert page.locator("h1").text_content() == "关于商请协调解决重点企业和重点项目配套供应问题的函"
        with page.expect_download() as download:
            page.click("text=下载 Word（.docx）")
        saved = tmp_path / "letter.docx"
        download.value.save_as(saved)
        assert f"怀工信函〔{year}〕1号" in "\n".join(p.text for p in Document(str(saved)).paragraphs)
        page.click("button:has-text('报送')")
        page.wait_for_load_state()
        assert _flash(page) == "报送完成"
        _shoot(page, "coordination-letter")
        request_link = page.locator("table.coordination a").first
        request_id = request_link.text_content() or ""
        request_link.click()
        page.wait_for_load_state()
        assert page.locator("td.status").first.text_content() == "已报送"
        linked = page.locator("a[href^='/console/ledger/GA-']")
        items = [link.text_content() or "" for link in linked.all()]
        assert items, "the request links the ledger items about its supplier"

    with _chromium(locale="zh-CN", viewport={"width": 1440, "height": 900}) as context:
        page = _offline_page(context, problems_seen)
        _login(page, base, tokens["province"])
        _nav(page, "协调事项")
        page.click(f"a:has-text('{request_id}')")
        page.wait_for_load_state()
        page.click("#move-acknowledge button")
        page.wait_for_load_state()
        assert _flash(page) == "受理完成"
        page.select_option("#move-answer select[name=outcome]", label="已协调复产")
        page.fill("#move-answer input[name=note]", "经属地政府协调，已于本周恢复供货")
        page.click("#move-answer button")
        page.wait_for_load_state()
        assert _flash(page) == "反馈完成"
        assert page.locator("#move-close").count() == 0  # closing is the city's

    with _chromium(locale="zh-CN", viewport={"width": 1440, "height": 900}) as context:
        page = _offline_page(context, problems_seen)
        _login(page, base, tokens["admin"])
        _nav(page, "协调事项")
        page.click(f"a:has-text('{request_id}')")
        page.wait_for_load_state()
        assert page.locator("td.status").first.text_content() == "已反馈"
        assert page.locator("#move-close input[name=close_items]").is_checked()
        page.click("#move-close button")
        page.wait_for_load_state()
        assert _flash(page) == "办结完成"
        _shoot(page, "coordination-request")
        page.click(f"a:has-text('{items[0]}')")
        page.wait_for_load_state()
        assert page.locator("td.status").first.text_content() == "已销号"
        note = page.locator("tr:has(th:text('办结情况')) td").text_content() or ""
        assert re.search(r"跨区域协调反馈（怀工信函〔\d{4}〕1号，已协调复产）：经属地政府协调", note), note
        _nav(page, "协调事项")
        _shoot(page, "coordination-requests")
    # Chromium reports a download as an aborted request: anything else is a problem.
    assert [
        p for p in problems_seen if not re.match(r"failed http://127\.0\.0\.1:\d+/coordination/letters/", p)
    ] == []
