"""The console's 产业链图谱 pages on the canonical ledgers, for the city and for a county.

Canonical ledgers (tests/ledger_files.py): S1 长沙 (stopped) and S2 武汉 supply E1 (鹤城区,
装备制造) 钢材, coded 7208; S2 supplies E2 (芷江, 食品加工) 芯片; E1 supplies P1 (鹤城区) 机电设备.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from tests.api.test_console import _login


def _cells(html: str) -> dict[str, str]:
    """Each drawn cell's name → its class attribute."""
    return {
        name: cls
        for cls, name in re.findall(
            r'<a class="(atlas-cell[^"]*)"[^>]*>\s*<span class="seg">([^<]*)</span>', html
        )
    }


def test_the_atlas_needs_a_login(client: TestClient) -> None:
    for path in ("/console/atlas", "/console/atlas/cell?chain=x&tier=中游&segment=y"):
        response = client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/console/login")


def test_the_city_sees_every_chain_with_its_tiers_badges_and_gaps(
    client: TestClient, tokens: dict[str, str]
) -> None:
    _login(client, tokens["admin"])
    page = client.get("/console/atlas")
    assert page.status_code == 200
    html = page.text
    assert re.findall(r'data-chain="([^"]*)"', html) == ["装备制造", "食品加工", "重点项目"]
    cells = _cells(html)
    assert set(cells) == {"钢材", "重点企业", "芯片", "机电设备", "基础设施"}
    assert "gap" in cells["钢材"]
    assert "gap" in cells["芯片"]
    assert "gap" not in cells["机电设备"]
    assert "缺链/本地配套不足" in html
    # S1 (stopped, supplies E1) is the one blocked supplier: a badge on both 钢材 cells.
    assert html.count('<span class="badge" title="受阻配套企业 1 家">1</span>') == 2
    assert "<script" not in html.split("<main>")[1]


def test_one_chain_and_an_unknown_one(client: TestClient, tokens: dict[str, str]) -> None:
    _login(client, tokens["admin"])
    html = client.get("/console/atlas?" + urlencode({"chain": "食品加工"})).text
    assert re.findall(r'data-chain="([^"]*)"', html) == ["食品加工"]
    assert client.get("/console/atlas?" + urlencode({"chain": "不存在"})).status_code == 404


def test_a_cell_lists_its_firms_with_links(client: TestClient, tokens: dict[str, str]) -> None:
    _login(client, tokens["admin"])
    html = client.get("/console/atlas").text
    link = re.search(r'href="(/console/atlas/cell\?chain=%E8%A3%85[^"]*%237208[^"]*)"', html)
    assert link, "the 装备制造 中游 钢材 cell links to its firms"
    page = client.get(link.group(1).replace("&amp;", "&"))
    assert page.status_code == 200
    rows = re.findall(r'<a href="/console/firms/(S[12])">', page.text)
    assert rows == ["S1", "S2"]  # blocked first
    assert "装备制造 · 中游 · 钢材" in page.text


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"chain": "装备制造", "tier": "中游", "segment": "#7208"}, 200),
        ({"chain": "装备制造", "tier": "中游", "segment": "芯片"}, 404),
        ({"chain": "装备制造", "tier": "旁游", "segment": "#7208"}, 404),
        ({"chain": "装备制造", "tier": "中游", "segment": "#7208", "as_of": "2026-13-01"}, 422),
    ],
)
def test_a_cell_that_does_not_exist_is_not_found(
    client: TestClient, tokens: dict[str, str], query: dict[str, str], status: int
) -> None:
    _login(client, tokens["admin"])
    assert client.get("/console/atlas/cell?" + urlencode(query)).status_code == status


def test_a_county_counts_its_own_and_partners_and_sees_no_gap(
    client: TestClient, tokens: dict[str, str]
) -> None:
    # 鹤城区 owns E1 and P1; S1 and S2 supply E1. E2 (芷江) is no partner: its 下游 cell is gone,
    # while S2 still shows in 食品加工's 中游 (it supplies E2, but it is 鹤城区's partner).
    _login(client, tokens["hecheng"])
    html = client.get("/console/atlas").text
    assert re.findall(r'data-chain="([^"]*)"', html) == ["装备制造", "食品加工", "重点项目"]
    food = html.split('data-chain="食品加工"')[1].split("</section>")[0]
    assert "芯片" in food
    assert "重点企业" not in food
    assert "缺链" not in html  # the gap list is the city's document
    assert "E2" not in html
    assert "芷江乙食品有限公司" not in html
    foreign = {"chain": "食品加工", "tier": "下游", "segment": "重点企业"}
    assert client.get("/console/atlas/cell?" + urlencode(foreign)).status_code == 404
    # a partner is named, only an own entity links to its page
    page = client.get(
        "/console/atlas/cell?" + urlencode({"chain": "重点项目", "tier": "上游", "segment": "#7208"})
    )
    assert page.status_code == 200
    assert "长沙丙钢材有限公司" in page.text
    assert "/console/firms/S1" not in page.text
