"""``chain-graph ledger …`` (问题台账: 挂号 → 办理中 → 销号), ``export …`` and ``report weekly``."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from chain_graph.errors import ConfigError
from chain_graph.labels import ACTION_LABELS, PROBLEM_STATUS_LABELS
from chain_graph.model import ProblemCategory, ProblemStatus
from chain_graph.problem_ledger import (
    Action,
    LedgerItem,
    ProblemLedger,
    default_unit,
    items_from_analysis,
    items_from_problems,
    overdue_days,
)
from chain_graph.store import open_store
from cli.common import StoreOption, console, errors, load_settings, user_errors

if TYPE_CHECKING:
    from chain_graph.gaps import GapAnalysis
    from chain_graph.model import LedgerTables
    from chain_graph.store.base import Store
    from exports.workbook import Sheet

__all__ = ["export_app", "ledger_app", "report_app"]

ledger_app = typer.Typer(help="问题台账：挂号、办理、延期、督办、销号。", no_args_is_help=True)
export_app = typer.Typer(
    help="导出协调清单、本地督促复产清单和问题台账（xlsx 或 CSV）。", no_args_is_help=True
)

report_app = typer.Typer(help="周报告（xlsx 或可打印的 HTML）。", no_args_is_help=True)

ByOption = Annotated[str | None, typer.Option("--by", help="操作人（记入办理记录；默认为当前系统用户）")]
VersionOption = Annotated[int | None, typer.Option("--version", help="所见版本；与当前版本不符则拒绝")]


def _by(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "命令行"


def _date(text: str, option: str) -> dt.date:
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
    with user_errors(), open_store(store, settings=load_settings()) as target:
        today = dt.date.today()
        items = ProblemLedger(target).items()
        items = [
            i
            for i in items
            if (status is None or i.status == status) and (not overdue or overdue_days(i, today) > 0)
        ]
        console.print(_item_table(items, today))


@ledger_app.command()
def show(item_id: Annotated[str, typer.Argument(help="事项编号")], store: StoreOption = None) -> None:
    """显示一个事项及其全部办理记录。"""
    with user_errors(), open_store(store, settings=load_settings()) as target:
        ledger = ProblemLedger(target)
        item = ledger.get(item_id)
        console.print(_item_table([item], dt.date.today()))
        console.print(f"问题描述：{item.description}")
        if item.co_units:
            console.print(f"协办单位：{'、'.join(item.co_units)}")
        if item.closing_note:
            console.print(f"办结情况：{item.closing_note}")
        history = Table(title="办理记录")
        for header in ("序号", "时间", "操作人", "操作", "状态", "说明"):
            history.add_column(header)
        for e in ledger.history(item_id):
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
    with user_errors(), open_store(store, settings=load_settings()) as target:
        settings = load_settings()
        ledgers = target.load()
        known = set(ledgers.firms["id"]) | set(ledgers.projects["id"])
        if subject not in known:
            raise ConfigError(f"没有编号为 {subject} 的企业或项目，请先导入台账或检查编号")
        ledger = ProblemLedger(target)
        now = ledger.now()
        new_id = item_id or f"W{now:%Y%m%d%H%M%S}"
        item = LedgerItem(
            id=new_id,
            subject_id=subject,
            supplier_id=supplier,
            category=category,
            description=description,
            responsible_unit=unit
            or default_unit(category, is_project=subject in set(ledgers.projects["id"]), settings=settings),
            co_units=tuple(co_unit or ()),
            deadline=_date(deadline, "--deadline") if deadline else None,
            created_at=now,
            updated_at=now,
        )
        if not ledger.register([item], by=_by(by)):
            raise ConfigError(f"编号 {new_id} 已在问题台账中，请换一个编号")
        console.print(f"已挂号：{new_id}（责任单位：{item.responsible_unit}）")


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
    with user_errors(), open_store(store, settings=load_settings()) as target:
        new = ProblemLedger(target).act(
            item_id,
            action,
            by=_by(by),
            note=note,
            deadline=_date(deadline, "--deadline") if deadline else None,
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
    from chain_graph.gaps import analyze

    with user_errors(), open_store(store, settings=load_settings()) as target:
        settings = load_settings()
        ledgers = target.load()
        ledger = ProblemLedger(target)
        existing = ledger.items()
        imported = [
            i
            for i in items_from_problems(ledgers, at=ledger.now(), settings=settings)
            if i.id not in {e.id for e in existing}
        ]
        found = items_from_analysis(
            analyze(ledgers, settings=settings),
            ledgers,
            existing,
            at=ledger.now(),
            settings=settings,
            days=days,
        )
        new = set(ledger.register([*imported, *found], by=_by(by)))
        from_problems = sum(i.id in new for i in imported)
        console.print(
            f"新挂号 {len(new)} 项（其中导入问题台账 {from_problems} 项，"
            f"缺口分析 {len(new) - from_problems} 项）；原有 {len(existing)} 项未变。"
        )


@export_app.command("coordination")
def export_coordination(
    out: Annotated[Path, typer.Option("-o", "--output", help="输出文件")],
    fmt: Annotated[str, typer.Option("--format", help="xlsx 或 csv")] = "xlsx",
    by_region: Annotated[bool, typer.Option("--by-region", help="另按目标省/市分工作表")] = False,
    store: StoreOption = None,
) -> None:
    """跨区域协调清单（报省工业和信息化厅）。"""
    from exports.lists import coordination_sheets

    with user_errors(), open_store(store, settings=load_settings()) as target:
        ledgers, analysis = _analysed(target)
        _write(out, fmt, coordination_sheets(analysis, ledgers, as_of=dt.date.today(), by_region=by_region))


@export_app.command("local")
def export_local(
    out: Annotated[Path, typer.Option("-o", "--output", help="输出文件")],
    fmt: Annotated[str, typer.Option("--format", help="xlsx 或 csv")] = "xlsx",
    store: StoreOption = None,
) -> None:
    """本地配套企业督促复产清单（每个县市区一个工作表）。"""
    from exports.lists import local_sheets

    with user_errors(), open_store(store, settings=load_settings()) as target:
        ledgers, analysis = _analysed(target)
        _write(out, fmt, local_sheets(analysis, ledgers, as_of=dt.date.today()))


@export_app.command("ledger")
def export_ledger(
    out: Annotated[Path, typer.Option("-o", "--output", help="输出文件")],
    fmt: Annotated[str, typer.Option("--format", help="xlsx 或 csv")] = "xlsx",
    store: StoreOption = None,
) -> None:
    """问题台账（含办理状态；xlsx 另有办理记录工作表）。"""
    from exports.lists import ledger_sheets

    with user_errors(), open_store(store, settings=load_settings()) as target:
        ledger = ProblemLedger(target)
        items = ledger.items()
        events = [e for i in items for e in ledger.history(i.id)]
        sheets = ledger_sheets(items, events, target.load(), today=dt.date.today())
        # A CSV holds one table: the items (the history is the workbook's second sheet).
        _write(out, fmt, sheets if fmt == "xlsx" else sheets[:1])


def _analysed(target: Store) -> tuple[LedgerTables, GapAnalysis]:
    from chain_graph.gaps import analyze

    ledgers = target.load()
    return ledgers, analyze(ledgers, settings=load_settings())


def _write(out: Path, fmt: str, typed: list[Sheet]) -> None:
    from exports.workbook import write_csv, write_xlsx

    if fmt not in ("xlsx", "csv"):
        raise ConfigError(f"--format 只能是 xlsx 或 csv，当前为 {fmt!r}")
    if not out.parent.is_dir():
        raise ConfigError(f"输出目录 {out.parent} 不存在")
    (write_xlsx if fmt == "xlsx" else write_csv)(out, typed)
    rows = sum(len(s.rows) for s in typed)
    errors.print(f"已导出 {out}（{len(typed)} 个工作表，{rows} 行）")


@report_app.command("weekly")
def report_weekly(
    out: Annotated[Path, typer.Option("-o", "--output", help="输出文件（.xlsx 或 .html）")],
    start: Annotated[str | None, typer.Option("--from", help="报告期开始日（默认 7 天前）")] = None,
    end: Annotated[str | None, typer.Option("--to", help="报告期结束日（默认今天）")] = None,
    target: Annotated[float, typer.Option(help="重点企业产能恢复目标（0–1）")] = 0.9,
    store: StoreOption = None,
) -> None:
    """周报告：产能恢复对标、投资受影响、受阻配套企业、问题台账办理与责任单位排名。"""
    from chain_graph.report import report_period, weekly_report
    from exports.report import write_html, write_report_xlsx

    with user_errors(), open_store(store, settings=load_settings()) as target_store:
        first, last = report_period(
            _date(start, "--from") if start else None,
            _date(end, "--to") if end else None,
            today=dt.date.today(),
        )
        if not 0 < target <= 1:
            raise ConfigError(f"--target 应在 0 到 1 之间，当前为 {target}")
        if out.suffix.lower() not in (".xlsx", ".html"):
            raise ConfigError(f"周报告输出文件应以 .xlsx 或 .html 结尾，当前为 {out.name}")
        if not out.parent.is_dir():
            raise ConfigError(f"输出目录 {out.parent} 不存在")
        _, analysis = _analysed(target_store)
        ledger = ProblemLedger(target_store)
        items = ledger.items()
        events = [e for i in items for e in ledger.history(i.id)]
        report = weekly_report(analysis, items, events, start=first, end=last, target=target)
        if out.suffix.lower() == ".xlsx":
            write_report_xlsx(out, report)
        else:
            write_html(out, report, generated=ledger.now())
        errors.print(f"已生成周报告 {out}（{first} 至 {last}）")
