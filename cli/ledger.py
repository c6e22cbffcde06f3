"""``chain-graph ledger …``: the problem ledger (问题台账: 挂号 → 办理中 → 销号) from the command line.

The same use cases as the console (:mod:`application.problems`), for the whole city.
"""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Annotated

import typer
from rich.table import Table

from application import problems
from application.visibility import Visibility
from chain_graph.errors import ConfigError
from chain_graph.labels import ACTION_LABELS, PROBLEM_STATUS_LABELS
from chain_graph.model import ProblemCategory, ProblemStatus
from chain_graph.problem_ledger import Action, LedgerItem, overdue_days
from cli.common import StoreOption, console, user_errors, workspace

__all__ = ["ledger_app", "parse_date"]

ledger_app = typer.Typer(help="问题台账：挂号、办理、延期、督办、销号。", no_args_is_help=True)
CITY = Visibility.whole_city()

ByOption = Annotated[str | None, typer.Option("--by", help="操作人（记入办理记录；默认为当前系统用户）")]
VersionOption = Annotated[int | None, typer.Option("--version", help="所见版本；与当前版本不符则拒绝")]


def _by(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "命令行"


def parse_date(text: str, option: str) -> dt.date:
    """Read a date option (``2026-12-31``); a wrong one is a usage error naming the option."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} 应为日期，如 2026-12-31，当前为 {text!r}") from None


def _item_table(items: list[LedgerItem], today: dt.date) -> Table:
    table = Table(title=f"问题台账（{len(items)} 项）")
    for header in ("编号", "对象", "类别", "责任单位", "期限", "状态", "逾期天数", "督办", "版本"):
        table.add_column(header)
    for item in items:
        late = overdue_days(item, today)
        table.add_row(
            item.id,
            item.subject_id,
            item.category.value,
            item.responsible_unit,
            str(item.deadline or ""),
            PROBLEM_STATUS_LABELS[ProblemStatus(item.status)],
            f"[red]{late}[/red]" if late else "",
            str(item.escalations or ""),
            str(item.version),
        )
    return table


@ledger_app.command("list")
def list_items(
    store: StoreOption = None,
    status: Annotated[ProblemStatus | None, typer.Option(help="只列出该状态的事项")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="只列出逾期未销号的事项")] = False,
) -> None:
    """列出问题台账。"""
    with user_errors(), workspace(store) as ws:
        today = dt.date.today()
        found = problems.items(ws, ws.snapshot(), CITY, today=today, status=status, overdue=overdue)
        console.print(_item_table(found, today))


@ledger_app.command()
def show(item_id: Annotated[str, typer.Argument(help="事项编号")], store: StoreOption = None) -> None:
    """显示一个事项及其全部办理记录。"""
    with user_errors(), workspace(store) as ws:
        snap = ws.snapshot()
        item = problems.item(ws, snap, CITY, item_id)
        console.print(_item_table([item], dt.date.today()))
        console.print(f"问题描述：{item.description}")
        if item.co_units:
            console.print(f"协办单位：{'、'.join(item.co_units)}")
        if item.closing_note:
            console.print(f"办结情况：{item.closing_note}")
        history = Table(title="办理记录")
        for header in ("序号", "时间", "操作人", "操作", "状态", "说明"):
            history.add_column(header)
        for e in problems.history(ws, snap, CITY, item_id):
            was = PROBLEM_STATUS_LABELS[e.from_status] if e.from_status else ""
            change = f"{was} → {PROBLEM_STATUS_LABELS[e.to_status]}"
            history.add_row(
                str(e.seq),
                f"{e.at:%Y-%m-%d %H:%M}",
                e.by,
                ACTION_LABELS[e.action],
                change,
                "；".join(x for x in (e.note, e.detail) if x),
            )
        console.print(history)


@ledger_app.command()
def register(
    subject: Annotated[str, typer.Option("--subject", help="企业或项目编号")],
    description: Annotated[str, typer.Option("--description", help="问题描述")],
    category: Annotated[ProblemCategory, typer.Option(help="问题类别")] = ProblemCategory.OTHER,
    item_id: Annotated[str | None, typer.Option("--id", help="事项编号（默认自动编号）")] = None,
    supplier: Annotated[str, typer.Option(help="涉及的配套企业编号")] = "",
    unit: Annotated[str | None, typer.Option("--unit", help="责任单位（默认按问题类别）")] = None,
    co_unit: Annotated[list[str] | None, typer.Option("--co-unit", help="协办单位（可重复）")] = None,
    deadline: Annotated[str | None, typer.Option(help="办理期限，如 2026-12-31")] = None,
    by: ByOption = None,
    store: StoreOption = None,
) -> None:
    """挂号：登记一个新事项。"""
    with user_errors(), workspace(store) as ws:
        item = problems.register(
            ws,
            ws.snapshot(),
            CITY,
            by=_by(by),
            subject_id=subject,
            description=description,
            category=category,
            supplier_id=supplier,
            responsible_unit=unit,
            co_units=co_unit or (),
            deadline=parse_date(deadline, "--deadline") if deadline else None,
            item_id=item_id,
        )
        console.print(f"已挂号：{item.id}（责任单位：{item.responsible_unit}）")


def _act(
    item_id: str,
    action: Action,
    *,
    by: str | None,
    store: str | None,
    note: str = "",
    deadline: str | None = None,
    version: int | None = None,
) -> None:
    with user_errors(), workspace(store) as ws:
        new = problems.act(
            ws,
            ws.snapshot(),
            CITY,
            item_id,
            action,
            by=_by(by),
            note=note,
            deadline=parse_date(deadline, "--deadline") if deadline else None,
            expected_version=version,
        )
        console.print(
            f"{ACTION_LABELS[action]}：{item_id} → {PROBLEM_STATUS_LABELS[ProblemStatus(new.status)]}"
            f"（版本 {new.version}）"
        )


ItemArgument = Annotated[str, typer.Argument(help="事项编号")]


@ledger_app.command()
def start(
    item_id: ItemArgument, by: ByOption = None, version: VersionOption = None, store: StoreOption = None
) -> None:
    """开始办理（已挂号 → 办理中）。"""
    _act(item_id, Action.START, by=by, store=store, version=version)


@ledger_app.command("close")
def close_item(
    item_id: ItemArgument,
    note: Annotated[str, typer.Option("--note", help="办结情况（必填）")] = "",
    by: ByOption = None,
    version: VersionOption = None,
    store: StoreOption = None,
) -> None:
    """销号（须填写办结情况）。"""
    _act(item_id, Action.CLOSE, by=by, store=store, note=note, version=version)


@ledger_app.command()
def reopen(
    item_id: ItemArgument,
    note: Annotated[str, typer.Option("--note", help="重新打开的原因（必填）")] = "",
    by: ByOption = None,
    version: VersionOption = None,
    store: StoreOption = None,
) -> None:
    """重新打开已销号的事项（须说明原因）。"""
    _act(item_id, Action.REOPEN, by=by, store=store, note=note, version=version)


@ledger_app.command()
def extend(
    item_id: ItemArgument,
    deadline: Annotated[str, typer.Option(help="新的办理期限")],
    note: Annotated[str, typer.Option("--note", help="延期原因（必填）")] = "",
    by: ByOption = None,
    version: VersionOption = None,
    store: StoreOption = None,
) -> None:
    """延期（新期限和原因）。"""
    _act(item_id, Action.EXTEND, by=by, store=store, note=note, deadline=deadline, version=version)


@ledger_app.command()
def escalate(
    item_id: ItemArgument,
    note: Annotated[str, typer.Option("--note", help="督办意见")] = "",
    by: ByOption = None,
    version: VersionOption = None,
    store: StoreOption = None,
) -> None:
    """督办逾期未销号的事项。"""
    _act(item_id, Action.ESCALATE, by=by, store=store, note=note, version=version)


@ledger_app.command("from-analysis")
def from_analysis(
    store: StoreOption = None,
    days: Annotated[int, typer.Option(help="办理期限：今天起若干天")] = 15,
    by: ByOption = None,
) -> None:
    """按缺口分析登记事项：每个受阻配套企业及其影响的重点企业/项目各一项（已有未销号事项的不重复登记）。"""
    with user_errors(), workspace(store) as ws:
        done = problems.register_from_analysis(ws, ws.snapshot(), CITY, by=_by(by), days=days)
        console.print(
            f"新挂号 {done.from_problems + done.from_analysis} 项（其中导入问题台账 {done.from_problems} 项，"
            f"缺口分析 {done.from_analysis} 项）；原有 {done.existing} 项未变。"
        )
