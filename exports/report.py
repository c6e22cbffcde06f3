"""The weekly report as a workbook (with a bar chart) and as a printable HTML page.

The HTML page is self-contained: styles inline, the chart an inline SVG, no script and
no request to any other host; every text from the ledgers is escaped (Jinja2 autoescape).
"""

from __future__ import annotations

import datetime as dt
import math
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from chain_graph.labels import METRIC_LABELS, TARGET_STATE_LABELS
from chain_graph.report import WeeklyReport
from exports import docx
from exports.workbook import Chart, Column, PictureSheet, Sheet, atomic_path, write_xlsx

__all__ = ["build_report_docx", "render_html", "write_html", "write_report_docx", "write_report_xlsx"]

UNIT_COLUMNS = (
    Column("rank", "排名", "int", 6),
    Column("unit", "责任单位", width=24),
    Column("registered", "本期挂号", "int", 10),
    Column("closed", "本期销号", "int", 10),
    Column("open", "未销号", "int", 9),
    Column("overdue", "逾期", "int", 8),
    Column("overdue_days", "逾期天数合计", "int", 12),
    Column("due", "应办结", "int", 9),
    Column("on_time", "按期办结", "int", 10),
    Column("rate", "按期办结率", "percent", 12),
)
SUMMARY_COLUMNS = (
    Column("item", "指标", width=30),
    Column("value", "数值", "float", 18, kind_key="kind"),
    Column("unit", "单位", width=10),
)
"""概况: one figure a row, each with its own kind (a count, a rate, a sum of money)."""
PROGRESS_COLUMNS = (
    Column("round", "轮次（截至）", "date", 14),
    Column("recovery", "产能恢复率", "percent", 12),
    Column("availability", "产值加权可用度", "percent", 14),
    Column("at_target", "产能达标的重点企业（家）", "int", 22),
)
UNREPORTED_COLUMNS = (
    Column("no", "序号", "int", 6),
    Column("county", "县市区", width=14),
    Column("id", "编号", width=14),
    Column("name", "未按时报送的企业或项目", width=40),
)
"""未报送名单: every firm and project that did not report in the last round, by county."""
SCOPE_COLUMNS = (
    Column("label", "所在地", width=14),
    Column("suppliers", "受阻企业数", "int", 12),
    Column("value", "影响产值与投资（万元）", "float", 22),
)


def _title(report: WeeklyReport) -> str:
    area = "" if report.area == "全市" else report.area
    return f"{area}产业链供应链保障工作周报告（{report.start:%Y年%m月%d日}—{report.end:%m月%d日}）"


def _summary(report: WeeklyReport) -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("重点规模企业数", report.enterprises, "家", "int"),
            ("产值加权产能恢复率", report.recovery, "", "percent"),
            ("恢复目标", report.target, "", "percent"),
            ("低于目标的重点企业", report.enterprises_below_target, "家", "int"),
            ("影响产值（全部企业）", report.output_at_risk, "万元", "float"),
            ("重点建设项目数", report.projects, "个", "int"),
            ("年度计划投资", report.annual_plan, "万元", "float"),
            ("受影响投资", report.investment_at_risk, "万元", "float"),
        ],
        columns=["item", "value", "unit", "kind"],
    )


UNREPORTED_NAMES_SHOWN = 10
"""Names of firms and projects that did not report shown per county in the printed report
(a county of a province misses hundreds in a round; the Excel version lists them all)."""


