"""Request dependencies: the app state, the current user (bearer token or login cookie), roles."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from api.state import AppState
from api.users import Permission, User

__all__ = ["COOKIE", "CurrentUser", "State", "optional_user", "require"]

COOKIE = "cg_token"
"""Name of the HttpOnly login cookie of the web console."""


async def _state(request: Request) -> AppState:
    state: AppState = request.app.state.chain_graph
    return state


State = Annotated[AppState, Depends(_state)]


def optional_user(request: Request, state: AppState) -> User | None:
    """Return the user of the bearer token, else of the login cookie; ``None`` without one."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(COOKIE, "")
    return state.users.verify(token) if token else None


async def _current_user(request: Request, state: State) -> User:
    # async: a dict lookup (or one indexed SQLite query) is cheaper than a thread-pool hop.
    user = optional_user(request, state)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "未登录或令牌无效：请在请求头携带 Authorization: Bearer <令牌>",
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
