"""Local supply, the gap list and substitutes through the API and the console (canonical ledgers).

E1 (鹤城区) buys 钢材 from S1 (长沙, stopped; 60 %, 1200.5 万元) and S2 (武汉; 40 %); E2 (芷江)
buys 芯片 from S2 (300 万元); P1 (鹤城区) buys 机电设备 from E1 (local, 450 万元).
"""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import auth
from tests.api.test_console import _login


def test_local_supply_for_the_city_and_for_a_county(client: TestClient, tokens: dict[str, str]) -> None:
    city = client.get("/supply/local", headers=auth(tokens["admin"])).json()
    assert city["area"] == "全市"
    assert city["headline"]["local_rate_value"] == pytest.approx(450 / 1950.5)
    assert city["headline"]["value_coverage"] == pytest.approx(0.75)
    assert [c["county"] for c in city["counties"]] == ["431202", "431228"]
    assert city["enterprises"]["count"] == 3
    county = client.get("/supply/local", headers=auth(tokens["hecheng"])).json()
    assert county["area"] == "鹤城区"
    assert county["headline"]["local_rate_value"] == pytest.approx(450 / 1650.5)
    assert [c["county"] for c in county["counties"]] == ["431202"]
    assert [e["id"] for e in county["enterprises"]["data"]] == ["E1", "P1"]
    one = client.get("/supply/local?chain=食品加工", headers=auth(tokens["admin"])).json()
    assert [e["id"] for e in one["enterprises"]["data"]] == ["E2"]


def test_the_gap_list_is_the_citys(client: TestClient, tokens: dict[str, str]) -> None:
    gaps = client.get("/supply/gaps", headers=auth(tokens["province"])).json()
    assert gaps["count"] == 2
    first = gaps["data"][0]
    assert (first["material"], first["code"], first["value_outside"]) == ("钢材", "7208", 1200.5)
    assert first["top_regions"] == [
        {"region": "长沙市", "value": 1200.5, "links": 1},
        {"region": "湖北省", "value": None, "links": 1},  # S2's 40 % carries no value: none, not 0
    ]
    assert client.get("/supply/gaps", headers=auth(tokens["hecheng"])).status_code == 403


