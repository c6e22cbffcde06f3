"""Every route of the service, for every role: who may call it, and the county boundary on each.

The tables below name every route the application serves. A route added without a line
here fails :func:`test_every_route_is_covered`, so no route escapes the checks:

- :func:`test_roles` calls each route with an own entity as every role and checks the
  status the README's role table promises;
- :func:`test_county_gets_404_for_another_countys_entity` calls each route that names an
  entity with one of another county, as a county user: 404, as for an id that does not exist
  (an upload naming one, status reports, is refused with its located issues, 422, exactly
  as one naming an id that does not exist: ``foreign_status``);
- :func:`test_county_never_sees_another_countys_entity` calls each route as a county user
  and checks that no entity of another county that is not a direct partner of its own
  appears anywhere in the answer (JSON, HTML, CSV or the cells of a workbook).

The data: the canonical ledgers plus a project of 芷江 (P2) and a stopped supplier of 鹤城区
(S3). 鹤城区 (431202) owns E1, P1 and S3; its direct partners are S1 and S2 (they supply E1,
S3 supplies S2). E2 and P2 belong to 芷江 (431228) and are partners of nothing in 鹤城区: E2
is two tiers up from E1 (through S2), P2 two tiers down from S3 (through S2), and restoring
S3 lifts P2. They must never show to 鹤城区.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import openpyxl
import pandas as pd
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Route

from api.app import ROUTERS, create_app
from api.deps import COOKIE
from api.state import AppState
from api.users import Role
from application import coordination, problems
from application.coordination import Actor, Side
from application.visibility import Visibility
from chain_graph.coordination import Move, Outcome
from chain_graph.settings import Settings
from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import read_directory
from tests.api.conftest import COUNTY_E1, COUNTY_E2, auth
from tests.defaults import SETTINGS
from tests.ledger_files import CANONICAL, LINKS, PROJECTS, SUPPLIERS, write_canonical

FOREIGN_NAMES = ("芷江乙食品有限公司", "芷江戊物流项目")
"""Names of the other county's entities (E2, P2): never in an answer to 鹤城区."""
FOREIGN_IDS = re.compile(r"(?<![A-Za-z0-9])(E2|P2)(?![A-Za-z0-9])")
"""Their ids, standing alone (an id in JSON, a link, a table cell)."""
FOREIGN_ITEM = "W-E2"
"""A problem-ledger item about E2 (芷江)."""
OWN_ITEM = "W-E1"
"""A problem-ledger item about E1 (鹤城区)."""

ROLES = ("admin", "county", "province", "viewer")
YEAR = dt.date.today().year
OWN_LETTER = quote(f"怀工信函〔{YEAR}〕1号")
"""The 商请函 of XT-S1 (S1 in 长沙 holds back E1 and P1 of 鹤城区), sent."""
FOREIGN_LETTER = quote(f"怀工信函〔{YEAR}〕2号")
"""The 复函 of LH-E2: 长沙市 asked about E2 (芷江); answered."""


@dataclass(frozen=True)
class Call:
    """How to call one route: with an own entity, and with another county's."""

    own: str
    """The path (and query) naming an own entity, or the only path of a route without one."""
    foreign: str | None = None
    """The same route naming another county's entity (``None``: the route names none)."""
    body: dict[str, Any] | None = None
    foreign_body: dict[str, Any] | None = None
    form: bool = False
    """A console form: sent with the login cookie and the form's CSRF token."""
    status: dict[str, int] = field(default_factory=dict)
    """Expected status per role when not 200."""
    public: bool = False
    """Answers without a login (and tells nothing of the data)."""
    upload: str | None = None
    """A CSV to upload (multipart ``files``) naming an own entity."""
    foreign_upload: str | None = None
    """The same upload naming another county's entity."""
    foreign_status: int | None = None
    """What a county gets for another county's entity when that is not 404: an upload is
    refused with its located issues (422), exactly as one naming an id that does not exist."""


READ_ONLY = {"province": 403, "viewer": 403}
CITY_ONLY = {"county": 403}
ADMIN_ONLY = {"county": 403, "province": 403, "viewer": 403}