def write_report_xlsx(
    path: Path, report: WeeklyReport, *, exported: dt.date, regions_png: bytes | None = None
) -> None:
    """Write the report: 概况, 受阻配套企业, 责任单位考核排名 (with a bar chart of the rates).

    ``exported`` (the export date) is printed in every page's footer. The chart stands
    below the ranking, inside its print area, so that it prints with it. ``regions_png``
    (the regional distribution map as an image) adds a last sheet, 区域分布图.
    """
    title = _title(report)
    write_xlsx(
        path,
        [
            Sheet(
                "概况",
                title,
                SUMMARY_COLUMNS,
                _summary(report),
                notes=(f"结论：产能恢复{'已' if report.target_met else '未'}达到目标。",),
                exported=exported,
            ),
            Sheet(
                "受阻配套企业",
                f"{title}—受阻配套企业",
                SCOPE_COLUMNS,
                report.blocked_by_scope,
                exported=exported,
            ),
            Sheet(
                "责任单位考核排名",
                f"{title}—责任单位考核排名",
                UNIT_COLUMNS,
                report.units,
                exported=exported,
                chart=Chart("按期办结率", values="rate", categories="unit", reverse=True),
            ),
            *(
                []
                if report.trend is None
                else [
                    Sheet(
                        "复工复产进度",
                        f"{title}—复工复产进度（各轮）",
                        PROGRESS_COLUMNS,
                        report.trend,
                        exported=exported,
                    )
                ]
            ),
            *(
                []
                if report.unreported is None or report.unreported.empty
                else [
                    Sheet(
                        "未报送名单",
                        f"{title}—最近一轮未按时报送名单",
                        UNREPORTED_COLUMNS,
                        _unreported_rows(report.unreported),
                        exported=exported,
                    )
                ]
            ),
            *(
                [PictureSheet("区域分布图", f"{title}—受阻配套企业区域分布图", regions_png)]
                if regions_png
                else []
            ),
        ],
    )


def _unreported_rows(unreported: pd.DataFrame) -> pd.DataFrame:
    """One row per firm or project that did not report, by county in the table's order."""
    rows = [
        (county, str(node), str(name))
        for county, ids, names in zip(
            unreported["name"], unreported["missing"], unreported["missing_names"], strict=True
        )
        for node, name in zip(ids, names, strict=True)
    ]
    table = pd.DataFrame(rows, columns=["county", "id", "name"])
    return table.assign(no=range(1, len(table) + 1))


