"""The OpenAPI docs page (接口文档): served from this process, rendered by swagger-ui 5 offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.state import AppState
from chain_graph.settings import Settings
from tests.api.conftest import serve
from tests.api.test_browser import ARTEFACTS, _chromium, _offline_page


@pytest.fixture
def server(settings: Settings, state: AppState) -> Iterator[str]:
    yield from serve(settings, state)


def test_docs_page_has_no_inline_script_and_a_narrow_policy(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "<title>chain-graph 接口文档</title>" in page.text
    assert "<script>" not in page.text  # every script is a same-origin file
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy + ";"
    assert "unsafe-eval" not in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1]
    # Other pages keep the strict default: no script at all.
    assert "script-src 'none'" in client.get("/health").headers["content-security-policy"]


def test_docs_assets_are_served_locally(client: TestClient) -> None:
    page = client.get("/docs").text
    assets = [part.split('"', 1)[0] for part in page.split('src="')[1:] + page.split('href="')[1:]]
    assert assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert client.get(asset).status_code == 200, asset
    bundle = client.get("/static/swagger/swagger-ui-bundle.js").text
    version = bundle.split('PACKAGE_VERSION:"', 1)[1].split('"', 1)[0]
    assert int(version.split(".")[0]) >= 5, version  # 4.x cannot render OpenAPI 3.1


@pytest.mark.browser
def test_docs_render_offline_in_chromium(server: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    hosts: set[str] = set()
    with _chromium(locale="zh-CN") as context:
        page = _offline_page(context, problems)
        page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
        page.goto(f"{server}/docs")
        page.wait_for_selector(".opblock-summary-path[data-path='/health']", timeout=30_000)
        page.wait_for_load_state("networkidle")
        assert page.title() == "chain-graph 接口文档"
        assert "Unable to render" not in page.content()
        assert page.locator(".opblock").count() > 20
        assert "OAS 3.1" in page.locator(".information-container").inner_text()
        page.screenshot(path=str(Path(ARTEFACTS) / "7-docs.png"))
    assert problems == []
    assert {host.split(":")[0] for host in hosts} == {"127.0.0.1"}
