"""The web console: Jinja2 pages in Chinese over the same state as the API.

Login is by pasting a token, from this site only (a login posted from another site is
refused); it opens a server-side session whose id is kept in an HttpOnly, SameSite=Strict
cookie (the token itself never is), ended by logout or by revoking the user. Pages are
server-rendered, with no script and no asset from another host; charts are inline SVG.
This module holds the login, the dashboard, the lists, the firm page, the what-if and the
glossary; the problem ledger's pages are :mod:`api.routers.console_ledger`, what every page
shares :mod:`api.routers.pages`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from api.deps import COOKIE, State
from api.routers.imports import perform_import
from api.routers.pages import (
    PAGE,
    csrf_ok,
    login_first,
    page_user,
    refuse,
    refuse_unfinished,
    render,
    snapshot_of_day,
)
from api.users import Permission
from application import campaign, queries, scenarios, supply
from application import coordination as coordination_requests
from application.imports import table_guide
from application.visibility import Visibility
from application.workspace import Snapshot
from chain_graph.errors import ChainGraphError, ConfigError, NotFoundError
from chain_graph.labels import (
    BLOCKED_SORT_LABELS,
    NODE_STATUS_LABELS,
    PROBLEM_STATUS_LABELS,
    ROLE_LABELS,
    SCOPE_LABELS,
    TABLE_LABELS,
)
from chain_graph.model import ProblemCategory
from chain_graph.records import plain_records
from chain_graph.regions import region_name
from chain_graph.scenarios import Scenario, Substitution
from viz.charts import Bar, Series, bar_chart, stacked_bar_chart, trend_chart

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)


def _cross_site(request: Request) -> bool:
    """Whether a form was posted from another site (login CSRF).

    The browser's own word (``Sec-Fetch-Site``) when it gives one; else the ``Origin``'s
    host against the host asked for (behind a TLS proxy the scheme differs, and the proxy
    may pass the original host as ``X-Forwarded-Host``). A client that sends neither is no
    browser on another site.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    hosts = {request.headers.get("host", ""), request.headers.get("x-forwarded-host", "")} - {""}
    return urlsplit(origin).netloc not in hosts


@router.get("/login")
def login_page(request: Request, state: State) -> Response:
    """登录页。"""
    return render(request, state, None, "login.html", "登录")


@router.post("/login")
def login(request: Request, state: State, token: Annotated[str, Form(max_length=200)]) -> Response:
    """用令牌登录。"""
    if _cross_site(request):
        return render(
            request,
            state,
            None,
            "login.html",
            "登录",
            status_code=403,
            message="请在本系统的登录页登录",
            message_kind="error",
        )
    user = state.users.verify(token.strip())
    if user is None:
        return render(
            request,
            state,
            None,
            "login.html",
            "登录",
            status_code=401,
            message="令牌无效或已停用，请向管理员确认",
            message_kind="error",
        )
    seconds = state.settings.session_hours * 3600
    response = RedirectResponse("/console/", status_code=303)
    response.set_cookie(
        COOKIE,
        state.users.start_session(user, seconds=seconds),
        httponly=True,
        samesite="strict",
        secure=state.settings.cookie_secure,
        max_age=int(seconds),
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, state: State, csrf: Annotated[str, Form()] = "") -> Response:
    """退出登录。"""
    response = RedirectResponse("/console/login", status_code=303)
    if csrf_ok(state, request, csrf):
        state.users.end_session(request.cookies.get(COOKIE, ""))
        response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/")
