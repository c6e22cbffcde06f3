"""``POST /reports`` and ``GET /reports``: record status reports, list them, per county."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import auth
from tests.ledger_files import write_xlsx

HEADER = "对象编号,填报日期,生产状态,产能恢复率\n"


def _post(client: TestClient, token: str, text: str, *, name: str = "复产填报.csv") -> Any:
    files = {"files": (name, io.BytesIO((HEADER + text).encode("utf-8")), "text/csv")}
    return client.post("/reports", files=files, headers=auth(token))


def _ids(client: TestClient, token: str, query: str = "") -> list[str]:
    response = client.get(f"/reports{query}", headers=auth(token))
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["data"]]


def test_a_county_records_and_sees_its_own_reports_only(client: TestClient, tokens: dict[str, str]) -> None:
    own = _post(client, tokens["hecheng"], "E1,2026-01-05,部分停产,40%\nP1,2026-01-05,,\n")
    assert own.status_code == 200, own.text
    assert own.json() == {"written": True, "appended": 2, "issues": []}
    assert _post(client, tokens["admin"], "E2,2026-01-06,正常,\n").status_code == 200
    assert _ids(client, tokens["hecheng"]) == ["E1", "P1"]
    assert _ids(client, tokens["zhijiang"]) == ["E2"]
    assert _ids(client, tokens["admin"]) == ["E1", "P1", "E2"]
    [row] = client.get("/reports?id=E1", headers=auth(tokens["province"])).json()["data"]
    assert (row["status"], row["capacity"], row["recorded_by"], row["started"]) == (
        "partial",
        40.0,
        "hecheng",
        None,
    )
    assert client.get("/reports?id=E2", headers=auth(tokens["hecheng"])).status_code == 404
    assert _ids(client, tokens["admin"], "?since=2026-01-06") == ["E2"]
    assert _ids(client, tokens["admin"], "?until=2026-01-05") == ["E1", "P1"]


def test_another_countys_entity_is_refused_exactly_as_an_unknown_id(
    client: TestClient, tokens: dict[str, str]
) -> None:
    foreign = _post(client, tokens["hecheng"], "E1,2026-01-05,正常,\nE2,2026-01-05,正常,\n")
    unknown = _post(client, tokens["hecheng"], "E1,2026-01-05,正常,\nX9,2026-01-05,正常,\n")
    assert foreign.status_code == unknown.status_code == 422
    [a], [b] = foreign.json()["issues"], unknown.json()["issues"]
    assert {**a, "value": "", "message": a["message"].replace("E2", "?")} == {
        **b,
        "value": "",
        "message": b["message"].replace("X9", "?"),
    }
    assert (a["code"], a["file"], a["row"], a["column"]) == ("E033", "复产填报.csv", 3, "对象编号")
    assert _ids(client, tokens["admin"]) == []  # nothing recorded


def test_a_date_after_today_and_a_workbook(
    client: TestClient, tokens: dict[str, str], tmp_path: Path
) -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    late = _post(client, tokens["admin"], f"E1,{tomorrow},正常,\n")
    assert [i["code"] for i in late.json()["issues"]] == ["E039"]
    book = write_xlsx(
        tmp_path / "鹤城区.xlsx", {"周报表": [["鹤城区填报"], ["企业编号", "截至日期"], ["E1", "2026.1.5"]]}
    )
    files = {"files": ("鹤城区.xlsx", io.BytesIO(book.read_bytes()), "application/octet-stream")}
    response = client.post("/reports", files=files, headers=auth(tokens["hecheng"]))
    assert response.status_code == 200, response.text
    assert _ids(client, tokens["hecheng"]) == ["E1"]


def test_readers_may_not_record(client: TestClient, tokens: dict[str, str]) -> None:
    for role in ("province", "viewer"):
        assert _post(client, tokens[role], "E1,2026-01-05,正常,\n").status_code == 403


def test_now_is_the_state_at_today_and_any_past_date_can_be_asked(
    client: TestClient, tokens: dict[str, str]
) -> None:
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    admin = auth(tokens["admin"])

    def blocked(query: str = "") -> list[str]:
        response = client.get(f"/analysis/blocked{query}", headers=admin)
        assert response.status_code == 200, response.text
        return [row["id"] for row in response.json()["data"]]

    assert blocked() == ["S1"]
    assert _post(client, tokens["admin"], f"S1,{dt.date.today().isoformat()},正常,\n").status_code == 200
    assert blocked() == []  # S1 reported back today: no longer blocked, on every page
    assert blocked(f"?as_of={yesterday}") == ["S1"]  # the state before the report
    future = client.get("/analysis/summary?as_of=2999-01-01", headers=admin)
    assert future.status_code == 422
    assert "晚于今天" in future.json()["message"]


def test_the_campaign_as_a_county_sees_it(client: TestClient, tokens: dict[str, str]) -> None:
    today = dt.date.today().isoformat()
    assert _post(client, tokens["admin"], f"E1,{today},部分停产,70%\n").status_code == 200
    county = auth(tokens["hecheng"])
    series = client.get("/campaign/series?group=county&rounds=3", headers=county).json()
    assert {row["group"] for row in series["data"]} == {"431202"}
    ranking = client.get("/campaign/ranking", headers=county).json()
    assert ranking["counties"] == 2
    assert {row["group"] for row in ranking["data"]} == {"431202"}
    compliance = client.get("/campaign/compliance", headers=county).json()
    assert [row["county"] for row in compliance["data"]] == ["431202"]
    client.post("/console/login", data={"token": tokens["hecheng"]})
    page = client.get("/console/").text
    assert "复工复产进度" in page
    assert "本县市区排名" in page


def test_the_weekly_report_carries_the_campaign(client: TestClient, tokens: dict[str, str]) -> None:
    import openpyxl

    assert (
        _post(client, tokens["admin"], f"E1,{dt.date.today().isoformat()},部分停产,70%\n").status_code == 200
    )
    admin = auth(tokens["admin"])
    page = client.get("/reports/weekly", headers=admin).text
    assert "五、复工复产进度（各轮）" in page
    assert "最近一轮未按时报送" in page
    book = client.get("/reports/weekly?fmt=xlsx", headers=admin)
    sheets = openpyxl.load_workbook(io.BytesIO(book.content), read_only=True).sheetnames
    assert "复工复产进度" in sheets


def test_the_weekly_report_downloads_as_word(client: TestClient, tokens: dict[str, str]) -> None:
    import docx

    response = client.get("/reports/weekly?fmt=docx", headers=auth(tokens["hecheng"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.word")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs)
    assert "鹤城区产业链供应链保障工作周报告" in text  # a county's own report
    assert "鹤城区工业和信息化局" in text  # signed by the county's bureau


def test_the_city_downloads_its_monthly_and_quarterly_notices(
    client: TestClient, tokens: dict[str, str]
) -> None:
    import docx

    last_month = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    admin = auth(tokens["admin"])
    monthly = client.get(f"/reports/notice?period={last_month:%Y-%m}", headers=admin)
    assert monthly.status_code == 200, monthly.text
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(monthly.content)).paragraphs)
    assert "月调度" in text
    quarter = f"{last_month.year}Q{(last_month.month - 1) // 3 + 1}"
    assert client.get(f"/reports/notice?period={quarter}&fmt=xlsx", headers=admin).status_code == 200
    assert client.get("/reports/notice?period=上个月", headers=admin).status_code == 422
    county = auth(tokens["hecheng"])
    assert client.get(f"/reports/notice?period={last_month:%Y-%m}", headers=county).status_code == 403
