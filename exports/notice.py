"""The monthly dispatch (月调度) and quarterly inspection (季督查) notices: xlsx, HTML and Word.

One :class:`~chain_graph.scorecard.Scorecard` is written three ways, with the same title, the
same sentences and the same tables:

- a workbook (:func:`write_notice_xlsx`): the scorecard with a native bar chart of recovery
  per county, the overdue items and the blocked suppliers, printed as every workbook is
  (:mod:`exports.workbook`: A4, one page wide, 第 N 页 共 M 页);
- a printable page (:func:`render_notice_html`): inline SVG bars, no script, ``@page`` A4
  with page numbers, every text escaped;
- a Word document in the form of an official notice (通报, :func:`write_notice_docx`): title,
  主送, numbered body paragraphs with the figures, the tables, 落款 and date; A4 with the
  margins of the official-document standard (GB/T 9704), 仿宋 text, 第 N 页 共 M 页 in the
  footer as Word fields.

Figures print as the notice reads them: shares as ``82.1%``, changes in percentage points
(``+4.5`` 个百分点), money in 万元 with two decimals, counts as integers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from chain_graph.records import plain
from chain_graph.scorecard import Scorecard
from exports import docx
from exports.docx import (
    BODY_FONT,
    BODY_SIZE,
    body,
    font,
)
from exports.report import without_prolog
from exports.workbook import Chart, Column, PictureSheet, Sheet, atomic_path, write_xlsx

__all__ = [
    "ADDRESSEES",
    "BLOCKED_COLUMNS",
    "OVERDUE_COLUMNS",
    "SCORECARD_COLUMNS",
    "notice_title",
    "paragraphs",
    "render_notice_html",
    "write_notice",
    "write_notice_docx",
    "write_notice_html",
    "write_notice_xlsx",
]

ADDRESSEES = "各县市区人民政府，市直有关单位："
"""主送: the notice goes to the counties' governments and the city's units."""

SCORECARD_COLUMNS = (
    Column("rank", "排名", "int", 6),
    Column("name", "县市区", width=16),
    Column("recovery", "产能恢复率", "percent", 11),
    Column("recovery_points", "较上期（百分点）", "float", 11),
    Column("at_target", "达标企业（家）", "int", 12),
    Column("blocked", "受阻配套企业（家）", "int", 14),
    Column("value_at_risk", "影响产值与投资（万元）", "float", 16),
    Column("opened", "新挂号（项）", "int", 11),
    Column("closed", "销号（项）", "int", 10),
    Column("overdue", "逾期（项）", "int", 10),
    Column("compliance", "报送率", "percent", 10),
    Column("rank_change", "名次变化", "int", 9),
)
"""The scorecard's columns, in every format (the counties, then the city's line 全市)."""
OVERDUE_COLUMNS = (
    Column("order", "序号", "int", 6),
    Column("subject", "企业（项目）", width=26),
    Column("county", "县市区", width=14),
    Column("category", "类别", width=9),
    Column("description", "问题", width=30),
    Column("unit", "责任单位", width=18),
    Column("deadline", "办结期限", "date", 12),
    Column("overdue_days", "逾期天数", "int", 9),
)
BLOCKED_COLUMNS = (
    Column("rank", "序号", "int", 6),
    Column("name", "受阻配套企业", width=28),
    Column("place", "所在地", width=18),
    Column("capacity", "产能", "percent", 9),
    Column("value", "恢复后可挽回产值与投资（万元）", "float", 18),
    Column("affected", "影响重点企业和项目（个）", "int", 14),
)
_KINDS = {"month": "月调度", "quarter": "季督查"}
_pct, _money = docx.percent, docx.money
"""Shares as ``82.1%``, 万元 with two decimals; ``—`` when there is none (as the tables print them)."""


def notice_title(card: Scorecard) -> str:
    """Return the notice's title: 关于2026年11月产业链供应链保障工作月调度情况的通报."""
    return f"关于{card.period.label}产业链供应链保障工作{_KINDS[card.period.kind]}情况的通报"


def _points(value: Any) -> str:
    """Return a change of a share in percentage points, signed: ``+4.5``, ``-20.0``, ``0.0``."""
    value = plain(value)
    if value is None:
        return "—"
    points = round(float(value) * 100, 1) + 0.0
    return f"{points:+.1f}" if points else "0.0"


def _rank_change(value: Any) -> str:
    value = plain(value)
    return "—" if value is None else f"{int(value):+d}" if value else "0"


