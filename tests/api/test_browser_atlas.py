"""The 产业链图谱 in a real headless Chromium, on the demo city: it loads, and a cell opens its firms.

The browser may reach no host but 127.0.0.1 and must log no error. The page's screenshot at
1440 pixels goes to ``docs/screenshots/19-atlas-1440.png`` (committed, for review).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import FloatRect

from api.routers.pages import PAGE
from api.state import AppState
from api.users import Role
from chain_graph.settings import Settings
from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import read_directory
from ingest.synth import synthesize
from tests.api.conftest import serve
from tests.api.test_browser import _chromium, _offline_page
from tests.defaults import SETTINGS

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "19-atlas-1440.png"
TALLEST = 1800


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The demo city (synthetic, 2,300 firms): URL and an admin's token."""
    tmp = tmp_path_factory.mktemp("atlas")
    settings = Settings(store=f"sqlite:///{tmp}/atlas.db", auth_db=str(tmp / "auth.db"))
    synthesize(tmp / "data", seed=1)
    with SQLiteStore(settings.store, batch_size=SETTINGS.write_batch_size) as store:
        store.write(read_directory(tmp / "data", settings=SETTINGS).ledgers)
    state = AppState(settings)
    try:
        token = state.users.add("市工信局管理员", Role.ADMIN)[1]
        for url in serve(settings, state):
            yield url, token
    finally:
        state.close()


def test_the_atlas_loads_and_a_cell_opens_its_firms(demo: tuple[str, str]) -> None:
    base, token = demo
    problems: list[str] = []
    with _chromium(locale="zh-CN", viewport={"width": 1440, "height": 900}) as context:
        page = _offline_page(context, problems)
        page.goto(f"{base}/console/")
        page.fill("input[name=token]", token)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/console/")
        page.goto(f"{base}/console/atlas")
        assert page.locator("section.atlas-chain").count() >= 3
        assert page.locator(".atlas-tier[data-tier=中游] a.atlas-cell").count() > 0
        height = min(int(page.evaluate("document.documentElement.scrollHeight")), TALLEST)
        clip: FloatRect = {"x": 0, "y": 0, "width": 1440, "height": height}
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True, clip=clip)

        cell = page.locator(".atlas-chain").first.locator(".atlas-tier[data-tier=中游] a.atlas-cell").first
        name = cell.locator(".seg").inner_text()
        count = int(cell.locator(".n").inner_text().split(" 家")[0])
        cell.click()
        page.wait_for_url("**/console/atlas/cell?**")
        assert name in page.locator("h1").inner_text()
        # The header and one row per firm, a page of them at a time (the rest behind 下一页).
        assert page.locator("#cell-firms tr").count() == min(count, PAGE) + 1
        page.locator("#cell-firms a").first.click()
        page.wait_for_url("**/console/firms/**")
    assert problems == []
