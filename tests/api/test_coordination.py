"""Coordination over HTTP on the canonical ledgers: S1 (长沙, stopped) holds back E1 and P1.

The city issues and sends the letter; the province acknowledges and answers; the city closes
it and the linked ledger items close. A province user bound to another province, a county
and a viewer may not act; a stale version is refused; the letter downloads as Word and Excel;
the dashboard counts the requests by state.
"""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

import openpyxl
import pytest
from docx import Document
from fastapi.testclient import TestClient
from httpx2 import Response

from api.state import AppState
from api.users import Role
from tests.api.conftest import auth
from tests.api.test_console import _login

NUMBER = f"怀工信函〔{dt.date.today().year}〕1号"


@pytest.fixture
def sent(client: TestClient, tokens: dict[str, str]) -> str:
    """Issue the letter and send it: its number."""
    admin = auth(tokens["admin"])
    issued = client.post("/coordination/letters", headers=admin)
    assert issued.status_code == 201, issued.text
    assert [x["number"] for x in issued.json()] == [NUMBER]
    assert client.post(f"/coordination/letters/{quote(NUMBER)}/send", headers=admin).json() == {
        "sent": ["XT-S1"]
    }
    return NUMBER


def _move(client: TestClient, token: str, move: str, **body: object) -> Response:
    current = client.get("/coordination/requests/XT-S1", headers=auth(token)).json()
    return client.post(
        "/coordination/requests/XT-S1/moves",
        json={"move": move, "version": current["version"], **body},
        headers=auth(token),
    )


def test_the_whole_loop(client: TestClient, tokens: dict[str, str], sent: str) -> None:
    response = _move(client, tokens["province"], "acknowledge")
    assert response.status_code == 200, response.text
    response = _move(client, tokens["province"], "answer", outcome="resumed", note="已恢复供货")
    assert response.json()["state"] == "answered"
    closed = _move(client, tokens["admin"], "close").json()
    assert closed["state"] == "closed"
    shown = client.get("/coordination/requests/XT-S1", headers=auth(tokens["admin"])).json()
    assert [e["move"] for e in shown["history"]] == [
        "register",
        "assign",
        "send",
        "acknowledge",
        "answer",
        "close",
    ]
    assert shown["outcome_label"] == "已协调复产"


def test_refused_moves(client: TestClient, state: AppState, tokens: dict[str, str], sent: str) -> None:
    guangdong = state.users.add("粤工信厅", Role.PROVINCE, county="440000")[1]
    refused = _move(client, guangdong, "acknowledge")
    assert refused.status_code == 403
    assert "不是报送给本单位的" in refused.json()["message"]
    for who in ("hecheng", "viewer"):
        assert _move(client, tokens[who], "acknowledge").status_code == 403
    # The city may not acknowledge its own request; the province may not close it.
    wrong_side = _move(client, tokens["admin"], "acknowledge")
    assert wrong_side.status_code == 422
    assert wrong_side.json()["message"] == "协调事项 XT-S1 的“受理”应由受理单位办理"
    assert _move(client, tokens["province"], "close").status_code == 403
    # Answering before acknowledging: the rules refuse it, in Chinese.
    early = _move(client, tokens["province"], "answer", outcome="failed", note="x")
    assert early.status_code == 422
    assert early.json()["message"] == "协调事项 XT-S1 当前为“已报送”，只有“已受理”的事项可以反馈"
    stale = client.post(
        "/coordination/requests/XT-S1/moves",
        json={"move": "acknowledge", "version": 1},
        headers=auth(tokens["province"]),
    )
    assert stale.status_code == 409


def test_a_province_user_cannot_be_bound_to_a_county(state: AppState) -> None:
    from chain_graph.errors import ConfigError

    with pytest.raises(ConfigError, match="省级行政区划代码"):
        state.users.add("错误的省级用户", Role.PROVINCE, county="431202")


def test_the_letter_downloads_as_word_and_excel(
    client: TestClient, tokens: dict[str, str], sent: str
) -> None:
    path = f"/coordination/letters/{quote(sent)}/document"
    word = client.get(path, headers=auth(tokens["province"]))
    assert word.status_code == 200
    assert "filename*=UTF-8''" in word.headers["content-disposition"]
    document = Document(io.BytesIO(word.content))
    assert sent in "\n".join(p.text for p in document.paragraphs)
    excel = client.get(f"{path}?fmt=xlsx", headers=auth(tokens["admin"]))
    cells = [
        str(v)
        for sheet in openpyxl.load_workbook(io.BytesIO(excel.content), read_only=True)
        for row in sheet.iter_rows(values_only=True)
        for v in row
        if v is not None
    ]
    assert "长沙丙钢材有限公司" in cells
    # 芷江 has no buyer held back by S1: the letter is not its to see.
    assert client.get(path, headers=auth(tokens["zhijiang"])).status_code == 404


def test_a_letter_shows_a_move_at_once(client: TestClient, tokens: dict[str, str], sent: str) -> None:
    # The letter's JSON is serialised once per coordination version: a move is a new version.
    path = f"/coordination/letters/{quote(sent)}"
    admin = auth(tokens["admin"])
    assert [r["state"] for r in client.get(path, headers=admin).json()["requests"]] == ["sent"]
    assert _move(client, tokens["province"], "acknowledge").status_code == 200
    assert [r["state"] for r in client.get(path, headers=admin).json()["requests"]] == ["acknowledged"]
    # Each side gets its own moves: the province may answer, the city only note.
    province = client.get(path, headers=auth(tokens["province"])).json()["requests"][0]
    assert "answer" in province["moves"]
    assert client.get(path, headers=admin).json()["requests"][0]["moves"] == ["note"]


def test_the_dashboard_counts_requests_by_state(
    client: TestClient, tokens: dict[str, str], sent: str
) -> None:
    _login(client, tokens["admin"])
    page = client.get("/console/").text
    assert "跨区域协调事项" in page
    assert 'href="/console/coordination/requests?status=sent">1</a>' in page
    client.cookies.clear()
    _login(client, tokens["zhijiang"])
    assert "跨区域协调事项" not in client.get("/console/").text  # none about 芷江's enterprises
