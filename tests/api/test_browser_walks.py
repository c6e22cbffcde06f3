"""Two officials' days in a real headless Chromium, on the demo city, without a typed URL.

- **The city official's Monday**: dashboard → blocked suppliers → the coordination list and
  its download → local supply and the gap list, its download → the whitelist nominations,
  their download → a blocked supplier's substitutes, one tried as a what-if → an overdue
  ledger item, escalated → a what-if, its totals and its map.
- **A county official's day**: the county's dashboard → its local list and download → its
  items, one started → a firm's page, a new item registered → the county's weekly report.

Every step is a click on what the page shows (the only URL typed is the console's root).
The browser may reach no host but 127.0.0.1. The walk also writes a screenshot of every
console page at 1440 and 1024 pixels wide to ``docs/screenshots/`` (committed: the README
shows them), so a change to a page shows in review.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, FloatRect, Page

from api.state import AppState
from api.users import Role
from application.demo import busiest_county, seed_ledger
from application.demo_campaign import seed_reports, write_targets
from chain_graph.regions import region_name
from chain_graph.settings import Settings
from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import read_directory
from ingest.synth import synthesize
from tests.api.conftest import serve
from tests.api.test_browser import _chromium, _offline_page
from tests.defaults import SETTINGS

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDTHS = (1440, 1024)
TALLEST = 1800


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], str]]:
    """The demo city (synthetic, 2,300 firms) with a seeded ledger: URL, tokens, the county."""
    tmp = tmp_path_factory.mktemp("walk")
    targets = write_targets(tmp / "targets.yaml", start=dt.date.today() - dt.timedelta(days=84), recovery=0.9)
    settings = Settings(
        store=f"sqlite:///{tmp}/walk.db", auth_db=str(tmp / "auth.db"), targets_file=str(targets)
    )
    synthesize(tmp / "data", seed=1)
    with SQLiteStore(settings.store, batch_size=SETTINGS.write_batch_size) as store:
        store.write(read_directory(tmp / "data", settings=SETTINGS).ledgers)
    state = AppState(settings)
    try:
        snap = state.snapshot()
        seed_ledger(state, snap, by="市工信局管理员", today=dt.date.today())
        seed_reports(state, snap, today=dt.date.today())
        county = busiest_county(snap)
        tokens = {
            "admin": state.users.add("市工信局管理员", Role.ADMIN)[1],
            "county": state.users.add(f"{region_name(county)}工信局", Role.COUNTY, county=county)[1],
        }
        for url in serve(settings, state):
            yield url, tokens, county
    finally:
        state.close()


def _login(page: Page, base: str, token: str) -> None:
    page.goto(f"{base}/console/")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/console/")


def _shoot(page: Page, name: str) -> None:
    """Screenshot the page at every width, then go back to the first width.

    The whole page, down to :data:`TALLEST` pixels (a long list's first rows say enough).
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        height = min(int(page.evaluate("document.documentElement.scrollHeight")), TALLEST)
        clip: FloatRect = {"x": 0, "y": 0, "width": width, "height": height}
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True, clip=clip)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def _city_point(browser: Browser | None, base: str, token: str) -> float:
    """The city's recovery at today's point on the city bureau's dashboard, in its own context."""
    assert browser is not None
    context = browser.new_context(locale="zh-CN")
    try:
        page = _offline_page(context, [])
        _login(page, base, token)
        points = page.locator("svg.chart").first.locator("circle title")  # the city's line, then the target
        text = points.nth(points.count() // 2 - 1).text_content() or ""
    finally:
        context.close()
    found = re.search(r"：([0-9.]+)$", text)
    assert found, text
    return float(found.group(1))


def _real(problems: list[str]) -> list[str]:
    """The problems but a download's: Chromium reports a download as an aborted request."""
    return [p for p in problems if not re.match(r"failed http://127\.0\.0\.1:\d+/exports/", p)]


def _nav(page: Page, label: str) -> None:
    page.click(f"header nav >> text={label}")
    page.wait_for_load_state()


def test_the_city_officials_monday(demo: tuple[str, dict[str, str], str], tmp_path: Path) -> None:
    base, tokens, _ = demo
    problems: list[str] = []
    with _chromium(accept_downloads=True, locale="zh-CN", viewport={"width": 1440, "height": 900}) as context:
        page = _offline_page(context, problems)
        page.goto(f"{base}/console/login")
        _shoot(page, "01-login")
        _login(page, base, tokens["admin"])
        assert "全市概况" in page.content()
        assert "复工复产进度" in page.content()  # the campaign leads
        assert page.locator("svg.chart").count() >= 3  # trend, by scope, by county, by unit
        _shoot(page, "02-dashboard")

        _nav(page, "受阻配套企业")
        assert page.locator("table tr").count() > 2
        _shoot(page, "03-blocked")
        page.select_option("select[name=scope]", "out_of_province")
        page.click("form.filters button[type=submit]")
        page.wait_for_load_state()
        scopes = page.locator("table tr td:nth-child(3)").all_inner_texts()
        assert scopes
        assert all(text.startswith("省外") for text in scopes)

        _nav(page, "跨区域协调清单")
        _shoot(page, "04-coordination")
        with page.expect_download() as download:
            page.click("#download-xlsx")
        saved = tmp_path / "coordination.xlsx"
        download.value.save_as(saved)
        assert openpyxl.load_workbook(saved).sheetnames[0] == "跨区域协调清单"

        _nav(page, "本地配套企业清单")
        _shoot(page, "05-local")

        _nav(page, "本地配套与补链")
        assert "全市本地配套与补链" in page.content()
        assert page.locator("svg.chart").count() == 1  # the largest gaps per chain
        assert page.locator("#gaps ~ table tr").count() > 2
        _shoot(page, "14-supply")
        with page.expect_download() as download:
            page.click("#download-gaps")
        saved = tmp_path / "gaps.xlsx"
        download.value.save_as(saved)
        assert openpyxl.load_workbook(saved).sheetnames == ["补链清单"]

        _nav(page, "白名单推荐")
        assert page.locator("table tr").count() > 2
        assert "唯一供应来源" in page.content() or "供应市外" in page.content()
        _shoot(page, "17-whitelist")
        with page.expect_download() as download:
            page.click("#download-whitelist")
        saved = tmp_path / "whitelist.xlsx"
        download.value.save_as(saved)
        assert openpyxl.load_workbook(saved).sheetnames == ["白名单推荐表"]

        _nav(page, "受阻配套企业")
        page.locator("table tr td:nth-child(2) a:not(.small)").first.click()  # the first blocked supplier
        page.wait_for_selector("#substitutes")
        _shoot(page, "15-blocked-firm-substitutes")
        page.locator("a.button", has_text="按此替代推演").first.click()
        page.wait_for_selector("table.compare")
        assert "替代：" in page.locator("ul.moves-done").inner_text()
        _shoot(page, "16-whatif-substitute")

        _nav(page, "问题台账")
        _shoot(page, "06-ledger")
        page.check("input[name=overdue]")
        page.select_option("select[name=sort]", "overdue")
        page.click("form.filters button[type=submit]")
        page.wait_for_load_state()
        page.locator("table.ledger tr td:first-child a").first.click()
        page.wait_for_load_state()
        assert "逾期" in page.content()
        page.fill("form.action:has(input[value=escalate]) input[name=note]", "请本周内办结")
        page.click("form.action:has(input[value=escalate]) button")
        page.wait_for_selector("text=督办完成")
        assert "请本周内办结" in page.content()  # in the history
        _shoot(page, "07-ledger-item")

        _nav(page, "假设分析")
        _shoot(page, "08-whatif-form")
        page.locator("input[name=restore]").first.check()
        page.click("form.whatif button[type=submit]")
        page.wait_for_selector("table.compare")
        before, after = (page.locator("table.compare tr:nth-child(2) td").nth(k).inner_text() for k in (0, 1))
        assert int(after) < int(before)  # one blocked supplier fewer (or more freed)
        _shoot(page, "09-whatif-result")
        page.click("text=查看变化链图")
        page.wait_for_load_state()
        assert "情景推演" in page.title() or "情景推演" in page.content()

        page.goto(f"{base}/console/")
        _nav(page, "目标")
        assert "进度正常" in page.content() or "落后" in page.content() or "已达成" in page.content()
        _shoot(page, "13-targets")
        _nav(page, "指标说明")
        _shoot(page, "10-glossary")
        _nav(page, "导入台账")
        _shoot(page, "11-import")
        page.goto(f"{base}/console/")
        page.click("text=本周周报（可打印）")
        page.wait_for_load_state()
        assert "周报告" in page.content()
        _shoot(page, "12-weekly-report")
    assert _real(problems) == [], problems


def test_a_county_officials_day(demo: tuple[str, dict[str, str], str], tmp_path: Path) -> None:
    base, tokens, county = demo
    name = region_name(county)
    problems: list[str] = []
    with _chromium(accept_downloads=True, locale="zh-CN", viewport={"width": 1440, "height": 900}) as context:
        page = _offline_page(context, problems)
        _login(page, base, tokens["county"])
        assert f"{name}概况" in page.content()
        assert "本县市区排名" in page.content()
        assert "跨区域协调清单" not in page.locator("header nav").inner_text()
        _shoot(page, "21-county-dashboard")

        before = page.locator("svg.chart").first.inner_html()
        city_before = _city_point(context.browser, base, tokens["admin"])
        _nav(page, "状态填报")
        _shoot(page, "24-county-report-form")
        page.locator("input[name=capacity]").first.fill("5")  # a key enterprise stopped this week
        page.click("form.report-form button[type=submit]")
        page.wait_for_url(f"{base}/console/?reported=*")
        after = page.locator("svg.chart").first.inner_html()
        assert after != before  # the county's recovery line took the new report at once
        assert f"{dt.date.today():%m-%d}" in after  # as today's point
        assert _city_point(context.browser, base, tokens["admin"]) < city_before  # the city's took it too

        _nav(page, "本地配套企业清单")
        counties = set(page.locator("table tr td:nth-child(3)").all_inner_texts())
        assert counties == {name}
        with page.expect_download() as download:
            page.click("#download-local")
        saved = tmp_path / "local.xlsx"
        download.value.save_as(saved)
        assert openpyxl.load_workbook(saved).sheetnames

        _nav(page, "问题台账")
        page.select_option("select[name=status]", "registered")
        page.click("form.filters button[type=submit]")
        page.wait_for_load_state()
        page.locator("table.ledger tr td:first-child a").first.click()
        page.click("form.action:has(input[value=start]) button")
        page.wait_for_selector("text=开始办理完成")
        assert re.search(r"已挂号 → 办理中", page.content())

        _nav(page, "本地配套企业清单")
        page.locator("table tr td:nth-child(2) a").first.click()  # an own supplier's page
        page.wait_for_load_state()
        _shoot(page, "25-county-firm-page")
        page.select_option("form.register select[name=category]", "用工")
        page.fill("form.register input[name=description]", "春节后返岗缺工 30 人")
        page.click("form.register button[type=submit]")
        page.wait_for_selector("text=挂号完成")
        assert "市人力资源社会保障局" in page.content()
        _shoot(page, "22-county-new-item")

        page.click("header nav >> text=概况")
        page.wait_for_load_state()
        page.click("text=本周周报（可打印）")
        page.wait_for_load_state()
        assert name in page.content()
        _shoot(page, "23-county-weekly-report")
    assert _real(problems) == [], problems