def dashboard(request: Request, state: State, as_of: str = "") -> Response:
    """概况（可查看以前某日的状态）。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    today = dt.date.today()
    found = snapshot_of_day(request, state, user, as_of)
    if isinstance(found, Response):
        return found
    snap, day = found
    try:
        progress = campaign.overview(snap, user.visibility, state.reports(), today=day)
    except ChainGraphError as error:
        return refuse_unfinished(request, state, user, error.message)
    figures = queries.dashboard(state, snap, user.visibility, today=day)
    return render(
        request,
        state,
        user,
        "dashboard.html",
        "概况",
        area=figures["area"],
        s=figures["summary"],
        key_enterprises=figures["key_enterprises"],
        recovery=figures["recovery"],
        target=figures["target"],
        chains=figures["chains"],
        trend=figures["trend"],
        charts=_dashboard_charts(figures, county=user.visibility.is_county),
        campaign=progress,
        settings_weekday=state.settings.report_weekday,
        day=day,
        today=today,
        last_month=today.replace(day=1) - dt.timedelta(days=1),
        last_quarter=_last_quarter(today),
        campaign_charts=_campaign_charts(progress, county=user.visibility.county),
        coordination=coordination_requests.summary(state, snap, user.visibility, today=today),
    )


def _last_quarter(today: dt.date) -> str:
    """Return the quarter before ``today``'s, as ``2026Q3``.

    Examples
    --------
    >>> _last_quarter(dt.date(2026, 12, 1)), _last_quarter(dt.date(2026, 2, 1))
    ('2026Q3', '2025Q4')
    """
    quarter = (today.month - 1) // 3  # the current one, counted from 0
    return f"{today.year}Q{quarter}" if quarter else f"{today.year - 1}Q4"


def _campaign_charts(progress: dict[str, Any], *, county: str) -> dict[str, Markup]:
    """Return the campaign panel's charts: recovery against the target, the counties' ranks."""
    if not progress["rounds"]:
        return {}
    weeks = [f"{day:%m-%d}" for day in progress["rounds"]]
    lines = [
        Series("全市产能恢复率（%）", "#0b3d91", [100 * (r["recovery"] or 0) for r in progress["city"]]),
        Series("目标（%）", "#b2182b", [100 * progress["target"]] * len(weeks)),
    ]
    if progress["own"]:
        name = region_name(county) or county
        lines.insert(
            1, Series(f"{name}（%）", "#1a9850", [100 * (r["recovery"] or 0) for r in progress["own"]])
        )
    ranks = progress["ranks"].get("all", [])
    bars = [
        Bar(
            f"{r['rank']}. {region_name(r['group']) or r['group']}" + _move(r["rank_change"]),
            100 * r["recovery"],
            f"{100 * r['recovery']:.1f}%",
        )
        for r in ranks
    ]
    return {
        "recovery": trend_chart(weeks, lines, title="重点规模企业产能恢复率（按轮次）"),
        "ranks": bar_chart(
            bars, title="各县市区产能恢复率排名（最近一轮）", color="#0b3d91", label_width=180
        ),
    }


def _move(change: float | None) -> str:
    """Write a rank's change as an arrow: ↑2, ↓1, or nothing."""
    if change is None or change == 0:
        return ""
    return f" ↑{int(change)}" if change > 0 else f" ↓{int(-change)}"


_STATUS_COLORS = {"registered": "#d6604d", "in_progress": "#f4a582", "closed": "#4393c3"}


def _dashboard_charts(figures: dict[str, Any], *, county: bool) -> dict[str, Markup]:
    """Return the dashboard's charts (SVG) drawn from its figures."""
    trend = figures["trend"]
    weeks = [f"{w['end']:%m-%d}" for w in trend]
    scopes = {row["scope"]: row for row in figures["by_scope"]}
    by_scope = [
        Bar(
            label,
            scopes[s]["suppliers"],
            f"{scopes[s]['suppliers']} 家",
            "" if county else f"/console/blocked?scope={s}",  # a county's list holds its own only
        )
        for s, label in SCOPE_LABELS.items()
        if s in scopes
    ]
    by_county = [
        Bar(c["name"], c["suppliers"], f"{c['suppliers']} 家", f"/console/local?county={c['county']}")
        for c in figures["by_county"]
    ]
    statuses = [(s, PROBLEM_STATUS_LABELS[s]) for s in ("registered", "in_progress", "closed")]
    units = figures["by_unit"][:12]
    return {
        "trend": trend_chart(
            weeks,
            [
                Series("挂号", "#d6604d", [w["registered"] for w in trend]),
                Series("销号", "#4393c3", [w["closed"] for w in trend]),
                Series("周末未销号", "#762a83", [w["open"] for w in trend]),
                Series("周末逾期", "#b2182b", [w["overdue"] for w in trend]),
            ],
            title="问题台账周趋势",
        ),
        "by_scope": bar_chart(
            by_scope,
            title="影响本县的受阻配套企业（按所在地）" if county else "受阻配套企业（按所在地）",
            empty="没有受阻配套企业",
        ),
        "by_county": bar_chart(by_county, title="本地受阻配套企业（按县市区）", empty="没有本地受阻配套企业"),
        "by_unit": stacked_bar_chart(
            [u["name"] for u in units],
            [Series(label, _STATUS_COLORS[s], [u[s] for u in units]) for s, label in statuses],
            title="问题台账（按责任单位和状态）",
            empty="问题台账暂无事项",
        ),
    }


