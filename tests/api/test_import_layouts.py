"""A county office's workbook uploaded through the API and the console: imported, with its
skipped lines (合计, signatures, notes, a repeated header) listed in the answer."""

from __future__ import annotations

import io
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import Workbook

from ingest.schema import TABLES
from tests.api.conftest import auth
from tests.api.test_console import _login
from tests.ingest.test_office_layouts import _office_sheet
from tests.ledger_files import CANONICAL


def _workbook(tmp_path: Path) -> tuple[bytes, dict[tuple[str, int], str]]:
    book = Workbook()
    default = book.active
    assert default is not None
    book.remove(default)
    added = {}
    for name, rows in CANONICAL.items():
        for row, kind in _office_sheet(book, name, [list(r) for r in rows]).items():
            added[(TABLES[name].label, row)] = kind
    path = tmp_path / "鹤城区台账.xlsx"
    book.save(path)
    return path.read_bytes(), added


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_api_imports_it_and_lists_the_skipped_lines(
    client: TestClient, tokens: dict[str, str], tmp_path: Path
) -> None:
    content, added = _workbook(tmp_path)
    answer = client.post(
        "/imports", files=[("files", ("鹤城区台账.xlsx", content, XLSX))], headers=auth(tokens["admin"])
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["written"] is True
    assert body["issues"] == []
    assert {(s["sheet"], s["row"]): s["kind"] for s in body["skipped"]} == added


def test_the_console_import_page_lists_them(
    client: TestClient, tokens: dict[str, str], tmp_path: Path
) -> None:
    content, added = _workbook(tmp_path)
    csrf = _login(client, tokens["admin"])
    page = client.post(
        "/console/import",
        data={"csrf": csrf},
        files=[("files", ("鹤城区台账.xlsx", io.BytesIO(content), XLSX))],
    )
    assert page.status_code == 200, page.text[:500]
    assert 'id="import-skipped"' in page.text
    assert page.text.count("<tr><td>鹤城区台账.xlsx</td>") == len(added)
    assert "填表人：张三" in page.text
