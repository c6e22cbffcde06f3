"""Hostile workbooks: a zip bomb, a million empty rows, formulas without values, XML attacks.

Each case is a real .xlsx (written by openpyxl, then its sheet XML rewritten as a hostile
tool would), imported into a store that already holds the canonical ledgers, under the
resource bounds of :mod:`tests.ingest.bounds`: a refused file leaves the store unchanged and
says where and why; a file that must load, loads.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest

from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import ingest_directory, read_directory
from tests.defaults import SETTINGS
from tests.ingest.bounds import bounded
from tests.ledger_files import CANONICAL, write_canonical, write_xlsx

SHEET = "xl/worksheets/sheet1.xml"
Writer = Callable[[bytes, IO[bytes]], None]


def _as_workbook(directory: Path, rows: list[list[object]] | None = None) -> Path:
    """Replace enterprises.csv by enterprises.xlsx (first sheet)."""
    (directory / "enterprises.csv").unlink()
    return write_xlsx(directory / "enterprises.xlsx", {"enterprises": rows or CANONICAL["enterprises"]})


def _rewrite_sheet(path: Path, write: Writer) -> None:
    """Rewrite the first sheet's XML part, streaming (the new part may be huge)."""
    with (
        zipfile.ZipFile(io.BytesIO(path.read_bytes())) as old,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new,
    ):
        for info in old.infolist():
            data = old.read(info)
            if info.filename == SHEET:
                with new.open(SHEET, "w", force_zip64=True) as handle:
                    write(data, handle)
            else:
                new.writestr(info, data)


def _replace(old: bytes, new: bytes) -> Writer:
    def write(xml: bytes, handle: IO[bytes]) -> None:
        assert old in xml
        handle.write(xml.replace(old, new))

    return write


def _zip_bomb(xml: bytes, handle: IO[bytes]) -> None:
    """300 MiB of whitespace inside <sheetData>: valid XML that deflates a thousandfold."""
    head, tail = xml.split(b"<sheetData>")
    handle.write(head + b"<sheetData>")
    block = b" " * (1 << 20)
    for _ in range(300):
        handle.write(block)
    handle.write(tail)


def _million_empty_rows(xml: bytes, handle: IO[bytes]) -> None:
    """Formatted empty rows down to Excel's last row, as a sheet 'used' to the bottom has."""
    xml = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:I1048576"', xml)
    head, tail = xml.split(b"</sheetData>")
    handle.write(head)
    first = len(CANONICAL["enterprises"]) + 1
    for start in range(first, 1_048_577, 50_000):
        stop = min(start + 50_000, 1_048_577)
        handle.write(b"".join(b'<row r="%d" ht="15" customHeight="1"/>' % r for r in range(start, stop)))
    handle.write(b"</sheetData>" + tail)


def _billion_laughs(xml: bytes, handle: IO[bytes]) -> None:
    """Nine levels of ten references: 10⁹ copies of "lol" if an entity is ever expanded."""
    entities = b'<!ENTITY a0 "lol">' + b"".join(
        b'<!ENTITY a%d "%s">' % (i, b"&a%d;" % (i - 1) * 10) for i in range(1, 10)
    )
    cell = b'<c r="J1" t="inlineStr"><is><t>&a9;</t></is></c></row>'
    handle.write(b"<!DOCTYPE worksheet [" + entities + b"]>" + xml.replace(b"</row>", cell, 1))


