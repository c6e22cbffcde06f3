"""``chain-graph export …`` and ``chain-graph report …``: the documents officials exchange.

The same use cases as the console's downloads (:mod:`application.documents`), for the whole
city, written to a file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from application import documents
from application.visibility import Visibility
from chain_graph.errors import ConfigError
from cli.common import StoreOption, errors, user_errors, workspace
from cli.ledger import parse_date
from exports.workbook import Sheet

__all__ = ["export_app", "report_app"]

export_app = typer.Typer(
    help="导出协调清单、本地督促复产清单和问题台账（xlsx 或 CSV）。", no_args_is_help=True
)
report_app = typer.Typer(
    help="周报告（xlsx 或可打印的 HTML）；月调度、季督查通报（xlsx、HTML 或 Word）。", no_args_is_help=True
)
CITY = Visibility.whole_city()

OutOption = Annotated[Path, typer.Option("-o", "--output", help="输出文件")]
FormatOption = Annotated[str, typer.Option("--format", help="xlsx 或 csv")]


def _output(out: Path) -> None:
    if not out.parent.is_dir():
        raise ConfigError(f"输出目录 {out.parent} 不存在")


def _write(out: Path, fmt: str, sheets: list[Sheet]) -> None:
    if fmt not in ("xlsx", "csv"):
        raise ConfigError(f"--format 只能是 xlsx 或 csv，当前为 {fmt!r}")
    _output(out)
    documents.write_sheets(out, sheets, fmt="xlsx" if fmt == "xlsx" else "csv")
    written = sheets if fmt == "xlsx" else sheets[:1]
    errors.print(f"已导出 {out}（{len(written)} 个工作表，{sum(len(s.rows) for s in written)} 行）")


@export_app.command("coordination")
def export_coordination(
    out: OutOption,
    fmt: FormatOption = "xlsx",
    by_region: Annotated[bool, typer.Option("--by-region", help="另按目标省/市分工作表")] = False,
    store: StoreOption = None,
) -> None:
    """跨区域协调清单（报省工业和信息化厅）。"""
    with user_errors(), workspace(store) as ws:
        _, sheets = documents.coordination_document(
            ws.snapshot(), CITY, as_of=dt.date.today(), by_region=by_region
        )
        _write(out, fmt, sheets)


@export_app.command("local")
def export_local(out: OutOption, fmt: FormatOption = "xlsx", store: StoreOption = None) -> None:
    """本地配套企业督促复产清单（每个县市区一个工作表）。"""
    with user_errors(), workspace(store) as ws:
        _, sheets = documents.local_document(ws.snapshot(), CITY, as_of=dt.date.today())
        _write(out, fmt, sheets)


@export_app.command("ledger")
def export_ledger(out: OutOption, fmt: FormatOption = "xlsx", store: StoreOption = None) -> None:
    """问题台账（含办理状态；xlsx 另有办理记录工作表）。"""
    with user_errors(), workspace(store) as ws:
        _, sheets = documents.ledger_document(ws.ledger(), ws.snapshot(), CITY, today=dt.date.today())
        _write(out, fmt, sheets)


@report_app.command("weekly")
def report_weekly(
    out: Annotated[Path, typer.Option("-o", "--output", help="输出文件（.xlsx、.html 或 Word .docx）")],
    start: Annotated[str | None, typer.Option("--from", help="报告期开始日（默认 7 天前）")] = None,
    end: Annotated[str | None, typer.Option("--to", help="报告期结束日（默认今天）")] = None,
    target: Annotated[
        float | None, typer.Option(help="重点企业产能恢复目标（0–1；默认取设置 capacity_target）")
    ] = None,
    store: StoreOption = None,
) -> None:
    """周报告：产能恢复对标、投资受影响、受阻配套企业、问题台账办理与责任单位排名。"""
    with user_errors(), workspace(store) as ws:
        first = parse_date(start, "--from") if start else None
        last = parse_date(end, "--to") if end else None
        if out.suffix.lower() not in (".xlsx", ".html", ".docx"):
            raise ConfigError(f"周报告输出文件应以 .xlsx、.html 或 .docx 结尾，当前为 {out.name}")
        _output(out)
        snap = ws.snapshot()
        report = documents.weekly(ws, snap, CITY, start=first, end=last, today=dt.date.today(), target=target)
        documents.write_report(ws, report, out, regions_svg=documents.regions_figure(snap, CITY))
        errors.print(f"已生成周报告 {out}（{report.start} 至 {report.end}）")


NoticeOutOption = Annotated[Path, typer.Option("-o", "--output", help="输出文件（.xlsx、.html 或 .docx）")]
IssuerOption = Annotated[str | None, typer.Option("--issuer", help="落款单位（默认：本市工业和信息化局）")]


def _notice(out: Path, period_text: str, *, quarterly: bool, issuer: str | None, store: str | None) -> None:
    from application import notices
    from chain_graph.scorecard import parse_month, parse_quarter

    with user_errors(), workspace(store) as ws:
        period = parse_quarter(period_text) if quarterly else parse_month(period_text)
        if out.suffix.lower() not in notices.NOTICE_SUFFIXES:
            raise ConfigError(f"通报输出文件应以 .xlsx、.html 或 .docx 结尾，当前为 {out.name}")
        _output(out)
        snap = ws.snapshot()
        card = notices.notice(ws, snap, period=period, today=dt.date.today())
        notices.write_notice_file(
            ws,
            card,
            out,
            issuer=issuer or notices.default_issuer(ws.settings),
            regions_svg=documents.regions_figure(snap, CITY),
        )
        errors.print(
            f"已生成{period.label}{'季督查' if quarterly else '月调度'}通报 {out}（截至 {card.last_round}）"
        )


@report_app.command("monthly")
def report_monthly(
    out: NoticeOutOption,
    month: Annotated[str, typer.Option("--month", help="月份，如 2026-11")],
    issuer: IssuerOption = None,
    store: StoreOption = None,
) -> None:
    """月调度通报：各县市区记分卡（产能恢复、排名、问题台账、报送率）和全市突出问题。"""
    _notice(out, month, quarterly=False, issuer=issuer, store=store)


@report_app.command("quarterly")
def report_quarterly(
    out: NoticeOutOption,
    quarter: Annotated[str, typer.Option("--quarter", help="季度，如 2026Q4")],
    issuer: IssuerOption = None,
    store: StoreOption = None,
) -> None:
    """季督查通报：各县市区记分卡（产能恢复、排名、问题台账、报送率）和全市突出问题。"""
    _notice(out, quarter, quarterly=True, issuer=issuer, store=store)
