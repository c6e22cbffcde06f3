"""What every ``chain-graph`` sub-command shares: consoles, the store option, error handling."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from application.workspace import Workspace
from chain_graph.errors import ChainGraphError, ConfigError, InputIssue, NotFoundError, StoreError
from chain_graph.memory import keep_freed_memory, small_pages
from chain_graph.settings import Settings
from chain_graph.store import open_store
from ingest.layout import SkippedLine

__all__ = [
    "SHOWN_ISSUES",
    "KeepValidOption",
    "RejectsOption",
    "StoreOption",
    "console",
    "errors",
    "issue_table",
    "load_settings",
    "skipped_table",
    "user_errors",
    "workspace",
]

SHOWN_ISSUES = 200
"""Most issues printed; the rest are in the rejects file."""

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False, soft_wrap=True)

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store", help="存储地址：sqlite:///chain_graph.db 或 neo4j://主机:端口；默认取 CHAIN_GRAPH_STORE"
    ),
]


KeepValidOption = Annotated[
    bool, typer.Option("--keep-valid", help="有错误时仍写入正确的行，错误行写入退回文件")
]
RejectsOption = Annotated[
    Path | None,
    typer.Option(
        "--rejects",
        help="问题清单 / 退回文件（CSV，Excel 可直接打开）；默认写在台账目录旁：<目录名>_退回.csv",
    ),
]
"""The options every import shares (``ingest``, ``bulk-import``)."""


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


def load_settings(*, service: bool = False) -> Settings:
    """Read the settings; a wrong value is a configuration error, not a traceback.

    Every command starts here, and sets up the process's memory as the settings say
    (:mod:`chain_graph.memory`): small pages unless ``huge_pages``; a command's allocator
    keeps freed memory, a ``service``'s (``serve``) does not, since its threads would each
    keep their peak for the life of the process.
    """
    try:
        settings = Settings()
    except ValueError as error:
        raise ConfigError(f"配置有误：{error}") from error
    if not settings.huge_pages:
        small_pages()
    if settings.keep_freed_memory and not service:
        keep_freed_memory()
    return settings


def skipped_table(lines: list[SkippedLine]) -> Table:
    """Return the lines and files read as no data (合计, signatures, notes …): not errors."""
    table = Table(title=f"跳过的行（共 {len(lines)} 行，不是错误）", show_lines=False)
    for header in ("文件", "工作表", "行", "类别", "内容"):
        table.add_column(header, overflow="fold")
    for line in lines[:SHOWN_ISSUES]:
        table.add_row(line.file, line.sheet, str(line.row or ""), line.kind, line.text)
    return table


def issue_table(issues: list[InputIssue]) -> Table:
    """Return located issues as a table: file, sheet, row, column, value, code, message."""
    table = Table(title=f"台账问题（共 {len(issues)} 个）", show_lines=False)
    for header in ("文件", "工作表", "行", "列", "值", "代码", "说明"):
        table.add_column(header, overflow="fold")
    for issue in issues[:SHOWN_ISSUES]:
        table.add_row(
            issue.file,
            issue.sheet,
            str(issue.row or ""),
            issue.column,
            issue.value,
            issue.code.value,
            issue.message,
        )
    return table
