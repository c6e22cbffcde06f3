"""``chain-graph reports``: import status reports (状态填报); the pre-filled workbook (下发).

``reports import FILE...`` records reports after validating every row against the store's
ledgers (all or nothing); with ``--county`` it is a county's workbook coming back (回收),
and a row about another county's entity is refused. ``template --reports --county`` (in
:mod:`cli.main`) writes that county's pre-filled workbook with :func:`write_prefilled`.
"""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import Annotated

import typer

from application import reports
from application.visibility import Visibility
from chain_graph.regions import region_name
from cli.common import SHOWN_ISSUES, StoreOption, console, issue_table, user_errors, workspace
from ingest.template import write_reports_template

__all__ = ["reports_app", "write_prefilled"]

reports_app = typer.Typer(
    help="状态填报（复产填报）：导入填报；预填表用 template --reports --county 生成。",
    no_args_is_help=True,
)


@reports_app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="填报文件（.xlsx / .csv），可多个")],
    by: Annotated[str | None, typer.Option("--by", help="记录为谁导入（默认：命令行及系统用户名）")] = None,
    county: Annotated[
        str | None, typer.Option("--county", help="回收某县市区的填报表：其他县市区的对象按编号不存在退回")
    ] = None,
    store: StoreOption = None,
) -> None:
    """导入状态填报：逐行校验（对象须为存储中的企业或项目），有任何错误则不写入。"""
    with user_errors(), workspace(store) as ws:
        vis = Visibility.of_county(county) if county else Visibility.whole_city()
        now = dt.datetime.now()
        outcome = reports.import_reports(
            ws,
            ws.snapshot(),
            vis,
            files,
            by=by or f"命令行（{getpass.getuser()}）",
            today=now.date(),
            at=now,
        )
        issues = outcome.validation.issues
        if issues:
            console.print(issue_table(issues))
            if len(issues) > SHOWN_ISSUES:
                console.print(f"（只显示前 {SHOWN_ISSUES} 个）")
            console.print("[red]校验未通过，未写入任何填报。[/red]")
            raise typer.Exit(1)
        console.print(f"[green]已记录 {outcome.appended} 条填报。[/green]")


def write_prefilled(out: Path, *, county: str, store: str | None) -> None:
    """Write ``county``'s pre-filled reports workbook (下发) to ``out``, its state at today."""
    with workspace(store) as ws:
        today = dt.date.today()
        rows = reports.prefilled(ws, ws.snapshot(), county=county, today=today)
        title = f"{region_name(county) or county}重点企业和项目状态填报（截至 {today.isoformat()}）"
        write_reports_template(out, rows, title=title)
    console.print(f"已生成{region_name(county) or county}的状态填报表（{len(rows)} 行）：{out}")