ROUTES: dict[tuple[str, str], Call] = {
    ("GET", "/"): Call("/", public=True),
    ("GET", "/health"): Call("/health", public=True),
    ("GET", "/ready"): Call("/ready", public=True),
    ("GET", "/docs"): Call("/docs", public=True),
    ("GET", "/openapi.json"): Call("/openapi.json", public=True),
    ("GET", "/firms"): Call("/firms?limit=1000"),
    ("GET", "/firms/{firm_id}"): Call("/firms/E1", "/firms/E2"),
    ("GET", "/projects"): Call("/projects?limit=1000"),
    ("GET", "/projects/{project_id}"): Call("/projects/P1", "/projects/P2"),
    ("GET", "/links"): Call("/links?limit=1000"),
    ("GET", "/analysis/summary"): Call("/analysis/summary"),
    ("GET", "/analysis/blocked"): Call("/analysis/blocked"),
    ("POST", "/analysis/scenarios"): Call(
        "/analysis/scenarios", "/analysis/scenarios", body={"stop": ["E1"]}, foreign_body={"stop": ["E2"]}
    ),
    ("GET", "/analysis/blocked/{supplier_id}/substitutes"): Call(
        "/analysis/blocked/S3/substitutes", "/analysis/blocked/E2/substitutes"
    ),
    ("GET", "/supply/local"): Call("/supply/local?limit=1000"),
    ("GET", "/supply/gaps"): Call("/supply/gaps", status=CITY_ONLY),
    ("GET", "/exports/gaps"): Call("/exports/gaps?fmt=xlsx", status=CITY_ONLY),
    ("GET", "/console/supply"): Call("/console/supply"),
    ("GET", "/console/atlas"): Call("/console/atlas"),
    ("GET", "/console/atlas/cell"): Call(
        "/console/atlas/cell?" + urlencode({"chain": "装备制造", "tier": "中游", "segment": "#7208"}),
        "/console/atlas/cell?" + urlencode({"chain": "食品加工", "tier": "下游", "segment": "重点企业"}),
    ),
    ("GET", "/coordination/whitelist"): Call("/coordination/whitelist?limit=1000"),
    ("GET", "/exports/whitelist"): Call("/exports/whitelist?fmt=xlsx", status=CITY_ONLY),
    ("GET", "/console/whitelist"): Call("/console/whitelist"),
    ("GET", "/coordination"): Call("/coordination", status=CITY_ONLY),
    ("GET", "/local"): Call("/local"),
    ("GET", "/ledger"): Call("/ledger"),
    ("GET", "/ledger/{item_id}"): Call(f"/ledger/{OWN_ITEM}", f"/ledger/{FOREIGN_ITEM}"),
    ("GET", "/ledger/{item_id}/history"): Call(
        f"/ledger/{OWN_ITEM}/history", f"/ledger/{FOREIGN_ITEM}/history"
    ),
    ("POST", "/ledger"): Call(
        "/ledger",
        "/ledger",
        body={"subject_id": "E1", "description": "用电紧张"},
        foreign_body={"subject_id": "E2", "description": "用电紧张"},
        status={"province": 403, "viewer": 403, "admin": 201, "county": 201},
    ),
    ("POST", "/ledger/{item_id}/actions"): Call(
        f"/ledger/{OWN_ITEM}/actions",
        f"/ledger/{FOREIGN_ITEM}/actions",
        body={"action": "note", "note": "已电话督促", "version": 1},
        foreign_body={"action": "note", "note": "已电话督促", "version": 1},
        status=READ_ONLY,
    ),
    ("GET", "/exports/coordination"): Call("/exports/coordination?fmt=xlsx", status=CITY_ONLY),
    ("GET", "/exports/local"): Call("/exports/local?fmt=xlsx"),
    ("GET", "/exports/ledger"): Call("/exports/ledger?fmt=xlsx"),
    ("GET", "/exports/template"): Call("/exports/template"),
    ("GET", "/reports/weekly"): Call("/reports/weekly?fmt=html"),  # a county's: its own figures
    ("GET", "/reports/notice"): Call("/reports/notice?period=2026-11&fmt=xlsx", status=CITY_ONLY),
    ("POST", "/imports"): Call("/imports", status=ADMIN_ONLY),
    ("POST", "/reports"): Call(
        "/reports",
        "/reports",
        upload=f"对象编号,填报日期,产能恢复率\nE1,{dt.date.today()},60\n",
        foreign_upload=f"对象编号,填报日期,产能恢复率\nE2,{dt.date.today()},60\n",
        foreign_status=422,
        status=READ_ONLY,
    ),
    ("GET", "/reports"): Call("/reports", "/reports?id=E2"),
    ("GET", "/campaign/series"): Call("/campaign/series?group=county"),
    ("GET", "/console/reports"): Call("/console/reports", status={"admin": 200, **READ_ONLY}),
    ("GET", "/console/targets"): Call("/console/targets"),
    ("POST", "/console/targets"): Call(
        "/console/targets",
        body={"metric": "recovery", "value": "0.9", "by": "2027-04-30", "scope": ""},
        form=True,
        status={"admin": 422, "county": 403, "province": 403, "viewer": 403},  # no targets file set
    ),
    ("POST", "/console/reports"): Call(
        "/console/reports",
        body={"reports_version": "-1"},  # a form shown before a later report: refused, to refresh
        form=True,
        status={"admin": 409, "county": 409, **READ_ONLY},
    ),
    ("GET", "/campaign/compliance"): Call("/campaign/compliance"),
    ("GET", "/campaign/ranking"): Call("/campaign/ranking"),
    ("GET", "/campaign/targets"): Call("/campaign/targets"),
    ("GET", "/imports/{ticket}/rejects.csv"): Call(
        "/imports/" + "0" * 32 + "/rejects.csv", status={"admin": 404, **ADMIN_ONLY}
    ),
    ("GET", "/maps/city"): Call("/maps/city?colour=local"),
    ("GET", "/maps/gaps"): Call("/maps/gaps", status=CITY_ONLY),
    ("GET", "/maps/regions"): Call("/maps/regions?view=all&fmt=json"),
    ("GET", "/console/regions"): Call("/console/regions?view=local"),
    ("GET", "/maps/upstream/{node_id}"): Call("/maps/upstream/P1?depth=10", "/maps/upstream/P2?depth=10"),
    ("GET", "/maps/impact/{node_id}"): Call("/maps/impact/E1", "/maps/impact/E2"),
    ("GET", "/maps/scenario"): Call("/maps/scenario?stop=E1", "/maps/scenario?stop=E2"),
    ("GET", "/console/login"): Call("/console/login", public=True),
    ("POST", "/console/login"): Call("/console/login", public=True, status=dict.fromkeys(ROLES, 303)),
    ("POST", "/console/logout"): Call("/console/logout", form=True, public=True),
    ("GET", "/console/"): Call("/console/"),
    ("GET", "/console/blocked"): Call("/console/blocked"),
    ("GET", "/console/coordination"): Call("/console/coordination", status=CITY_ONLY),
    ("GET", "/console/ledger"): Call("/console/ledger"),
    ("POST", "/console/ledger/{item_id}"): Call(
        f"/console/ledger/{OWN_ITEM}",
        f"/console/ledger/{FOREIGN_ITEM}",
        body={"action": "note", "note": "已电话督促", "version": 1},
        foreign_body={"action": "note", "note": "已电话督促", "version": 1},
        form=True,
        status={"admin": 303, "county": 303, **READ_ONLY},  # done: back to the item's page
    ),
    ("GET", "/console/ledger/{item_id}"): Call(
        f"/console/ledger/{OWN_ITEM}", f"/console/ledger/{FOREIGN_ITEM}"
    ),
    ("POST", "/console/ledger"): Call(
        "/console/ledger",
        "/console/ledger",
        body={"subject_id": "E1", "description": "用电紧张"},
        foreign_body={"subject_id": "E2", "description": "用电紧张"},
        form=True,
        status={"admin": 303, "county": 303, **READ_ONLY},
    ),
    ("POST", "/console/ledger-from-analysis"): Call(
        "/console/ledger-from-analysis", form=True, status={"admin": 303, "county": 303, **READ_ONLY}
    ),
    ("GET", "/console/local"): Call("/console/local"),
    ("GET", "/console/glossary"): Call("/console/glossary"),
    ("GET", "/console/whatif"): Call("/console/whatif?stop=E1&restore=S3", "/console/whatif?stop=E2"),
    ("GET", "/console/import"): Call("/console/import", status=ADMIN_ONLY),
    ("POST", "/console/import"): Call("/console/import", form=True, status=ADMIN_ONLY),
    ("GET", "/console/firms/{node_id}"): Call("/console/firms/E1", "/console/firms/E2"),
    ("GET", "/coordination/requests"): Call("/coordination/requests"),
    ("GET", "/coordination/summary"): Call("/coordination/summary"),
    ("GET", "/coordination/requests/{request_id}"): Call(
        "/coordination/requests/XT-S1", "/coordination/requests/LH-E2"
    ),
    ("POST", "/coordination/requests/{request_id}/moves"): Call(
        "/coordination/requests/XT-S1/moves",
        "/coordination/requests/LH-E2/moves",
        body={"move": "note", "note": "已电话沟通", "version": 1},
        foreign_body={"move": "note", "note": "已电话沟通", "version": 1},
        status={"county": 403, "viewer": 403},
        foreign_status=403,  # a county acts on no request: refused before any lookup
    ),
    ("POST", "/coordination/register"): Call("/coordination/register", status=ADMIN_ONLY),
    ("GET", "/coordination/letters"): Call("/coordination/letters"),
    ("POST", "/coordination/letters"): Call("/coordination/letters", status={"admin": 201, **ADMIN_ONLY}),
    ("GET", "/coordination/letters/{number}"): Call(
        f"/coordination/letters/{OWN_LETTER}", f"/coordination/letters/{FOREIGN_LETTER}"
    ),
    ("GET", "/coordination/letters/{number}/document"): Call(
        f"/coordination/letters/{OWN_LETTER}/document?fmt=xlsx",
        f"/coordination/letters/{FOREIGN_LETTER}/document?fmt=xlsx",
    ),
    ("POST", "/coordination/letters/{number}/send"): Call(
        f"/coordination/letters/{OWN_LETTER}/send",
        status={"admin": 422, **ADMIN_ONLY},  # already sent
    ),
    ("POST", "/coordination/incoming"): Call(
        "/coordination/incoming",
        status={"admin": 422, **ADMIN_ONLY},  # the upload is no workbook
    ),
    ("POST", "/coordination/replies"): Call("/coordination/replies", status={"admin": 201, **ADMIN_ONLY}),
    ("GET", "/console/coordination/requests"): Call("/console/coordination/requests"),
    ("GET", "/console/coordination/requests/{request_id}"): Call(
        "/console/coordination/requests/XT-S1", "/console/coordination/requests/LH-E2"
    ),
    ("POST", "/console/coordination/requests/{request_id}"): Call(
        "/console/coordination/requests/XT-S1",
        "/console/coordination/requests/LH-E2",
        body={"move": "note", "note": "已电话沟通", "version": 1},
        foreign_body={"move": "note", "note": "已电话沟通", "version": 1},
        form=True,
        status={"admin": 303, "province": 303, "county": 403, "viewer": 403},
        foreign_status=404,  # refused, on the page of a request the county cannot see: not found
    ),
    ("GET", "/console/coordination/letters/{number}"): Call(
        f"/console/coordination/letters/{OWN_LETTER}", f"/console/coordination/letters/{FOREIGN_LETTER}"
    ),
    ("POST", "/console/coordination/letters/{number}/send"): Call(
        f"/console/coordination/letters/{OWN_LETTER}/send", form=True, status={"admin": 422, **ADMIN_ONLY}
    ),
    ("POST", "/console/coordination/letters"): Call(
        "/console/coordination/letters", form=True, status={"admin": 303, **ADMIN_ONLY}
    ),
    ("POST", "/console/coordination/replies"): Call(
        "/console/coordination/replies", form=True, status={"admin": 303, **ADMIN_ONLY}
    ),
    ("POST", "/console/coordination/incoming"): Call(
        "/console/coordination/incoming",
        body={"source": "长沙市"},
        form=True,
        status={"admin": 422, **ADMIN_ONLY},  # the upload is no workbook
    ),
}


