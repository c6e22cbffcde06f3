"""Firms, projects and links, filtered and paged (a county user sees its own county)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import CurrentUser, State
from api.routers.common import Limit, Offset, page
from api.schemas import FirmPublic, LinkPublic, Page, ProjectPublic
from application import queries

__all__ = ["router"]

router = APIRouter(tags=["firms, projects, links"])


@router.get("/firms", response_model=Page[FirmPublic])
def list_firms(
    state: State,
    user: CurrentUser,
    limit: Limit = 100,
    offset: Offset = 0,
    county: Annotated[str | None, Query(max_length=6, description="县级行政区划代码")] = None,
    chain: Annotated[str | None, Query(max_length=50)] = None,
    status: Annotated[str | None, Query(pattern="^(normal|partial|stopped)$")] = None,
    q: Annotated[str | None, Query(max_length=50, description="名称包含")] = None,
) -> dict[str, Any]:
    """企业与配套企业列表。"""
    rows = queries.firms(state.snapshot(), user.visibility, county=county, chain=chain, status=status, q=q)
    return page(rows, limit, offset)


@router.get("/firms/{firm_id}", response_model=FirmPublic)
def get_firm(firm_id: str, state: State, user: CurrentUser) -> dict[str, Any]:
    """一家企业。"""
    return queries.firm(state.snapshot(), user.visibility, firm_id)


@router.get("/projects", response_model=Page[ProjectPublic])
def list_projects(
    state: State,
    user: CurrentUser,
    limit: Limit = 100,
    offset: Offset = 0,
    county: Annotated[str | None, Query(max_length=6)] = None,
) -> dict[str, Any]:
    """重点建设项目列表。"""
    return page(queries.projects(state.snapshot(), user.visibility, county=county), limit, offset)


@router.get("/projects/{project_id}", response_model=ProjectPublic)
def get_project(project_id: str, state: State, user: CurrentUser) -> dict[str, Any]:
    """一个重点建设项目。"""
    return queries.project(state.snapshot(), user.visibility, project_id)


@router.get("/links", response_model=Page[LinkPublic])
def list_links(
    state: State,
    user: CurrentUser,
    limit: Limit = 100,
    offset: Offset = 0,
    supplier_id: Annotated[str | None, Query(max_length=64)] = None,
    buyer_id: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """供应关系列表（供应商 → 采购方）。"""
    rows = queries.links(state.snapshot(), user.visibility, supplier_id=supplier_id, buyer_id=buyer_id)
    return page(rows, limit, offset)
