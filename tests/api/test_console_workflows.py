"""The console's everyday workflows through TestClient: each finding of the console review.

The data: the canonical ledgers plus S3, a stopped supplier of 鹤城区 with a contact, which
supplies E1 (鹤城区) and E2 (芷江): a local blocked supplier, on the local list of 鹤城区.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.state import AppState
from api.users import Role
from chain_graph.settings import Settings
from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import read_directory
from tests.api.conftest import COUNTY_E1, COUNTY_E2
from tests.defaults import SETTINGS
from tests.ledger_files import CANONICAL, LINKS, SUPPLIERS, write_canonical

S3 = "鹤城己电子元件厂"


@pytest.fixture
def state(tmp_path: Path) -> Iterator[AppState]:
    suppliers: list[list[object]] = [
        [*SUPPLIERS[0], "contact", "phone"],
        *[[*row, "", ""] for row in SUPPLIERS[1:]],
        ["S3", S3, "湖南省怀化市鹤城区红星路9号", "", "stopped", "", "10", "停电", "王五", "0745-1234567"],
    ]
    links: list[list[object]] = [
        *LINKS,
        ["S3", "E1", "电子元件", "100", "yes", "3"],
        ["S3", "E2", "电子元件", "100", "yes", "8"],
    ]
    data = write_canonical(tmp_path / "data", {**CANONICAL, "suppliers": suppliers, "links": links})
    settings = Settings(store=f"sqlite:///{tmp_path}/api.db", auth_db=str(tmp_path / "auth.db"))
    with SQLiteStore(settings.store, batch_size=SETTINGS.write_batch_size) as store:
        store.write(read_directory(data, settings=SETTINGS).ledgers)
    opened = AppState(settings)
    yield opened
    opened.close()


@pytest.fixture
def client(state: AppState) -> Iterator[TestClient]:
    with TestClient(create_app(state.settings, state=state)) as test_client:
        yield test_client


def _login(client: TestClient, state: AppState, role: Role, county: str = "") -> str:
    """Log in as a new user of ``role``; return the page's form key."""
    token = state.users.add(f"{role}-{county}", role, county=county)[1]
    client.cookies.clear()
    assert client.post("/console/login", data={"token": token}, follow_redirects=False).status_code == 303
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/console/").text)
    assert found
    return found.group(1)


def test_a_countys_dashboard_is_its_own(client: TestClient, state: AppState) -> None:
    _login(client, state, Role.COUNTY, COUNTY_E1)
    page = client.get("/console/").text
    assert "鹤城区概况" in page
    assert "全市概况" not in page
    # 鹤城区 has E1, S3 (firms) and P1; S3 is its one blocked supplier. Both S1 (长沙) and S3 stop
    # E1, but restoring S1 alone lifts nothing while S3 stays stopped: only S3 holds it back.
    cards = dict(
        re.findall(
            r'<div class="label"[^>]*>([^<]+)</div>\s*<div class="value[^"]*">(?:<a[^>]*>)?([^<]+)<', page
        )
    )
    assert cards["企业（含配套企业）"] == "2"
    assert cards["本县市区受阻配套企业"] == "1"
    assert cards["影响本县市区的受阻配套企业"] == "1"
    assert "<svg" in page
    assert "<script" not in page


def test_a_county_gets_its_weekly_report(client: TestClient, state: AppState) -> None:
    _login(client, state, Role.COUNTY, COUNTY_E1)
    assert 'href="/reports/weekly"' in client.get("/console/").text
    report = client.get("/reports/weekly")
    assert report.status_code == 200
    assert "鹤城区" in report.text
    assert "芷江乙食品有限公司" not in report.text


def test_a_refusal_points_to_pages_that_exist(client: TestClient, state: AppState) -> None:
    _login(client, state, Role.COUNTY, COUNTY_E1)
    refused = client.get("/console/coordination")
    assert refused.status_code == 403
    assert "本地配套企业清单" in refused.text
    for link in re.findall(r'href="(/console/[^"]*)"', refused.text):
        assert client.get(link).status_code == 200, link


