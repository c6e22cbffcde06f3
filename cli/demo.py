"""What ``chain-graph demo`` leaves besides the data: its own store and users, and how to log in.

The demo keeps everything in its directory (``demo-data/`` by default): the synthetic
ledgers, and in its ``console/`` folder (no ledger table is read from there) the store
``demo.db`` (unless ``--store`` names another) and the users file ``users.db`` with one user
per role, both made anew on every run: a second ``make demo`` starts from the same clean
state, and demo tokens never open a real deployment.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from chain_graph.labels import ROLE_LABELS
from chain_graph.regions import region_name
from cli.common import console

if TYPE_CHECKING:
    from api.users import User

__all__ = ["ADMIN", "DEMO_STORE", "DEMO_USERS", "add_users", "fresh_files", "print_logins"]

ADMIN = "市工信局管理员"
"""The demo's city administrator (the ledger's history names it)."""

DEMO_STORE = Path("console", "demo.db")
"""The demo's store, in its directory (when ``--store`` is not given)."""
DEMO_USERS = Path("console", "users.db")
"""The demo's users file, in its directory."""
_SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")


def fresh_files(data_dir: Path, *, store: str | None) -> tuple[str, Path]:
    """Return the demo's store URL and users file, with the files of an earlier demo removed.

    A store named by ``--store`` is the caller's and stays as it is.
    """
    (data_dir / DEMO_USERS).parent.mkdir(parents=True, exist_ok=True)
    owned = [data_dir / DEMO_USERS] + ([] if store else [data_dir / DEMO_STORE])
    for path in owned:
        for suffix in _SQLITE_SIDE_FILES:
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return store or f"sqlite:///{data_dir / DEMO_STORE}", data_dir / DEMO_USERS


def add_users(path: Path, *, county: str) -> list[tuple[User, str]]:
    """Create one user per role in ``path``: the city bureau, a county, the province, a reader.

    The county user is bound to ``county`` (left out when it is ``""``). Returns each user
    with its token, which is shown once and never stored.
    """
    from api.users import Role, UserStore

    wanted = [(ADMIN, Role.ADMIN, "")]
    if county:
        wanted.append((f"{region_name(county)}工信局", Role.COUNTY, county))
    wanted += [("省工信厅", Role.PROVINCE, ""), ("市政府督查室", Role.VIEWER, "")]
    users = UserStore(path)
    try:
        return [users.add(name, role, county=code) for name, role, code in wanted]
    finally:
        users.close()


def print_logins(logins: list[tuple[User, str]], *, console_url: str, start: str = "") -> None:
    """Print each demo user's token (once) and how to log in with it.

    ``start`` is the command that starts the console, when the demo does not serve it.
    """
    console.print("演示账号（每个角色一个；令牌只显示这一次，请复制保存）：")
    for user, token in logins:
        where = f"，{region_name(user.county)}" if user.county else ""
        console.print(f"  {user.name}（{ROLE_LABELS[user.role]}{where}）：{token}", soft_wrap=True)
    if start:
        console.print(f"启动控制台：{start}", soft_wrap=True)
    console.print(f"登录：在浏览器打开 {console_url} ，粘贴上面任一令牌。", soft_wrap=True)
