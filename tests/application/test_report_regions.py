"""The weekly report carries the regional distribution map: inline SVG in HTML, a picture in
Word and in the workbook's 区域分布图 sheet (rendered by CairoSVG with a Chinese font)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from application import documents
from application.visibility import Visibility
from application.workspace import Workspace
from chain_graph.settings import Settings
from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import read_directory
from tests.defaults import SETTINGS

TODAY = dt.date(2026, 11, 30)


@pytest.fixture
def ws(tmp_path: Path, canonical_dir: Path) -> Iterator[Workspace]:
    settings = Settings(store=f"sqlite:///{tmp_path}/r.db")
    with SQLiteStore(settings.store, batch_size=SETTINGS.write_batch_size) as store:
        store.write(read_directory(canonical_dir, settings=SETTINGS).ledgers)
        yield Workspace(settings, store=store)


CITY = Visibility.whole_city()


def _file(ws: Workspace, fmt: str, vis: Visibility = CITY) -> bytes:
    _, content = documents.report_file(
        ws,
        ws.snapshot(),
        vis,
        start=None,
        end=None,
        today=TODAY,
        fmt=fmt,  # type: ignore[arg-type]
    )
    return content


def test_the_html_report_draws_the_map_inline(ws: Workspace) -> None:
    page = _file(ws, "html").decode("utf-8")
    assert page.count('class="region-map"') == 3  # the three panels, side by side
    assert "<?xml" not in page
    assert "受阻配套企业区域分布图" in page
    assert "长沙市" in page  # S1's city, shaded


def test_the_word_report_has_the_map_as_a_picture(ws: Workspace) -> None:
    document = Document(io.BytesIO(_file(ws, "docx")))
    [picture] = document.inline_shapes
    assert picture.width > picture.height > 0
    captions = [p.text for p in document.paragraphs]
    assert "图1 受阻配套企业区域分布图" in captions


def test_the_workbook_has_a_map_sheet_with_the_picture(ws: Workspace) -> None:
    content = _file(ws, "xlsx")
    assert load_workbook(io.BytesIO(content)).sheetnames[-1] == "区域分布图"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        images = [n for n in archive.namelist() if n.startswith("xl/media/") and n.endswith(".png")]
        assert len(images) == 1
        png = archive.read(images[0])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png) > 20_000  # a drawn map, not an empty canvas


def test_a_countys_report_maps_only_what_holds_it_back(ws: Workspace) -> None:
    page = _file(ws, "html", Visibility.of_county("431228")).decode("utf-8")  # 芷江: nothing held back
    assert "长沙市</title>" not in page


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "html"])
def test_the_monthly_notice_carries_the_map(ws: Workspace, fmt: str) -> None:
    from application import notices
    from chain_graph.scorecard import parse_month

    _, content = notices.notice_file(ws, ws.snapshot(), period=parse_month("2026-11"), fmt=fmt, today=TODAY)
    if fmt == "docx":
        document = Document(io.BytesIO(content))
        assert len(document.inline_shapes) == 1
        assert "附图 受阻配套企业区域分布图" in [p.text for p in document.paragraphs]
    elif fmt == "xlsx":
        assert load_workbook(io.BytesIO(content)).sheetnames[-1] == "区域分布图"
    else:
        assert content.decode("utf-8").count('class="region-map"') == 3