def _truncated_xml(xml: bytes, handle: IO[bytes]) -> None:
    handle.write(xml[: len(xml) // 2])


def _formula_rows() -> list[list[object]]:
    rows = [list(r) for r in CANONICAL["enterprises"]]
    rows[1][5] = "=30000"  # E1's output value as a formula; openpyxl saves no value for it
    return rows


def _bomb_case(d: Path) -> None:
    _rewrite_sheet(_as_workbook(d), _zip_bomb)


def _laughs_case(d: Path) -> None:
    _rewrite_sheet(_as_workbook(d), _billion_laughs)


def _truncated_case(d: Path) -> None:
    _rewrite_sheet(_as_workbook(d), _truncated_xml)


def _formula_case(d: Path) -> None:
    _as_workbook(d, _formula_rows())


def _beyond_case(d: Path) -> None:
    rows = [list(r) for r in CANONICAL["enterprises"]]
    rows[2] = [*rows[2], "", "备注：二季度复产"]  # typed two columns right of the last header
    _as_workbook(d, rows)


REFUSED: list[tuple[str, Callable[[Path], object], str, tuple[int, str] | None]] = [
    ("a zip bomb named .xlsx (300 MiB of sheet XML in 0.3 MiB)", _bomb_case, "E007", None),
    ("an entity-expansion bomb in the sheet XML", _laughs_case, "E001", None),
    ("sheet XML cut in half inside a valid zip", _truncated_case, "E001", None),
    ("a formula saved without its value", _formula_case, "E029", (2, "output_value")),
    ("a value typed right of the last header", _beyond_case, "E001", (3, "K")),
]


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    opened = SQLiteStore(f"sqlite:///{tmp_path}/hostile.db", batch_size=SETTINGS.write_batch_size)
    opened.write(read_directory(write_canonical(tmp_path / "before"), settings=SETTINGS).ledgers)
    return opened


@pytest.mark.parametrize(("case", "make", "code", "where"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_within_bounds(
    store: SQLiteStore,
    tmp_path: Path,
    case: str,
    make: Callable[[Path], object],
    code: str,
    where: tuple[int, str] | None,
) -> None:
    directory = write_canonical(tmp_path / "data")
    make(directory)
    version = store.data_version()
    with bounded(mib=128, seconds=60):
        report = ingest_directory(directory, store, settings=SETTINGS)
    issues = [i for i in report.validation.issues if i.code.value == code]
    assert issues, (case, report.validation.issues)
    assert issues[0].file == "enterprises.xlsx"
    if where is not None:
        assert (issues[0].row, issues[0].column) == where
    assert not report.written
    assert store.data_version() == version
    store.close()


def _cached_formula(d: Path) -> None:
    def cached(xml: bytes, handle: IO[bytes]) -> None:
        # openpyxl writes the empty value as <v /> or <v></v> (ElementTree or lxml installed)
        found = re.subn(rb"<f>30000</f><v\s*/>|<f>30000</f><v></v>", b"<f>30000</f><v>30000</v>", xml)
        assert found[1] == 1
        handle.write(found[0])

    _rewrite_sheet(_as_workbook(d, _formula_rows()), cached)


def _formula_in_title(d: Path) -> None:
    _as_workbook(d, [['=CONCAT("重点企业","台账")'], *CANONICAL["enterprises"]])


def _empty_rows_case(d: Path) -> None:
    _rewrite_sheet(_as_workbook(d), _million_empty_rows)


def _wide_case(d: Path) -> None:
    _rewrite_sheet(_as_workbook(d), _replace(b'<dimension ref="A1:I3"', b'<dimension ref="A1:XFD1048576"'))


LOADED: list[tuple[str, Callable[[Path], object]]] = [
    ("a sheet of 1,048,576 rows, all but three empty", _empty_rows_case),
    ("a sheet claiming all 16,384 columns and 1,048,576 rows", _wide_case),
    ("a formula with its saved value", _cached_formula),
    ("a formula without a value in the title above the header", _formula_in_title),
]


@pytest.mark.parametrize(("case", "make"), LOADED, ids=[c[0] for c in LOADED])
def test_loaded_within_bounds(
    store: SQLiteStore, tmp_path: Path, case: str, make: Callable[[Path], object]
) -> None:
    directory = write_canonical(tmp_path / "data")
    make(directory)
    with bounded(mib=256, seconds=300):
        report = ingest_directory(directory, store, settings=SETTINGS)
    assert report.written, (case, report.validation.issues[:3])
    firms = store.load().firms.set_index("id")
    assert firms.loc["E1", "output_value"] == 30000
    assert set(firms.index) >= {"E1", "E2", "S1", "S2"}
    store.close()
