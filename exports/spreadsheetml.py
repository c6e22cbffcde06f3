"""The ``.xlsx`` file format (SpreadsheetML, ECMA-376) written directly as text: parts, styles, cells.

:mod:`exports.workbook` decides what a sheet looks like (which cell gets which style, the
widths, heights, merges, print setup and drawings); this module writes it out: the
worksheet XML a row at a time, one deduplicated table of cell formats (:class:`Styles`), one
table of shared strings (:class:`Strings`), the workbook with its print titles and areas,
each sheet's drawing with its bar charts (:class:`BarChart`, DrawingML) and pictures
(:class:`Picture`, PNG), and the zip package around them.

Why not openpyxl: it makes an object per cell and hashes its style objects on every
assignment, so a province's 问题台账 of 700,000 cells took a minute and a half to write;
as text the same workbook takes about a second. Files are read back with openpyxl in the
tests, and printed with LibreOffice.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BarChart",
    "Page",
    "Part",
    "Picture",
    "Strings",
    "Style",
    "Styles",
    "cell_xml",
    "column_letter",
    "legal",
    "package",
    "row_xml",
    "worksheet_xml",
]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}
"""Number formats Excel knows by id (ECMA-376 18.8.30); others are declared from id 164."""
_PROLOG = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_EPOCH = dt.datetime(1899, 12, 30)
_DAY = dt.timedelta(days=1)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 cannot hold: dropped from a text."""
_ESCAPE_LIKE = re.compile("_(x[0-9A-Fa-f]{4}_)")
"""Text that reads as OOXML's ``_xHHHH_`` character escape: written with its ``_`` escaped
(``_x005F_``), so that a spreadsheet shows what was typed, not the character it names."""
_CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/main"
_SPREADSHEET_DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_EMU_PER_CM = 360_000
_EMU_PER_PIXEL = 9_525
_COMPRESSION = 1
"""zlib level: the worksheets are repetitive XML, level 1 is several times faster than 6 for
a file about a fifth larger."""


def column_letter(index: int) -> str:
    """Return the letters of the ``index``-th column (1-based).

    Examples
    --------
    >>> column_letter(1), column_letter(26), column_letter(27), column_letter(703)
    ('A', 'Z', 'AA', 'AAA')
    """
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def legal(text: str) -> str:
    r"""Return ``text`` without the characters XML cannot hold (what a cell keeps of it).

    Examples
    --------
    >>> legal("a\x01b\tc")
    'ab\tc'
    """
    return _ILLEGAL.sub("", text)


def _escape_text(text: str) -> str:
    r"""Return a cell's text escaped: :func:`_escape`, and a literal ``_xHHHH_`` kept literal.

    Examples
    --------
    >>> _escape_text("_x000D_ & _x41")
    '_x005F_x000D_ &amp; _x41'
    """
    return _escape(_ESCAPE_LIKE.sub(r"_x005F_\1", text))


def _escape(text: str) -> str:
    r"""Return ``text`` escaped for XML content or an attribute, with what XML cannot hold dropped.

    Examples
    --------
    >>> _escape('a<b & "c"\r\x01')
    'a&lt;b &amp; &quot;c&quot;&#13;'
    """
    text = _ILLEGAL.sub("", text)
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\r", "&#13;")  # a bare CR would be read back as a line feed
    )


def _number(value: float) -> str:
    return repr(value) if isinstance(value, float) else str(int(value))


@dataclass(frozen=True)
class Style:
    """One cell format: font, fill, border, alignment, number format, quote prefix.

    ``fill`` is an RGB colour (``"DDEBF7"``); ``border`` a thin box in ``border`` RGB;
    ``quote_prefix`` is Excel's "this is text" flag (a text starting with ``=`` is never a
    formula), invisible to the reader.
    """

    bold: bool = False
    size: float | None = 11
    """Points; None: the application's default (11)."""
    fill: str | None = None
    border: str | None = None
    horizontal: str | None = None
    vertical: str | None = None
    wrap: bool = False
    number_format: str = "General"
    quote_prefix: bool = False