def _substitutes(snap: Snapshot, vis: Visibility, node_id: str) -> list[dict[str, Any]] | None:
    """Return a blocked supplier's links, each candidate with its what-if link; else ``None``."""
    if node_id in snap.project_ids:
        return None
    found = supply.substitutes(snap, vis, node_id)
    if not found["blocked"]:
        return None
    return [
        link
        | {
            "candidates": [
                candidate | {"whatif_url": _whatif_url(node_id, link, candidate["id"])}
                for candidate in link["candidates"]
            ]
        }
        for link in found["links"]
    ]


def _whatif_url(supplier_id: str, link: dict[str, Any], candidate_id: str) -> str:
    """Return the what-if that moves ``link`` from its supplier to the candidate (按此替代推演)."""
    move = {
        "sub_buyer": link["buyer_id"],
        "sub_material": link["material"],
        "sub_from": supplier_id,
        "sub_to": candidate_id,
    }
    return "/console/whatif?" + urlencode(move)


_CONSOLE_STATUS = {"CG404": 404, "CG503": 503, "CG504": 504}
"""HTTP status of a what-if refused with these codes (others: 422)."""


@router.get("/blocked")
def blocked(
    request: Request,
    state: State,
    scope: str = "",
    county: str = "",
    q: str = "",
    sort: str = "rank",
    offset: int = 0,
) -> Response:
    """受阻配套企业：按所在地、县市区筛选，按名称搜索，排序。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    snap = state.snapshot()
    order = sort if sort in queries.BLOCKED_SORTS else "rank"
    table = queries.blocked(
        snap,
        user.visibility,
        scope=scope if scope in SCOPE_LABELS else None,
        county=county or None,
        query=q[:100],
        sort=order,
    )
    offset = max(offset, 0)
    rows = plain_records(table.iloc[offset : offset + PAGE])
    contacts = _contacts(snap, [r["id"] for r in rows])
    filters = {"scope": scope, "county": county, "q": q, "sort": order}
    return render(
        request,
        state,
        user,
        "blocked.html",
        "受阻配套企业",
        rows=[r | contacts[r["id"]] for r in rows],
        count=len(table),
        offset=offset,
        limit=PAGE,
        query=urlencode(filters),
        filters=filters,
        scopes=list(SCOPE_LABELS.items()),
        scope_labels=SCOPE_LABELS,
        counties=[] if user.county else queries.counties(snap, user.visibility),
        sorts=[(key, BLOCKED_SORT_LABELS[key]) for key in queries.BLOCKED_SORTS],
    )


def _contacts(snap: Snapshot, ids: list[str]) -> dict[str, dict[str, str]]:
    """联系人 and 联系电话 of the given firms, as the ledgers give them (blank when not)."""
    firms = snap.firm_rows
    found: dict[str, dict[str, str]] = {}
    for node in ids:
        position = snap.row_of.get(node)
        row = firms.iloc[position] if position is not None and position < len(firms) else None
        if row is not None and row["id"] != node:  # a project's position among the firms
            row = None
        found[node] = {
            "contact": str(row.get("contact") or "") if row is not None else "",
            "phone": str(row.get("phone") or "") if row is not None else "",
        }
    return found


@router.get("/coordination")
def coordination(
    request: Request,
    state: State,
    target: str = "",
    county: str = "",
    q: str = "",
    offset: int = 0,
) -> Response:
    """跨区域协调清单：按协调去向、需求方县市区筛选，按名称搜索。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    if not user.may(Permission.CITY_DOCUMENTS):
        return refuse(
            request,
            state,
            user,
            "跨区域协调清单由市工业和信息化局报省工业和信息化厅；县市区请查看本地配套企业清单和问题台账",
        )
    snap = state.snapshot()
    rows = queries.coordination(
        snap, user.visibility, target=target or None, county=county or None, query=q[:100]
    )
    offset = max(offset, 0)
    filters = {"target": target, "county": county, "q": q}
    return render(
        request,
        state,
        user,
        "coordination.html",
        "跨区域协调清单",
        rows=plain_records(rows.iloc[offset : offset + PAGE]),
        count=len(rows),
        offset=offset,
        limit=PAGE,
        query=urlencode(filters),
        filters=filters,
        targets=queries.coordination_targets(snap, user.visibility),
        counties=queries.counties(snap, user.visibility),
    )