def test_the_local_list_page_and_its_download(client: TestClient, state: AppState) -> None:
    _login(client, state, Role.COUNTY, COUNTY_E1)
    page = client.get("/console/local").text
    assert S3 in page
    assert "王五 0745-1234567" in page
    assert "芷江乙食品有限公司" in page  # E2 (芷江) buys from S3 directly: a partner, named
    assert client.get("/exports/local?fmt=xlsx").status_code == 200
    _login(client, state, Role.ADMIN)
    page = client.get("/console/local").text
    assert page.count(f">{S3}</a>") == 2  # one row per buyer: E1 and E2
    assert "本地配套企业清单" in page
    assert 'href="/exports/local?fmt=xlsx"' in page
    assert S3 not in client.get(f"/console/local?county={COUNTY_E2}").text


def test_lists_filter_and_search(client: TestClient, state: AppState) -> None:
    _login(client, state, Role.ADMIN)
    assert S3 in client.get("/console/blocked?q=己电子").text
    assert "长沙丙钢材有限公司" not in client.get("/console/blocked?q=己电子").text
    assert S3 not in client.get("/console/blocked?scope=in_province").text
    by_days = client.get("/console/blocked?sort=days").text
    assert by_days.index(S3) < by_days.index("长沙丙钢材有限公司")  # 3 days before 10
    coordination = client.get("/console/coordination?target=长沙市").text
    assert "长沙丙钢材有限公司" in coordination
    assert "长沙丙钢材有限公司" not in client.get("/console/coordination?q=不存在的企业").text