class Styles:
    """The workbook's cell formats: each distinct :class:`Style` once, by its index (``s``).

    Index 0 is the default format (no style).
    """

    def __init__(self) -> None:
        self._index: dict[Style, int] = {Style(): 0}

    def __call__(self, style: Style) -> int:
        """Return the index of ``style``, adding it when new."""
        return self._index.setdefault(style, len(self._index))

    def xml(self) -> str:
        """Return ``xl/styles.xml``."""
        fonts: dict[tuple[bool, float | None], int] = {}
        fills: dict[str | None, int] = {None: 0}
        borders: dict[str | None, int] = {None: 0}
        formats: dict[str, int] = {}
        xfs = []
        for style in self._index:
            font = fonts.setdefault((style.bold, style.size), len(fonts))
            fill = fills.setdefault(style.fill, len(fills) + 1)  # 1 is Excel's gray125
            border = borders.setdefault(style.border, len(borders))
            number = _BUILTIN_FORMATS.get(style.number_format)
            if number is None:
                number = formats.setdefault(style.number_format, 164 + len(formats))
            attributes = (
                f'numFmtId="{number}" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0"'
                + (' applyNumberFormat="1"' if number else "")
                + (' applyFont="1"' if font else "")
                + (' applyFill="1"' if fill else "")
                + (' applyBorder="1"' if border else "")
                + (' quotePrefix="1"' if style.quote_prefix else "")
            )
            align = "".join(
                (
                    f' horizontal="{style.horizontal}"' if style.horizontal else "",
                    f' vertical="{style.vertical}"' if style.vertical else "",
                    ' wrapText="1"' if style.wrap else "",
                )
            )
            xfs.append(
                f'<xf {attributes} applyAlignment="1"><alignment{align}/></xf>'
                if align
                else f"<xf {attributes}/>"
            )
        parts = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_MAIN}">']
        if formats:
            parts.append(f'<numFmts count="{len(formats)}">')
            parts += [f'<numFmt numFmtId="{i}" formatCode="{_escape(code)}"/>' for code, i in formats.items()]
            parts.append("</numFmts>")
        parts.append(f'<fonts count="{len(fonts)}">')
        parts += [
            f'<font>{"<b/>" if bold else ""}{_size(size)}<name val="Calibri"/><family val="2"/></font>'
            for bold, size in fonts
        ]
        parts.append(f'</fonts><fills count="{len(fills) + 1}">')
        parts.append(
            '<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
        )
        parts += [
            f'<fill><patternFill patternType="solid"><fgColor rgb="00{rgb}"/><bgColor indexed="64"/>'
            "</patternFill></fill>"
            for rgb in fills
            if rgb is not None
        ]
        parts.append(f'</fills><borders count="{len(borders)}">')
        for rgb in borders:
            if rgb is None:
                parts.append("<border><left/><right/><top/><bottom/><diagonal/></border>")
            else:
                side = f'style="thin"><color rgb="00{rgb}"/>'
                parts.append(
                    f"<border><left {side}</left><right {side}</right><top {side}</top>"
                    f"<bottom {side}</bottom><diagonal/></border>"
                )
        parts.append(
            '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        )
        parts.append(f'</cellStyleXfs><cellXfs count="{len(xfs)}">')
        parts += xfs
        parts.append('</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>')
        parts.append("</cellStyles></styleSheet>")
        return "".join(parts)


def _size(points: float | None) -> str:
    return "" if points is None else f'<sz val="{points:g}"/>'


class Strings:
    """The workbook's shared strings: each distinct text stored once, cells refer to it by index."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self.uses = 0

    def __call__(self, text: str) -> int:
        """Return the index of ``text``, adding it when new."""
        self.uses += 1
        return self._index.setdefault(text, len(self._index))

    def xml(self) -> str:
        """Return ``xl/sharedStrings.xml``."""
        head = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{_MAIN}" '
            f'count="{self.uses}" uniqueCount="{len(self._index)}">'
        )
        items = "".join(f'<si><t xml:space="preserve">{_escape_text(text)}</t></si>' for text in self._index)
        return f"{head}{items}</sst>"


def cell_xml(value: Any, style: int, strings: Strings) -> str:
    """Return a cell's XML after its reference: its style index and value (None: an empty cell).

    A text is a shared string (an empty one an empty cell); ``bool`` a boolean; ``int`` and
    ``float`` numbers; a date or a datetime Excel's serial day number (shown as a date by its
    number format); anything else its text. A number that is not finite is left out.

    Examples
    --------
    >>> strings = Strings()
    >>> cell_xml("钢材", 1, strings), cell_xml(2.5, 2, strings), cell_xml(None, 1, strings)
    (' s="1" t="s"><v>0</v></c>', ' s="2"><v>2.5</v></c>', ' s="1"/>')
    >>> cell_xml(dt.date(2026, 11, 28), 0, strings), cell_xml(dt.datetime(2026, 11, 28, 18), 0, strings)
    ('><v>46354</v></c>', '><v>46354.75</v></c>')
    """
    s = f' s="{style}"' if style else ""
    if value is None or value == "":
        return f"{s}/>"
    if isinstance(value, str):
        return f'{s} t="s"><v>{strings(value)}</v></c>'
    if isinstance(value, bool):
        return f'{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f"{s}><v>{_number(value)}</v></c>" if math.isfinite(value) else f"{s}/>"
    if isinstance(value, dt.datetime):
        return f"{s}><v>{(value.replace(tzinfo=None) - _EPOCH) / _DAY!r}</v></c>"
    if isinstance(value, dt.date):
        return f"{s}><v>{(value - _EPOCH.date()).days}</v></c>"
    return f'{s} t="s"><v>{strings(str(value))}</v></c>'


def row_xml(number: int, cells: Iterable[str], letters: Sequence[str], *, height: float | None = None) -> str:
    """Return one ``<row>`` of ``cells`` (:func:`cell_xml`) from column A, in ``letters``.

    Examples
    --------
    >>> row_xml(3, [' s="1" t="s"><v>0</v></c>', ' s="1"/>'], ["A", "B"], height=30)
    '<row r="3" ht="30" customHeight="1"><c r="A3" s="1" t="s"><v>0</v></c><c r="B3" s="1"/></row>'
    """
    n = str(number)
    head = f'<row r="{n}" ht="{height:g}" customHeight="1">' if height else f'<row r="{n}">'
    return (
        head
        + "".join(['<c r="' + letter + n + '"' + cell for letter, cell in zip(letters, cells, strict=False)])
        + "</row>"
    )


@dataclass(frozen=True)
class Page:
    """How a sheet prints: orientation, scaling to one page width, margins (inches), footer.

    ``footer`` is in Excel's header/footer codes (``&C`` centre, ``&R`` right, ``&P`` page,
    ``&N`` pages); ``title_rows`` repeat on every page; ``area`` is the print area.
    """

    landscape: bool
    title_rows: tuple[int, int] | None
    area: str | None
    footer: str = ""
    fit_width: bool = True
    centred: bool = True
    margins: tuple[float, float, float, float, float, float] = (0.4, 0.4, 0.5, 0.6, 0.25, 0.3)
    """left, right, top, bottom, header, footer."""


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart of one column of its sheet, drawn over the sheet from ``anchor``.

    ``values`` and ``categories`` are 1-based ``(column, first row, last row)`` of the
    sheet; the series is named by the cell above its values. Values are shown between
    ``scale`` with ``number_format``; ``reverse`` puts the first category on top (Excel
    draws the first at the bottom); ``anchor`` is the 0-based ``(column, row)`` of the
    chart's top left corner; ``size`` its width and height in centimetres.
    """

    title: str
    values: tuple[int, int, int]
    categories: tuple[int, int, int]
    anchor: tuple[int, int]
    size: tuple[float, float]
    number_format: str = "0%"
    scale: tuple[float, float] | None = (0.0, 1.0)
    reverse: bool = False
    legend: bool = True