def _day(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def _change_words(value: Any) -> str:
    """较上期末 … as words: 提高 4.5 个百分点, 下降 20.0 个百分点, 持平."""
    value = plain(value)
    if value is None:
        return "无可比数据"
    points = round(float(value) * 100, 1)
    if points == 0:
        return "持平"
    return f"{'提高' if points > 0 else '下降'} {abs(points):.1f} 个百分点"


def _names(rows: pd.DataFrame) -> str:
    return "、".join(f"{r['name']}（{_pct(r['recovery'])}）" for r in rows.to_dict("records"))


def paragraphs(card: Scorecard, *, issuer: str) -> list[tuple[str, str, str]]:
    """Return the notice's body: (heading, text, tables after it) triples.

    The heading is empty for a paragraph that continues a section; the tables after a
    paragraph are ``"scorecard"``, ``"problems"`` or ``""``. Every figure in them is one of
    the scorecard's, printed as the tables print it.
    """
    city = card.city
    kind = _KINDS[card.period.kind]
    opening = (
        f"为推动产业链供应链保障工作落实落细，{issuer}对{card.period.label}（{_day(card.period.start)}至"
        f"{_day(card.end)}，共 {len(card.rounds)} 轮周报）各县市区工作情况进行了{kind}。"
        "现将有关情况通报如下："
    )
    met = card.target_met
    gap = (
        ""
        if met
        else f"，距目标还差 {max(card.target - (plain(city['recovery']) or 0.0), 0) * 100:.1f} 个百分点"
    )
    overall = (
        f"截至{_day(card.last_round)}，全市重点规模企业产值加权产能恢复率为 {_pct(city['recovery'])}，"
        f"较上期末（{_day(card.base_round)}）{_change_words(city['recovery_change'])}，"
        f"{'已达到' if met else '未达到'} {card.target * 100:.0f}% 的目标{gap}；"
        f"产能恢复达到目标的重点企业 {city['at_target']} 家；受阻配套企业 {city['blocked']} 家，"
        f"影响产值与投资 {_money(city['value_at_risk'])} 万元。"
    )
    ranked = card.counties[card.counties["rank"].notna()]
    if len(ranked) == 0:
        counties = "本期各县市区均无重点规模企业，未排名。"
    else:
        lead = min(3, len(ranked))
        counties = f"按产能恢复率排名，前 {lead} 位是{_names(ranked.head(lead))}"
        lag = min(3, len(ranked) - lead)
        counties += f"；排名靠后的是{_names(ranked.tail(lag))}。" if lag else "。"
        counties += "各县市区情况见表1。"
    up = ranked[ranked["rank_change"] > 0]
    down = ranked[ranked["rank_change"] < 0]
    moves = "；".join(
        f"名次{word}的有" + "、".join(rows["name"])
        for word, rows in (("上升", up), ("下降", down))
        if len(rows)
    )
    moves = f"与上期末相比，{moves}。" if moves else "与上期末相比，各县市区名次没有变化。"
    late = card.counties[card.counties["compliance"] < 1.0].sort_values(["compliance", "county"])
    reporting = (
        f"本期应报送 {city['due']} 家（个）次，实际报送 {city['reported']} 家（个）次，"
        f"按时报送率 {_pct(city['compliance'])}。"
    )
    if len(late):
        reporting += (
            "未全部按时报送的有"
            + "、".join(f"{r['name']}（{_pct(r['compliance'])}）" for r in late.to_dict("records"))
            + "。"
        )
    else:
        reporting += "各县市区均按时报送。"
    ledger = (
        f"本期新挂号问题 {city['opened']} 项，销号 {city['closed']} 项；截至{_day(card.end)}，"
        f"逾期未销号 {city['overdue']} 项。"
    )
    if len(card.overdue_items):
        first = card.overdue_items.iloc[0]
        ledger += (
            f"逾期时间最长的是{first['subject'] or first['subject_id']}的问题（{first['unit']}牵头），"
            f"已逾期 {int(first['overdue_days'])} 天。逾期问题见表2。"
        )
    if len(card.blocked_suppliers):
        top = card.blocked_suppliers.iloc[0]
        ledger += (
            f"恢复后可挽回产值与投资最多的受阻配套企业是{top['place']}的{top['name']}"
            f"（{_money(top['value'])} 万元），受阻配套企业见表3。"
        )
    demands = (
        "各县市区要对照排名找差距，排名靠后和报送率未达 100% 的县市区要认真分析原因，"
        "逐企逐项落实责任；责任单位要对逾期问题限时销号，确需延期的及时报批。"
    )
    return [
        ("", opening, ""),
        ("一、总体情况。", overall, ""),
        ("二、各县市区情况。", counties, "scorecard"),
        ("", moves, ""),
        ("三、填报情况。", reporting, ""),
        ("四、问题办理情况。", ledger, "problems"),
        ("五、下步工作要求。", demands, ""),
    ]


def _scorecard_rows(card: Scorecard) -> pd.DataFrame:
    """Return the counties then the city's line 全市, with the change in percentage points."""
    rows = [*card.counties.to_dict("records"), {**card.city, "name": "全市"}]
    table = pd.DataFrame(rows)
    table["recovery_points"] = pd.to_numeric(table["recovery_change"], errors="coerce") * 100
    table["rank"] = table["rank"].astype(object).where(table["rank"].notna(), None)
    return table


def _overdue_rows(card: Scorecard) -> pd.DataFrame:
    return card.overdue_items.assign(order=range(1, len(card.overdue_items) + 1))


def write_notice_xlsx(
    path: Path, card: Scorecard, *, exported: dt.date, regions_png: bytes | None = None
) -> None:
    """Write the scorecard (with a bar chart of recovery per county) and the top problems.

    ``regions_png`` (the regional distribution map) adds a last sheet, 区域分布图.
    """
    title = notice_title(card)
    target = f"产能恢复目标 {card.target * 100:.0f}%；排名按截至{_day(card.last_round)}的产能恢复率。"
    ranked = int(card.counties["rank"].notna().sum())  # the ranked counties come first
    chart = Chart(
        "各县市区产能恢复率",
        values="recovery",
        categories="name",
        width=20,
        rows=ranked,
        reverse=True,  # first ranked on top
        legend=False,
        own_page=True,
    )
    sheets: list[Sheet | PictureSheet] = [
        Sheet(
            "记分卡",
            f"{title}—表1 各县市区记分卡",
            SCORECARD_COLUMNS,
            _scorecard_rows(card),
            notes=(target,),
            exported=exported,
            chart=chart if ranked else None,
        ),
        Sheet(
            "逾期问题",
            f"{title}—表2 逾期时间最长的问题",
            OVERDUE_COLUMNS,
            _overdue_rows(card),
            exported=exported,
        ),
        Sheet(
            "受阻配套企业",
            f"{title}—表3 影响最大的受阻配套企业",
            BLOCKED_COLUMNS,
            card.blocked_suppliers,
            exported=exported,
        ),
    ]
    if regions_png:
        sheets.append(PictureSheet("区域分布图", f"{title}—受阻配套企业区域分布图", regions_png))
    write_xlsx(path, sheets)


def _svg_bars(card: Scorecard) -> str:
    """Recovery per ranked county as horizontal bars, the target as a dashed line (inline SVG)."""
    ranked = card.counties[card.counties["rank"].notna()]
    if ranked.empty:
        return "<p>本期各县市区均无重点规模企业。</p>"
    bar_h, label_w, chart_w = 22, 150, 380
    height = bar_h * len(ranked) + 34
    target_x = label_w + card.target * chart_w
    parts = [
        f'<svg width="{label_w + chart_w + 70}" height="{height}" role="img" aria-label="各县市区产能恢复率">'
    ]
    for i, row in enumerate(ranked.to_dict("records")):
        y = 10 + i * bar_h
        value = float(row["recovery"])
        colour = "#2166ac" if value >= card.target - 1e-12 else "#b2182b"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(str(row['name']))}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{value * chart_w:.1f}" height="{bar_h - 6}" '
            f'fill="{colour}"/>'
            f'<text x="{label_w + value * chart_w + 4:.1f}" y="{y + 15}" font-size="12">{_pct(value)}</text>'
        )
    bottom = 10 + len(ranked) * bar_h
    parts.append(
        f'<line x1="{target_x:.1f}" y1="6" x2="{target_x:.1f}" y2="{bottom + 4}" stroke="#333" '
        'stroke-dasharray="4 3"/>'
        f'<text x="{target_x:.1f}" y="{bottom + 18}" text-anchor="middle" font-size="11">'
        f"目标 {card.target * 100:.0f}%</text></svg>"
    )
    return "".join(parts)


