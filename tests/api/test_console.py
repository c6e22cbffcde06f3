"""The web console through TestClient: login cookie, pages, CSRF, escaping, import report."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from api.state import AppState
from tests.api.conftest import auth
from tests.ledger_files import write_canonical


def _login(client: TestClient, token: str) -> str:
    response = client.post("/console/login", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    page = client.get("/console/ledger")
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert match
    return match.group(1)


def test_pages_need_a_login(client: TestClient) -> None:
    for path in (
        "/console/",
        "/console/blocked",
        "/console/coordination",
        "/console/ledger",
        "/console/import",
    ):
        response = client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/console/login"), path


def test_a_wrong_token_is_refused(client: TestClient) -> None:
    response = client.post("/console/login", data={"token": "cg_wrong"})
    assert response.status_code == 401
    assert "令牌无效" in response.text


def test_dashboard_and_lists(client: TestClient, tokens: dict[str, str]) -> None:
    _login(client, tokens["admin"])
    dashboard = client.get("/console/").text
    assert "全市概况" in dashboard
    assert "42.9%" in dashboard  # key enterprises' output-weighted recovery (15000 / 35000)
    assert "问题台账周趋势" in dashboard
    blocked = client.get("/console/blocked").text
    assert "长沙丙钢材有限公司" in blocked
    coordination = client.get("/console/coordination").text
    assert 'href="/exports/coordination?fmt=xlsx"' in coordination
    assert "怀化甲机械有限公司" in coordination


def test_ledger_action_through_the_form(client: TestClient, tokens: dict[str, str]) -> None:
    created = client.post(
        "/ledger",
        json={"subject_id": "E1", "description": "<script>alert(1)</script>"},
        headers=auth(tokens["admin"]),
    ).json()
    csrf = _login(client, tokens["hecheng"])
    page = client.get("/console/ledger").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in page
    url = f"/console/ledger/{created['id']}"
    forged = client.post(url, data={"action": "start", "version": "1", "csrf": "0" * 40})
    assert forged.status_code == 403
    assert "表单已过期" in forged.text
    started = client.post(url, data={"action": "start", "version": "1", "csrf": csrf})
    assert started.status_code == 200
    assert "开始办理完成" in started.text
    stale = client.post(url, data={"action": "close", "version": "1", "note": "好", "csrf": csrf})
    assert stale.status_code == 409
    assert "请刷新后重试" in stale.text
    no_note = client.post(url, data={"action": "close", "version": "2", "csrf": csrf})
    assert no_note.status_code == 422
    assert "销号须填写办结情况" in no_note.text


def test_viewer_sees_no_action_forms(client: TestClient, tokens: dict[str, str], state: AppState) -> None:
    client.post("/ledger", json={"subject_id": "E1", "description": "x"}, headers=auth(tokens["admin"]))
    _login(client, tokens["viewer"])
    page = client.get("/console/ledger").text
    assert 'action="/console/ledger/' not in page


def test_import_page_reports_problems_and_writes_nothing(
    client: TestClient, tokens: dict[str, str], tmp_path: Path, state: AppState
) -> None:
    csrf = _login(client, tokens["admin"])
    directory = write_canonical(tmp_path / "upload")
    links = directory / "links.csv"
    links.write_text(links.read_text(encoding="utf-8-sig").replace("钢材", "", 1), encoding="utf-8-sig")
    with state.store() as store:
        before = store.counts()
    files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(directory.glob("*.csv"))]
    response = client.post("/console/import", data={"csrf": csrf}, files=files)
    assert response.status_code == 422
    assert "未写入任何数据" in response.text
    assert "links.csv" in response.text
    with state.store() as store:
        assert store.counts() == before


@pytest.mark.parametrize("role", ["hecheng", "viewer"])
def test_only_admins_import(client: TestClient, tokens: dict[str, str], role: str) -> None:
    _login(client, tokens[role])
    assert client.get("/console/import").status_code == 403


def test_a_countys_firm_page_names_partners_without_linking_to_them(
    client: TestClient, tokens: dict[str, str]
) -> None:
    client.post("/console/login", data={"token": tokens["hecheng"]})
    page = client.get("/console/firms/E1").text
    assert "长沙丙钢材有限公司" in page  # S1 supplies E1: named
    assert 'href="/console/firms/S1"' not in page  # but another county's page is not offered
    assert 'href="/console/firms/P1"' in page  # an own project is
    client.cookies.clear()
    client.post("/console/login", data={"token": tokens["admin"]})
    assert 'href="/console/firms/S1"' in client.get("/console/firms/E1").text


def _issue_rows(page: str) -> list[tuple[str, str]]:
    """The import report's issues as (文件, 代码), in the order shown."""
    return re.findall(
        r"<tr><td>([^<]*)</td><td>[^<]*</td><td[^>]*>[^<]*</td><td>[^<]*</td>\s*<td>[^<]*</td><td>(E\d{3})</td>",
        page,
    )