@dataclass(frozen=True)
class Picture:
    """A PNG picture drawn over its sheet from ``anchor`` (0-based column, row), ``size`` in pixels."""

    png: bytes
    anchor: tuple[int, int]
    size: tuple[int, int]


def png_size(png: bytes) -> tuple[int, int]:
    """Return a PNG's width and height in pixels (from its header).

    Raises
    ------
    ValueError
        When ``png`` is not a PNG.

    Examples
    --------
    >>> header = bytes.fromhex("89504e470d0a1a0a0000000d49484452")
    >>> png_size(header + (640).to_bytes(4, "big") + (4).to_bytes(4, "big"))
    (640, 4)
    """
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        msg = "not a PNG picture"
        raise ValueError(msg)
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


@dataclass(frozen=True)
class Part:
    """One worksheet of the package: its tab name, its XML (in pieces), print setup and drawings.

    A worksheet with ``drawings`` must have been written with ``drawing=True``
    (:func:`worksheet_xml`), which points it at them.
    """

    name: str
    xml: Iterable[str]
    page: Page
    drawings: Sequence[BarChart | Picture] = ()


def worksheet_xml(
    rows: Iterable[str],
    *,
    widths: Sequence[float],
    dimension: str,
    page: Page,
    merges: Sequence[str] = (),
    frozen_rows: int = 0,
    selected: bool = False,
    row_breaks: Sequence[int] = (),
    drawing: bool = False,
) -> Iterable[str]:
    """Yield a worksheet's XML in pieces: its view, columns, ``rows`` (:func:`row_xml`), merges, page.

    ``frozen_rows`` stay on screen when scrolling (the title and the header); a page
    ends after each row of ``row_breaks``; ``drawing`` points the sheet at its drawing
    part (its charts and pictures: :class:`Part`).
    """
    fit = '<pageSetUpPr fitToPage="1"/>' if page.fit_width else ""
    yield (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" '
        f'xmlns:r="{_REL}"><sheetPr><outlinePr summaryBelow="1" summaryRight="1"/>{fit}</sheetPr>'
        f'<dimension ref="{dimension}"/><sheetViews><sheetView workbookViewId="0"'
        + (' tabSelected="1"' if selected else "")
        + ">"
    )
    if frozen_rows:
        top = f"A{frozen_rows + 1}"
        yield (
            f'<pane ySplit="{frozen_rows}" topLeftCell="{top}" activePane="bottomLeft" state="frozen"/>'
            f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>'
        )
    yield '</sheetView></sheetViews><sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>'
    if widths:
        yield (
            "<cols>"
            + "".join(
                f'<col min="{j}" max="{j}" width="{w:g}" customWidth="1"/>'
                for j, w in enumerate(widths, start=1)
            )
            + "</cols>"
        )
    yield "<sheetData>"
    yield from rows
    yield "</sheetData>"
    if merges:
        yield f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
        yield "</mergeCells>"
    if page.centred:
        yield '<printOptions horizontalCentered="1"/>'
    left, right, top_, bottom, header, footer = page.margins
    orientation = "landscape" if page.landscape else "portrait"
    yield (
        f'<pageMargins left="{left}" right="{right}" top="{top_}" bottom="{bottom}" header="{header}" '
        f'footer="{footer}"/><pageSetup paperSize="9" orientation="{orientation}"'
        + (' fitToWidth="1" fitToHeight="0"' if page.fit_width else "")
        + "/>"
    )
    if page.footer:
        yield f"<headerFooter><oddFooter>{_escape(page.footer)}</oddFooter></headerFooter>"
    if row_breaks:
        yield (
            f'<rowBreaks count="{len(row_breaks)}" manualBreakCount="{len(row_breaks)}">'
            + "".join(f'<brk id="{r}" max="16383" man="1"/>' for r in row_breaks)
            + "</rowBreaks>"
        )
    if drawing:
        yield '<drawing r:id="rId1"/>'
    yield "</worksheet>"


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _workbook_xml(parts: Sequence[Part]) -> str:
    sheets = "".join(
        f'<sheet name="{_escape(p.name)}" sheetId="{k}" r:id="rId{k}"/>' for k, p in enumerate(parts, start=1)
    )
    names = []
    for k, p in enumerate(parts):
        sheet = _escape(_quoted(p.name))
        if p.page.title_rows:
            first, last = p.page.title_rows
            names.append(
                f'<definedName name="_xlnm.Print_Titles" localSheetId="{k}">'
                f"{sheet}!${first}:${last}</definedName>"
            )
        if p.page.area:
            names.append(
                f'<definedName name="_xlnm.Print_Area" localSheetId="{k}">{sheet}!{p.page.area}</definedName>'
            )
    return (
        f'{_PROLOG}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/>'
        f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets>'
        + (f"<definedNames>{''.join(names)}</definedNames>" if names else "")
        + '<calcPr calcId="124519" fullCalcOnLoad="1"/>'
        "</workbook>"
    )


