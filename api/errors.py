"""Every error the API returns is JSON ``{"code", "message"}`` with a Chinese message."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from chain_graph.errors import (
    ChainGraphError,
    ConfigError,
    LedgerValidationError,
    NotFoundError,
    ProblemLedgerError,
    StaleItemError,
    StoreError,
)

__all__ = ["install"]

_STATUS: list[tuple[type[ChainGraphError], int]] = [
    (NotFoundError, 404),
    (StaleItemError, 409),
    (ProblemLedgerError, 422),
    (LedgerValidationError, 422),
    (ConfigError, 422),
    (StoreError, 503),
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
    def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        details = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": str(e.get("msg", ""))}
            for e in error.errors()
        ]
        where = "、".join(d["location"] for d in details[:5])
        return JSONResponse(
            {"code": "CG422", "message": f"请求参数有误：{where}", "details": details}, status_code=422
        )