def test_register_an_item_act_on_it_and_read_its_history(client: TestClient, state: AppState) -> None:
    csrf = _login(client, state, Role.COUNTY, COUNTY_E1)
    firm = client.get("/console/firms/E1").text
    assert 'action="/console/ledger"' in firm  # the registration form
    made = client.post(
        "/console/ledger",
        data={
            "csrf": csrf,
            "subject_id": "E1",
            "supplier_id": "S3",
            "category": "电力燃气",
            "description": "停电",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    item_url = made.headers["location"].split("?")[0]
    page = client.get(made.headers["location"]).text
    assert "挂号完成" in page
    assert "国网怀化供电分公司" in page
    buttons = re.findall(r'<button type="submit">([^<]+)</button>', page)
    assert "开始办理" in buttons
    assert "重新打开" not in buttons
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    closed = client.post(
        item_url,
        data={"csrf": csrf, "action": "close", "version": version.group(1), "note": "已恢复供电"},
        follow_redirects=False,
    )
    assert closed.status_code == 303  # post/redirect/get: a refresh does not post again
    page = client.get(closed.headers["location"]).text
    assert "销号完成" in page
    assert "已恢复供电" in page
    assert re.findall(r'<button type="submit">([^<]+)</button>', page).count("重新打开") == 1
    assert "已挂号 → 已销号" in page  # the history


def test_register_from_the_analysis(client: TestClient, state: AppState) -> None:
    csrf = _login(client, state, Role.ADMIN)
    done = client.post("/console/ledger-from-analysis", data={"csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    registered = re.search(r"已从分析结果挂号 (\d+) 项", page)
    assert registered
    assert int(registered.group(1)) > 0
    again = client.get(
        client.post("/console/ledger-from-analysis", data={"csrf": csrf}, follow_redirects=False).headers[
            "location"
        ]
    ).text
    assert "已从分析结果挂号 0 项" in again  # nothing twice


def test_ledger_filters(client: TestClient, state: AppState) -> None:
    csrf = _login(client, state, Role.ADMIN)
    client.post("/console/ledger-from-analysis", data={"csrf": csrf})  # W1 and W2 of the problems table
    assert "钢材断供" in client.get("/console/ledger?q=钢材").text
    assert "征地未完成" not in client.get("/console/ledger?q=钢材").text
    assert "钢材断供" in client.get("/console/ledger?unit=市工业和信息化局").text
    assert "钢材断供" not in client.get("/console/ledger?unit=市发展改革委").text


def test_what_if_form_shows_totals_and_the_map(client: TestClient, state: AppState) -> None:
    _login(client, state, Role.ADMIN)
    form = client.get("/console/whatif").text
    assert 'name="restore" value="S3"' in form
    result = client.get("/console/whatif?restore=S3&restore_more=长沙丙钢材有限公司")
    assert result.status_code == 200
    assert "假设后" in result.text
    assert "不再受阻" in result.text
    found = re.search(r'href="(/maps/scenario\?[^"]+)"', result.text)
    assert found
    assert client.get(found.group(1).replace("&amp;", "&")).status_code == 200
    unknown = client.get("/console/whatif?stop=没有这家企业")
    assert unknown.status_code == 404
    assert "没有编号或名称为“没有这家企业”的企业" in unknown.text


def test_the_glossary_explains_the_figures(client: TestClient, state: AppState) -> None:
    _login(client, state, Role.COUNTY, COUNTY_E1)
    page = client.get("/console/glossary").text
    for term in ("可用度", "距影响（天）", "影响产值与投资", "重点规模企业", "按期办结率"):
        assert term in page
    assert 'href="/console/glossary"' in page


def test_a_countys_map_title_names_the_county(client: TestClient, state: AppState) -> None:
    _login(client, state, Role.COUNTY, COUNTY_E1)
    page = client.get("/maps/city").text
    assert "<h1>鹤城区产业链图</h1>" in page
    assert "431202" not in page.split("<h1>")[1].split("</h1>")[0]


def test_a_firm_page_lists_only_the_items_the_county_sees(client: TestClient, state: AppState) -> None:
    from chain_graph.problem_ledger import LedgerItem, ProblemLedger

    with state.store() as store:  # an item about 鹤城区's S3 and 长沙's S1, which S3 does not supply
        ledger = ProblemLedger(store)
        now = ledger.now()
        far = LedgerItem(id="GA-S3-FAR", subject_id="S1", supplier_id="S3", created_at=now, updated_at=now)
        ledger.register([far], by="市工信局")
    _login(client, state, Role.COUNTY, COUNTY_E1)
    # S1 is no partner of S3: the item would name an entity beyond 鹤城区's boundary.
    assert "GA-S3-FAR" not in client.get("/console/firms/S3").text
    assert client.get("/console/ledger/GA-S3-FAR").status_code == 404


def test_what_if_tells_another_countys_id_from_no_id(client: TestClient, state: AppState) -> None:
    _login(client, state, Role.COUNTY, COUNTY_E2)
    foreign = client.get("/console/whatif?stop=E1")  # E1 exists, in 鹤城区
    unknown = client.get("/console/whatif?stop=E9")  # no such firm
    assert foreign.status_code == unknown.status_code == 404
    assert "没有编号或名称为“E1”的企业" in foreign.text
    assert "没有编号或名称为“E9”的企业" in unknown.text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"description": "   "}, "问题描述不能为空"),
        ({"description": "缺工", "deadline": "2020-01-01"}, "早于今天"),
        ({"description": "缺工", "deadline": "明天"}, "期限格式应为"),
        ({"description": "缺工", "responsible_unit": "局" * 200}, "表单内容有误"),
    ],
)
def test_a_bad_registration_gets_a_page_that_says_why(
    client: TestClient, state: AppState, form: dict[str, str], message: str
) -> None:
    csrf = _login(client, state, Role.ADMIN)
    with state.store() as store:
        before = len(store.ledger_items())
    refused = client.post("/console/ledger", data={"csrf": csrf, "subject_id": "E1", **form})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("text/html")
    assert message in refused.text
    with state.store() as store:
        assert len(store.ledger_items()) == before