def _relationships(targets: Sequence[tuple[str, str]]) -> str:
    items = "".join(
        f'<Relationship Id="rId{k}" Type="{kind}" Target="{target}"/>'
        for k, (kind, target) in enumerate(targets, start=1)
    )
    return f'{_PROLOG}<Relationships xmlns="{_PACKAGE_REL}">{items}</Relationships>'


def _content_types(count: int, *, drawings: int, charts: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="{_TYPE}.worksheet+xml"/>'
        for k in range(1, count + 1)
    )
    sheets += "".join(
        f'<Override PartName="/xl/drawings/drawing{k}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/>'
        for k in range(1, drawings + 1)
    )
    sheets += "".join(
        f'<Override PartName="/xl/charts/chart{k}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.drawingml.chart+xml"/>'
        for k in range(1, charts + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="png" ContentType="image/png"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>{sheets}'
        f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>'
    )


_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
    'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>chain-graph</dc:creator></cp:coreProperties>'
)
_APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties '
    'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>chain-graph</Application></Properties>"
)
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def package(parts: Sequence[Part], styles: Styles, strings: Strings) -> bytes:
    """Return the ``.xlsx`` file of the worksheets ``parts``, their ``styles`` and ``strings``.

    The worksheets are written (and their XML generated) one piece at a time, in order:
    their strings and styles are complete only afterwards, so those parts come last.
    """
    out = io.BytesIO()
    drawn = [p for p in parts if p.drawings]
    charts = sum(isinstance(d, BarChart) for p in drawn for d in p.drawings)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=_COMPRESSION) as book:
        book.writestr("[Content_Types].xml", _content_types(len(parts), drawings=len(drawn), charts=charts))
        book.writestr(
            "_rels/.rels",
            _relationships(
                [
                    (f"{_OFFICE}/officeDocument", "xl/workbook.xml"),
                    (f"{_PACKAGE_REL}/metadata/core-properties", "docProps/core.xml"),
                    (f"{_OFFICE}/extended-properties", "docProps/app.xml"),
                ]
            ),
        )
        book.writestr("docProps/core.xml", _CORE)
        book.writestr("docProps/app.xml", _APP)
        book.writestr("xl/workbook.xml", _workbook_xml(parts))
        targets = [(f"{_OFFICE}/worksheet", f"worksheets/sheet{k}.xml") for k in range(1, len(parts) + 1)]
        targets += [(f"{_OFFICE}/styles", "styles.xml"), (f"{_OFFICE}/sharedStrings", "sharedStrings.xml")]
        book.writestr("xl/_rels/workbook.xml.rels", _relationships(targets))
        for k, part in enumerate(parts, start=1):
            with book.open(f"xl/worksheets/sheet{k}.xml", "w", force_zip64=True) as sheet:
                batch: list[str] = []
                for piece in part.xml:
                    batch.append(piece)
                    if len(batch) >= 2000:
                        sheet.write("".join(batch).encode())
                        batch.clear()
                sheet.write("".join(batch).encode())
        _write_drawings(book, parts)
        book.writestr("xl/styles.xml", styles.xml())
        book.writestr("xl/sharedStrings.xml", strings.xml())
    return out.getvalue()


