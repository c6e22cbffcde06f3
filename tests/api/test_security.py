"""The security probe's findings, each replayed: what-ifs and maps (see also test_scoping.py),
cookie-authenticated API writes, bodies read before authentication, ledger integrity,
headers and sessions, bounds, and what answers without a login.

The body tests run over real HTTP (uvicorn on loopback) with a raw socket, so "refused
before the body is read" is observed, not assumed: the request's head goes out, the body
never does, and the answer must come anyway.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import COOKIE
from api.routers.imports import UPLOAD_FOLDER
from api.state import AppState
from api.users import Role
from chain_graph.settings import Settings
from tests.api.conftest import auth, head_only, serve

MiB = 1 << 20


@pytest.fixture
def base(settings: Settings, state: AppState) -> Iterator[str]:
    yield from serve(settings, state)


def _login(client: TestClient, token: str) -> str:
    response = client.post("/console/login", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303
    return str(response.cookies[COOKIE])


# 1. What-ifs: another county's firm answers as an unknown one.


def test_a_what_if_naming_another_countys_firm_is_not_found_like_an_unknown_id(
    client: TestClient, tokens: dict[str, str]
) -> None:
    county = auth(tokens["hecheng"])
    foreign = client.post("/analysis/scenarios", json={"stop": ["E2"]}, headers=county)
    unknown = client.post("/analysis/scenarios", json={"stop": ["NOPE"]}, headers=county)
    assert (foreign.status_code, unknown.status_code) == (404, 404)
    assert foreign.json()["message"].replace("E2", "X") == unknown.json()["message"].replace("NOPE", "X")
    assert client.post("/analysis/scenarios", json={"stop": ["E1"]}, headers=county).status_code == 200


# 3. The JSON API is bearer-only for writes.


def test_the_api_takes_no_write_on_the_login_cookie(
    client: TestClient, tokens: dict[str, str], state: AppState
) -> None:
    _login(client, tokens["admin"])
    with state.store() as store:
        before = store.data_version()
    files = {"files": ("enterprises.csv", io.BytesIO(b"id,name\nE9,x\n"), "text/csv")}
    hostile = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
    response = client.post("/imports", files=files, data={"replace": "true"}, headers=hostile)
    assert response.status_code == 401
    assert client.post("/ledger", json={"subject_id": "E1", "description": "x"}).status_code == 401
    with state.store() as store:
        assert store.data_version() == before
    # Reads on the cookie still work: the console's downloads and maps are links.
    assert client.get("/exports/ledger").status_code == 200


# 4. Bodies: refused before they are read.


def test_an_upload_without_a_token_is_refused_before_its_body(base: str) -> None:
    status = head_only(
        base,
        f"POST /imports HTTP/1.1\nHost: x\nContent-Type: multipart/form-data; boundary=b\n"
        f"Content-Length: {80 * MiB}\n",
    )
    assert status.split()[1] == "401"


def test_a_json_body_without_a_token_is_refused_before_it_is_read(base: str) -> None:
    status = head_only(
        base, f"POST /ledger HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: {30 * MiB}\n"
    )
    assert status.split()[1] == "401"


def test_an_oversized_upload_is_refused_by_its_declared_size(base: str, tokens: dict[str, str]) -> None:
    status = head_only(
        base,
        f"POST /imports HTTP/1.1\nHost: x\nAuthorization: Bearer {tokens['admin']}\n"
        f"Content-Type: multipart/form-data; boundary=b\nContent-Length: {80 * MiB}\n",
    )
    assert status.split()[1] == "413"


def test_a_console_form_without_a_session_is_sent_to_the_login_before_its_body(base: str) -> None:
    status = head_only(
        base,
        f"POST /console/import HTTP/1.1\nHost: x\nContent-Type: multipart/form-data; boundary=b\n"
        f"Content-Length: {80 * MiB}\n",
    )
    assert status.split()[1] == "303"


def test_a_body_sent_without_a_size_is_cut_at_the_limit(base: str, tokens: dict[str, str]) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"subject_id": "E1", "description": "'
        for _ in range(3):
            yield b"x" * MiB
        yield b'"}'

    with httpx.Client(base_url=base, timeout=30) as http:
        response = http.post(
            "/ledger",
            content=chunks(),
            headers={"Authorization": f"Bearer {tokens['admin']}", "Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["code"] == "CG413"


# 5. Ledger integrity: the supplier of an item supplies its subject.


@pytest.mark.parametrize(
    ("user", "supplier", "status"),
    [
        ("admin", "S1", 201),  # S1 supplies E1
        ("admin", "NOPE", 404),
        ("admin", "E2", 404),  # a firm, but no supplier of E1
        ("hecheng", "S2", 201),  # a partner from another province
        ("hecheng", "E2", 404),  # 芷江's firm: not attached, not revealed
    ],
)
def test_a_ledger_item_names_a_supplier_of_its_subject(
    client: TestClient, tokens: dict[str, str], user: str, supplier: str, status: int
) -> None:
    body = {"subject_id": "E1", "supplier_id": supplier, "description": "钢材断供"}
    response = client.post("/ledger", json=body, headers=auth(tokens[user]))
    assert response.status_code == status, response.text
    if status == 404:
        assert "芷江" not in response.text


# 6. Headers, login from another site, sessions.


@pytest.mark.parametrize(
    "path", ["/firms", "/console/", "/maps/city", "/exports/ledger", "/reports/weekly", "/docs"]
)
def test_security_headers(client: TestClient, tokens: dict[str, str], path: str) -> None:
    _login(client, tokens["admin"])
    response = client.get(path, headers=auth(tokens["admin"]))
    assert response.status_code == 200
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cache-control"] == "no-store"
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1]
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", response.text)
    assert ("'sha256-" in policy) == bool(inline), "each inline script, and only those, allowed by hash"


def test_static_files_may_be_cached(client: TestClient) -> None:
    response = client.get("/static/console.css")
    assert response.status_code == 200
    assert "cache-control" not in response.headers or "no-store" not in response.headers["cache-control"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_login_posted_from_another_site_is_refused(client: TestClient, tokens: dict[str, str]) -> None:
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = client.post(
            "/console/login", data={"token": tokens["admin"]}, headers=headers, follow_redirects=False
        )
        assert response.status_code == 403
        assert COOKIE not in response.cookies
    # Behind a TLS proxy the browser's Origin is https, the service sees http: the host decides.
    proxied = client.post(
        "/console/login",
        data={"token": tokens["admin"]},
        headers={"Origin": "https://testserver"},
        follow_redirects=False,
    )
    assert proxied.status_code == 303
    same = client.post(
        "/console/login",
        data={"token": tokens["admin"]},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert same.status_code == 303


def test_the_cookie_is_a_session_that_logout_ends(client: TestClient, tokens: dict[str, str]) -> None:
    session = _login(client, tokens["admin"])
    assert session.startswith("cgs_")
    assert tokens["admin"] not in session
    page = client.get("/console/ledger")
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf
    client.post("/console/logout", data={"csrf": csrf.group(1)}, follow_redirects=False)
    client.cookies.set(COOKIE, session)  # the old cookie, kept by a hostile copy
    assert client.get("/console/ledger", follow_redirects=False).status_code == 303
    assert client.get("/exports/ledger").status_code == 401


def test_revoking_a_user_ends_its_sessions_at_once(
    client: TestClient, tokens: dict[str, str], state: AppState
) -> None:
    _login(client, tokens["hecheng"])
    assert client.get("/console/ledger", follow_redirects=False).status_code == 200
    state.users.revoke("hecheng")
    assert client.get("/console/ledger", follow_redirects=False).status_code == 303


def test_the_cookie_is_secure_when_served_behind_tls(
    settings: Settings, state: AppState, tokens: dict[str, str]
) -> None:
    state.settings = settings.model_copy(update={"cookie_secure": True})
    with TestClient(create_app(state.settings, state=state)) as client:
        response = client.post("/console/login", data={"token": tokens["admin"]}, follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie


# 7. Bounds: every string, list and date the API takes.


@pytest.mark.parametrize(
    ("path", "body", "said"),
    [
        ("/ledger", {"subject_id": "E1", "description": "x", "co_units": ["单" * 101]}, "文字过长"),
        ("/ledger", {"subject_id": "E1", "description": "x", "co_units": ["市交通运输局"] * 11}, "条目过多"),
        ("/ledger", {"subject_id": "E1", "description": "x", "deadline": "0001-01-01"}, "2000 年到 2100 年"),
        ("/ledger", {"subject_id": "E1", "description": "x", "extra": 1}, "不认识的字段"),
        ("/ledger", {"subject_id": "E1", "description": "x" * 2001}, "文字过长"),
        (
            "/ledger/W1/actions",
            {"action": "extend", "version": 1, "deadline": "9999-12-31", "note": "x"},
            "2000",
        ),
        ("/analysis/scenarios", {"stop": [f"F{i}" for i in range(1001)]}, "条目过多"),
        ("/analysis/scenarios", {"stop": ["x" * 65]}, "文字过长"),
        ("/analysis/scenarios", {"capacity": {f"F{i}": 50 for i in range(1001)}}, "条目过多"),
    ],
)
def test_bounds_answer_422_in_chinese(
    client: TestClient, tokens: dict[str, str], path: str, body: dict[str, object], said: str
) -> None:
    response = client.post(path, json=body, headers=auth(tokens["admin"]))
    assert response.status_code == 422
    assert response.json()["code"] == "CG422"
    assert said in response.json()["message"]
    assert len(response.content) < 10_000  # nothing echoed back at length


# 8. Imports name what the user uploaded; who answers without a login.


def test_import_issues_name_the_uploaded_files(client: TestClient, tokens: dict[str, str]) -> None:
    files = [("files", ("重点企业.xlsx", io.BytesIO(b"PK\x03\x04garbage"), "application/octet-stream"))]
    response = client.post("/imports", files=files, headers=auth(tokens["admin"]))
    assert response.status_code == 422
    named = {issue["file"] for issue in response.json()["issues"]}
    assert named <= {"重点企业.xlsx", UPLOAD_FOLDER}
    assert "tmp" not in response.text


@pytest.mark.parametrize(
    "path", ["/health", "/ready", "/docs", "/openapi.json", "/static/console.css", "/console/login"]
)
def test_what_answers_without_a_login_tells_nothing_of_the_data(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    for secret in ("怀化甲机械", "E1", "钢材断供"):
        assert secret not in response.text


def test_the_readme_role_table_is_the_code_s(client: TestClient) -> None:
    from pathlib import Path

    from api.users import PERMISSIONS, Permission

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| permission |") :].split("\n\n", 1)[0]
    for permission in Permission:
        row = next(line for line in table.splitlines() if f"`{permission.value}`" in line)
        roles = set(re.findall(r"`(admin|county|province|viewer)`", row))
        assert roles == {r.value for r in PERMISSIONS[permission]}, permission
    assert set(Role) == {Role(r) for r in re.findall(r"`(admin|county|province|viewer)`", table)}
