"""The city's letters (函) as Word documents and workbooks: 商请函 to the province, 复函 to a city.

A **商请函** asks the provincial industry department to coordinate the resumption of
suppliers outside the city (属地原则: only their own governments can act on them). It
reads as officials write one (GB/T 9704, 信函格式): the number right-aligned above the
title, 主送, the body — why the city asks (key enterprises and projects held back by
suppliers beyond its reach), the figures (how many suppliers, the value held back in
万元, the fewest days of stock left), what it asks (协调诉求) —, the 附件说明, the 落款 with
the date in Chinese, the contact person as 附注, and then the attachment on landscape
pages: 跨区域协调事项清单, the coordination list's rows for the letter's suppliers. A letter
whose suppliers are in other provinces says 跨省协调 and names those provinces.

A **复函** answers another city's requests about suppliers in this city: one numbered
paragraph per request with the supplier, the buyers it holds back there, the outcome
(:data:`chain_graph.coordination.OUTCOME_LABELS`) and what was done.

The workbook of a letter holds the same content: the coordination list sheet
(:func:`exports.lists.coordination_sheets`, titled with the letter's number) for a
商请函, a sheet 复函事项 for a 复函. Both are returned as bytes: the caller stores or sends
them.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from typing import Any

import pandas as pd
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from chain_graph.coordination import (
    OUTCOME_LABELS,
    CoordinationRequest,
    Direction,
    Letter,
    LetterKind,
)
from chain_graph.settings import Settings
from exports import docx
from exports.docx import BODY_FONT, BODY_SIZE, HEADING_FONT, TITLE_FONT, body, font
from exports.lists import COORDINATION_COLUMNS, coordination_sheets
from exports.workbook import Column, Sheet, workbook_bytes

__all__ = [
    "ATTACHMENT_TITLE",
    "LETTER_COLUMNS",
    "REPLY_COLUMNS",
    "contact_line",
    "letter_docx",
    "letter_xlsx",
    "reply_rows",
]

ATTACHMENT_TITLE = "跨区域协调事项清单"
"""The attachment of a 商请函 (附件)."""

_LETTER_KEYS = (
    "no",
    "buyer",
    "buyer_county",
    "supplier",
    "supplier_place",
    "material",
    "problem",
    "request",
    "output",
    "investment",
    "stock_days",
    "recovery_days",
    "priority",
)
_SHORT_HEADERS = {"supplier_place": "配套企业所在地"}
LETTER_COLUMNS = tuple(
    dataclasses.replace(c, header=_SHORT_HEADERS.get(c.key, c.header))
    for key in _LETTER_KEYS
    for c in COORDINATION_COLUMNS
    if c.key == key
)
"""The attachment's columns: the coordination list's, less 合计 and 建议协调单位 (the
letter itself goes to the province)."""

_LETTER_WIDTHS_MM = (8, 26, 14, 26, 22, 13, 30, 29, 22, 22, 11, 11, 10)
"""Widths of the attachment's columns (244 of the 247 mm between a landscape page's margins):
the figures' columns wide enough for 1,234,567.89 at 9 pt, so that they never wrap."""

REPLY_COLUMNS = (
    Column("no", "序号", "int", 6),
    Column("supplier", "配套企业", width=30),
    Column("material", "配套产品", width=16),
    Column("buyer", "需求企业/项目", width=34),
    Column("value", "影响产值与投资（万元）", "float", 14),
    Column("outcome", "协调结果", width=12),
    Column("feedback", "反馈情况", width=50),
)
"""The 复函事项 sheet: one row per answered request."""

_PENDING_OUTCOME = "正在协调"
"""The outcome a reply prints for a request not yet answered."""


def contact_line(settings: Settings) -> str:
    """Return the letter's 附注 (联系人 and 联系电话), or ``""`` when neither is set.

    Examples
    --------
    >>> contact_line(Settings(letter_contact="张三", letter_phone="0745-2712345"))
    '（联系人：张三，联系电话：0745-2712345）'
    >>> contact_line(Settings(letter_phone="0745-2712345")), contact_line(Settings())
    ('（联系电话：0745-2712345）', '')
    """
    parts = [
        f"{label}：{value.strip()}"
        for label, value in (("联系人", settings.letter_contact), ("联系电话", settings.letter_phone))
        if value.strip()
    ]
    return f"（{'，'.join(parts)}）" if parts else ""