def _write_drawings(book: zipfile.ZipFile, parts: Sequence[Part]) -> None:
    """Write each sheet's drawing part, its charts and pictures, and the relationships between them."""
    drawing = chart = image = 0
    for k, part in enumerate(parts, start=1):
        if not part.drawings:
            continue
        drawing += 1
        book.writestr(
            f"xl/worksheets/_rels/sheet{k}.xml.rels",
            _relationships([(f"{_OFFICE}/drawing", f"../drawings/drawing{drawing}.xml")]),
        )
        targets, anchors = [], []
        for r, item in enumerate(part.drawings, start=1):
            if isinstance(item, BarChart):
                chart += 1
                book.writestr(f"xl/charts/chart{chart}.xml", _chart_xml(item, sheet=part.name))
                targets.append((f"{_OFFICE}/chart", f"../charts/chart{chart}.xml"))
                anchors.append(_chart_anchor(item, r))
            else:
                image += 1
                book.writestr(f"xl/media/image{image}.png", item.png)
                targets.append((f"{_OFFICE}/image", f"../media/image{image}.png"))
                anchors.append(_picture_anchor(item, r))
        book.writestr(f"xl/drawings/_rels/drawing{drawing}.xml.rels", _relationships(targets))
        book.writestr(
            f"xl/drawings/drawing{drawing}.xml",
            f'{_PROLOG}<xdr:wsDr xmlns:xdr="{_SPREADSHEET_DRAWING}" xmlns:a="{_DRAWING}">'
            + "".join(anchors)
            + "</xdr:wsDr>",
        )


def _from(anchor: tuple[int, int]) -> str:
    column, row = anchor
    return (
        f"<xdr:from><xdr:col>{column}</xdr:col><xdr:colOff>0</xdr:colOff>"
        f"<xdr:row>{row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
    )


def _chart_anchor(chart: BarChart, rid: int) -> str:
    width, height = (round(cm * _EMU_PER_CM) for cm in chart.size)
    return (
        f'<xdr:oneCellAnchor>{_from(chart.anchor)}<xdr:ext cx="{width}" cy="{height}"/>'
        f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{rid + 1}" name="图表 {rid}"/>'
        "<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>"
        '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
        f'<a:graphic><a:graphicData uri="{_CHART}"><c:chart xmlns:c="{_CHART}" xmlns:r="{_REL}" '
        f'r:id="rId{rid}"/></a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/>'
        "</xdr:oneCellAnchor>"
    )