def _served_routes(app: Any) -> set[tuple[str, str]]:
    routes: list[BaseRoute] = [r for r in app.routes if isinstance(r, Route)]  # docs, health, …
    routes += [r for router in ROUTERS for r in router.routes]
    served = set()
    for route in routes:
        assert isinstance(route, APIRoute | Route), route
        for method in route.methods or ():
            if method != "HEAD":
                served.add((method, route.path))
    return served


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    projects: list[list[object]] = [
        *PROJECTS,
        ["P2", "芷江戊物流项目", "芷江侗族自治县工业园", "city", "基础设施", "9000", "3000"],
    ]
    # S3, a stopped supplier of 鹤城区, feeds S2 (a partner), which feeds P2 (芷江): P2 is held
    # back by an own supplier two tiers down, and is no partner. E2 supplies S2: two tiers up
    # from E1. S1 supplies S2: a link between two partners, which is not 鹤城区's.
    suppliers: list[list[object]] = [
        *SUPPLIERS,
        ["S3", "鹤城己电子元件厂", "湖南省怀化市鹤城区红星路9号", "", "stopped", "", "10", "停电"],
    ]
    links: list[list[object]] = [
        *LINKS,
        ["E2", "P2", "食品", "100", "yes", ""],
        ["E2", "S2", "包装材料", "100", "no", ""],
        ["S3", "S2", "电子元件", "100", "yes", "3"],
        ["S2", "P2", "芯片", "50", "yes", ""],
        ["S1", "S2", "钢材", "100", "no", ""],
    ]
    tables = {**CANONICAL, "projects": projects, "suppliers": suppliers, "links": links}
    return write_canonical(tmp_path_factory.mktemp("data"), tables)


