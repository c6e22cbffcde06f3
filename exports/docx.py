"""Word documents in the official form (公文): fonts, an A4 page with page numbers, paragraphs, tables.

What every ``.docx`` the product writes shares (GB/T 9704 proportions): 仿宋 三号 body text
with 黑体 headings and a 小标宋 title, A4 portrait with the standard margins, ``第 N 页 共 M
页`` in the footer (Word fields, filled in when printed), first-line indents of two
characters, and tables with a header row repeated on every page. The notices
(:mod:`exports.notice`) and the weekly report (:mod:`exports.report`) build on it.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from chain_graph.records import plain
from exports.workbook import Column, Kind

__all__ = [
    "BODY_FONT",
    "BODY_SIZE",
    "HEADING_FONT",
    "TABLE_SIZE",
    "TITLE_FONT",
    "TITLE_SIZE",
    "body",
    "cell_paragraph",
    "document_with_title",
    "field",
    "font",
    "landscape_section",
    "money",
    "narrow_margins",
    "page_setup",
    "percent",
    "printed",
    "printed_rows",
    "repeat_header",
    "signature",
    "signed",
    "table",
]


BODY_FONT, TITLE_FONT, HEADING_FONT = "仿宋_GB2312", "方正小标宋简体", "黑体"
BODY_SIZE, TITLE_SIZE, TABLE_SIZE = Pt(16), Pt(22), Pt(9)
"""三号 text, 二号 title (GB/T 9704); the tables in 小五 so that twelve columns fit a page."""


def font(run_or_style: Any, name: str, size: Pt | None = None, *, bold: bool = False) -> None:
    """Set a run's or style's font, the East Asian one too (python-docx sets only the Latin)."""
    font = run_or_style.font
    font.name = name
    font.bold = bold
    if size is not None:
        font.size = size
    element = run_or_style.element
    properties = element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def field(paragraph: Paragraph, instruction: str) -> None:
    """Append a Word field (PAGE, NUMPAGES) that Word and LibreOffice fill in when printing."""
    run = paragraph.add_run()
    for kind, text in (
        ("begin", None),
        ("instr", instruction),
        ("separate", None),
        ("text", "1"),
        ("end", None),
    ):
        if kind == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {text} "
        elif kind == "text":
            element = OxmlElement("w:t")
            element.text = text
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        run._r.append(element)


def page_setup(document: Any) -> None:
    """Set A4 portrait, the standard margins and the ``第 N 页 共 M 页`` footer."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(30)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(15)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("第 ")
    field(footer, "PAGE")
    footer.add_run(" 页 共 ")
    field(footer, "NUMPAGES")
    footer.add_run(" 页")
    for run in footer.runs:
        font(run, BODY_FONT, Pt(12))


def body(document: Any, heading: str, text: str) -> None:
    """Add a body paragraph (first line indented two characters), its lead-in in 黑体."""
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(32)  # two characters
    if heading:
        font(paragraph.add_run(heading), HEADING_FONT, BODY_SIZE)
    font(paragraph.add_run(text), BODY_FONT, BODY_SIZE)


def repeat_header(table: Table) -> None:
    """Mark the first row as the header that Word and LibreOffice repeat on every page."""
    properties = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def cell_paragraph(paragraph: Paragraph, text: str, *, typeface: str, align: Any) -> None:
    """Fill a table cell's paragraph: exact 12 pt lines, no indent, the table's size."""
    paragraph.alignment = align
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph.paragraph_format.line_spacing = Pt(12)
    paragraph.paragraph_format.first_line_indent = Pt(0)
    font(paragraph.add_run(text), typeface, TABLE_SIZE)