def _check(letter: Letter, requests: Sequence[CoordinationRequest]) -> None:
    """Refuse requests that are not the letter's, or of the wrong direction; all at once."""
    direction = Direction.OUTGOING if letter.kind == LetterKind.REQUEST else Direction.INCOMING
    problems = [f"函件 {letter.number or '（未编号）'} 没有协调事项"] if not requests else []
    for request in requests:
        if request.id not in letter.request_ids:
            problems.append(f"协调事项 {request.id} 不在函件 {letter.number} 中")
        if request.direction != direction:
            problems.append(
                f"协调事项 {request.id} 是{'外地来函' if request.direction == 'incoming' else '本市发函'}"
            )
    if problems:
        raise ValueError("；".join(problems))


def _you(recipient: str) -> str:
    """How the letter addresses its recipient: 贵厅, 贵局, 贵委 — the unit's last character."""
    return f"贵{recipient[-1]}" if recipient[-1:] in ("厅", "局", "委", "办") else "贵单位"


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _some(names: list[str], unit: str, *, most: int = 5) -> str:
    """Name a few places, and how many there are when there are more.

    Examples
    --------
    >>> _some(["长沙市", "株洲市"], "市州"), _some(list("甲乙丙丁戊己"), "市州")
    ('长沙市、株洲市', '甲、乙、丙、丁、戊等 6 个市州')
    >>> _some([], "市州")
    '省内其他市州'
    """
    if not names:
        return f"省内其他{unit}" if unit == "市州" else f"省外有关{unit}"
    if len(names) <= most:
        return "、".join(names)
    return f"{'、'.join(names[:most])}等 {len(names)} 个{unit}"


def _chinese_number(n: int) -> str:
    """Return 1…99 as officials number sections: 一, 十, 十一, 二十三.

    Examples
    --------
    >>> [_chinese_number(n) for n in (1, 10, 11, 20, 23)]
    ['一', '十', '十一', '二十', '二十三']
    """
    digits = "〇一二三四五六七八九"
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else f"{digits[tens]}十"
    return head + (digits[ones] if ones else "")


def _request_body(letter: Letter, requests: Sequence[CoordinationRequest]) -> list[str]:
    """Return the paragraphs of a 商请函: why, the figures, what is asked, the close."""
    you = _you(letter.recipient)
    buyers = _unique([b for r in requests for b in r.buyers])
    regions = _some(
        _unique([r.target_region for r in requests]),
        "省（区、市）" if letter.cross_province else "市州",
    )
    held = f" {len(buyers)} 家重点企业和项目" if buyers else "部分重点企业和项目"
    where = f"省外的{regions}" if letter.cross_province else regions
    why = (
        f"近期，我市{held}因配套企业停产、减产，配套供应受阻，生产建设受到影响。"
        f"相关配套企业位于{where}，不在我市管辖范围，按照属地原则，需由其所在地政府推动复工复产。"
    )
    total = sum(r.recovered_value for r in requests)
    days = [r.days_to_impact for r in requests if r.days_to_impact is not None]
    figures = (
        f"经梳理，本次商请协调的配套企业共 {len(_unique([r.supplier_id for r in requests]))} 家，"
        f"恢复供应后可挽回我市重点企业和项目产值与投资合计 {docx.money(total)} 万元"
    )
    if days:
        least = min(days)
        figures += (
            "；其中最紧迫的需求企业（项目）库存已经用尽"
            if least <= 0
            else f"；其中最紧迫的需求企业（项目）现有库存仅可维持 {least} 天"
        )
    figures += "。"
    if letter.cross_province:
        ask = (
            f"为保障我市重点企业和项目正常生产建设，恳请{you}按照跨省协调机制，商请上述配套企业所在省（区、市）"
            "工业和信息化主管部门协调企业所在地政府，督促企业尽快恢复生产，优先保障我市配套产品供应。"
        )
    else:
        ask = (
            f"为保障我市重点企业和项目正常生产建设，恳请{you}协调上述配套企业所在市州工业和信息化主管部门，"
            "督促企业尽快恢复生产，优先保障我市配套产品供应。"
        )
    return [why, figures, ask, "具体事项见附件。专此函商，盼复。"]