def _svg_bars(units: pd.DataFrame) -> str:
    """Draw the on-time rates as a horizontal bar chart in inline SVG (no script, no request)."""
    rows = [(str(u), r) for u, r in zip(units["unit"], units["rate"], strict=True)]
    if not rows:
        return "<p>本期无应办结事项。</p>"
    bar_h, label_w, chart_w = 22, 220, 420
    height = bar_h * len(rows) + 30
    parts = [f'<svg width="{label_w + chart_w + 70}" height="{height}" role="img" aria-label="按期办结率">']
    for i, (unit, rate) in enumerate(rows):
        y = 10 + i * bar_h
        missing = rate is None or math.isnan(float(rate))
        value = 0.0 if missing else float(rate)
        text = "—" if missing else f"{value * 100:.1f}%"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">{escape(unit)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{value * chart_w:.1f}" height="{bar_h - 6}" '
            'fill="#2166ac"/>'
        )
        parts.append(
            f'<text x="{label_w + value * chart_w + 4:.1f}" y="{y + 15}" font-size="12">{text}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: WeeklyReport, *, generated: dt.datetime, regions_svg: str = "") -> str:
    """Return the printable HTML page of the report (``regions_svg``: the regional map, inline)."""
    env = Environment(loader=PackageLoader("exports", "templates"), autoescape=select_autoescape(["html"]))
    units = report.units.astype(object).where(report.units.notna(), None)
    return env.get_template("weekly.html").render(
        title=_title(report),
        report=report,
        generated=f"{generated:%Y-%m-%d %H:%M}",
        scopes=report.blocked_by_scope.to_dict("records"),
        units=units.to_dict("records"),
        chart=_svg_bars(report.units),
        trend=[] if report.trend is None else _records(report.trend),
        targets=list(report.targets),
        metric_labels=METRIC_LABELS,
        state_labels=TARGET_STATE_LABELS,
        unreported=[] if report.unreported is None else _records(report.unreported),
        names_shown=UNREPORTED_NAMES_SHOWN,
        regions=Markup(without_prolog(regions_svg)),
    )


def without_prolog(svg: str) -> str:
    """Return an SVG document as an element to put inside HTML (no XML declaration)."""
    return svg.split("?>", 1)[1].lstrip() if svg.startswith("<?xml") else svg


def _records(table: pd.DataFrame) -> list[dict[str, object]]:
    return [
        {str(k): v for k, v in row.items()}
        for row in table.astype(object).where(table.notna(), None).to_dict("records")
    ]


def write_html(path: Path, report: WeeklyReport, *, generated: dt.datetime, regions_svg: str = "") -> None:
    """Write the HTML page (UTF-8) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(render_html(report, generated=generated, regions_svg=regions_svg), encoding="utf-8")


def _pct(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{value * 100:.1f}%"


def build_report_docx(
    report: WeeklyReport, *, issuer: str, issued: dt.date, regions_png: bytes | None = None
) -> Any:
    """Return the weekly report as a Word document in the official form (python-docx ``Document``).

    Title, body paragraphs with the figures (recovery against the target, projects, blocked
    suppliers by scope, the ledger, the campaign's rounds and who has not reported), the
    units' ranking and the rounds as tables with a repeated header, 落款 and date.
    """
    document = docx.document_with_title(_title(report))
    met = "已达到" if report.target_met else "未达到"
    docx.body(
        document,
        "一、重点规模企业产能恢复。",
        f"重点规模企业 {report.enterprises} 家，产值加权产能恢复率 {_pct(report.recovery)}，{met}"
        f" {_pct(report.target)} 的目标；低于目标的 {report.enterprises_below_target} 家；"
        f"影响产值（全部企业）{report.output_at_risk:,.2f} 万元。",
    )
    docx.body(
        document,
        "二、重点建设项目。",
        f"重点项目 {report.projects} 个，年度计划投资 {report.annual_plan:,.2f} 万元，"
        f"受影响投资 {report.investment_at_risk:,.2f} 万元。",
    )
    scopes = "；".join(
        f"{row['label']} {int(row['suppliers'])} 家（影响产值与投资 {row['value']:,.2f} 万元）"
        for row in report.blocked_by_scope.to_dict("records")
        if row["suppliers"]
    )
    docx.body(document, "三、受阻配套企业。", (scopes or "没有受阻配套企业") + "。")
    units = report.units.astype(object).where(report.units.notna(), None).to_dict("records")
    docx.body(document, "四、问题台账办理情况。", "各责任单位办理情况和按期办结率排名见表1。")
    docx.table(
        document,
        "表1 责任单位考核排名",
        ["排名", "责任单位", "本期挂号", "本期销号", "未销号", "逾期", "应办结", "按期办结", "按期办结率"],
        [
            [
                ("—" if u["rank"] is None else str(u["rank"]), True),
                (str(u["unit"]), False),
                *(
                    (str(int(u[k])), True)
                    for k in ("registered", "closed", "open", "overdue", "due", "on_time")
                ),
                (_pct(u["rate"]), True),
            ]
            for u in units
        ],
        widths_mm=[10, 40, 14, 14, 14, 12, 14, 14, 18],
    )
    if report.trend is not None and len(report.trend):
        last = report.trend.iloc[-1]
        unreported = [] if report.unreported is None else list(report.unreported["name"])
        docx.body(
            document,
            "五、复工复产进度。",
            f"截至 {last['round']}，产能恢复率 {_pct(last['recovery'])}，"
            f"产值加权可用度 {_pct(last['availability'])}，"
            f"产能达标的重点企业 {int(last['at_target'])} 家；各轮见表2。"
            + (
                f"最近一轮未按时报送的有{'、'.join(unreported)}。" if unreported else "最近一轮全部按时报送。"
            ),
        )
        docx.table(
            document,
            "表2 复工复产进度（各轮）",
            ["轮次（截至）", "产能恢复率", "产值加权可用度", "产能达标的重点企业（家）"],
            [
                [
                    (str(r["round"]), False),
                    (_pct(r["recovery"]), True),
                    (_pct(r["availability"]), True),
                    (str(int(r["at_target"])), True),
                ]
                for r in report.trend.to_dict("records")
            ],
            widths_mm=[40, 36, 40, 40],
        )
    if regions_png:
        docx.figure(document, "图1 受阻配套企业区域分布图", regions_png, width_mm=160)
    docx.signature(document, issuer, issued)
    return document


def write_report_docx(
    path: Path, report: WeeklyReport, *, issuer: str, issued: dt.date, regions_png: bytes | None = None
) -> None:
    """Write the weekly report as a Word document (.docx), atomically."""
    document = build_report_docx(report, issuer=issuer, issued=issued, regions_png=regions_png)
    with atomic_path(path) as tmp:
        document.save(str(tmp))
