"""``chain-graph serve`` (the web service with uvicorn) and ``chain-graph users add|list|revoke``."""

from __future__ import annotations

import os
import secrets
from typing import Annotated

import typer
from rich.table import Table

from chain_graph.settings import Settings
from cli.common import StoreOption, console, errors, load_settings, user_errors

__all__ = ["serve", "serve_settings", "users_app"]

users_app = typer.Typer(help="Web 服务的用户与访问令牌。", no_args_is_help=True)


def serve_settings(store: str | None) -> Settings:
    """Return the settings with ``--store`` applied."""
    settings = load_settings()
    return settings.model_copy(update={"store": store}) if store else settings


def _first_admin(settings: Settings, host: str, port: int) -> None:
    from api.users import Role, UserStore

    users = UserStore(settings.auth_db)
    try:
        if users.count() == 0:
            _, token = users.add("admin", Role.ADMIN)
            console.print("首次启动：已创建管理员 admin。令牌只显示这一次，请妥善保存：")
            console.print(f"  {token}", soft_wrap=True)
            console.print(f"登录：http://{host}:{port}/console/login")
    finally:
        users.close()


def serve(
    host: Annotated[str, typer.Option(help="监听地址（内网部署可设为 0.0.0.0）")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 8000,
    store: StoreOption = None,
    workers: Annotated[
        int, typer.Option(min=1, help="工作进程数（可设为 CPU 核数；每个进程各有一份分析缓存）")
    ] = 1,
) -> None:
    """启动 Web 服务（控制台与接口）。"""
    import uvicorn

    from api.app import create_app
    from api.state import AppState

    with user_errors():
        settings = serve_settings(store)
        _first_admin(settings, host, port)
        state = AppState(settings)  # opens the store now: a wrong address fails here, clearly
    console.print(
        f"chain-graph 已启动：http://{host}:{port}/console/ （存储：{settings.store}，{workers} 个工作进程）"
    )
    if workers == 1:
        try:
            uvicorn.run(
                create_app(settings, state=state), host=host, port=port, log_level="warning", access_log=False
            )
        finally:
            state.close()
        return
    state.close()
    # Each worker process builds the app from the environment: pass on what the command
    # line changed, and one form key so a form shown by one worker is accepted by another.
    os.environ["CHAIN_GRAPH_STORE"] = settings.store
    os.environ.setdefault("CHAIN_GRAPH_FORM_KEY", secrets.token_hex(32))
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
    )


@users_app.command("add")
def add_user(
    name: Annotated[str, typer.Argument(help="用户名，如 鹤城区工信局")],
    role: Annotated[str, typer.Option(help="admin、county、province 或 viewer")] = "viewer",
    county: Annotated[str, typer.Option(help="county 角色绑定的县级行政区划代码，如 431202")] = "",
) -> None:
    """新建用户并显示其令牌（只显示一次）。"""
    from api.users import Role, UserStore
    from chain_graph.errors import ConfigError

    with user_errors():
        if role not in {r.value for r in Role}:
            raise ConfigError(f"角色应为 admin、county、province 或 viewer，当前为 {role!r}")
        users = UserStore(load_settings().auth_db)
        try:
            user, token = users.add(name, Role(role), county=county)
        finally:
            users.close()
        bound = f"，{user.county}" if user.county else ""
        console.print(f"已创建用户 {user.name}（{user.role.value}{bound}）。令牌只显示这一次：")
        console.print(token, soft_wrap=True)


@users_app.command("list")
def list_users() -> None:
    """列出用户（不显示令牌）。"""
    from api.users import UserStore

    with user_errors():
        users = UserStore(load_settings().auth_db)
        try:
            rows = users.users()
        finally:
            users.close()
        table = Table(title=f"用户（{len(rows)}）")
        for header in ("用户名", "角色", "县市区", "创建时间", "状态"):
            table.add_column(header)
        for u in rows:
            table.add_row(
                u.name,
                u.role.value,
                u.county,
                f"{u.created_at:%Y-%m-%d %H:%M}",
                "已停用" if u.revoked else "有效",
            )
        console.print(table)


@users_app.command("revoke")
def revoke_user(name: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """停用用户的令牌。"""
    from api.users import UserStore

    with user_errors():
        users = UserStore(load_settings().auth_db)
        try:
            users.revoke(name)
        finally:
            users.close()
        errors.print(f"已停用 {name}")