# One service for the module: the calls that write (a new item, a progress note on an item)
# change nothing another call checks, and an action is sent with the item's current version.
@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Iterator[AppState]:
    tmp_path = tmp_path_factory.mktemp("service")
    settings = Settings(store=f"sqlite:///{tmp_path}/scoping.db", auth_db=str(tmp_path / "auth.db"))
    with SQLiteStore(settings.store, batch_size=SETTINGS.write_batch_size) as store:
        store.write(read_directory(data_dir, settings=SETTINGS).ledgers)
    opened = AppState(settings)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def app_client(state: AppState) -> Iterator[TestClient]:
    with TestClient(create_app(state.settings, state=state)) as client:
        yield client


@pytest.fixture(scope="module")
def tokens(state: AppState) -> dict[str, str]:
    made = {
        role: state.users.add(role, Role(role), county=COUNTY_E1 if role == "county" else "")[1]
        for role in ROLES
    }
    # One item of each county, registered by that county.
    for county, subject, item_id in ((COUNTY_E1, "E1", OWN_ITEM), (COUNTY_E2, "E2", FOREIGN_ITEM)):
        problems.register(
            state,
            state.snapshot(),
            Visibility.of_county(county),
            by=f"{county} 工信局",
            subject_id=subject,
            description="资金紧张",
            item_id=item_id,
        )
    # Coordination: XT-S1 sent to the province in letter 1; 长沙市 asked about E2 (芷江), answered
    # and replied to in letter 2 (a 复函 that 鹤城区 must not see).
    snap, city, everyone = state.snapshot(), Actor("市工信局", Side.CITY), Visibility.whole_city()
    coordination.issue_letters(state, snap, by="市工信局")
    coordination.send_letter(state, snap, city, f"怀工信函〔{YEAR}〕1号")
    asked = pd.DataFrame(
        [
            {
                "supplier": "芷江乙食品有限公司",
                "supplier_adcode": "431228",
                "buyer": "长沙某食品厂",
                "material": "食品",
                "problem": "部分停产",
                "output": 10.0,
                "investment": 0.0,
                "total": 10.0,
                "stock_days": 5,
            }
        ]
    )
    assert coordination.import_incoming(state, snap, asked, source="长沙市", by="市工信局").requests == [
        "LH-E2"
    ]
    coordination.act(
        state, snap, everyone, city, "LH-E2", move=Move.ANSWER, outcome=Outcome.RESUMED, note="已复产"
    )
    assert [x.number for x in coordination.issue_replies(state, by="市工信局")] == [f"怀工信函〔{YEAR}〕2号"]
    return made