def narrow_margins(table: Table) -> None:
    """Cell margins of 1 mm left and right (Word's default 1.9 mm wraps the figures)."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), "57")
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    table._tbl.tblPr.append(margins)


def table(
    document: Any,
    caption: str,
    headers: list[str],
    rows: list[list[tuple[str, bool]]],
    *,
    widths_mm: Sequence[float],
    empty: str = "",
) -> None:
    """Add a captioned table: a header row repeated on every page, figures right-aligned.

    ``rows`` hold each cell's text and whether it is a figure; ``widths_mm`` the columns'
    widths (their sum at most the 156 mm between the margins of a portrait page, 247 mm
    on a :func:`landscape_section`). Without rows, ``empty`` (when given) is written under
    the caption instead of an empty table. An empty ``caption`` adds none (the caller has
    written the table's title).
    """
    if caption:
        title = document.add_paragraph()
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title.paragraph_format.keep_with_next = True
        font(title.add_run(caption), HEADING_FONT, Pt(12))
    if not rows and empty:
        body(document, "", empty)
        return
    grid = document.add_table(rows=1, cols=len(headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    narrow_margins(grid)
    widths = [Mm(w) for w in widths_mm]
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = width
    for cell, header, width in zip(grid.rows[0].cells, headers, widths, strict=True):
        cell.width = width
        cell_paragraph(cell.paragraphs[0], header, typeface=HEADING_FONT, align=WD_ALIGN_PARAGRAPH.CENTER)
    repeat_header(grid)
    # python-docx builds a row element by element (~10 ms a row): a province's letter lists
    # thousands. A row is built once per pattern of figure columns and copied with its texts.
    patterns: dict[tuple[bool, ...], Any] = {}
    for values in rows:
        texts = [text for text, _ in values]
        if any(c in text for text in texts for c in "\n\r\t"):  # breaks and tabs: python-docx's own way
            _add_row(grid, widths, values)
            continue
        pattern = tuple(figure for _, figure in values)
        if pattern not in patterns:
            patterns[pattern] = _row_template(grid, widths, pattern)
        if patterns[pattern] is None:
            _add_row(grid, widths, values)
            continue
        row = copy.deepcopy(patterns[pattern])
        for element, text in zip(list(row.iter(qn("w:t"))), texts, strict=True):
            if not text:  # python-docx writes an empty run without a text element
                element.getparent().remove(element)
                continue
            element.text = text
            if text != text.strip():
                element.set(qn("xml:space"), "preserve")
        grid._tbl.append(row)


def _add_row(grid: Any, widths: Sequence[Any], values: Sequence[tuple[str, bool]]) -> Any:
    row = grid.add_row()
    for cell, width, (text, figure) in zip(row.cells, widths, values, strict=True):
        cell.width = width
        align = WD_ALIGN_PARAGRAPH.RIGHT if figure else WD_ALIGN_PARAGRAPH.LEFT
        cell_paragraph(cell.paragraphs[0], text, typeface=BODY_FONT, align=align)
    return row


def _row_template(grid: Any, widths: Sequence[Any], pattern: tuple[bool, ...]) -> Any:
    """Return a detached row of ``grid`` formatted as :func:`_add_row` does, one text element a cell.

    ``None`` when the row does not have exactly one text element per cell (then rows are
    added one by one).
    """
    row = _add_row(grid, widths, [("0", figure) for figure in pattern])._tr
    grid._tbl.remove(row)
    return row if len(list(row.iter(qn("w:t")))) == len(pattern) else None


def figure(document: Any, caption: str, png: bytes, *, width_mm: float) -> None:
    """Add a centred picture (PNG bytes) ``width_mm`` wide, its caption under it."""
    import io

    holder = document.add_paragraph()
    holder.alignment = WD_ALIGN_PARAGRAPH.CENTER
    holder.paragraph_format.keep_with_next = True
    # The body's fixed line height (公文: exactly 28 pt) would crop a picture to one line.
    holder.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    holder.paragraph_format.first_line_indent = Mm(0)
    holder.add_run().add_picture(io.BytesIO(png), width=Mm(width_mm))
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    font(title.add_run(caption), HEADING_FONT, Pt(12))


def landscape_section(document: Any) -> None:
    """Start a new page in A4 landscape for a wide table (an attachment of 13 columns).

    The margins leave 247 mm between left and right; the footer (page numbers) carries on
    from the portrait pages, so the numbering runs through the whole document.
    """
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(25), Mm(25)
    section.left_margin, section.right_margin = Mm(25), Mm(25)
    section.footer_distance = Mm(12)


def money(value: Any) -> str:
    """Return an amount (万元) as the documents print it: two decimals, thousands separated.

    Examples
    --------
    >>> money(30000), money(None)
    ('30,000.00', '—')
    """
    value = plain(value)
    return "—" if value is None else f"{float(value):,.2f}"


def percent(value: Any) -> str:
    """Return a share as the documents print it, one decimal.

    Examples
    --------
    >>> percent(0.8214), percent(None)
    ('82.1%', '—')
    """
    value = plain(value)
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def printed(value: Any, kind: Kind) -> tuple[str, bool]:
    """Return a table cell's text as the Word tables print it, and whether it is a figure.

    Examples
    --------
    >>> printed(1234.5, "float"), printed(7, "int"), printed(None, "int"), printed("钢材", "text")
    (('1,234.50', True), ('7', True), ('—', True), ('钢材', False))
    """
    value = plain(value)
    if value is None:
        return "—", kind != "text"
    if kind == "percent":
        return percent(value), True
    if kind == "float":
        return money(value), True
    if kind == "int":
        return str(int(value)), True
    if kind == "date":
        return f"{value:%Y-%m-%d}", True
    if kind == "datetime":
        return f"{value:%Y-%m-%d %H:%M}", True
    return str(value), False


def printed_rows(rows: pd.DataFrame, columns: Sequence[Column]) -> list[list[tuple[str, bool]]]:
    """Return every row of ``rows`` as :func:`printed` cells, one per column."""
    return [[printed(row.get(c.key), c.kind) for c in columns] for row in rows.to_dict("records")]


def document_with_title(title: str) -> Any:
    """Return a new A4 document in the official form with ``title`` centred at its top."""
    document = Document()
    normal = document.styles["Normal"]
    font(normal, BODY_FONT, BODY_SIZE)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(28)
    normal.paragraph_format.space_after = Pt(0)
    page_setup(document)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.line_spacing = Pt(36)
    heading.paragraph_format.space_after = Pt(16)
    font(heading.add_run(title), TITLE_FONT, TITLE_SIZE)
    return document


def signed(day: dt.date) -> str:
    """Write a 落款 date as official documents do: no leading zeros.

    Examples
    --------
    >>> signed(dt.date(2026, 11, 9))
    '2026年11月9日'
    """
    return f"{day.year}年{day.month}月{day.day}日"


def signature(document: Any, issuer: str, issued: dt.date) -> None:
    """Add the 落款 (issuer, then the date) right-aligned under a blank line, on one page."""
    lines = ["", issuer, signed(issued)]
    for k, text in enumerate(lines):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.right_indent = Pt(32)
        paragraph.paragraph_format.keep_with_next = k < len(lines) - 1
        if text:
            font(paragraph.add_run(text), BODY_FONT, BODY_SIZE)