def _cells(rows: pd.DataFrame, columns: Sequence[Column]) -> list[list[tuple[str, bool]]]:
    """Every row as (printed text, is a figure) per column: the same text in HTML and Word."""
    return [[_cell(row.get(c.key), c) for c in columns] for row in rows.to_dict("records")]


def _cell(value: Any, column: Column) -> tuple[str, bool]:
    value = plain(value)
    if column.key == "rank_change":
        return _rank_change(value), True
    if column.key == "recovery_points":
        return ("—" if value is None else _points(value / 100)), True
    return docx.printed(value, column.kind)


def _tables(card: Scorecard) -> list[tuple[str, Sequence[Column], list[list[tuple[str, bool]]], str]]:
    """Return the notice's tables: caption, columns, printed cells, and what to say when empty."""
    return [
        ("表1 各县市区记分卡", SCORECARD_COLUMNS, _cells(_scorecard_rows(card), SCORECARD_COLUMNS), ""),
        (
            "表2 逾期时间最长的问题",
            OVERDUE_COLUMNS,
            _cells(_overdue_rows(card), OVERDUE_COLUMNS),
            "本期末无逾期未销号问题。",
        ),
        (
            "表3 影响最大的受阻配套企业",
            BLOCKED_COLUMNS,
            _cells(card.blocked_suppliers, BLOCKED_COLUMNS),
            "本期末无受阻配套企业。",
        ),
    ]


