"""What every request meets before a route: the body guard and the security headers.

:class:`BodyGuard` (ASGI) refuses a write before its body is read: a declared size over the
limit answers 413, missing or wrong credentials 401 (the console: back to the login page),
and a body sent without a size (chunked) is cut at the limit and answered 413. So a client
without a token cannot make the service read, store or parse anything it sends.

:class:`SecurityHeaders` (ASGI) adds to every answer: ``X-Content-Type-Options: nosniff``,
``X-Frame-Options: DENY``, ``Referrer-Policy: same-origin``, a Content-Security-Policy (no
script at all unless a page names its inline scripts by hash, :func:`page_policy`; nothing
from another host; no framing) and ``Cache-Control: no-store`` on everything but the
static files, so no page, list or export lingers in a shared browser's cache.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from api.deps import COOKIE, SAFE_METHODS, authenticate
from api.state import AppState
from api.users import Permission

__all__ = ["JSON_LIMIT", "UPLOADS", "BodyGuard", "SecurityHeaders", "page_policy"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON_LIMIT = 1 << 20
"""Largest body of a write that is not an upload (a ledger item, an action, a what-if, a form)."""
UPLOADS = frozenset({"/imports", "/console/import"})
"""Paths that take files, up to the ``upload_limit_mb`` setting (plus the multipart framing)."""
_OPEN_WRITES = frozenset({"/console/login", "/console/logout"})
"""Writes that need no login (logging in; logging out of a session that may have ended)."""
_FRAMING = 1 << 20


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _cookie(scope: Scope, name: str) -> str:
    for part in _header(scope, b"cookie").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


async def _answer(send: Send, status: int, body: dict[str, str], headers: list[tuple[bytes, bytes]]) -> None:
    content = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(content)).encode()),
                (b"connection", b"close"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


class _TooLargeError(Exception):
    """A body grew past its limit while it was read."""


class BodyGuard:
    """Refuse an oversized or unauthenticated write before reading its body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check a write's size and credentials, then pass it on with its body capped."""
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        state: AppState = scope["app"].state.chain_graph
        path: str = scope["path"]
        limit = JSON_LIMIT
        if path in UPLOADS:
            limit = int(state.settings.upload_limit_mb * 2**20) + _FRAMING
        if path not in _OPEN_WRITES:  # who is asking, first: a stranger learns not even the limits
            user = authenticate(
                state.users,
                method=scope["method"],
                path=path,
                authorization=_header(scope, b"authorization"),
                session=_cookie(scope, COOKIE),
            )
            if user is None:
                await _unauthorised(send, console=path.startswith("/console/"))
                return
            if path in UPLOADS and not user.may(Permission.IMPORT):  # not even spooled
                await _answer(send, 403, {"code": "CG403", "message": "当前账号无权进行此操作"}, [])
                return
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        await self._capped(scope, receive, send, limit)

    async def _capped(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Pass the request on; a body that grows past ``limit`` (sent without a size) stops it.

        Reading past the limit raises inside the body parser, so the route never runs on a
        cut body; whatever the framework makes of that, the answer is 413.
        """
        seen = 0
        over = False
        started = False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    raise _TooLargeError
            return message

        async def answer(message: Message) -> None:
            nonlocal started
            if over:
                return
            started = True
            await send(message)

        with contextlib.suppress(_TooLargeError):
            await self.app(scope, counted, answer)
        if over and not started:
            await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    await _answer(send, 413, {"code": "CG413", "message": f"请求内容超过 {limit / 2**20:g} MB 上限"}, [])


async def _unauthorised(send: Send, *, console: bool) -> None:
    if console:
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", b"/console/login"),
                    (b"content-length", b"0"),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})
        return
    message = "未登录或令牌无效：请在请求头携带 Authorization: Bearer <令牌>（接口的写操作只接受令牌）"
    await _answer(send, 401, {"code": "CG401", "message": message}, [(b"www-authenticate", b"Bearer")])


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", re.S)
_BASE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


def page_policy(html: str, *, script_files: bool = False) -> str:
    """Return the Content-Security-Policy of a page: its own inline scripts (by hash) and no other.

    Parameters
    ----------
    html
        The page; each inline script in it is allowed by its hash.
    script_files
        Whether the page loads script files of this service (``<script src="/static/…">``);
        without it, a page with no inline script may run no script at all.

    Examples
    --------
    >>> "'sha256-" in page_policy("<p>x</p><script>draw()</script>")
    True
    >>> "script-src 'none'" in page_policy("<p>no script</p>")
    True
    >>> page_policy('<script src="/static/a.js"></script>', script_files=True).endswith("script-src 'self'")
    True
    """
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]
    allowed = " ".join(["'self'", *hashes])
    scripts = f"script-src {allowed}" if hashes or script_files else "script-src 'none'"
    return f"{_BASE_POLICY}; {scripts}"


_DEFAULT_POLICY = page_policy("")
_STATIC_SCRIPTS = f"{_BASE_POLICY}; script-src 'self'"


class SecurityHeaders:
    """Add the security headers to every answer (a route's own policy wins)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to its answer."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"content-security-policy", (_STATIC_SCRIPTS if static else _DEFAULT_POLICY).encode()),
                ]
                if not static:
                    extra.append((b"cache-control", b"no-store"))
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
