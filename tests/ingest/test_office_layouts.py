"""Workbooks as county offices send them give the same analysis as the plain CSV ledgers.

The canonical ledgers are laid out the way a county office lays out its sheets for stamping:
one workbook, a sheet per table, each with a merged title, a 填报单位（盖章） line, a 序号
column, a two-row header (a group heading over some columns, the others merged down both
rows), the supply links sorted by buyer with each buyer's cell merged down the rows of its
suppliers, a header row repeated as if pasted page by page, a 合计 line, the 填表人 / 审核人 /
联系电话 and 说明 lines under the table. The same workbook is saved by LibreOffice as old
``.xls`` and as ``.ods``. Each must give exactly the analysis JSON of the CSV files, with
every skipped line listed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from chain_graph.gaps import analyze
from ingest.layout import NOTE, OTHER_FORMAT, REPEATED_HEADER, SIGNATURE, TOTALS, line_kind
from ingest.loader import read_directory
from ingest.schema import TABLES
from tests.defaults import SETTINGS
from tests.exports.test_print import _tools
from tests.ledger_files import CANONICAL, write_canonical

GROUPED = {
    "enterprises": ("经营情况", ("output_value", "tax")),
    "suppliers": ("生产情况", ("status", "capacity", "recovery_days")),
    "links": ("配套情况", ("share", "critical", "stock_days")),
}
"""Per table, a group heading over some of its columns (the lower header row names them)."""


def _number(value: object) -> object:
    """A figure as an official types it: a number cell where the text is one."""
    text = str(value)
    try:
        number = float(text)
    except ValueError:
        return None if text == "" else text
    return int(number) if number.is_integer() and "." not in text else number


def _office_sheet(book: Workbook, name: str, rows: list[list[object]]) -> dict[int, str]:
    """Lay out one table as a county office does; return the lines it adds below the header."""
    spec = TABLES[name]
    labels = {c.name: c.headers[0] for c in spec.columns}
    columns = [str(c) for c in rows[0]]
    data = rows[1:]
    if name == "links":  # sorted by buyer, so that each buyer's cell can be merged down
        data = sorted(data, key=lambda r: str(r[1]))
    sheet = book.create_sheet(spec.label)
    width = len(columns) + 1
    last = get_column_letter(width)
    sheet.append([f"鹤城区{spec.label}（截至 2026 年 11 月 30 日）"])
    sheet.merge_cells(f"A1:{last}1")
    sheet.append(["填报单位（盖章）：鹤城区工业和信息化局", *[None] * (width - 3), "填报日期：2026-11-30"])
    group, members = GROUPED.get(name, ("", ()))
    upper: list[object] = ["序号"]
    lower: list[object] = [None]
    for column in columns:
        upper.append(group if column in members else labels[column])
        lower.append(labels[column] if column in members else None)
    sheet.append(upper)
    sheet.append(lower)
    for index, column in enumerate(["序号", *columns], start=1):  # single headings: merged down both rows
        if column not in members:
            letter = get_column_letter(index)
            sheet.merge_cells(f"{letter}3:{letter}4")
    if members:
        first = columns.index(members[0]) + 2
        sheet.merge_cells(f"{get_column_letter(first)}3:{get_column_letter(first + len(members) - 1)}3")
    added: dict[int, str] = {}
    for number, row in enumerate(data, start=1):
        if name == "links" and number == 3:  # the header again, as pasted on a new page
            sheet.append([*upper[:1], *[labels[c] for c in columns]])
            added[sheet.max_row] = REPEATED_HEADER
        sheet.append([number, *(_number(v) for v in row)])
    if name == "links":  # each buyer's cell merged down the rows of its suppliers
        buyer = columns.index("buyer_id") + 1 + 1
        runs: dict[str, list[int]] = {}
        for row_number in range(5, sheet.max_row + 1):
            value = sheet.cell(row=row_number, column=buyer).value
            if row_number not in added and value:
                runs.setdefault(str(value), []).append(row_number)
        for rows_of in runs.values():
            if len(rows_of) > 1 and rows_of == list(range(rows_of[0], rows_of[-1] + 1)):
                letter = get_column_letter(buyer)
                sheet.merge_cells(f"{letter}{rows_of[0]}:{letter}{rows_of[-1]}")  # empties the others
    total = sheet.max_row + 1
    sheet.append(["合计", None, f"{len(data)} 行"])
    sheet.merge_cells(f"A{total}:B{total}")
    added[total] = TOTALS
    sheet.append(["填表人：张三", None, "审核人：李四", None, "联系电话：0745-2712345"])
    added[sheet.max_row] = SIGNATURE
    sheet.append(["说明：金额单位为万元，占比为百分数。"])
    added[sheet.max_row] = NOTE
    return added


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[tuple[str, int], str]]:
    """The county office's workbook (and a stray scanned letter beside it): directory, added lines."""
    directory = tmp_path_factory.mktemp("office")
    book = Workbook()
    default = book.active
    assert default is not None
    book.remove(default)
    added = {}
    for name, rows in CANONICAL.items():
        for row, kind in _office_sheet(book, name, [list(r) for r in rows]).items():
            added[(TABLES[name].label, row)] = kind
    book.save(directory / "鹤城区台账.xlsx")
    (directory / "盖章扫描件.pdf").write_bytes(b"%PDF-1.4\n")
    return directory, added


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The analysis JSON of the canonical ledgers as plain CSV."""
    validation = read_directory(write_canonical(tmp_path_factory.mktemp("csv")), settings=SETTINGS)
    assert validation.ok
    return analyze(validation.ledgers, settings=SETTINGS).to_json()


def _converted(office: Path, suffix: str, out: Path) -> Path:
    """The office workbook saved by LibreOffice (headless) as ``suffix``, alone in ``out``."""
    tools = _tools()
    out.mkdir()
    subprocess.run(
        [
            tools["soffice"],
            f"-env:UserInstallation={(out / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            suffix,
            "--outdir",
            str(out),
            str(office / "鹤城区台账.xlsx"),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    shutil.rmtree(out / "profile", ignore_errors=True)
    return out


@pytest.mark.parametrize("suffix", ["xlsx", "xls", "ods"])
def test_the_office_workbook_gives_the_csv_analysis(
    office: tuple[Path, dict[tuple[str, int], str]],
    expected: dict[str, object],
    tmp_path: Path,
    suffix: str,
) -> None:
    directory, _ = office
    if suffix != "xlsx":
        directory = _converted(directory, suffix, tmp_path / suffix)
        assert [p.suffix for p in directory.iterdir()] == [f".{suffix}"]
    validation = read_directory(directory, settings=SETTINGS)
    assert validation.issues == []
    found = analyze(validation.ledgers, settings=SETTINGS).to_json()
    assert json.dumps(found, sort_keys=True, ensure_ascii=False) == json.dumps(
        expected, sort_keys=True, ensure_ascii=False
    )


def test_every_skipped_line_is_listed_with_its_sheet_and_row(
    office: tuple[Path, dict[tuple[str, int], str]],
) -> None:
    directory, added = office
    validation = read_directory(directory, settings=SETTINGS)
    lines = {(line.sheet, line.row): line for line in validation.skipped if line.row}
    assert {key: line.kind for key, line in lines.items()} == added
    assert all(line.file == "鹤城区台账.xlsx" for line in lines.values())
    assert lines[("供应关系", max(r for s, r in added if s == "供应关系"))].text.startswith("说明")
    [other] = [line for line in validation.skipped if not line.row]
    assert (other.file, other.kind) == ("盖章扫描件.pdf", OTHER_FORMAT)


@pytest.mark.parametrize(
    ("cells", "kind"),
    [
        pytest.param(["  ", "注：说明文字", ""], NOTE, id="a note after a blank cell"),
        pytest.param([" ", "填表人：张三", ""], SIGNATURE, id="a signature after a blank cell"),
        pytest.param(["\t", "说明：x"], NOTE, id="a note after a tab"),
        pytest.param(["GY001", "注：说明文字", ""], None, id="a note after an id is data"),
    ],
)
def test_a_blank_first_cell_does_not_hide_furniture(cells: list[str], kind: str | None) -> None:
    assert line_kind(cells, TABLES["links"]) == kind