def _not_a_workbook() -> dict[str, Any]:
    return {"file": ("来函.xlsx", io.BytesIO(b"not a workbook"), "application/octet-stream")}


def _upload() -> dict[str, Any]:
    return {"files": ("enterprises.csv", io.BytesIO(b"id,name\n"), "text/csv")}


def _call(client: TestClient, method: str, call: Call, token: str, *, foreign: bool = False) -> Any:
    path = call.foreign if foreign and call.foreign else call.own
    body = call.foreign_body if foreign and call.foreign_body is not None else call.body
    state: AppState = client.app.state.chain_graph  # type: ignore[attr-defined]
    if body and "version" in body:  # the version the item has now (earlier calls added notes)
        with state.store() as store:
            if "/coordination/requests/" in path:
                record: Any = store.coordination_request(
                    path.split("/coordination/requests/")[1].split("/")[0]
                )
            else:
                record = store.ledger_item(FOREIGN_ITEM if foreign else OWN_ITEM)
        assert record is not None
        body = {**body, "version": record.version}
    if path == "/console/login":
        if method == "GET":
            return client.get(path)
        try:
            return client.post(path, data={"token": token}, follow_redirects=False)
        finally:
            client.cookies.clear()
    if not path.startswith("/console/"):  # the API: bearer token
        if method == "GET":
            return client.get(path, headers=auth(token))
        upload = call.foreign_upload if foreign and call.foreign_upload else call.upload
        files = _upload() if path == "/imports" else None
        if path == "/coordination/incoming":
            return client.post(path, data={"source": "长沙市"}, files=_not_a_workbook(), headers=auth(token))
        if upload is not None:
            files = {"files": ("复产填报.csv", io.BytesIO(upload.encode("utf-8")), "text/csv")}
        return client.post(path, json=body, files=files, headers=auth(token))
    user = state.users.verify(token)
    assert user is not None
    # The console: a session (as a login opens), and a form's CSRF token.
    client.cookies.set(COOKIE, state.users.start_session(user, seconds=600))
    try:
        if method == "GET":
            return client.get(path)
        page = client.get("/console/ledger").text
        found = re.search(r'name="csrf" value="([0-9a-f]*)"', page)
        form = {"csrf": found.group(1) if found else "", **(body or {})}
        files = _upload() if path == "/console/import" else None
        if path == "/console/coordination/incoming":
            files = _not_a_workbook()
        return client.post(path, data=form, files=files, follow_redirects=False)
    finally:
        client.cookies.clear()