def _form_fields(page: str) -> tuple[str, list[tuple[str, str]]]:
    """The report form's key and fields as a browser would send them (inputs and selections)."""
    version = re.search(r'name="reports_version" value="(-?\d+)"', page)
    assert version
    fields: list[tuple[str, str]] = []
    for match in re.finditer(
        r'<input (?:type="hidden" )?name="(\w+)" value="([^"]*)"|<select name="(\w+)">(.*?)</select>',
        page,
        re.S,
    ):
        if match.group(1):
            fields.append((match.group(1), match.group(2)))
        else:
            chosen = re.search(r'<option value="([^"]*)" selected', match.group(4))
            fields.append((match.group(3), chosen.group(1) if chosen else ""))
    return version.group(1), [f for f in fields if f[0] not in ("csrf", "reports_version", "county")]


def _as_form(csrf: str, version: str, fields: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """The fields as a form body: each name with its values in row order."""
    body: dict[str, str | list[str]] = {"csrf": csrf, "reports_version": version}
    for name, value in fields:
        values = body.setdefault(name, [])
        assert isinstance(values, list)
        values.append(value)
    return body


def test_a_county_sends_its_weekly_report_from_the_console(client: TestClient, state: AppState) -> None:
    csrf = _login(client, state, Role.COUNTY, COUNTY_E1)
    page = client.get("/console/reports").text
    assert "怀化甲机械有限公司" in page  # E1, its key enterprise
    assert "芷江乙食品有限公司" not in page
    version, fields = _form_fields(page)
    # E1 back to 95 %: the capacity field of E1's row (the first row)
    at = fields.index(("capacity", ""))
    fields[at] = ("capacity", "95")
    bad = [*fields]
    bad[at] = ("capacity", "150")
    refused = client.post("/console/reports", data=_as_form(csrf, version, bad))
    assert refused.status_code == 422
    assert "怀化甲机械有限公司" in refused.text  # the row is named
    assert 'value="150"' in refused.text  # what was typed stays in the form
    sent = client.post("/console/reports", data=_as_form(csrf, version, fields), follow_redirects=False)
    assert sent.status_code == 303
    stale = client.post("/console/reports", data=_as_form(csrf, version, fields))
    assert stale.status_code == 409  # someone recorded since this form was shown
    with state.store() as store:
        recorded = store.reports()
    assert recorded.set_index("id").loc["E1", "capacity"] == 95.0
    assert recorded.set_index("id").loc["E1", "recorded_by"] == f"{Role.COUNTY}-{COUNTY_E1}"


def test_the_city_sets_targets_and_everyone_sees_their_state(
    client: TestClient, state: AppState, tmp_path: Path
) -> None:
    state.settings = state.settings.model_copy(update={"targets_file": str(tmp_path / "targets.yaml")})
    csrf = _login(client, state, Role.ADMIN)
    assert "尚未设置目标" in client.get("/console/targets").text
    bad = client.post(
        "/console/targets",
        data={"csrf": csrf, "metric": "recovery", "value": "很多", "by": "2027-04-30", "scope": ""},
    )
    assert bad.status_code == 422
    assert "第 1 行“目标值”有误" in bad.text
    assert not (tmp_path / "targets.yaml").exists()  # nothing written
    done = client.post(
        "/console/targets",
        data={"csrf": csrf, "metric": "recovery", "value": "0.9", "by": "2099-04-30", "scope": ""},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get("/console/targets").text
    assert "产能恢复率（0–1）" in page
    assert "2099-04-30" in page
    _login(client, state, Role.COUNTY, COUNTY_E1)
    page = client.get("/console/targets").text
    assert "2099-04-30" in page  # the city's target, for everyone
    assert "保存目标" not in page  # but only the city sets them


def test_a_date_out_of_the_ledgers_years_gets_a_page_that_says_so(
    client: TestClient, state: AppState
) -> None:
    _login(client, state, Role.ADMIN)
    page = client.get("/console/?as_of=0001-01-01")
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "应在 2000 年到 2100 年之间" in page.text
