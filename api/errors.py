"""Every error the API returns is JSON ``{"code", "message"}`` with a Chinese message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.routers.pages import page_user, refuse_unfinished
from chain_graph.errors import (
    BusyError,
    ChainGraphError,
    ConfigError,
    ForbiddenError,
    LedgerValidationError,
    NotFoundError,
    ProblemLedgerError,
    StaleItemError,
    StoreError,
    TimeLimitError,
)

__all__ = ["install"]

_STATUS: list[tuple[type[ChainGraphError], int]] = [
    (NotFoundError, 404),
    (ForbiddenError, 403),
    (StaleItemError, 409),
    (ProblemLedgerError, 422),
    (LedgerValidationError, 422),
    (ConfigError, 422),
    (StoreError, 503),
    (BusyError, 503),
    (TimeLimitError, 504),
]
_HTTP_CODES = {
    400: "CG400",
    401: "CG401",
    403: "CG403",
    404: "CG404",
    405: "CG405",
    409: "CG409",
    413: "CG413",
    422: "CG422",
    503: "CG503",
    504: "CG504",
}


def _status_of(error: ChainGraphError) -> int:
    for kind, code in _STATUS:
        if isinstance(error, kind):
            return code
    return 400


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(ChainGraphError)
    def _domain(request: Request, error: ChainGraphError) -> JSONResponse:
        return JSONResponse({"code": error.code, "message": error.message}, status_code=_status_of(error))

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        message = error.detail if isinstance(error.detail, str) else "请求有误"
        if error.status_code == 404 and message == "Not Found":
            message = "没有这个地址或对象"
        elif error.status_code == 405:
            message = "不支持此请求方法"
        return JSONResponse(
            {"code": _HTTP_CODES.get(error.status_code, f"CG{error.status_code}"), "message": message},
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, error: RequestValidationError) -> Response:
        details = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": chinese(e)}
            for e in error.errors()
        ]
        where = "；".join(f"{d['location']}：{d['message']}" for d in details[:3])
        if request.url.path.startswith("/console/"):  # a browser's form: a page, not JSON
            return _console_page(request, f"表单内容有误：{where}")
        return JSONResponse(
            {"code": "CG422", "message": f"请求参数有误：{where}", "details": details}, status_code=422
        )


def _console_page(request: Request, message: str) -> Response:
    """Show a console form refused before its route ran as the console's message page."""
    state = request.app.state.chain_graph
    user = page_user(request, state)
    if user is None:
        return JSONResponse({"code": "CG422", "message": message}, status_code=422)
    return refuse_unfinished(request, state, user, message)


_MESSAGES = {
    "missing": "必填",
    "extra_forbidden": "不认识的字段",
    "string_too_long": "文字过长：最多 {max_length} 个字",
    "string_too_short": "不能为空",
    "too_long": "条目过多：最多 {max_length} 项",
    "too_short": "条目过少：至少 {min_length} 项",
    "string_pattern_mismatch": "格式不对",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "greater_than_equal": "应不小于 {ge}",
    "greater_than": "应大于 {gt}",
    "less_than_equal": "应不大于 {le}",
    "less_than": "应小于 {lt}",
    "date_parsing": "应为日期，如 2026-12-31",
    "date_from_datetime_parsing": "应为日期，如 2026-12-31",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "json_invalid": "不是有效的 JSON",
}


def chinese(error: Mapping[str, Any]) -> str:
    """Return a pydantic validation error's message in Chinese (its own text when unknown).

    Examples
    --------
    >>> chinese({"type": "string_too_long", "msg": "String should have at most 100 characters",
    ...          "ctx": {"max_length": 100}})
    '文字过长：最多 100 个字'
    >>> chinese({"type": "value_error", "msg": "Value error, 日期应在 2000 年到 2100 年之间"})
    '日期应在 2000 年到 2100 年之间'
    """
    kind = str(error.get("type", ""))
    if kind == "value_error":  # our own validators already speak Chinese
        return str(error.get("msg", "")).removeprefix("Value error, ")
    template = _MESSAGES.get(kind)
    if template is None:
        return str(error.get("msg", ""))
    try:
        return template.format(**error.get("ctx", {}))
    except (KeyError, IndexError):
        return template.split("：")[0]