def _text(response: Any) -> str:
    """Everything a person could read in an answer, workbooks included."""
    if response.headers.get("content-type", "").startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        cells = [
            str(v)
            for sheet in book
            for row in sheet.iter_rows(values_only=True)
            for v in row
            if v is not None
        ]
        return "\n".join(cells)
    return str(response.text)


def test_every_route_is_covered(app_client: TestClient) -> None:
    served = _served_routes(app_client.app)
    assert served - ROUTES.keys() == set(), "a route without a scoping case: add it to ROUTES"
    assert ROUTES.keys() - served == set(), "ROUTES names a route the service no longer has"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", sorted(ROUTES), ids="{0[0]} {0[1]}".format)
def test_roles(app_client: TestClient, tokens: dict[str, str], route: tuple[str, str], role: str) -> None:
    method, _ = route
    call = ROUTES[route]
    response = _call(app_client, method, call, tokens[role])
    expected = call.status.get(role, 200)
    if call.form and response.status_code == 303:  # a console form answers with a redirect
        expected = 303
    if method == "POST" and call.own in ("/imports", "/console/import") and role == "admin":
        expected = 422  # the empty upload is refused, with the validation report: nothing written
    assert response.status_code == expected, response.text[:300]
    if not call.public:
        anonymous = app_client.request(method, call.own, follow_redirects=False)
        assert anonymous.status_code in (401, 303, 422), f"{call.own} answered without a login"


