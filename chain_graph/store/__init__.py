"""Stores: where the ledgers live. One small interface, one implementation per backend.

:func:`open_store` picks the backend from a URL: ``sqlite:///path.db`` (the embedded
default) or ``neo4j://host:port`` (also ``bolt://`` and the TLS variants ``neo4j+s://``).
"""

from __future__ import annotations

from chain_graph.settings import Settings
from chain_graph.store.base import Store

__all__ = ["Store", "open_store"]


def open_store(url: str | None = None, *, settings: Settings) -> Store:
    """Open the store a URL names (default: the ``store`` setting).

    Parameters
    ----------
    url
        ``sqlite:///relative.db``, ``sqlite:////absolute/path.db``, ``sqlite:///:memory:``,
        ``neo4j://host:port`` (credentials from the settings ``NEO4J_USER`` /
        ``NEO4J_PASSWORD``, database from ``NEO4J_DATABASE``).
    settings
        Deployment settings (batch size, default URL).

    Raises
    ------
    ConfigError
        For a URL of an unknown kind.
    StoreError
        When the store cannot be opened.
    """
    from chain_graph.errors import ConfigError

    url = url or settings.store
    if url.startswith("sqlite://"):
        from chain_graph.store.sqlite import SQLiteStore

        return SQLiteStore(url, batch_size=settings.write_batch_size)
    from chain_graph.store.neo4j_store import NEO4J_SCHEMES

    if url.startswith(NEO4J_SCHEMES):
        from chain_graph.store.neo4j_store import Neo4jStore

        password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else None
        return Neo4jStore(
            url,
            user=settings.neo4j_user,
            password=password,
            database=settings.neo4j_database,
            batch_size=settings.neo4j_batch_size,
            page_size=settings.read_page_size,
            write_workers=settings.neo4j_write_workers,
        )
    msg = f"不支持的存储地址：{url!r}（可用 sqlite:///文件路径.db 或 neo4j://主机:端口）"
    raise ConfigError(msg)
