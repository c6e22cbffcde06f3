"""Users of the web service and their bearer tokens, in a small SQLite file of their own.

A token is 32 random bytes (``secrets.token_urlsafe``) shown once when the user is created.
Only its SHA-256 digest is kept: for a random 256-bit secret a fast digest is as strong as
argon2 (there is nothing to guess from a dictionary), and it keeps each request's check to
one indexed lookup. Roles: ``admin`` (the city bureau), ``county`` (bound to one county
adcode), ``province`` (the coordination list and reports; acknowledges and answers the coordination
requests addressed to its province, optionally bound to a province adcode), ``viewer``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
import threading
import time
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from application.coordination import Actor, Side
from application.visibility import Visibility
from chain_graph.errors import ConfigError, NotFoundError
from chain_graph.regions import region_name

__all__ = [
    "COORDINATION_MOVES",
    "PERMISSIONS",
    "TOKEN_CACHE_SECONDS",
    "Permission",
    "Role",
    "User",
    "UserStore",
    "token_digest",
]

TOKEN_CACHE_SECONDS = 5.0
"""How long a verified token is trusted without a new lookup."""


class Role(StrEnum):
    """What a user may see and do."""

    ADMIN = "admin"
    COUNTY = "county"
    PROVINCE = "province"
    VIEWER = "viewer"


class Permission(StrEnum):
    """What a role may do beyond reading what its visibility shows."""

    WRITE_LEDGER = "write_ledger"
    """挂号 and 办理: register problem-ledger items and act on them."""
    CITY_DOCUMENTS = "city_documents"
    """The city's documents: the coordination list (for the province), its exports, the weekly report."""
    IMPORT = "import"
    """Import ledger tables (replace the city's data)."""
    SET_TARGETS = "set_targets"
    """Set the campaign's targets (目标)."""
    REPORT = "report"
    """Record status reports (状态填报): a county those of its own firms and projects."""
    COORDINATE = "coordinate"
    """The city's side of coordination: register requests, issue and send letters (商请函),
    close answered requests, import other cities' requests, answer them and reply (复函)."""
    ANSWER_COORDINATION = "answer_coordination"
    """The addressee's side: acknowledge (受理) and answer (反馈) the requests addressed to it —
    the province those sent to its province; the city those other cities sent to it."""


PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.WRITE_LEDGER: frozenset({Role.ADMIN, Role.COUNTY}),
    Permission.CITY_DOCUMENTS: frozenset({Role.ADMIN, Role.PROVINCE, Role.VIEWER}),
    Permission.IMPORT: frozenset({Role.ADMIN}),
    Permission.SET_TARGETS: frozenset({Role.ADMIN}),
    Permission.REPORT: frozenset({Role.ADMIN, Role.COUNTY}),
    Permission.COORDINATE: frozenset({Role.ADMIN}),
    Permission.ANSWER_COORDINATION: frozenset({Role.ADMIN, Role.PROVINCE}),
}
"""Who may do what: the one table of the roles (the README's role table says the same)."""

COORDINATION_MOVES: dict[str, Permission] = {
    "acknowledge": Permission.ANSWER_COORDINATION,
    "answer": Permission.ANSWER_COORDINATION,
    "close": Permission.COORDINATE,
    "note": Permission.ANSWER_COORDINATION,
}
"""The permission each move on a coordination request needs, for the API and the console alike
(which side of a request may make it is the application's rule, ``Actor.party``)."""