def test_import_page_says_which_files_it_reads_and_offers_the_template(
    client: TestClient, tokens: dict[str, str]
) -> None:
    _login(client, tokens["admin"])
    page = client.get("/console/import").text
    guide = page[page.index('id="import-guide"') : page.index("</section>")]
    for names in (
        "重点企业、重点规模企业、enterprises",
        "供应关系、配套关系、links",
        "问题台账、问题清单、problems",
        "物料目录、产品目录、物料编码表、materials",
    ):
        assert names in guide
    for words in (".csv", ".xlsx", "工作表名", "不写入任何数据", "有问题时仍导入无误的行", "替换原有数据"):
        assert words in guide
    link = re.search(r'<a class="button" id="download-template" href="([^"]+)"', guide)
    assert link
    template = client.get(link.group(1))
    assert template.status_code == 200
    assert "%E5%8F%B0%E8%B4%A6%E6%A8%A1%E6%9D%BF.xlsx" in template.headers["content-disposition"]  # 台账模板
    book = openpyxl.load_workbook(io.BytesIO(template.content), read_only=True)
    tables = ["重点企业", "重点项目", "供应商", "供应关系", "问题台账", "物料目录"]
    assert book.sheetnames == ["填写说明", *tables]


def test_the_blank_template_uploaded_back_is_read_table_by_table(
    client: TestClient, tokens: dict[str, str]
) -> None:
    csrf = _login(client, tokens["admin"])
    template = client.get("/exports/template").content
    files = [("files", ("我们的台账.xlsx", template, "application/octet-stream"))]
    page = client.post("/console/import", data={"csrf": csrf}, files=files).text
    codes = {code for _, code in _issue_rows(page)}
    assert codes == {"E005"}  # every table found, each without data rows; no file unrecognised


def test_import_report_names_each_file_as_uploaded_and_the_misnamed_one_first(
    client: TestClient, tokens: dict[str, str], tmp_path: Path, state: AppState
) -> None:
    csrf = _login(client, tokens["admin"])
    directory = write_canonical(tmp_path / "upload")
    names = {p.name: p.name for p in directory.glob("*.csv")}
    names["enterprises.csv"] = "broken_重点企业.csv"
    names["problems.csv"] = "<img src=x onerror=alert(1)>.csv"  # user input, shown as text
    files = [("files", (names[p.name], p.read_bytes(), "text/csv")) for p in sorted(directory.glob("*.csv"))]
    response = client.post("/console/import", data={"csrf": csrf}, files=files)
    assert response.status_code == 422
    rows = _issue_rows(response.text)
    # The two files named after no table come first (by name), then what they cause.
    assert rows[:3] == [
        ("&lt;img src=x onerror=alert(1)&gt;.csv", "E008"),
        ("broken_重点企业.csv", "E008"),
        ("上传的台账", "E003"),
    ]
    assert "它可能是“重点企业”表" in response.text
    assert "<img src=x" not in response.text
    assert "tmp" not in "".join(file for file, _ in rows)  # no temporary name anywhere
    assert {file for file, _ in rows} <= {
        *(n.replace("<", "&lt;").replace(">", "&gt;") for n in names.values()),
        "上传的台账",
    }


@pytest.mark.parametrize(
    ("name", "shown"),
    [("企业台账.doc", "只接受 .xlsx、.xls、.ods 或 .csv 文件"), ("a" * 130 + ".csv", "不可用")],
)
def test_a_refused_file_name_is_said_on_the_page(
    client: TestClient, tokens: dict[str, str], name: str, shown: str
) -> None:
    csrf = _login(client, tokens["admin"])
    response = client.post(
        "/console/import", data={"csrf": csrf}, files=[("files", (name, b"id,name\n", "text/csv"))]
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert shown in response.text
    assert "未写入任何数据" in response.text
