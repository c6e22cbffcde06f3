"""区域分布图 in a real headless Chromium: loads with no console error and asks no other host.

On a synthetic city (2,300 firms) so that every panel has shaded regions and arrows; the
screenshot is ``docs/screenshots/18-regions-1440.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.deps import COOKIE
from api.state import AppState
from api.users import Role
from chain_graph.settings import Settings
from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import read_directory
from tests.api.conftest import serve
from tests.api.test_browser import _chromium, _offline_page
from tests.defaults import SETTINGS

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def city(tmp_path: Path) -> Iterator[tuple[str, AppState]]:
    from ingest.synth import synthesize

    settings = Settings(store=f"sqlite:///{tmp_path}/city.db", auth_db=str(tmp_path / "auth.db"))
    synthesize(tmp_path / "city", firms=2300, seed=1)
    with SQLiteStore(settings.store, batch_size=SETTINGS.write_batch_size) as store:
        store.write(read_directory(tmp_path / "city", settings=SETTINGS).ledgers)
    opened = AppState(settings)
    try:
        for url in serve(settings, opened):
            yield url, opened
    finally:
        opened.close()


def test_regions_page_in_chromium(city: tuple[str, AppState]) -> None:
    url, state = city
    user, _ = state.users.add("admin", Role.ADMIN)
    session = state.users.start_session(user, seconds=600)
    problems: list[str] = []
    with _chromium(locale="zh-CN", viewport={"width": 1440, "height": 900}) as context:
        context.add_cookies([{"name": COOKIE, "value": session, "url": url}])
        page = _offline_page(context, problems)
        for view in ("coordination", "local"):
            response = page.goto(f"{url}/console/regions?view={view}")
            assert response is not None
            assert response.status == 200
            page.wait_for_load_state("networkidle")
            drawn = page.locator("path.region").count()
            assert drawn == (34 + 14 if view == "coordination" else 12)
            assert page.locator("path.flow").count() > 0
            assert page.locator("path.region").first.bounding_box() is not None
        page.goto(f"{url}/console/regions?view=coordination")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "18-regions-1440.png"), full_page=True)
    assert problems == []
