"""Helpers the routers share: pagination, and JSON pages serialised once per data version."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
from fastapi import Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from chain_graph.records import plain_records

if TYPE_CHECKING:
    from api.state import AppState
    from application.visibility import Visibility
    from application.workspace import Snapshot

__all__ = [
    "AsOf",
    "Limit",
    "Offset",
    "cached_json",
    "cached_page",
    "cached_page_async",
    "page",
    "snapshot_for",
]

PAGE_CACHE = 512
"""Most list pages kept per data version."""

Limit = Annotated[int, Query(ge=1, le=1000, description="Rows per page (1–1000).")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip.")]
AsOf = Annotated[dt.date | None, Query(description="某日的状态（叠加截至该日的状态填报）；默认今天")]


async def snapshot_for(state: AppState, as_of: dt.date | None) -> Snapshot:
    """Return the current snapshot, or the state at ``as_of`` (computed in a worker thread)."""
    if as_of is None:
        return await state.snapshot_async()
    return await run_in_threadpool(state.snapshot_at, as_of)


def page(frame: pd.DataFrame, limit: int, offset: int) -> dict[str, Any]:
    """Return one page of ``frame`` as ``{data, count}``."""
    return {"data": plain_records(frame.iloc[offset : offset + limit]), "count": len(frame)}


def _cached(snap: Snapshot, key: tuple[object, ...], build: Callable[[], Any]) -> bytes:
    body = snap.pages.get(key)
    if body is None:
        if len(snap.pages) >= PAGE_CACHE:
            snap.pages.clear()
        body = json.dumps(build(), ensure_ascii=False, allow_nan=False, default=str).encode("utf-8")
        snap.pages[key] = body
    return body


def cached_page(
    snap: Snapshot,
    vis: Visibility,
    key: tuple[object, ...],
    rows: Callable[[], pd.DataFrame],
    limit: int,
    offset: int,
) -> Response:
    """Return one page of a list of ``snap`` as JSON, serialised once per data version.

    ``key`` names the list and every filter; the caller's visibility is part of the cache
    key here, so two callers share bytes only when they see the same rows.
    """
    body = _cached(snap, (*key, vis.key, limit, offset), lambda: page(rows(), limit, offset))
    return Response(body, media_type="application/json")


async def cached_page_async(
    snap: Snapshot,
    vis: Visibility,
    key: tuple[object, ...],
    rows: Callable[[], pd.DataFrame],
    limit: int,
    offset: int,
) -> Response:
    """:func:`cached_page` for ``async`` endpoints: a cache miss is computed in a worker thread."""
    body = snap.pages.get((*key, vis.key, limit, offset))
    if body is not None:
        return Response(body, media_type="application/json")
    return await run_in_threadpool(cached_page, snap, vis, key, rows, limit, offset)


def cached_json(
    snap: Snapshot, vis: Visibility, key: tuple[object, ...], build: Callable[[], Any]
) -> Response:
    """Return ``build()`` as JSON, serialised once per data version and visibility."""
    return Response(_cached(snap, (*key, vis.key), build), media_type="application/json")
