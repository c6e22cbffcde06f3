"""Every route through TestClient: happy path, 401, roles and county scoping, errors, paging."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from api.state import AppState
from tests.api.conftest import auth
from tests.ledger_files import write_canonical

PROTECTED = [
    "/firms",
    "/firms/E1",
    "/projects",
    "/projects/P1",
    "/links",
    "/analysis/summary",
    "/analysis/blocked",
    "/coordination",
    "/local",
    "/ledger",
    "/exports/coordination",
    "/exports/local",
    "/exports/ledger",
    "/reports/weekly",
    "/ready",
]


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize("path", PROTECTED)
def test_everything_else_needs_a_token(client: TestClient, path: str) -> None:
    response = client.get(path)
    if path == "/ready":  # readiness is for the load balancer: it tells no data, only the version
        assert response.status_code == 200
        return
    assert response.status_code == 401
    assert response.json()["code"] == "CG401"
    assert "令牌" in response.json()["message"]
    assert client.get(path, headers=auth("cg_not-a-token")).status_code == 401


def test_ready_reports_the_data_version(client: TestClient) -> None:
    assert client.get("/ready").json() == {"status": "ready", "data_version": 1}


def test_firms_list_filters_and_pages(client: TestClient, tokens: dict[str, str]) -> None:
    body = client.get("/firms", headers=auth(tokens["admin"])).json()
    assert body["count"] == 4
    assert [f["id"] for f in body["data"]] == ["E1", "E2", "S1", "S2"]
    e1 = body["data"][0]
    assert (e1["county"], e1["availability"], e1["is_enterprise"]) == ("鹤城区", pytest.approx(0.4), True)
    paged = client.get("/firms?limit=2&offset=1", headers=auth(tokens["admin"])).json()
    assert ([f["id"] for f in paged["data"]], paged["count"]) == (["E2", "S1"], 4)
    beyond = client.get("/firms?offset=100", headers=auth(tokens["admin"])).json()
    assert (beyond["data"], beyond["count"]) == ([], 4)
    stopped = client.get("/firms?status=stopped", headers=auth(tokens["admin"])).json()
    assert [f["id"] for f in stopped["data"]] == ["S1"]


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "offset=-1", "status=closed", "limit=abc"])
def test_bad_paging_and_filters_are_422_with_a_message(
    client: TestClient, tokens: dict[str, str], query: str
) -> None:
    response = client.get(f"/firms?{query}", headers=auth(tokens["admin"]))
    assert response.status_code == 422
    assert response.json()["code"] == "CG422"
    assert response.json()["message"].startswith("请求参数有误")


def test_a_county_sees_only_its_county(client: TestClient, tokens: dict[str, str]) -> None:
    county = auth(tokens["hecheng"])
    assert [f["id"] for f in client.get("/firms", headers=county).json()["data"]] == ["E1"]
    assert client.get("/firms/E1", headers=county).status_code == 200
    hidden = client.get("/firms/E2", headers=county)
    assert hidden.status_code == 404  # 404, not 403: another county's firm is not revealed
    assert hidden.json() == {"code": "CG404", "message": "没有编号为 E2 的企业"}
    links = client.get("/links", headers=county).json()
    assert all("E1" in (link["supplier_id"], link["buyer_id"]) for link in links["data"])
    assert client.get("/coordination", headers=county).status_code == 403


def test_unknown_ids_are_404(client: TestClient, tokens: dict[str, str]) -> None:
    for path in ("/firms/NOPE", "/projects/NOPE", "/ledger/NOPE", "/ledger/NOPE/history"):
        response = client.get(path, headers=auth(tokens["admin"]))
        assert response.status_code == 404, path
        assert response.json()["code"] == "CG404"


def test_analysis_summary_and_blocked(client: TestClient, tokens: dict[str, str]) -> None:
    summary = client.get("/analysis/summary", headers=auth(tokens["viewer"])).json()
    assert summary["summary"]["blocked"] == 1
    assert summary["summary"]["investment_at_risk"] == pytest.approx(12000.0)
    blocked = client.get("/analysis/blocked", headers=auth(tokens["viewer"])).json()
    assert [(b["id"], b["scope"], b["route_to"]) for b in blocked["data"]] == [
        ("S1", "in_province", "省工业和信息化厅")
    ]
    assert client.get("/analysis/blocked?scope=local", headers=auth(tokens["viewer"])).json()["count"] == 0


def test_coordination_for_the_province(client: TestClient, tokens: dict[str, str]) -> None:
    rows = client.get("/coordination", headers=auth(tokens["province"])).json()
    assert rows["count"] == 1
    row = rows["data"][0]
    assert (row["buyer"], row["supplier_id"], row["material"], row["stock_days"]) == (
        "怀化甲机械有限公司",
        "S1",
        "钢材",
        10,
    )
    assert client.get("/coordination?target=武汉市", headers=auth(tokens["province"])).json()["count"] == 0


def test_scenario_runs_in_a_worker(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post("/analysis/scenarios", json={"restore": ["S1"]}, headers=auth(tokens["admin"]))
    assert response.status_code == 200
    body = response.json()
    assert body["scenario"]["restore"] == ["S1"]
    bad = client.post("/analysis/scenarios", json={"capacity": {"S1": 150}}, headers=auth(tokens["admin"]))
    assert bad.status_code == 422
    assert bad.json()["code"] == "CG422"


def test_scenario_time_limit(
    client: TestClient, tokens: dict[str, str], state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    import api.state

    def slow(*args: object, **kwargs: object) -> None:
        time.sleep(1.0)

    monkeypatch.setattr(api.state, "what_if", slow)
    state.settings = state.settings.model_copy(update={"scenario_timeout_s": 0.2})
    response = client.post("/analysis/scenarios", json={"stop": ["S2"]}, headers=auth(tokens["admin"]))
    assert response.status_code == 504
    assert "秒未完成" in response.json()["message"]
    # The console's what-if form goes through the same slots and time limit.
    client.post("/console/login", data={"token": tokens["admin"]})
    page = client.get("/console/whatif?stop=S2")
    assert page.status_code in (503, 504)  # the first slow one may still hold a slot
    assert "请稍后再试" in page.text or "秒未完成" in page.text


def _register(client: TestClient, token: str, subject: str = "E1") -> dict[str, object]:
    response = client.post(
        "/ledger",
        json={
            "subject_id": subject,
            "description": "原料断供",
            "category": "原材料",
            "deadline": "2026-12-31",
        },
        headers=auth(token),
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_ledger_register_act_and_history(client: TestClient, tokens: dict[str, str]) -> None:
    item = _register(client, tokens["hecheng"])
    assert item["responsible_unit"] == "市工业和信息化局"
    assert item["status"] == "registered"
    item_id = item["id"]
    start = client.post(
        f"/ledger/{item_id}/actions", json={"action": "start", "version": 1}, headers=auth(tokens["hecheng"])
    )
    assert start.json()["status"] == "in_progress"
    refused = client.post(
        f"/ledger/{item_id}/actions", json={"action": "close", "version": 2}, headers=auth(tokens["admin"])
    )
    assert refused.status_code == 422
    assert refused.json() == {"code": "CG400", "message": f"销号须填写办结情况（问题台账 {item_id}）"}
    stale = client.post(
        f"/ledger/{item_id}/actions",
        json={"action": "close", "version": 1, "note": "好"},
        headers=auth(tokens["admin"]),
    )
    assert stale.status_code == 409
    assert "请刷新后重试" in stale.json()["message"]
    closed = client.post(
        f"/ledger/{item_id}/actions",
        json={"action": "close", "version": 2, "note": "已恢复供货"},
        headers=auth(tokens["admin"]),
    )
    assert closed.json()["status"] == "closed"
    history = client.get(f"/ledger/{item_id}/history", headers=auth(tokens["viewer"])).json()
    assert [(e["action"], e["by"]) for e in history] == [
        ("register", "hecheng"),
        ("start", "hecheng"),
        ("close", "admin"),
    ]


def test_ledger_county_scoping(client: TestClient, tokens: dict[str, str]) -> None:
    mine = _register(client, tokens["admin"], subject="E1")
    theirs = _register(client, tokens["admin"], subject="E2")
    county = auth(tokens["hecheng"])
    assert [i["id"] for i in client.get("/ledger", headers=county).json()["data"]] == [mine["id"]]
    assert client.get(f"/ledger/{theirs['id']}", headers=county).status_code == 404
    act = client.post(
        f"/ledger/{theirs['id']}/actions", json={"action": "start", "version": 1}, headers=county
    )
    assert act.status_code == 404
    assert (
        client.post("/ledger", json={"subject_id": "E2", "description": "x"}, headers=county).status_code
        == 404
    )


@pytest.mark.parametrize("role", ["province", "viewer"])
def test_readers_cannot_write_the_ledger(client: TestClient, tokens: dict[str, str], role: str) -> None:
    response = client.post(
        "/ledger", json={"subject_id": "E1", "description": "x"}, headers=auth(tokens[role])
    )
    assert response.status_code == 403
    assert response.json()["code"] == "CG403"


def test_exports_download_workbooks(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/exports/coordination", headers=auth(tokens["province"]))
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["跨区域协调清单", "替代供应商"]
    csv = client.get("/exports/coordination?fmt=csv", headers=auth(tokens["province"]))
    assert csv.content.startswith(b"\xef\xbb\xbf")
    assert client.get("/exports/coordination?fmt=pdf", headers=auth(tokens["province"])).status_code == 422
    assert client.get("/exports/coordination", headers=auth(tokens["hecheng"])).status_code == 403
    ledger = client.get("/exports/ledger", headers=auth(tokens["hecheng"]))
    assert openpyxl.load_workbook(io.BytesIO(ledger.content)).sheetnames == ["问题台账", "办理记录"]
    page = client.get("/reports/weekly?start=2026-11-23&end=2026-11-29", headers=auth(tokens["province"]))
    assert page.headers["content-type"].startswith("text/html")
    assert "周报告" in page.text
    for bad in ("end=0001-01-01", "start=9999-12-31", "start=2026-11-29&end=2026-11-23"):  # make fuzz
        refused = client.get(f"/reports/weekly?{bad}", headers=auth(tokens["province"]))
        assert refused.status_code == 422, bad
        assert refused.json()["code"] == "CG100"
        assert "报告期" in refused.json()["message"]


def test_openapi_and_docs_are_local(client: TestClient) -> None:
    docs = client.get("/docs").text
    assert "cdn" not in docs.lower()
    assert "/static/swagger/swagger-ui-bundle.js" in docs
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert "/ledger/{item_id}/actions" in client.get("/openapi.json").json()["paths"]


def test_unknown_route_and_method(client: TestClient, tokens: dict[str, str]) -> None:
    missing = client.get("/nothing-here", headers=auth(tokens["admin"]))
    assert (missing.status_code, missing.json()["code"]) == (404, "CG404")
    wrong = client.delete("/firms", headers=auth(tokens["admin"]))
    assert (wrong.status_code, wrong.json()["code"]) == (405, "CG405")


def _files(directory: Path) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(directory.glob("*.csv"))]


def test_import_over_http(
    client: TestClient, tokens: dict[str, str], tmp_path: Path, state: AppState
) -> None:
    directory = write_canonical(tmp_path / "upload")
    ok = client.post("/imports", files=_files(directory), headers=auth(tokens["admin"]))
    assert ok.status_code == 200, ok.text
    assert ok.json()["written"] is True
    assert client.get("/ready").json()["data_version"] == 2
    links = directory / "links.csv"
    links.write_text(links.read_text(encoding="utf-8").replace("60", "abc", 1), encoding="utf-8")
    bad = client.post("/imports", files=_files(directory), headers=auth(tokens["admin"]))
    assert bad.status_code == 422
    body = bad.json()
    assert body["written"] is False
    issue = body["issues"][0]
    assert (issue["file"], issue["row"], issue["column"], issue["code"]) == ("links.csv", 2, "share", "E021")
    rejects = client.get(body["rejects_url"], headers=auth(tokens["admin"]))
    assert rejects.status_code == 200
    assert rejects.content.startswith(b"\xef\xbb\xbf")
    assert client.get("/ready").json()["data_version"] == 2  # nothing written
    assert client.post("/imports", files=_files(directory), headers=auth(tokens["viewer"])).status_code == 403


def test_import_limits(client: TestClient, tokens: dict[str, str], tmp_path: Path, state: AppState) -> None:
    directory = write_canonical(tmp_path / "upload")
    state.settings = state.settings.model_copy(update={"upload_limit_mb": 0.0001})
    too_big = client.post("/imports", files=_files(directory), headers=auth(tokens["admin"]))
    assert too_big.status_code == 413
    assert "MB" in too_big.json()["message"]
    state.settings = state.settings.model_copy(update={"upload_limit_mb": 50})
    wrong = client.post(
        "/imports",
        files=[("files", ("evil.exe", b"MZ", "application/octet-stream"))],
        headers=auth(tokens["admin"]),
    )
    assert wrong.status_code == 422
    assert "只接受 .xlsx、.xls、.ods 或 .csv" in wrong.json()["message"]


def test_a_ledger_action_shows_at_once_in_lists_and_downloads(
    client: TestClient, tokens: dict[str, str]
) -> None:
    admin = auth(tokens["admin"])
    before = client.get("/ledger", headers=admin).json()["count"]
    first = client.get("/exports/ledger?fmt=csv", headers=admin).content
    created = client.post("/ledger", json={"subject_id": "E1", "description": "用电紧张"}, headers=admin)
    assert created.status_code == 201
    assert client.get("/ledger", headers=admin).json()["count"] == before + 1
    after = client.get("/exports/ledger?fmt=csv", headers=admin).content
    assert "用电紧张" in after.decode("utf-8-sig")
    assert "用电紧张" not in first.decode("utf-8-sig")


def test_a_replacing_import_is_analysed_at_once_from_the_tables_it_wrote(
    client: TestClient, tokens: dict[str, str], state: AppState, tmp_path: Path
) -> None:
    import threading

    from chain_graph.gaps import analyze
    from tests.defaults import SETTINGS

    data = write_canonical(tmp_path / "again")
    files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(data.iterdir())]
    response = client.post("/imports", files=files, data={"replace": "true"}, headers=auth(tokens["admin"]))
    assert response.status_code == 200, response.text
    for thread in threading.enumerate():
        if thread.name == "install-import":
            thread.join(timeout=60)
    adopted = state.fresh_snapshot()
    assert adopted is not None
    with state.store() as store:
        assert adopted.version == store.data_version()
        read_back = analyze(store.load(), settings=SETTINGS)
    # The tables handed over give exactly the figures of the tables read back from the store.
    assert adopted.analysis.to_json() == read_back.to_json()


def test_list_rows_give_whole_stock_days(client: TestClient, tokens: dict[str, str]) -> None:
    row = client.get("/coordination", headers=auth(tokens["province"])).json()["data"][0]
    assert row["stock_days"] == 10
    assert '"stock_days": 10,' in client.get("/coordination", headers=auth(tokens["province"])).text