@router.get("/local")
def local(request: Request, state: State, county: str = "", q: str = "", offset: int = 0) -> Response:
    """本地配套企业督促复产清单（属地：县市区账号只含本县市区）。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    snap = state.snapshot()
    rows = queries.local(snap, user.visibility, county=county or None, query=q[:100])
    offset = max(offset, 0)
    shown = plain_records(rows.iloc[offset : offset + PAGE])
    contacts = _contacts(snap, [r["supplier_id"] for r in shown])
    filters = {"county": county, "q": q}
    return render(
        request,
        state,
        user,
        "local.html",
        "本地配套企业督促复产清单",
        rows=[r | contacts[r["supplier_id"]] for r in shown],
        count=len(rows),
        suppliers=rows["supplier_id"].nunique(),
        offset=offset,
        limit=PAGE,
        query=urlencode(filters),
        filters=filters,
        counties=[] if user.county else queries.counties(snap, user.visibility),
    )


@router.get("/glossary")
def glossary(request: Request, state: State) -> Response:
    """指标说明：每个数字是什么、怎么算。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    settings = state.settings
    return render(
        request,
        state,
        user,
        "glossary.html",
        "指标说明",
        target=settings.capacity_target,
        threshold=settings.blocked_threshold,
        output_threshold=settings.key_output_threshold,
        tax_threshold=settings.key_tax_threshold,
    )


@router.get("/whatif")
def whatif(
    request: Request,
    state: State,
    stop: Annotated[str, Query(max_length=2000)] = "",
    restore: Annotated[list[str] | None, Query(max_length=50)] = None,
    restore_more: Annotated[str, Query(max_length=2000)] = "",
    stop_region: Annotated[str, Query(max_length=6)] = "",
    sub_buyer: Annotated[list[str] | None, Query(max_length=20)] = None,
    sub_material: Annotated[list[str] | None, Query(max_length=20)] = None,
    sub_from: Annotated[list[str] | None, Query(max_length=20)] = None,
    sub_to: Annotated[list[str] | None, Query(max_length=20)] = None,
) -> Response:
    """假设分析：某些企业停产或复产、某地区停产、某供应关系改由替代供应商供应，会怎样。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    snap = state.snapshot()
    vis = user.visibility
    candidates = plain_records(queries.blocked(snap, vis).iloc[:20])
    chosen = restore or []
    moves = _moves_typed(sub_buyer, sub_material, sub_from, sub_to)
    context: dict[str, Any] = {
        "form": {
            "stop": stop,
            "restore": chosen,
            "restore_more": restore_more,
            "stop_region": stop_region,
            "moves": moves,
        },
        "candidates": candidates,
        "regions": _regions(snap),
        "result": None,
    }
    if stop.strip() or chosen or restore_more.strip() or stop_region or moves:
        try:
            stopped = scenarios.resolve_firms(snap, vis, stop)
            restored = scenarios.resolve_firms(snap, vis, " ".join([*chosen, restore_more]))
            substitute = [_substitution(snap, vis, move) for move in moves]
            scenario = Scenario(
                stop=stopped,
                restore=restored,
                stop_regions=[stop_region] if stop_region else [],
                substitute=substitute,
            )
            result = state.what_if(snap, vis, scenario)
        except ChainGraphError as error:
            return render(
                request,
                state,
                user,
                "whatif.html",
                "假设分析",
                status_code=_CONSOLE_STATUS.get(error.code, 422),
                message=error.message,
                message_kind="error",
                **context,
            )
        except ValueError as error:
            return render(
                request,
                state,
                user,
                "whatif.html",
                "假设分析",
                status_code=422,
                message=f"情景参数有误：{error}",
                message_kind="error",
                **context,
            )
        query = [("stop", x) for x in stopped] + [("restore", x) for x in restored]
        query += [("stop_region", stop_region)] if stop_region else []
        for move in substitute:
            query += [
                ("sub_buyer", move.buyer),
                ("sub_material", move.material),
                ("sub_from", move.from_),
                ("sub_to", move.to),
            ]
        context |= {
            "result": result,
            "names": snap.name_of,
            "moves_done": substitute,
            "map_url": "/maps/scenario?" + urlencode(query),
        }
    return render(request, state, user, "whatif.html", "假设分析", **context)


def _moves_typed(*columns: list[str] | None) -> list[dict[str, str]]:
    """Return the substitute moves of the form: (buyer, material, from, to) rows, blank rows left out."""
    lists = [column or [] for column in columns]
    length = max(len(c) for c in lists)
    rows = [[(c[k] if k < len(c) else "").strip() for c in lists] for k in range(length)]
    keys = ("buyer", "material", "from", "to")
    return [dict(zip(keys, row, strict=True)) for row in rows if any(row)]


def _substitution(snap: Snapshot, vis: Visibility, move: dict[str, str]) -> Substitution:
    """Resolve one typed substitute move (ids or full names); a blank field is refused."""
    missing = [label for key, label in _MOVE_FIELDS.items() if not move[key]]
    if missing:
        raise ConfigError(f"替代推演请填写{'、'.join(missing)}")
    firms = {}
    for key in ("buyer", "from", "to"):
        found = scenarios.resolve_firms(snap, vis, move[key], partners=True)
        if len(found) != 1:
            raise ConfigError(f"替代推演的{_MOVE_FIELDS[key]}应为一家企业，当前为“{move[key]}”")
        firms[key] = found[0]
    return Substitution.model_validate({**firms, "material": move["material"]})


_MOVE_FIELDS = {"buyer": "需求方", "material": "配套产品", "from": "原供应商", "to": "替代供应商"}


def _regions(snap: Snapshot) -> list[tuple[str, str]]:
    """Provinces other than the home one where the city's suppliers are (a what-if's choices)."""
    home = snap.settings.home_adcode[:2]
    codes = sorted({c[:2] for c in snap.adcode_of.values() if len(c) == 6 and c[:2] != home})
    return [(code, region_name(code + "0000") or code) for code in codes]


@router.get("/import")
def import_page(request: Request, state: State) -> Response:
    """导入台账。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    if not user.may(Permission.IMPORT):
        return render(
            request,
            state,
            user,
            "base.html",
            "无权访问",
            status_code=403,
            message=f"只有{ROLE_LABELS['admin']}的管理员账号可以导入台账",
            message_kind="error",
        )
    return render(request, state, user, "import.html", "导入台账", **_import_context())


