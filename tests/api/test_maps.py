"""Map pages in the console: login, scoping, served assets, caching per data version."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import auth


def test_maps_need_a_login(client: TestClient) -> None:
    response = client.get("/maps/city", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/console/login")


def test_city_upstream_and_impact(client: TestClient, tokens: dict[str, str]) -> None:
    headers = auth(tokens["admin"])
    city = client.get("/maps/city", headers=headers)
    assert city.status_code == 200
    assert "/static/vis/vis-network.min.js" in city.text
    assert client.get("/static/vis/vis-network.min.js").status_code == 200
    assert client.get("/static/vis/vis-network.css").status_code == 200
    assert "上游配套" in client.get("/maps/upstream/P1?depth=2", headers=headers).text
    assert "影响范围" in client.get("/maps/impact/S1", headers=headers).text
    assert client.get("/maps/impact/NOPE", headers=headers).status_code == 404
    assert client.get("/maps/upstream/P1?depth=0", headers=headers).status_code == 422


def test_a_county_sees_its_county_only(client: TestClient, tokens: dict[str, str]) -> None:
    county = auth(tokens["zhijiang"])  # 芷江: E2 (and its supplier S2, a direct partner)
    page = client.get("/maps/city", headers=county).text
    assert "芷江乙食品有限公司" in page
    assert "怀化甲机械有限公司" not in page
    assert client.get("/maps/impact/S1", headers=county).status_code == 404


def test_firm_page_links_to_its_maps(client: TestClient, tokens: dict[str, str]) -> None:
    client.post("/console/login", data={"token": tokens["admin"]})
    page = client.get("/console/firms/S1").text
    assert 'href="/maps/impact/S1"' in page
    assert 'href="/maps/upstream/S1"' in page
    assert "怀化甲机械有限公司" in page  # its buyer
    assert client.get("/console/firms/NOPE").status_code == 404


def test_scenario_difference_map(client: TestClient, tokens: dict[str, str]) -> None:
    headers = auth(tokens["admin"])
    page = client.get("/maps/scenario?stop=S2", headers=headers)
    assert page.status_code == 200
    # S2 stops: E1 loses its other 40 % of steel and P1 follows (E2's chips are not critical).
    assert "武汉丁电子有限公司" in page.text
    assert "怀化甲机械有限公司" in page.text
    assert "芷江乙食品有限公司" not in page.text
    assert client.get("/maps/scenario?stop=NOPE", headers=headers).status_code == 404
    assert client.get("/maps/scenario?stop_region=abc", headers=headers).status_code == 422


def test_titles_name_the_place(client: TestClient, tokens: dict[str, str]) -> None:
    headers = auth(tokens["admin"])
    assert "<title>怀化市产业链图</title>" in client.get("/maps/city", headers=headers).text
    county = client.get("/maps/city?county=431202", headers=headers).text
    assert "<h1>鹤城区产业链图</h1>" in county
    assert "431202产业链图" not in county
    chain = client.get("/maps/city", params={"chain": "装备制造"}, headers=headers).text
    assert "<h1>怀化市·装备制造产业链图</h1>" in chain
    own = client.get("/maps/city", headers=auth(tokens["zhijiang"])).text
    assert "<h1>芷江侗族自治县产业链图</h1>" in own


def test_map_pages_carry_the_console_menu_and_a_way_back(client: TestClient, tokens: dict[str, str]) -> None:
    client.post("/console/login", data={"token": tokens["admin"]})
    dashboard = client.get("/console/").text
    menu = re.search(r"<nav>.*?</nav>", dashboard, re.S)
    assert menu
    for path in (
        "/maps/city",
        "/maps/upstream/P1",
        "/maps/impact/S1",
        "/maps/scenario?stop=S2",
        "/maps/gaps",
    ):
        page = client.get(path).text
        assert menu.group(0) in page, path  # the same menu as every console page
        assert '<a class="back" href="/console/">← 返回控制台</a>' in page, path
        assert 'id="download-png"' in page
        assert 'id="download-svg"' in page
    linked = client.get("/maps/impact/S1", headers={"referer": "http://testserver/console/firms/S1"}).text
    assert '<a class="back" href="/console/firms/S1">← 返回上一页</a>' in linked
    elsewhere = client.get("/maps/impact/S1", headers={"referer": "http://evil.example/console/x"}).text
    assert '<a class="back" href="/console/">← 返回控制台</a>' in elsewhere


def test_a_county_menu_leaves_out_the_city_documents(client: TestClient, tokens: dict[str, str]) -> None:
    page = client.get("/maps/city", headers=auth(tokens["zhijiang"])).text
    assert 'href="/console/whatif"' in page
    assert 'href="/console/coordination"' not in page


def test_scenario_map_colours_what_changed_and_shows_the_totals(
    client: TestClient, tokens: dict[str, str]
) -> None:
    headers = auth(tokens["admin"])
    restored = client.get("/maps/scenario?restore=S1", headers=headers).text
    # S1 restored: E1 and P1 run again; 万元 at risk before → after, as on the what-if page
    whatif = client.post("/analysis/scenarios", json={"restore": ["S1"]}, headers=headers).json()
    before, after = whatif["summary_before"]["value_at_risk"], whatif["summary_after"]["value_at_risk"]
    assert before > after
    assert f"风险产值和投资 {before:,.0f} → {after:,.0f} 万元" in restored
    assert "情景影响（颜色）" in restored
    nodes = {n["id"]: n for n in _data(restored)["nodes"]}
    assert nodes["E1"]["color"]["background"] == "#009E73"  # restored: green
    moved = client.get(
        "/maps/scenario",
        params={"sub_buyer": "E1", "sub_material": "钢材", "sub_from": "S1", "sub_to": "S2"},
        headers=headers,
    ).text
    edges = {(e["from"], e["to"]): e for e in _data(moved)["edges"]}
    assert edges["S2", "E1"]["label"] == "替代"  # drawn from the new supplier, dashed
    assert edges["S2", "E1"]["dashes"] == [10, 6]
    assert edges["S1", "E1"]["label"] == "已替代"  # the old link, shown as removed
    assert "替代供应" in moved


def _data(html: str) -> dict[str, list[dict[str, Any]]]:
    match = re.search(r'<script id="map-data" type="application/json">(.*?)</script>', html, re.S)
    assert match
    loaded: dict[str, list[dict[str, Any]]] = json.loads(match.group(1))
    return loaded