class User(BaseModel):
    """One user (no secret in it)."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: Role
    county: str = ""
    created_at: dt.datetime
    revoked: bool = False

    def may(self, permission: Permission) -> bool:
        """Whether this user's role has ``permission``."""
        return self.role in PERMISSIONS[permission]

    def actor(self, *, home_adcode: str) -> Actor:
        """Who this user acts as on coordination requests (a province user: its province).

        A province user bound to no province acts for the home city's province.
        """
        side = {
            Role.ADMIN: Side.CITY,
            Role.COUNTY: Side.COUNTY,
            Role.PROVINCE: Side.PROVINCE,
            Role.VIEWER: Side.VIEWER,
        }[self.role]
        province = (self.county or home_adcode[:2] + "0000") if self.role == Role.PROVINCE else ""
        return Actor(self.name, side, province)

    @property
    def visibility(self) -> Visibility:
        """What this user may see: a county user its county, everyone else the whole city.

        The one place where a role becomes a visibility; every use case applies it.
        """
        return Visibility.of_county(self.county) if self.role == Role.COUNTY else Visibility.whole_city()


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest under which a token is kept."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class UserStore:
    """Users in ``path`` (created on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:" and not Path(self.path).resolve().parent.is_dir():
            raise ConfigError(f"用户库目录不存在：{Path(self.path).parent}")
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._lock = threading.Lock()
        # Verified tokens for a few seconds, so a burst of requests costs one lookup; a
        # revocation in this process clears it at once (another process sees it within TTL).
        self._verified: dict[str, tuple[float, User]] = {}
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL, "
            "county TEXT NOT NULL DEFAULT '', token_sha256 TEXT NOT NULL UNIQUE, "
            "created_at TEXT NOT NULL, revoked_at TEXT)"
        )
        # Console sessions: the login cookie holds a random session id, never the token; only
        # its digest is kept. Looked up on every request (no cache), so a logout or a
        # revocation ends the session at once, in every worker.
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS sessions (id_sha256 TEXT PRIMARY KEY, "
            "user_name TEXT NOT NULL REFERENCES users(name), expires_at REAL NOT NULL)"
        )

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def add(self, name: str, role: Role, *, county: str = "") -> tuple[User, str]:
        """Create a user; return it and its token (shown once, never stored)."""
        name = name.strip()
        if not name:
            raise ConfigError("用户名不能为空")
        if role == Role.COUNTY:
            if not (len(county) == 6 and county.isdigit() and region_name(county)):
                raise ConfigError(
                    f"县市区用户须指定有效的 6 位县级行政区划代码（--county），当前为 {county!r}"
                )
        elif role == Role.PROVINCE and county:
            if not (len(county) == 6 and county.endswith("0000") and region_name(county)):
                raise ConfigError(f"省级用户的 --county 应为省级行政区划代码（如 430000），当前为 {county!r}")
        elif county:
            raise ConfigError("只有 county 角色的用户绑定县市区（province 角色可绑定省级代码）")
        token = "cg_" + secrets.token_urlsafe(32)
        now = dt.datetime.now().replace(microsecond=0)
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO users (name, role, county, token_sha256, created_at) VALUES (?, ?, ?, ?, ?)",
                    (name, role.value, county, token_digest(token), now.isoformat()),
                )
            except sqlite3.IntegrityError:
                raise ConfigError(f"用户 {name} 已存在") from None
        return User(name=name, role=role, county=county, created_at=now), token

    def verify(self, token: str) -> User | None:
        """Return the active user a token belongs to, ``None`` for an unknown or revoked token."""
        if not token.startswith("cg_") or len(token) > 200:
            return None
        digest = token_digest(token)
        cached = self._verified.get(digest)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        with self._lock:
            row = self._db.execute(
                "SELECT name, role, county, created_at FROM users "
                "WHERE token_sha256 = ? AND revoked_at IS NULL",
                (digest,),
            ).fetchone()
        if row is None:
            return None
        user = User(
            name=row[0], role=Role(row[1]), county=row[2], created_at=dt.datetime.fromisoformat(row[3])
        )
        if len(self._verified) > 10_000:
            self._verified.clear()
        self._verified[digest] = (time.monotonic() + TOKEN_CACHE_SECONDS, user)
        return user

    def start_session(self, user: User, *, seconds: float) -> str:
        """Open a console session for ``user``; return its id (for the cookie; kept as a digest)."""
        session = "cgs_" + secrets.token_urlsafe(32)
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE expires_at < ?", (time.time(),))
            self._db.execute(
                "INSERT INTO sessions (id_sha256, user_name, expires_at) VALUES (?, ?, ?)",
                (token_digest(session), user.name, time.time() + seconds),
            )
        return session

    def session_user(self, session: str) -> User | None:
        """Return the active user of an open session, ``None`` when ended, expired or revoked."""
        if not session.startswith("cgs_") or len(session) > 200:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT u.name, u.role, u.county, u.created_at FROM sessions s "
                "JOIN users u ON u.name = s.user_name "
                "WHERE s.id_sha256 = ? AND s.expires_at >= ? AND u.revoked_at IS NULL",
                (token_digest(session), time.time()),
            ).fetchone()
        if row is None:
            return None
        return User(
            name=row[0], role=Role(row[1]), county=row[2], created_at=dt.datetime.fromisoformat(row[3])
        )

    def end_session(self, session: str) -> None:
        """End a console session (logout); an unknown session is already ended."""
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE id_sha256 = ?", (token_digest(session),))

    def users(self) -> list[User]:
        """Every user, active or revoked, by name."""
        with self._lock:
            rows = self._db.execute(
                "SELECT name, role, county, created_at, revoked_at FROM users ORDER BY name"
            ).fetchall()
        return [
            User(
                name=r[0],
                role=Role(r[1]),
                county=r[2],
                created_at=dt.datetime.fromisoformat(r[3]),
                revoked=r[4] is not None,
            )
            for r in rows
        ]

    def revoke(self, name: str) -> None:
        """Revoke a user's token and end its console sessions (the user stays listed, as revoked)."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE users SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (dt.datetime.now().isoformat(timespec="seconds"), name),
            )
            self._db.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
        self._verified.clear()
        if cursor.rowcount == 0:
            raise NotFoundError(f"没有有效的用户 {name}")

    def count(self) -> int:
        """Return the number of active users."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM users WHERE revoked_at IS NULL").fetchone()[0])
