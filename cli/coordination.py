"""``chain-graph coordination …``: requests to the province, incoming requests, consolidation.

The same use cases as the console (:mod:`application.coordination`), acting as the city
bureau (the command line is the city's own machine); the province consolidates several
cities' workbooks without a store.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from application import coordination
from application.visibility import Visibility
from application.whitelist import nominations
from chain_graph.consolidation import consolidate
from chain_graph.coordination import STATE_LABELS
from chain_graph.errors import ConfigError, CoordinationWorkbookError
from cli.common import StoreOption, console, errors, issue_table, user_errors, workspace
from exports.consolidation import consolidation_sheets
from exports.letters import letter_docx, letter_xlsx
from exports.whitelist import whitelist_sheets
from exports.workbook import write_xlsx
from ingest.coordination import read_coordination_workbook

__all__ = ["coordination_app"]

coordination_app = typer.Typer(
    help="跨区域协调：商请函（报省）、协调事项及其时限、外地来函、省级汇总。", no_args_is_help=True
)
CITY = Visibility.whole_city()
ByOption = Annotated[str | None, typer.Option("--by", help="操作人（默认：当前系统用户）")]


def _by(by: str | None) -> str:
    return (by or getpass.getuser() or "命令行").strip()


@coordination_app.command("letters")
def letters(
    out: Annotated[Path, typer.Option("-o", "--output", help="函件输出目录")],
    store: StoreOption = None,
    by: ByOption = None,
) -> None:
    """登记尚未登记的协调事项，编入新的商请函，并把每份未报送的函件写成 .docx 和 .xlsx。"""
    with user_errors(), workspace(store) as ws:
        if not out.is_dir():
            raise ConfigError(f"输出目录 {out} 不存在")
        snap = ws.snapshot()
        issued = coordination.issue_letters(ws, snap, by=_by(by))
        written = 0
        for found in coordination.letters(ws, snap, CITY):
            shown = coordination.letter_requests(ws, snap, CITY, found)
            if found.kind != "request" or not any(r.state == "pending" for r in shown):
                continue
            rows = coordination.letter_rows(snap, shown)
            stem = out / found.number
            stem.with_suffix(".docx").write_bytes(letter_docx(found, shown, rows, settings=ws.settings))
            stem.with_suffix(".xlsx").write_bytes(letter_xlsx(found, shown, rows, settings=ws.settings))
            written += 1
            console.print(f"{found.number}  {found.title}（{len(shown)} 项）→ {stem}.docx / .xlsx")
        errors.print(f"新编函件 {len(issued)} 份；写出待报送函件 {written} 份")


@coordination_app.command("list")
def list_requests(
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出协调事项及其状态、受理与反馈时限（工作日）。"""
    with user_errors(), workspace(store) as ws:
        today = dt.date.today()
        snap = ws.snapshot()
        found = [
            coordination.public(r, ws, today=today)
            for r in coordination.requests(ws, snap, CITY, today=today)
        ]
        if as_json:
            typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
            return
        table = Table(title=f"协调事项（{len(found)} 项）")
        for header in (
            "编号",
            "配套企业",
            "所在地",
            "影响产值（万元）",
            "函件",
            "状态",
            "受理时限",
            "反馈时限",
        ):
            table.add_column(header, overflow="fold")
        for r in found:
            table.add_row(
                r["id"],
                r["supplier"],
                r["target_region"],
                f"{r['recovered_value']:,.1f}",
                r["letter"],
                STATE_LABELS[r["state"]],
                (r["ack_due"] or "") + _late(r["ack_overdue"]),
                (r["answer_due"] or "") + _late(r["answer_overdue"]),
            )
        console.print(table)


@coordination_app.command("whitelist")
def whitelist(
    out: Annotated[Path, typer.Option("-o", "--output", help="白名单推荐表（.xlsx）")],
    store: StoreOption = None,
) -> None:
    """重点产业链供应链企业白名单推荐表（按风险敞口、唯一供应、市外客户排序，附推荐理由）。"""
    with user_errors(), workspace(store) as ws:
        if not out.parent.is_dir():
            raise ConfigError(f"输出目录 {out.parent} 不存在")
        snap = ws.snapshot()
        rows = nominations(snap, CITY)
        write_xlsx(out, whitelist_sheets(rows, as_of=dt.date.today()))
        console.print(f"已导出白名单推荐 {len(rows)} 家 → {out}")


def _late(days: int) -> str:
    return f"[red]（逾期 {days} 个工作日）[/red]" if days else ""


@coordination_app.command("incoming")
def incoming(
    file: Annotated[Path, typer.Argument(help="外地城市导出的跨区域协调清单（.xlsx）")],
    source: Annotated[str, typer.Option("--from", help="来函城市，如 长沙市")],
    store: StoreOption = None,
    by: ByOption = None,
) -> None:
    """导入外地来函：其中本市配套企业的事项按属地转为问题台账事项，并登记为来函协调事项。"""
    with user_errors(), workspace(store) as ws:
        rows = _read(file, source=source)
        done = coordination.import_incoming(ws, ws.snapshot(), rows, source=source, by=_by(by))
        console.print(
            f"来函事项 {len(done.requests)} 项、问题台账事项 {len(done.items)} 项已登记；"
            f"未导入 {done.skipped} 行（非本市配套企业或未能匹配）"
        )
        for supplier, reason in done.unmatched:
            errors.print(f"[yellow]未匹配[/yellow] {supplier}：{reason}")


@coordination_app.command("consolidate")
def consolidate_command(
    files: Annotated[list[Path], typer.Argument(help="各市的跨区域协调清单（.xlsx），文件名或 城市=文件")],
    out: Annotated[Path, typer.Option("-o", "--output", help="汇总表（.xlsx）")],
) -> None:
    """省级汇总：合并各市的跨区域协调清单（同一配套企业合并、列出各请求城市），按影响产值排序。"""
    with user_errors():
        if not out.parent.is_dir():
            raise ConfigError(f"输出目录 {out.parent} 不存在")
        frames = []
        for given in files:
            city, _, name = str(given).rpartition("=")
            path = Path(name)
            frames.append(_read(path, source=city or path.stem))
        rows = consolidate(frames)
        write_xlsx(out, consolidation_sheets(rows, as_of=dt.date.today()))
        console.print(f"已汇总 {len(frames)} 个城市、{len(rows)} 家配套企业 → {out}")


def _read(path: Path, *, source: str) -> pd.DataFrame:
    try:
        return read_coordination_workbook(path, source=source)
    except CoordinationWorkbookError as error:
        errors.print(issue_table(error.issues))
        raise