def _import_context() -> dict[str, Any]:
    return {"table_labels": TABLE_LABELS, "ledger_tables": table_guide(), "template_url": "/exports/template"}


@router.post("/import")
def import_upload(
    request: Request,
    state: State,
    files: Annotated[list[UploadFile], File()],
    csrf: Annotated[str, Form()] = "",
    keep_valid: Annotated[bool, Form()] = False,
    replace: Annotated[bool, Form()] = False,
) -> Response:
    """上传并校验。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    if not user.may(Permission.IMPORT) or not csrf_ok(state, request, csrf):
        return render(
            request,
            state,
            user,
            "import.html",
            "导入台账",
            status_code=403,
            message="无权导入或表单已过期",
            message_kind="error",
            **_import_context(),
        )
    try:
        result = perform_import(state, files, keep_valid=keep_valid, replace=replace)
    except HTTPException as refused:  # a file name or size refused before reading: say so on the page
        return render(
            request,
            state,
            user,
            "import.html",
            "导入台账",
            status_code=refused.status_code,
            message=f"{refused.detail}；未写入任何数据",
            message_kind="error",
            **_import_context(),
        )
    return render(
        request,
        state,
        user,
        "import.html",
        "导入台账",
        result=result.model_dump(),
        status_code=200 if result.written else 422,
        message="导入完成" if result.written else "台账有问题，未写入任何数据",
        message_kind="info" if result.written else "error",
        **_import_context(),
    )


@router.get("/firms/{node_id}")
def firm_page(request: Request, state: State, node_id: str) -> Response:
    """一家企业或项目：上下游、问题台账和链图入口。"""
    user = page_user(request, state)
    if user is None:
        return login_first()
    snap = state.snapshot()
    try:
        facts = queries.node_page(state, snap, user.visibility, node_id)
    except NotFoundError as error:
        return render(
            request,
            state,
            user,
            "base.html",
            "未找到",
            status_code=404,
            message=error.message,
            message_kind="error",
        )
    return render(
        request,
        state,
        user,
        "firm.html",
        str(facts["node"]["name"]),
        substitutes=_substitutes(snap, user.visibility, node_id),
        scope_labels=SCOPE_LABELS,
        node=facts["node"],
        county=facts["county"],
        kind=facts["kind"],
        status=NODE_STATUS_LABELS[facts["status"]],
        capacity=f"{facts['capacity'] * 100:.0f}%",
        availability=f"{facts['availability'] * 100:.1f}%",
        suppliers=facts["suppliers"],
        buyers=facts["buyers"],
        has_buyers=bool(facts["buyers"]),
        items=facts["items"],
        status_labels=PROBLEM_STATUS_LABELS,
        categories=[c.value for c in ProblemCategory],
        today=dt.date.today(),
    )
