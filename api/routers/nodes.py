"""Firms, projects and links, filtered and paged; a county user sees its own county only."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query

from api.deps import CurrentUser, State
from api.routers.common import Limit, Offset, page
from api.schemas import FirmPublic, LinkPublic, Page, ProjectPublic
from api.state import Snapshot
from api.users import Role, User
from chain_graph.errors import NotFoundError
from chain_graph.records import plain_records
from chain_graph.regions import region_name

__all__ = ["router"]

router = APIRouter(tags=["firms, projects, links"])


def _visible(frame: pd.DataFrame, user: User) -> pd.DataFrame:
    return frame[frame["adcode"] == user.county] if user.role == Role.COUNTY else frame


def _with_figures(frame: pd.DataFrame, availability: dict[str, float]) -> pd.DataFrame:
    return frame.assign(
        county=[region_name(c) for c in frame["adcode"]], availability=frame["id"].map(availability)
    )


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
    snap = state.snapshot()
    firms = _visible(snap.ledgers.firms, user)
    if county:
        firms = firms[firms["adcode"] == county]
    if chain:
        firms = firms[firms["chain"] == chain]
    if status:
        firms = firms[firms["status"] == status]
    if q:
        firms = firms[firms["name"].str.contains(q, regex=False)]
    return page(_with_figures(firms.sort_values("id"), snap.availability_of), limit, offset)


def _one(table: pd.DataFrame, node_id: str, user: User, snap: Snapshot, what: str) -> dict[str, Any]:
    found = _visible(table, user)
    found = found[found["id"] == node_id]
    if found.empty:
        raise NotFoundError(f"没有编号为 {node_id} 的{what}")
    return plain_records(_with_figures(found, snap.availability_of))[0]


@router.get("/firms/{firm_id}", response_model=FirmPublic)
def get_firm(firm_id: str, state: State, user: CurrentUser) -> dict[str, Any]:
    """一家企业。"""
    snap = state.snapshot()
    return _one(snap.ledgers.firms, firm_id, user, snap, "企业")


@router.get("/projects", response_model=Page[ProjectPublic])
def list_projects(
    state: State,
    user: CurrentUser,
    limit: Limit = 100,
    offset: Offset = 0,
    county: Annotated[str | None, Query(max_length=6)] = None,
) -> dict[str, Any]:
    """重点建设项目列表。"""
    snap = state.snapshot()
    projects = _visible(snap.ledgers.projects, user)
    if county:
        projects = projects[projects["adcode"] == county]
    return page(_with_figures(projects.sort_values("id"), snap.availability_of), limit, offset)


@router.get("/projects/{project_id}", response_model=ProjectPublic)
def get_project(project_id: str, state: State, user: CurrentUser) -> dict[str, Any]:
    """一个重点建设项目。"""
    snap = state.snapshot()
    return _one(snap.ledgers.projects, project_id, user, snap, "项目")


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
    snap = state.snapshot()
    links = snap.ledgers.links
    if user.role == Role.COUNTY:
        codes = snap.adcode_of
        mine = links["supplier_id"].map(codes).eq(user.county) | links["buyer_id"].map(codes).eq(user.county)
        links = links[mine]
    if supplier_id:
        links = links[links["supplier_id"] == supplier_id]
    if buyer_id:
        links = links[links["buyer_id"] == buyer_id]
    return page(links, limit, offset)
