"""The OpenAPI docs page (接口文档) at ``/docs``, served entirely by this process.

The app describes itself in OpenAPI 3.1, which swagger-ui renders from version 5 on. The
swagger-ui 5 files come from the ``fastapi-offline`` wheel (it vendors swagger-ui-dist) and
are served under ``/static/swagger/``; the page has no inline script (its one line of set-up
is ``/static/docs.js``), so its Content-Security-Policy allows scripts of this origin only —
no ``unsafe-inline``, no ``unsafe-eval``, no other host. The viewer's online validator badge
is switched off: it would send the description to a server outside the intranet.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.guard import page_policy

__all__ = ["SWAGGER_UI", "install", "page"]

SWAGGER_UI = Path(str(importlib.resources.files("fastapi_offline") / "static"))
"""swagger-ui 5's bundle, stylesheet and icon, as the ``fastapi-offline`` wheel ships them."""

_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="/static/swagger/favicon.png">
<link rel="stylesheet" href="/static/swagger/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-spec="{openapi_url}"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""


def page(*, openapi_url: str, title: str = "chain-graph 接口文档") -> HTMLResponse:
    """Return the docs page and its policy (same-origin scripts and styles only).

    Examples
    --------
    >>> answer = page(openapi_url="/openapi.json")
    >>> answer.headers["content-security-policy"].endswith("script-src 'self'")
    True
    """
    html = _PAGE.format(title=title, openapi_url=openapi_url)
    return HTMLResponse(html, headers={"Content-Security-Policy": page_policy(html, script_files=True)})


def install(app: FastAPI) -> None:
    """Serve the docs page at ``/docs`` and swagger-ui's files under ``/static/swagger/``.

    Call before mounting ``/static`` itself: the first mount that matches a path serves it.
    """
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_UI), name="swagger")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return page(openapi_url=openapi_url)
