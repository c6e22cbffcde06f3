"""The 白名单推荐 list through the API, its workbook, and its console page (canonical ledgers).

E1 (鹤城区, output 30000) is the only home-city firm that supplies anyone: all of P1's 机电设备
(鹤城区, annual plan 20000). E1 runs at 0.4 (S1, 60 % of its 钢材, is stopped), and so does
P1. Stopping E1 puts 30000·0.4 + 20000·0.4 = 20000 万元 more at risk; it is P1's single
source (100 %), and sells to no one outside the city.
"""

from __future__ import annotations

import io
from urllib.parse import unquote

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import auth
from tests.api.test_console import _login


def test_the_city_sees_its_nominations(client: TestClient, tokens: dict[str, str]) -> None:
    found = client.get("/coordination/whitelist", headers=auth(tokens["admin"])).json()
    assert found["count"] == 1
    [row] = found["data"]
    assert (row["rank"], row["id"], row["county"], row["chain"]) == (1, "E1", "鹤城区", "装备制造")
    assert row["exposure"] == pytest.approx(20000.0)
    assert (row["single_source_buyers"], row["outside_buyers"], row["key_buyers"]) == (1, 0, 1)
    assert row["status"] == "normal"
    assert row["reasons"] == (
        "停供将使重点企业和项目增加风险产值 2 亿元；是 1 家重点企业/项目的唯一供应来源（占比≥80%）"
    )


def test_a_county_sees_its_own_firms(client: TestClient, tokens: dict[str, str]) -> None:
    own = client.get("/coordination/whitelist", headers=auth(tokens["hecheng"])).json()
    assert [r["id"] for r in own["data"]] == ["E1"]
    other = client.get("/coordination/whitelist", headers=auth(tokens["zhijiang"])).json()
    assert other == {"data": [], "count": 0}


def test_an_earlier_day(client: TestClient, tokens: dict[str, str]) -> None:
    found = client.get("/coordination/whitelist?as_of=2026-01-05", headers=auth(tokens["province"]))
    assert found.status_code == 200
    assert [r["id"] for r in found.json()["data"]] == ["E1"]


def test_the_workbook(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/exports/whitelist?fmt=xlsx", headers=auth(tokens["viewer"]))
    assert response.status_code == 200
    assert "重点产业链供应链企业白名单推荐表" in unquote(response.headers["content-disposition"])
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert str(ws["A1"].value).startswith("重点产业链供应链企业白名单推荐表（")
    assert ws.freeze_panes == "A3"
    row = {h.value: c.value for h, c in zip(ws[2], ws[3], strict=True)}
    assert row["序号"] == 1
    assert row["企业名称"] == "怀化甲机械有限公司"
    assert row["风险敞口（万元）"] == pytest.approx(20000.0)
    assert row["唯一供应的重点企业/项目数"] == 1
    assert row["生产状态"] == "正常"
    csv = client.get("/exports/whitelist?fmt=csv", headers=auth(tokens["admin"]))
    assert csv.content.startswith(b"\xef\xbb\xbf")
    assert "推荐理由" in csv.content.decode("utf-8-sig")
    assert client.get("/exports/whitelist", headers=auth(tokens["hecheng"])).status_code == 403
    assert client.get("/exports/whitelist?fmt=pdf", headers=auth(tokens["admin"])).status_code == 422


def test_the_whitelist_page(client: TestClient, tokens: dict[str, str]) -> None:
    _login(client, tokens["admin"])
    page = client.get("/console/whitelist").text
    assert 'href="/console/whitelist"' in page  # in the menu
    assert "重点产业链供应链企业白名单推荐" in page
    assert "怀化甲机械有限公司" in page
    assert "20,000.00" in page
    assert "是 1 家重点企业/项目的唯一供应来源（占比≥80%）" in page
    assert 'href="/exports/whitelist?fmt=xlsx"' in page


def test_a_countys_page_has_no_download(client: TestClient, tokens: dict[str, str]) -> None:
    _login(client, tokens["zhijiang"])
    page = client.get("/console/whitelist").text
    assert "本县市区暂无符合推荐条件的配套企业" in page
    assert "/exports/whitelist" not in page
    assert "怀化甲机械有限公司" not in page