def _reply_body(letter: Letter, requests: Sequence[CoordinationRequest]) -> list[tuple[str, str]]:
    """Return the paragraphs of a 复函: the opening, one per request, the close."""
    theirs = "、".join(_unique([r.letter for r in requests]))
    received = f"你{letter.recipient[-1:] or '局'}来函（{theirs}）收悉" if theirs else "来函收悉"
    counts = "、".join(
        f"{label} {n} 项"
        for outcome, label in OUTCOME_LABELS.items()
        if (n := sum(r.outcome == outcome for r in requests))
    )
    pending = sum(r.outcome is None for r in requests)
    summary = "、".join(p for p in (counts, f"{_PENDING_OUTCOME} {pending} 项" if pending else "") if p)
    paragraphs = [
        (
            "",
            f"{received}。经我局协调，现将所涉我市配套企业的办理情况函复如下（共 {len(requests)} 项，"
            f"其中{summary}）：",
        )
    ]
    for k, request in enumerate(requests, start=1):
        outcome = OUTCOME_LABELS[request.outcome] if request.outcome else _PENDING_OUTCOME
        details = [
            f"配套产品：{'、'.join(request.materials)}" if request.materials else "",
            f"你市需求企业（项目）：{'、'.join(request.buyers)}" if request.buyers else "",
        ]
        about = "；".join(d for d in details if d)
        feedback = request.feedback.strip() or "我局正在督促企业恢复生产，有进展将及时函告。"
        text = f"{about}。协调结果：{outcome}。{feedback}" if about else f"协调结果：{outcome}。{feedback}"
        paragraphs.append((f"{_chinese_number(k)}、{request.supplier or request.supplier_id}。", text))
    paragraphs.append(("", "特此函复。"))
    return paragraphs


def _heading(document: Any, letter: Letter) -> None:
    """Add the number right-aligned above the title, and 主送 under it."""
    title = document.paragraphs[0]
    number = title.insert_paragraph_before()
    number.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    number.paragraph_format.space_after = Pt(16)
    font(number.add_run(letter.number), BODY_FONT, BODY_SIZE)
    font(document.add_paragraph().add_run(f"{letter.recipient}："), BODY_FONT, BODY_SIZE)


def _attachment(document: Any, rows: pd.DataFrame) -> None:
    """Add 附件 on landscape pages: its label, its title, the table of the letter's rows."""
    docx.landscape_section(document)
    label = document.add_paragraph()
    font(label.add_run("附件"), HEADING_FONT, BODY_SIZE)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(8)
    title.paragraph_format.keep_with_next = True
    font(title.add_run(ATTACHMENT_TITLE), TITLE_FONT, Pt(18))
    cells = docx.printed_rows(_numbered(rows), LETTER_COLUMNS)
    docx.table(
        document,
        "",
        [c.header for c in LETTER_COLUMNS],
        cells,
        widths_mm=_LETTER_WIDTHS_MM,
        empty="（无协调事项）",
    )


def _numbered(rows: pd.DataFrame) -> pd.DataFrame:
    """Return the rows numbered 1…n (优先级 stays the supplier's place in the whole list)."""
    return rows.reset_index(drop=True).assign(no=range(1, len(rows) + 1))