def _picture_anchor(picture: Picture, rid: int) -> str:
    width, height = (px * _EMU_PER_PIXEL for px in picture.size)
    return (
        f'<xdr:oneCellAnchor>{_from(picture.anchor)}<xdr:ext cx="{width}" cy="{height}"/>'
        f'<xdr:pic><xdr:nvPicPr><xdr:cNvPr id="{rid + 1}" name="图片 {rid}"/>'
        '<xdr:cNvPicPr><a:picLocks noChangeAspect="1"/></xdr:cNvPicPr></xdr:nvPicPr>'
        f'<xdr:blipFill><a:blip xmlns:r="{_REL}" r:embed="rId{rid}"/><a:stretch><a:fillRect/></a:stretch>'
        f'</xdr:blipFill><xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{width}" cy="{height}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/>'
        "</xdr:oneCellAnchor>"
    )


def _reference(sheet: str, column: int, first: int, last: int | None = None) -> str:
    """Return an absolute reference to cells of one column, ``'表'!$B$3:$B$9``.

    Examples
    --------
    >>> _reference("排名", 2, 3, 9), _reference("O'Brien", 1, 2)
    ("'排名'!$B$3:$B$9", "'O''Brien'!$A$2")
    """
    letter = column_letter(column)
    cells = f"${letter}${first}" if last is None else f"${letter}${first}:${letter}${last}"
    return f"{_quoted(sheet)}!{cells}"


def _chart_xml(chart: BarChart, *, sheet: str) -> str:
    """Return a chart part: one series of bars, its categories, a titled value axis in ``number_format``."""
    column, first, last = chart.values
    name = _escape(_reference(sheet, column, first - 1))
    values = _escape(_reference(sheet, column, first, last))
    categories = _escape(_reference(sheet, *chart.categories))
    scale = ""
    if chart.scale is not None:
        scale = f'<c:max val="{chart.scale[1]:g}"/><c:min val="{chart.scale[0]:g}"/>'
    orientation = "maxMin" if chart.reverse else "minMax"
    legend = '<c:legend><c:legendPos val="r"/><c:overlay val="0"/></c:legend>' if chart.legend else ""
    return (
        f'{_PROLOG}<c:chartSpace xmlns:c="{_CHART}" xmlns:a="{_DRAWING}" xmlns:r="{_REL}">'
        '<c:roundedCorners val="0"/><c:chart>'
        f"<c:title><c:tx><c:rich><a:bodyPr/><a:p><a:r><a:t>{_escape(chart.title)}</a:t></a:r></a:p>"
        '</c:rich></c:tx><c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>'
        '<c:barChart><c:barDir val="bar"/><c:grouping val="clustered"/><c:varyColors val="0"/>'
        f'<c:ser><c:idx val="0"/><c:order val="0"/><c:tx><c:strRef><c:f>{name}</c:f></c:strRef></c:tx>'
        '<c:spPr><a:solidFill><a:srgbClr val="4472C4"/></a:solidFill></c:spPr><c:invertIfNegative val="0"/>'
        f"<c:cat><c:strRef><c:f>{categories}</c:f></c:strRef></c:cat>"
        f"<c:val><c:numRef><c:f>{values}</c:f></c:numRef></c:val></c:ser>"
        '<c:gapWidth val="60"/><c:axId val="10"/><c:axId val="100"/></c:barChart>'
        f'<c:catAx><c:axId val="10"/><c:scaling><c:orientation val="{orientation}"/></c:scaling>'
        '<c:delete val="0"/><c:axPos val="l"/><c:majorTickMark val="none"/><c:minorTickMark val="none"/>'
        '<c:tickLblPos val="nextTo"/><c:crossAx val="100"/><c:crosses val="autoZero"/><c:auto val="1"/>'
        '<c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        f'<c:valAx><c:axId val="100"/><c:scaling><c:orientation val="minMax"/>{scale}</c:scaling>'
        '<c:delete val="0"/><c:axPos val="b"/><c:majorGridlines/>'
        f'<c:numFmt formatCode="{_escape(chart.number_format)}" sourceLinked="0"/>'
        '<c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        # reversed categories put the value axis at the top unless it crosses at the last one
        f'<c:crossAx val="10"/><c:crosses val="{"max" if chart.reverse else "autoZero"}"/>'
        '<c:crossBetween val="between"/></c:valAx>'
        f'</c:plotArea>{legend}<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>'
    )
