"""The letters (商请函, 复函) read back as an official would: python-docx, openpyxl, and printed.

The Word files are opened again with python-docx and checked against hand-built requests
and hand-computed figures; the printed form goes through LibreOffice headless and poppler
as :mod:`tests.exports.test_print` does (in CI their absence fails the test).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import docx as python_docx
import openpyxl
import pandas as pd
import pytest
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH

from chain_graph.coordination import (
    CoordinationRequest,
    Direction,
    Letter,
    LetterKind,
    Outcome,
    group_for_letters,
    province_department,
    requests_from_analysis,
)
from chain_graph.gaps import GapAnalysis, analyze
from chain_graph.list_rows import coordination_rows
from chain_graph.model import LedgerTables
from chain_graph.settings import Settings
from exports.docx import printed
from exports.letters import LETTER_COLUMNS, REPLY_COLUMNS, letter_docx, letter_xlsx
from exports.lists import COORDINATION_COLUMNS
from ingest.loader import read_directory
from ingest.synth import synthesize
from tests.defaults import SETTINGS
from tests.exports.test_print import _pages, _text, _to_pdf, _tools

AT = dt.datetime(2026, 12, 1, 9, 30)
NUMBER = "怀工信函〔2026〕12号"
TITLE = "关于商请协调解决重点企业配套供应问题的函"
CONTACT = SETTINGS.model_copy(update={"letter_contact": "张三", "letter_phone": "0745-2712345"})


@pytest.fixture
def ledgers(canonical_dir: Path) -> LedgerTables:
    return read_directory(canonical_dir, settings=SETTINGS).ledgers


@pytest.fixture
def analysis(ledgers: LedgerTables) -> GapAnalysis:
    return analyze(ledgers, settings=SETTINGS)


def _request(id_: str, **fields: object) -> CoordinationRequest:
    values: dict[str, object] = {
        "id": id_,
        "supplier_id": id_.removeprefix("XT-").removeprefix("LY-"),
        "addressed_to": "430000",
        "created_at": AT,
        "updated_at": AT,
    }
    return CoordinationRequest.model_validate(values | fields)


def _letter(requests: Sequence[CoordinationRequest], **fields: object) -> Letter:
    values: dict[str, object] = {
        "number": NUMBER,
        "year": 2026,
        "seq": 12,
        "issuer": "怀化市工业和信息化局",
        "recipient": "湖南省工业和信息化厅",
        "addressed_to": "430000",
        "title": TITLE,
        "request_ids": tuple(r.id for r in requests),
        "created_at": AT,
        "created_by": "admin",
    }
    return Letter.model_validate(values | fields)


OUTGOING = [
    _request(
        "XT-S1",
        supplier="长沙某钢材有限公司",
        target_region="长沙市",
        buyers=("怀化甲机械有限公司",),
        recovered_value=30000.0,
        days_to_impact=10,
    ),
    _request(
        "XT-S9",
        supplier="株洲某化工有限公司",
        target_region="株洲市",
        buyers=("怀化乙化工有限公司", "怀化甲机械有限公司"),
        recovered_value=1234.5,
        days_to_impact=4,
    ),
]


def _document(data: bytes) -> python_docx.document.Document:
    return python_docx.Document(io.BytesIO(data))


def _texts(document: python_docx.document.Document) -> list[str]:
    return [p.text for p in document.paragraphs]


def test_request_letter_reads_as_written(ledgers: LedgerTables, analysis: GapAnalysis) -> None:
    rows = coordination_rows(analysis, ledgers)
    document = _document(letter_docx(_letter(OUTGOING), OUTGOING, rows, settings=CONTACT))
    paragraphs = document.paragraphs
    texts = _texts(document)
    # The number right-aligned above the title, then 主送.
    assert texts[:3] == [NUMBER, TITLE, "湖南省工业和信息化厅："]
    assert paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert paragraphs[1].alignment == WD_ALIGN_PARAGRAPH.CENTER
    everything = "".join(texts)
    # Two suppliers; 30000 + 1234.5 = 31234.5 万元 held back; the least stock lasts 4 days.
    assert "配套企业共 2 家" in everything
    assert "合计 31,234.50 万元" in everything
    assert "仅可维持 4 天" in everything
    # Two buyers (怀化甲 held back by both suppliers), two cities; the ask goes to 贵厅.
    assert "我市 2 家重点企业和项目" in everything
    assert "位于长沙市、株洲市" in everything
    assert "恳请贵厅协调" in everything
    assert "跨省" not in everything
    assert "附件：跨区域协调事项清单" in texts
    # 落款 and date right-aligned, then the contact line (附注).
    at = texts.index("怀化市工业和信息化局")
    assert texts[at + 1 : at + 3] == ["2026年12月1日", "（联系人：张三，联系电话：0745-2712345）"]
    assert paragraphs[at].alignment == paragraphs[at + 1].alignment == WD_ALIGN_PARAGRAPH.RIGHT


def test_the_attachment_holds_the_rows_given(ledgers: LedgerTables, analysis: GapAnalysis) -> None:
    rows = coordination_rows(analysis, ledgers)
    document = _document(letter_docx(_letter(OUTGOING), OUTGOING, rows, settings=SETTINGS))
    (table,) = document.tables
    grid = [[cell.text for cell in row.cells] for row in table.rows]
    assert grid[0] == [
        "序号",
        "需求企业/项目",
        "所在县市区",
        "配套企业",
        "配套企业所在地",
        "配套产品",
        "存在问题",
        "协调诉求",
        "影响产值（万元）",
        "影响投资（万元）",
        "库存可用天数",
        "预计恢复天数",
        "优先级",
    ]
    expected = [
        [str(k), *(printed(row[c.key], c.kind)[0] for c in LETTER_COLUMNS[1:])]
        for k, row in enumerate(rows.to_dict("records"), start=1)
    ]
    assert grid[1:] == expected
    # By hand: S1 (Changsha) supplies 钢材 to E1; restoring it lifts E1's output by 18000.
    assert grid[1][1:4] == ["怀化甲机械有限公司", "鹤城区", "长沙丙钢材有限公司"]
    assert grid[1][4:6] == ["湖南省 长沙市 雨花区", "钢材"]
    assert grid[1][6] == "停产；原材料供应中断"
    assert grid[1][8:] == ["18,000.00", "0.00", "10", "20", "1"]
    # The attachment is on a landscape page of its own; the letter is portrait.
    first, attachment = document.sections
    assert first.orientation == WD_ORIENT.PORTRAIT
    assert attachment.orientation == WD_ORIENT.LANDSCAPE
    assert (attachment.page_width or 0) > (attachment.page_height or 0)


def test_the_contact_line_is_left_out_when_not_set(ledgers: LedgerTables, analysis: GapAnalysis) -> None:
    rows = coordination_rows(analysis, ledgers)
    texts = _texts(_document(letter_docx(_letter(OUTGOING), OUTGOING, rows, settings=SETTINGS)))
    assert not any("联系" in t for t in texts)
    at = texts.index("2026年12月1日")
    assert texts[at - 1] == "怀化市工业和信息化局"
    phone_only = SETTINGS.model_copy(update={"letter_phone": "0745-2712345"})
    texts = _texts(_document(letter_docx(_letter(OUTGOING), OUTGOING, rows, settings=phone_only)))
    assert "（联系电话：0745-2712345）" in texts


def test_a_cross_province_letter_says_so(ledgers: LedgerTables, analysis: GapAnalysis) -> None:
    requests = [
        _request(f"XT-X{k}", target_region=region, cross_province=True, recovered_value=100.0 * k)
        for k, region in enumerate(["湖北省", "广东省", "江西省", "贵州省", "重庆市", "四川省"], start=1)
    ]
    letter = _letter(requests, cross_province=True, title="关于商请跨省协调解决重点企业配套供应问题的函")
    rows = coordination_rows(analysis, ledgers).iloc[0:0]
    document = _document(letter_docx(letter, requests, rows, settings=SETTINGS))
    everything = "".join(_texts(document))
    assert "跨省协调机制" in everything
    # Six provinces: five named, and how many in all; 100 + 200 + … + 600 = 2100 万元.
    assert "省外的湖北省、广东省、江西省、贵州省、重庆市等 6 个省（区、市）" in everything
    assert "合计 2,100.00 万元" in everything
    assert "库存" not in everything.split("附件")[0]  # no stock figure given, none printed
    assert not document.tables  # no rows: the attachment says so instead
    assert "（无协调事项）" in everything


INCOMING = [
    _request(
        "LY-F1",
        direction=Direction.INCOMING,
        supplier="怀化某特钢有限公司",
        addressed_to="431200",
        buyers=("邵阳某重工有限公司",),
        materials=("钢材",),
        recovered_value=8200.0,
        source="邵阳市",
        letter="邵工信函〔2026〕7号",
        state="answered",
        outcome=Outcome.RESUMED,
        feedback="企业已于11月28日恢复生产。",
    ),
    _request(
        "LY-F2",
        direction=Direction.INCOMING,
        supplier="洪江某化工有限公司",
        addressed_to="431200",
        buyers=("邵阳某化工股份有限公司", "邵阳经开区新材料项目"),
        materials=("电子级硫酸",),
        recovered_value=3150.5,
        source="邵阳市",
        letter="邵工信函〔2026〕7号",
        state="answered",
        outcome=Outcome.FAILED,
        feedback="企业已破产清算，无法恢复生产。",
    ),
    _request(
        "LY-F3",
        direction=Direction.INCOMING,
        supplier="会同某木业有限公司",
        addressed_to="431200",
        source="邵阳市",
        state="acknowledged",
    ),
]
REPLY = _letter(
    INCOMING,
    number="怀工信函〔2026〕15号",
    kind=LetterKind.REPLY,
    recipient="邵阳市工业和信息化局",
    addressed_to="430500",
    title="关于邵阳市商请协调配套企业复产有关问题的复函",
)


def test_reply_letter_gives_each_outcome() -> None:
    document = _document(letter_docx(REPLY, INCOMING, pd.DataFrame(), settings=CONTACT))
    texts = _texts(document)
    assert texts[:3] == ["怀工信函〔2026〕15号", REPLY.title, "邵阳市工业和信息化局："]
    assert texts[3].startswith("你局来函（邵工信函〔2026〕7号）收悉")
    assert "共 3 项，其中已协调复产 1 项、无法协调 1 项、正在协调 1 项" in texts[3]
    assert texts[4] == (
        "一、怀化某特钢有限公司。配套产品：钢材；你市需求企业（项目）：邵阳某重工有限公司。"
        "协调结果：已协调复产。企业已于11月28日恢复生产。"
    )
    assert texts[5].startswith("二、洪江某化工有限公司。配套产品：电子级硫酸；你市需求企业（项目）：")
    assert texts[5].endswith("协调结果：无法协调。企业已破产清算，无法恢复生产。")
    assert texts[6].startswith("三、会同某木业有限公司。协调结果：正在协调。")
    assert texts[7] == "特此函复。"
    assert "2026年12月1日" in texts
    assert not document.tables
    assert len(document.sections) == 1  # no attachment


def test_requests_not_of_the_letter_are_refused(ledgers: LedgerTables, analysis: GapAnalysis) -> None:
    rows = coordination_rows(analysis, ledgers)
    stranger = _request("XT-S7")
    with pytest.raises(ValueError, match=r"XT-S7 不在函件.*LY-F1 是外地来函"):
        letter_docx(_letter(OUTGOING), [*OUTGOING, stranger, INCOMING[0]], rows, settings=SETTINGS)
    with pytest.raises(ValueError, match="没有协调事项"):
        letter_xlsx(_letter([]), [], rows, settings=SETTINGS)


def test_request_workbook_is_the_coordination_list(ledgers: LedgerTables, analysis: GapAnalysis) -> None:
    rows = coordination_rows(analysis, ledgers)
    data = letter_xlsx(_letter(OUTGOING), OUTGOING, rows, settings=SETTINGS)
    book = openpyxl.load_workbook(io.BytesIO(data))
    (ws,) = book.worksheets
    assert ws.title == "跨区域协调清单"
    assert ws["A1"].value == f"{NUMBER} 附件：跨区域协调事项清单（2026年12月01日）"
    assert [c.value for c in ws[2]] == [c.header for c in COORDINATION_COLUMNS]
    assert ws.freeze_panes == "A3"
    values = [list(r) for r in ws.iter_rows(min_row=3, max_row=2 + len(rows), values_only=True)]
    assert [v[0] for v in values] == list(range(1, len(rows) + 1))
    assert values[0][1] == "怀化甲机械有限公司"
    assert values[0][8] == pytest.approx(18000.0)
    assert ws.cell(row=3, column=9).data_type == "n"
    notes = [ws.cell(row=r, column=1).value for r in range(3 + len(rows), ws.max_row + 1)]
    assert f"随{NUMBER}《{TITLE}》报送湖南省工业和信息化厅。怀化市工业和信息化局2026年12月1日" in notes


def test_reply_workbook_lists_the_answers() -> None:
    book = openpyxl.load_workbook(io.BytesIO(letter_xlsx(REPLY, INCOMING, pd.DataFrame(), settings=SETTINGS)))
    ws = book["复函事项"]
    assert ws["A1"].value == f"怀工信函〔2026〕15号 {REPLY.title}—复函事项"
    assert [c.value for c in ws[2]] == [c.header for c in REPLY_COLUMNS]
    assert ws.freeze_panes == "A3"
    rows = [list(r) for r in ws.iter_rows(min_row=3, max_row=5, values_only=True)]
    assert rows[0][:6] == [1, "怀化某特钢有限公司", "钢材", "邵阳某重工有限公司", 8200.0, "已协调复产"]
    assert rows[0][6] == "企业已于11月28日恢复生产。"
    assert [r[5] for r in rows] == ["已协调复产", "无法协调", "正在协调"]
    assert rows[1][6] == "企业已破产清算，无法恢复生产。"
    assert rows[2][4] == 0.0  # a number, not text, even when nothing is held back
    assert ws.cell(row=3, column=5).data_type == "n"
    assert ws.cell(row=3, column=5).number_format == "#,##0.00"


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[LedgerTables, GapAnalysis]:
    data = tmp_path_factory.mktemp("city")
    synthesize(data, firms=600, seed=3)
    ledgers = read_directory(data, settings=SETTINGS).ledgers
    return ledgers, analyze(ledgers, settings=SETTINGS)


def _page_sizes(pdf: Path, pages: int) -> list[tuple[float, float]]:
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", str(pages), str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]


def test_letters_print_through_libreoffice(tmp_path: Path, city: tuple[LedgerTables, GapAnalysis]) -> None:
    tools = _tools()
    ledgers, analysis = city
    settings = Settings(letter_contact="张三", letter_phone="0745-2712345")
    requests = requests_from_analysis(analysis, ledgers, [], [], at=AT, settings=settings)
    group = group_for_letters(requests)[0]  # the in-province suppliers, largest value first
    letter = _letter(group, recipient=province_department(settings.home_adcode))
    rows = coordination_rows(analysis, ledgers)
    mine = rows[rows["supplier_id"].isin({r.supplier_id for r in group})]
    assert len(mine) > 30  # the attachment runs over more than one page
    (tmp_path / "request.docx").write_bytes(letter_docx(letter, group, mine, settings=settings))
    (tmp_path / "reply.docx").write_bytes(letter_docx(REPLY, INCOMING, rows.iloc[0:0], settings=settings))
    _to_pdf(tools, [tmp_path / "request.docx", tmp_path / "reply.docx"], tmp_path)

    pdf = tmp_path / "request.pdf"
    pages = _pages(tools, pdf)
    assert pages >= 2
    first = _text(tools, pdf, 1)
    assert first.startswith(NUMBER)
    assert TITLE in first
    total = sum(r.recovered_value for r in group)
    assert f"合计{total:,.2f}万元" in first
    assert "怀化市工业和信息化局2026年12月1日（联系人：张三，联系电话：0745-2712345）" in first
    assert f"第1页共{pages}页" in first
    sizes = _page_sizes(pdf, pages)
    assert sizes[0][0] < sizes[0][1]  # the letter in portrait
    assert all(w > h for w, h in sizes[1:])  # the attachment in landscape, every page
    attachment = "".join(_text(tools, pdf, p) for p in range(2, pages + 1))
    assert attachment.startswith("附件跨区域协调事项清单序号需求企业/项目")
    for page in range(2, pages + 1):
        assert "影响产值（万元）" in _text(tools, pdf, page)  # the header repeats
    reply = tmp_path / "reply.pdf"
    text = "".join(_text(tools, reply, p) for p in range(1, _pages(tools, reply) + 1))
    assert text.startswith("怀工信函〔2026〕15号")
    assert "协调结果：已协调复产" in text
    assert "怀化市工业和信息化局2026年12月1日" in text  # 落款 and date together