def letter_docx(
    letter: Letter,
    requests: Sequence[CoordinationRequest],
    rows: pd.DataFrame,
    *,
    settings: Settings,
) -> bytes:
    """Return the letter as a Word document (.docx) in the official form.

    Parameters
    ----------
    letter
        The numbered letter: a 商请函 (``kind`` request) or a 复函 (``kind`` reply).
    requests
        Its coordination requests (outgoing for a 商请函, incoming for a 复函), in the
        order the letter lists them.
    rows
        The coordination list's rows (:func:`chain_graph.list_rows.coordination_rows`) of
        the letter's suppliers: the attachment of a 商请函, numbered 1…n as given. A 复函
        has no attachment and does not read them.
    settings
        The issuing unit (落款) and the contact person and telephone (附注, left out
        when neither is set).

    Returns
    -------
    bytes
        The ``.docx`` file: A4, 仿宋 三号 text, 小标宋 title, dated ``letter.created_at``.

    Raises
    ------
    ValueError
        When a request is not the letter's, or of the wrong direction (all such listed).
    """
    _check(letter, requests)
    document = docx.document_with_title(letter.title)
    _heading(document, letter)
    if letter.kind == LetterKind.REQUEST:
        for text in _request_body(letter, requests):
            body(document, "", text)
        document.add_paragraph()
        body(document, "", f"附件：{ATTACHMENT_TITLE}")
    else:
        for heading, text in _reply_body(letter, requests):
            body(document, heading, text)
    document.paragraphs[-1].paragraph_format.keep_with_next = True  # never a 落款 alone on a page
    docx.signature(document, settings.issuing_unit, letter.created_at.date())
    if contact := contact_line(settings):
        document.paragraphs[-1].paragraph_format.keep_with_next = True
        body(document, "", contact)
    if letter.kind == LetterKind.REQUEST:
        _attachment(document, rows)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def reply_rows(requests: Sequence[CoordinationRequest]) -> pd.DataFrame:
    """Return the rows of the 复函事项 sheet: one per request, in the letter's order.

    Examples
    --------
    >>> import datetime as dt
    >>> now = dt.datetime(2026, 12, 1, 9)
    >>> r = CoordinationRequest(id="LY-1", direction="incoming", supplier_id="S1", supplier="甲公司",
    ...                         addressed_to="431200", buyers=("乙厂",), recovered_value=12.5,
    ...                         outcome="resumed", feedback="已复产", created_at=now, updated_at=now)
    >>> reply_rows([r])[["no", "supplier", "buyer", "value", "outcome"]].to_dict("records")
    [{'no': 1, 'supplier': '甲公司', 'buyer': '乙厂', 'value': 12.5, 'outcome': '已协调复产'}]
    """
    return pd.DataFrame(
        [
            {
                "no": k,
                "supplier": r.supplier or r.supplier_id,
                "material": "、".join(r.materials),
                "buyer": "、".join(r.buyers),
                "value": r.recovered_value,
                "outcome": OUTCOME_LABELS[r.outcome] if r.outcome else _PENDING_OUTCOME,
                "feedback": r.feedback,
            }
            for k, r in enumerate(requests, start=1)
        ],
        columns=[c.key for c in REPLY_COLUMNS],
    )


def letter_xlsx(
    letter: Letter,
    requests: Sequence[CoordinationRequest],
    rows: pd.DataFrame,
    *,
    settings: Settings,
) -> bytes:
    """Return the letter's content as a workbook (.xlsx), in the style of every export.

    A 商请函 gives the coordination list sheet of its suppliers (``rows``, numbered 1…n),
    titled with the letter's number; a 复函 the sheet 复函事项 (:func:`reply_rows`). Both
    note below the table which letter they belong to, to whom it went and who sent it.
    Parameters and errors as :func:`letter_docx`.
    """
    _check(letter, requests)
    issued = letter.created_at.date()
    sent = "报送" if letter.kind == LetterKind.REQUEST else "函复"
    note = (
        f"随{letter.number}《{letter.title}》{sent}{letter.recipient}。"
        f"{settings.issuing_unit}{docx.signed(issued)}"
    )
    if letter.kind == LetterKind.REQUEST:
        sheet = coordination_sheets(_numbered(rows), as_of=issued)[0]
        title = f"{letter.number} 附件：{ATTACHMENT_TITLE}（{issued:%Y年%m月%d日}）"
        sheets = [dataclasses.replace(sheet, title=title, notes=(note,))]
    else:
        sheets = [
            Sheet(
                "复函事项",
                f"{letter.number} {letter.title}—复函事项",
                REPLY_COLUMNS,
                reply_rows(requests),
                notes=(note,),
                exported=issued,
            )
        ]
    return workbook_bytes(sheets)
