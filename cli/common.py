"""What every ``chain-graph`` sub-command shares: consoles, the store option, error handling."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console

from application.workspace import Workspace
from chain_graph.errors import ChainGraphError, ConfigError, NotFoundError, StoreError
from chain_graph.settings import Settings
from chain_graph.store import open_store

__all__ = ["StoreOption", "console", "errors", "load_settings", "user_errors", "workspace"]

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False, soft_wrap=True)

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store", help="存储地址：sqlite:///chain_graph.db 或 neo4j://主机:端口；默认取 CHAIN_GRAPH_STORE"
    ),
]


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn chain-graph errors into one clear line and an exit code, never a traceback."""
    try:
        yield
    except (ConfigError, NotFoundError) as error:  # a wrong option or an id that does not exist
        errors.print(f"[red]错误[/red]（{error.code}）：{error.message}")
        raise typer.Exit(2) from None
    except StoreError as error:
        errors.print(f"[red]存储错误[/red]（{error.code}）：{error.message}")
        raise typer.Exit(3) from None
    except ChainGraphError as error:
        errors.print(f"[red]错误[/red]（{error.code}）：{error.message}")
        raise typer.Exit(1) from None


@contextmanager
def workspace(store: str | None) -> Iterator[Workspace]:
    """Open the store of ``--store`` (default: the setting) as a workspace, and close it."""
    settings = load_settings()
    with open_store(store, settings=settings) as opened:
        yield Workspace(settings, store=opened)


def load_settings() -> Settings:
    """Read the settings; a wrong value is a configuration error, not a traceback."""
    try:
        return Settings()
    except ValueError as error:
        raise ConfigError(f"配置有误：{error}") from error
