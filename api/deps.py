"""Who is asking: the app state, the current user (bearer token or console session), permissions."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from api.state import AppState
from api.users import Permission, User, UserStore

__all__ = ["COOKIE", "SAFE_METHODS", "CurrentUser", "State", "authenticate", "optional_user", "require"]

COOKIE = "cg_session"
"""Name of the HttpOnly login cookie of the web console: a server-side session id."""

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _state(request: Request) -> AppState:
    state: AppState = request.app.state.chain_graph
    return state


State = Annotated[AppState, Depends(_state)]


def authenticate(
    users: UserStore, *, method: str, path: str, authorization: str, session: str
) -> User | None:
    """Return who is asking, or ``None``: the one rule for every route and the body guard.

    - A bearer token (``Authorization: Bearer cg_…``) authenticates any request.
    - The console's session cookie authenticates the console's pages and forms (each form
      carries a CSRF token, checked by the console) and reads elsewhere (maps, downloads);
      it never authenticates a write to the JSON API, so a page on another site cannot make
      a logged-in browser write through the API.
    """
    if authorization.lower().startswith("bearer "):
        return users.verify(authorization[7:].strip())
    if session and (method in SAFE_METHODS or path.startswith("/console/")):
        return users.session_user(session)
    return None


def optional_user(request: Request, state: AppState) -> User | None:
    """Return who is asking (:func:`authenticate`); ``None`` without valid credentials."""
    return authenticate(
        state.users,
        method=request.method,
        path=request.url.path,
        authorization=request.headers.get("authorization", ""),
        session=request.cookies.get(COOKIE, ""),
    )


async def _current_user(request: Request, state: State) -> User:
    # async: a dict lookup (or one indexed SQLite query) is cheaper than a thread-pool hop.
    user = optional_user(request, state)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "未登录或令牌无效：请在请求头携带 Authorization: Bearer <令牌>（接口的写操作只接受令牌）",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(_current_user)]


def require(permission: Permission) -> Callable[[User], Coroutine[Any, Any, User]]:
    """Return a dependency that admits only users with ``permission`` (403 for the others)."""

    async def check(user: CurrentUser) -> User:
        if not user.may(permission):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "当前账号无权进行此操作")
        return user

    return check