FOREIGN = sorted(key for key, call in ROUTES.items() if call.foreign)


@pytest.mark.parametrize("route", FOREIGN, ids="{0[0]} {0[1]}".format)
def test_county_gets_404_for_another_countys_entity(
    app_client: TestClient, tokens: dict[str, str], route: tuple[str, str]
) -> None:
    method, _ = route
    call = ROUTES[route]
    response = _call(app_client, method, call, tokens["county"], foreign=True)
    expected = call.foreign_status or call.status.get("county", 404)
    assert response.status_code == (404 if expected in (200, 201, 303) else expected), response.text[:300]
    for name in FOREIGN_NAMES:
        assert name not in response.text
    # The same route, for the city bureau, finds the entity: the 404 is the county boundary.
    if not call.form and "admin" not in call.status:
        assert _call(app_client, method, call, tokens["admin"], foreign=True).status_code in (200, 201)


@pytest.mark.parametrize("route", sorted(ROUTES), ids="{0[0]} {0[1]}".format)
def test_county_never_sees_another_countys_entity(
    app_client: TestClient, tokens: dict[str, str], route: tuple[str, str]
) -> None:
    method, _ = route
    call = ROUTES[route]
    shown = _text(_call(app_client, method, call, tokens["county"]))
    for name in FOREIGN_NAMES:
        assert name not in shown, f"{route}: {name} shown to 鹤城区"
    assert not FOREIGN_IDS.search(shown), f"{route}: another county's id shown to 鹤城区"
    # The test can fail: the city bureau is shown the other county where the route lists it.
    if route in {("GET", "/firms"), ("GET", "/links"), ("GET", "/maps/city"), ("GET", "/exports/ledger")}:
        assert FOREIGN_IDS.search(_text(_call(app_client, method, call, tokens["admin"])))


def test_what_if_by_region_shows_a_county_its_own_entities_only(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    # Stopping 芷江 (431228) as a what-if is a fair question for 鹤城区; the answer names no
    # firm of 芷江 (the city's totals before and after are aggregates).
    body = {"stop_regions": [COUNTY_E2]}
    county = app_client.post("/analysis/scenarios", json=body, headers=auth(tokens["county"])).json()
    city = app_client.post("/analysis/scenarios", json=body, headers=auth(tokens["admin"])).json()
    assert "E2" in {r["id"] for r in city["availability_changes"]}
    assert all(r["id"] in {"E1", "P1"} for r in county["availability_changes"])
    assert county["summary_after"] == city["summary_after"]


def _map_data(html: str) -> dict[str, list[dict[str, Any]]]:
    found = re.search(r'<script id="map-data" type="application/json">(.*?)</script>', html, re.S)
    assert found
    loaded: dict[str, list[dict[str, Any]]] = json.loads(found.group(1))
    return loaded


@pytest.mark.parametrize("path", ["/maps/city", "/maps/upstream/E1?depth=10", "/maps/impact/S3"])
def test_a_countys_map_shows_no_link_between_two_partners(
    app_client: TestClient, tokens: dict[str, str], path: str
) -> None:
    own = {"E1", "P1", "S3"}
    county = _map_data(app_client.get(path, headers=auth(tokens["county"])).text)
    assert county["edges"], path
    assert all(e["from"] in own or e["to"] in own for e in county["edges"]), path
    # The city bureau's city map has the link S1 → S2 (two partners of 鹤城区).
    city = _map_data(app_client.get("/maps/city", headers=auth(tokens["admin"])).text)
    assert any((e["from"], e["to"]) == ("S1", "S2") for e in city["edges"])


def test_what_an_own_supplier_holds_back_is_cut_to_the_county(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    def affected(token: str) -> list[str]:
        rows = app_client.get("/analysis/blocked", headers=auth(token)).json()["data"]
        return next(r["affected"] for r in rows if r["id"] == "S3")

    assert "P2" in affected(tokens["admin"])  # restoring S3 lifts 芷江's P2 through S2
    assert "P2" not in affected(tokens["county"])
    assert affected(tokens["county"]) == [i for i in affected(tokens["admin"]) if i in {"E1", "P1"}]
