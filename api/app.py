"""The FastAPI application: routers, error handlers, the console, local docs, health checks.

``create_app(settings)`` builds it; ``chain-graph serve`` runs it with uvicorn. Every asset
is served from this process (the OpenAPI docs page included: :mod:`api.docs`), so the
service works on an intranet with no internet access.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from api import docs, errors
from api.guard import BodyGuard, SecurityHeaders
from api.routers import (
    analysis,
    campaign,
    console,
    console_atlas,
    console_coordination,
    console_ledger,
    console_regions,
    console_reports,
    console_supply,
    console_targets,
    console_whitelist,
    coordination,
    exports,
    imports,
    ledger,
    maps,
    maps_regions,
    nodes,
    reports,
    supply,
    whitelist,
)
from api.state import AppState
from chain_graph.errors import StoreError
from chain_graph.settings import Settings
from viz.render import vis_assets

__all__ = ["ROUTERS", "create_app"]

_STATIC = Path(__file__).resolve().parent / "static"
ROUTERS = (
    nodes.router,
    analysis.router,
    ledger.router,
    campaign.router,
    exports.router,
    imports.router,
    reports.router,
    supply.router,
    coordination.router,
    whitelist.router,
    console.router,
    console_atlas.router,
    console_coordination.router,
    console_ledger.router,
    console_regions.router,
    console_reports.router,
    console_supply.router,
    console_targets.router,
    console_whitelist.router,
    maps.router,
    maps_regions.router,
)
"""Every router of the service (the route-enumerating tests walk these and the app's own routes)."""


def create_app(settings: Settings | None = None, *, state: AppState | None = None) -> FastAPI:
    """Build the service.

    Parameters
    ----------
    settings
        Deployment settings (store URL, users file, limits); default from the environment.
    state
        An already opened state (tests); otherwise opened at startup and closed at shutdown.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = state or AppState(settings)
        app.state.chain_graph = opened
        try:
            yield
        finally:
            if state is None:
                opened.close()

    app = FastAPI(
        title="chain-graph 产业链供应链断点堵点梳理",
        version="0.1.0",
        description="受阻配套企业、属地/跨区域协调清单、问题台账与导出。除 /health 外均需 Bearer 令牌。",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    if state is not None:
        app.state.chain_graph = state
    errors.install(app)
    app.add_middleware(BodyGuard)  # inner: sees the request before any route reads its body
    app.add_middleware(SecurityHeaders)  # outer: its headers reach every answer, the guard's too
    docs.install(app)  # /docs, and its files under /static/swagger/ (before /static itself)
    app.mount("/static/vis", StaticFiles(directory=vis_assets()), name="vis")
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=303)

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        """进程存活。"""
        return {"status": "ok"}

    @app.get("/ready", tags=["health"])
    def ready(request: Request) -> Any:
        """存储可用（Neo4j 未启动时返回 503）。"""
        current: AppState = request.app.state.chain_graph
        try:
            with current.store() as store:
                version = store.data_version()
        except StoreError as error:
            return JSONResponse({"code": error.code, "message": error.message}, status_code=503)
        return {"status": "ready", "data_version": version}

    return app
