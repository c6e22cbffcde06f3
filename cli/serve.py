"""``chain-graph serve`` (the web service with uvicorn) and ``chain-graph users add|list|revoke``.

``serve`` takes its port first: a port that is taken is a clear error (``CG101``, exit code 2)
before anything else happens, and 已启动 is printed only once the service answers.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from chain_graph.errors import AddressInUseError, ConfigError
from chain_graph.settings import Settings
from cli.common import StoreOption, console, errors, load_settings, user_errors

if TYPE_CHECKING:
    import uvicorn

    from api.state import AppState

__all__ = ["listen", "run_service", "serve", "serve_settings", "users_app"]

users_app = typer.Typer(help="Web 服务的用户与访问令牌。", no_args_is_help=True)


def serve_settings(store: str | None) -> Settings:
    """Return the settings with ``--store`` applied (the service's: memory given back)."""
    settings = load_settings(service=True)
    return settings.model_copy(update={"store": store}) if store else settings


def listen(host: str, port: int) -> socket.socket:
    """Return a socket listening on ``host:port`` (as uvicorn would open it: ``SO_REUSEADDR``).

    Raises
    ------
    AddressInUseError
        When another program holds the port (``CG101``).
    ConfigError
        When the address is not this machine's, or the port needs privileges.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise AddressInUseError(
                f"端口 {port} 已被占用（{host}:{port}），可能已有一个 chain-graph serve 在运行："
                "请先停止占用它的程序，或用 --port 换一个端口"
            ) from None
        if error.errno == errno.EACCES:
            raise ConfigError(
                f"无权监听端口 {port}（1024 以下的端口需要管理员权限）：请用 --port 换一个端口"
            ) from None
        raise ConfigError(
            f"无法在 {host}:{port} 监听：--host 应为本机的地址，如 127.0.0.1 或 0.0.0.0"
        ) from None
    sock.set_inheritable(True)
    return sock


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


def _started(settings: Settings, *, host: str, port: int, workers: int) -> Callable[[], None]:
    def announce() -> None:
        console.print(
            f"chain-graph 已启动：http://{host}:{port}/console/ （存储：{settings.store}，"
            f"{workers} 个工作进程；按 Ctrl-C 停止）"
        )

    return announce


def _announcing_server(config: uvicorn.Config, announce: Callable[[], None]) -> uvicorn.Server:
    """Return a uvicorn server that calls ``announce`` once it accepts connections (not before)."""
    import uvicorn

    class Announcing(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                announce()

    return Announcing(config)


def run_service(
    sock: socket.socket, settings: Settings, *, state: AppState, host: str, port: int, workers: int = 1
) -> None:
    """Serve the app on ``sock`` (from :func:`listen`) until Ctrl-C; close ``state`` and ``sock``.

    One worker serves on ``sock`` itself. Several are uvicorn's worker processes, which
    open the port anew: ``sock`` only proved it free and is closed first.
    """
    import uvicorn

    from api.app import create_app

    announce = _started(settings, host=host, port=port, workers=workers)
    if workers == 1:
        config = uvicorn.Config(create_app(settings, state=state), log_level="warning", access_log=False)
        try:
            with contextlib.suppress(KeyboardInterrupt):
                _announcing_server(config, announce).run(sockets=[sock])
        finally:
            state.close()
            sock.close()
        return
    state.close()
    sock.close()
    # Each worker process builds the app from the environment: pass on what the command
    # line changed, and one form key so a form shown by one worker is accepted by another.
    os.environ["CHAIN_GRAPH_STORE"] = settings.store
    os.environ["CHAIN_GRAPH_AUTH_DB"] = settings.auth_db
    os.environ.setdefault("CHAIN_GRAPH_FORM_KEY", secrets.token_hex(32))
    announce()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
    )


def serve(
    host: Annotated[str, typer.Option(help="监听地址（内网部署可设为 0.0.0.0）")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="端口")] = 8000,
    store: StoreOption = None,
    workers: Annotated[
        int, typer.Option(min=1, help="工作进程数（可设为 CPU 核数；每个进程各有一份分析缓存）")
    ] = 1,
) -> None:
    """启动 Web 服务（控制台与接口）。"""
    from api.state import AppState

    with user_errors():
        settings = serve_settings(store)
        sock = listen(host, port)  # first: a taken port stops here, before an admin is created
        try:
            _first_admin(settings, host, port)
            state = AppState(settings)  # opens the store now: a wrong address fails here, clearly
        except BaseException:
            sock.close()
            raise
    run_service(sock, settings, state=state, host=host, port=port, workers=workers)


@users_app.command("add")
def add_user(
    name: Annotated[str, typer.Argument(help="用户名，如 鹤城区工信局")],
    role: Annotated[str, typer.Option(help="admin、county、province 或 viewer")] = "viewer",
    county: Annotated[str, typer.Option(help="county 角色绑定的县级行政区划代码，如 431202")] = "",
) -> None:
    """新建用户并显示其令牌（只显示一次）。"""
    from api.users import Role, UserStore

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