def render_notice_html(card: Scorecard, *, issuer: str, issued: dt.date, regions_svg: str = "") -> str:
    """Return the printable HTML page of the notice (``regions_svg``: the regional map, inline)."""
    env = Environment(loader=PackageLoader("exports", "templates"), autoescape=select_autoescape(["html"]))
    return env.get_template("notice.html").render(
        title=notice_title(card),
        addressees=ADDRESSEES,
        paragraphs=paragraphs(card, issuer=issuer),
        tables=_tables(card),
        chart=_svg_bars(card),
        issuer=issuer,
        issued=docx.signed(issued),
        regions=Markup(without_prolog(regions_svg)),
    )


def write_notice_html(
    path: Path, card: Scorecard, *, issuer: str, issued: dt.date, regions_svg: str = ""
) -> None:
    """Write the HTML page (UTF-8) atomically."""
    page = render_notice_html(card, issuer=issuer, issued=issued, regions_svg=regions_svg)
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")


_DOCX_WIDTHS_MM = {
    "表1": (8, 17, 15, 13, 11, 11, 24, 10, 10, 10, 14, 10),
    "表2": (9, 26, 16, 12, 38, 20, 21, 11),
    "表3": (9, 40, 28, 14, 35, 30),
}
"""Column widths of the Word tables (mm, each table 153–156 of the 156 mm between margins):
wide enough for the largest figure at 9 pt, so that figures never wrap."""


def _docx_table(
    document: Any, caption: str, columns: Sequence[Column], cells: list[list[tuple[str, bool]]], empty: str
) -> None:
    widths = _DOCX_WIDTHS_MM[caption.split(maxsplit=1)[0]]
    docx.table(document, caption, [c.header for c in columns], cells, widths_mm=widths, empty=empty)


def build_notice_docx(
    card: Scorecard, *, issuer: str, issued: dt.date, regions_png: bytes | None = None
) -> Any:
    """Return the notice as a python-docx ``Document`` (title, 主送, body, tables, the map, 落款, date)."""
    document = docx.document_with_title(notice_title(card))
    font(document.add_paragraph().add_run(ADDRESSEES), BODY_FONT, BODY_SIZE)
    tables = _tables(card)
    for heading, text, after in paragraphs(card, issuer=issuer):
        body(document, heading, text)
        for table in tables[:1] if after == "scorecard" else tables[1:] if after == "problems" else []:
            _docx_table(document, *table)
    if regions_png:
        docx.figure(document, "附图 受阻配套企业区域分布图", regions_png, width_mm=160)
    docx.signature(document, issuer, issued)
    return document


def write_notice_docx(
    path: Path, card: Scorecard, *, issuer: str, issued: dt.date, regions_png: bytes | None = None
) -> None:
    """Write the Word notice (.docx) atomically."""
    document = build_notice_docx(card, issuer=issuer, issued=issued, regions_png=regions_png)
    with atomic_path(path) as tmp:
        document.save(str(tmp))


def write_notice(
    path: Path,
    card: Scorecard,
    *,
    issuer: str,
    issued: dt.date,
    regions_svg: str = "",
    regions_png: bytes | None = None,
) -> None:
    """Write the notice as ``.xlsx``, ``.html`` or ``.docx``, by the file's suffix.

    The regional distribution map goes in as ``regions_svg`` (HTML) or ``regions_png``
    (Word, Excel), when given.

    Raises
    ------
    ValueError
        When the suffix is none of those (the caller says so in its own words first).
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".xlsx":
        write_notice_xlsx(path, card, exported=issued, regions_png=regions_png)
    elif suffix == ".html":
        write_notice_html(path, card, issuer=issuer, issued=issued, regions_svg=regions_svg)
    elif suffix == ".docx":
        write_notice_docx(path, card, issuer=issuer, issued=issued, regions_png=regions_png)
    else:
        msg = f"a notice is written as .xlsx, .html or .docx, not {path.name}"
        raise ValueError(msg)