def test_the_gap_list_workbook(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/exports/gaps?fmt=xlsx", headers=auth(tokens["viewer"]))
    assert response.status_code == 200
    assert "产业链补链清单" in unquote(response.headers["content-disposition"])
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert ws.title == "补链清单"
    assert str(ws["A1"].value).startswith("产业链补链清单（")
    assert ws.freeze_panes == "A3"
    headers = [c.value for c in ws[2]]
    row = dict(zip(headers, list(ws[3]), strict=True))
    assert row["序号"].value == 1
    assert row["物料"].value == "钢材"
    assert row["市外采购额（万元）"].value == 1200.5
    assert row["市外采购额（万元）"].number_format == "#,##0.00"
    assert row["本地配套比例"].value == 0
    assert row["本地配套比例"].number_format == "0.00%"
    assert row["主要外部来源地（采购额）"].value == "长沙市 1,200.50 万元（1 条）；湖北省（1 条）"
    csv = client.get("/exports/gaps?fmt=csv", headers=auth(tokens["admin"]))
    assert csv.content.startswith(b"\xef\xbb\xbf")
    assert client.get("/exports/gaps", headers=auth(tokens["hecheng"])).status_code == 403


def test_substitutes_of_a_blocked_supplier(client: TestClient, tokens: dict[str, str]) -> None:
    found = client.get("/analysis/blocked/S1/substitutes", headers=auth(tokens["admin"])).json()
    assert found["blocked"] is True
    [link] = found["links"]
    assert (link["buyer_id"], link["material"]) == ("E1", "钢材")
    # S2 takes S1's 60 % at full availability, as restoring S1 would: 18000 + 12000 万元
    [candidate] = link["candidates"]
    assert (candidate["id"], candidate["scope"], candidate["gain"]) == ("S2", "out_of_province", 30000.0)
    # S1 supplies 鹤城区's E1 (a partner); 芷江 has no business with it
    county = client.get("/analysis/blocked/S1/substitutes", headers=auth(tokens["hecheng"])).json()
    assert county["links"] == found["links"]
    other = client.get("/analysis/blocked/S1/substitutes", headers=auth(tokens["zhijiang"]))
    assert other.status_code == 404
    assert client.get("/analysis/blocked/NOPE/substitutes", headers=auth(tokens["admin"])).status_code == 404


def test_a_what_if_moves_a_link_through_the_api(client: TestClient, tokens: dict[str, str]) -> None:
    move = {"buyer": "E1", "material": "钢材", "from": "S1", "to": "S2"}
    result = client.post("/analysis/scenarios", json={"substitute": [move]}, headers=auth(tokens["admin"]))
    assert result.status_code == 200
    assert result.json()["delta"]["value_at_risk"] == pytest.approx(-30000.0)
    wrong = {**move, "from": "S2", "to": "S1", "material": "芯片"}
    refused = client.post("/analysis/scenarios", json={"substitute": [wrong]}, headers=auth(tokens["admin"]))
    assert refused.status_code == 422
    assert "并不向 E1 供应" in refused.json()["message"]


def test_the_supply_page(client: TestClient, tokens: dict[str, str]) -> None:
    _login(client, tokens["admin"])
    page = client.get("/console/supply").text
    assert 'href="/console/supply"' in page  # in the menu
    assert "全市本地配套与补链" in page
    assert "23.1%" in page  # 450 of 1950.5 万元 from local suppliers
    assert "75.0% 的供应关系填有采购额" in page
    assert "补链清单（2 种物料" in page
    assert 'href="/exports/gaps?fmt=xlsx"' in page
    assert "各产业链最大缺口" in page
    assert "<svg" in page
    assert "装备制造：钢材" in page


def test_a_countys_supply_page_has_no_gap_list(client: TestClient, tokens: dict[str, str]) -> None:
    _login(client, tokens["hecheng"])
    page = client.get("/console/supply").text
    assert "鹤城区本地配套与补链" in page
    assert "27.3%" in page  # 450 of 1650.5 万元
    assert "补链清单" not in page
    assert "芷江" not in page


def test_a_substitute_from_the_firm_page_runs_as_a_what_if(
    client: TestClient, tokens: dict[str, str]
) -> None:
    _login(client, tokens["admin"])
    page = client.get("/console/firms/S1").text
    assert "替代供应商（供需对接）" in page
    found = re.search(r'href="(/console/whatif\?[^"]+)">按此替代推演', page)
    assert found
    url = found.group(1).replace("&amp;", "&")
    assert "sub_to=S2" in url
    result = client.get(url)
    assert result.status_code == 200
    assert "替代：怀化甲机械有限公司的“钢材”由长沙丙钢材有限公司改由武汉丁电子有限公司供应" in result.text
    assert 'class="compare"' in result.text
    assert "sub_to=S2" in result.text  # the map of the change carries the move
    assert "替代供应商（供需对接）" not in client.get("/console/firms/S2").text  # S2 is not blocked


def test_a_half_typed_move_is_refused_on_the_page(client: TestClient, tokens: dict[str, str]) -> None:
    _login(client, tokens["admin"])
    response = client.get("/console/whatif?sub_buyer=E1&sub_material=钢材&sub_from=S1&sub_to=")
    assert response.status_code == 422
    assert "替代推演请填写替代供应商" in response.text


def test_the_scenario_map_draws_a_move(client: TestClient, tokens: dict[str, str]) -> None:
    query = "sub_buyer=E1&sub_material=钢材&sub_from=S1&sub_to=S2"
    response = client.get(f"/maps/scenario?{query}", headers=auth(tokens["admin"]))
    assert response.status_code == 200
    assert "怀化甲机械有限公司" in response.text
    uneven = client.get("/maps/scenario?sub_buyer=E1", headers=auth(tokens["admin"]))
    assert uneven.status_code == 422


def test_the_coordination_workbook_names_the_substitutes(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/exports/coordination", headers=auth(tokens["admin"]))
    ws = openpyxl.load_workbook(io.BytesIO(response.content))["替代供应商"]
    row = dict(zip([c.value for c in ws[2]], [c.value for c in ws[3]], strict=True))
    assert row["受阻配套企业"] == "长沙丙钢材有限公司"
    assert row["需求企业/项目"] == "怀化甲机械有限公司"
    assert row["替代供应商"] == "武汉丁电子有限公司"
    assert row["替代供应商所在地"] == "省外"
    assert row["可挽回产值与投资（万元）"] == 30000.0
    assert row["替代供应商可用度"] == 1.0


def test_the_supply_maps(client: TestClient, tokens: dict[str, str]) -> None:
    local = client.get("/maps/city?colour=local", headers=auth(tokens["hecheng"]))
    assert local.status_code == 200
    assert "本地配套率（颜色）" in local.text
    assert "芷江" not in local.text
    gaps = client.get("/maps/gaps?top=5", headers=auth(tokens["viewer"]))
    assert gaps.status_code == 200
    assert "补链清单：本地配套不足的物料（前 5 种）" in gaps.text
    assert client.get("/maps/gaps", headers=auth(tokens["hecheng"])).status_code == 403
    _login(client, tokens["admin"])
    page = client.get("/console/supply").text
    assert 'href="/maps/gaps"' in page
    assert "/maps/city?chain=%E8%A3%85%E5%A4%87%E5%88%B6%E9%80%A0&amp;colour=local" in page
