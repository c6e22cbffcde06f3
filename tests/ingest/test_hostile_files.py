"""Hostile and broken files, each with the outcome it must have.

Every case starts from the canonical ledgers, breaks one thing, imports into a store that
already holds the canonical content, and checks the located issue codes and that the store
is unchanged (or, for a case that must load, that it loads).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from chain_graph.gaps import analyze
from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import ingest_directory, read_directory
from tests.ledger_files import CANONICAL, write_canonical, write_csv, write_xlsx

Mutation = Callable[[Path], object]


def _rows(table: str, change: Callable[[list[list[object]]], object]) -> Mutation:
    def mutate(directory: Path) -> None:
        rows = copy.deepcopy(CANONICAL[table])
        change(rows)
        write_csv(directory / f"{table}.csv", rows)

    return mutate


def _set(table: str, row: int, column: int, value: object) -> Mutation:
    return _rows(table, lambda rows: rows[row].__setitem__(column, value))


def _append(table: str, *new: list[object]) -> Mutation:
    return _rows(table, lambda rows: rows.extend(new))


def _as_xlsx(table: str, rows: list[list[object]] | None = None) -> Mutation:
    def mutate(directory: Path) -> None:
        (directory / f"{table}.csv").unlink()
        write_xlsx(directory / f"{table}.xlsx", {table: rows or CANONICAL[table]})

    return mutate


def _truncated_xlsx(directory: Path) -> None:
    _as_xlsx("enterprises")(directory)
    path = directory / "enterprises.xlsx"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _merged_title_and_header(directory: Path) -> None:
    (directory / "enterprises.csv").unlink()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "enterprises"
    sheet.append(["重点企业台账（2026年11月）"])
    sheet.merge_cells("A1:I1")
    for row in CANONICAL["enterprises"]:
        sheet.append(row)
    book.save(directory / "enterprises.xlsx")


def _mixed_encoding(directory: Path) -> None:
    text = (directory / "suppliers.csv").read_text(encoding="utf-8")
    (directory / "suppliers.csv").write_bytes(
        text.encode("gb18030") + "S9,再来一个,湖南省长沙市,,,,,\r\n".encode()
    )


def _each(items: list[Any], action: Callable[[Any], object]) -> None:
    for item in items:
        action(item)


def _replace(directory: Path, old: str, new: str, data: bytes) -> None:
    (directory / old).unlink()
    (directory / new).write_bytes(data)


def _append_bytes(path: Path, data: bytes) -> None:
    with path.open("ab") as handle:
        handle.write(data)


def _stopped_cycle(directory: Path) -> None:
    _set("suppliers", 2, 4, "stopped")(directory)
    _append("links", ["S1", "S2", "矿石", "50", "yes", ""], ["S2", "S1", "焦炭", "50", "yes", ""])(directory)


REFUSED: list[tuple[str, Mutation, set[str]]] = [
    ("0-byte CSV", lambda d: (d / "links.csv").write_bytes(b""), {"E006"}),
    ("binary junk", lambda d: (d / "links.csv").write_bytes(bytes(range(256)) * 20), {"E001"}),
    ("mixed encodings", _mixed_encoding, {"E002"}),
    ("truncated xlsx", _truncated_xlsx, {"E001"}),
    (
        "not a zip, named .xlsx",
        lambda d: _replace(d, "enterprises.csv", "enterprises.xlsx", b"PK\x03\x04 no"),
        {"E001"},
    ),
    ("header only", _rows("links", lambda rows: rows.__delitem__(slice(1, None))), {"E005"}),
    ("duplicated column", _rows("links", lambda rows: _each(rows, lambda r: r.append(r[0]))), {"E011"}),
    ("missing column", _rows("links", lambda rows: [r.pop(0) for r in rows]), {"E010"}),
    (
        "row wider than the header",
        lambda d: (d / "links.csv").write_text(
            (d / "links.csv").read_text(encoding="utf-8") + "S1,E2,钢材,10,yes,1,extra,more\r\n",
            encoding="utf-8",
        ),
        {"E001"},
    ),
    ("no ledger file at all", lambda d: _each(list(d.glob("*.csv")), Path.unlink), {"E003"}),
    (
        "a full-width id naming an enterprise differently",
        _rows("suppliers", lambda rows: rows[3].__setitem__(slice(0, 2), ["Ｅ1", "别的名字"])),
        {"E031"},
    ),
    ("a link to itself", _append("links", ["S1", "S1", "钢材", "10", "yes", ""]), {"E034"}),
    ("a date in the year 9999", _set("problems", 1, 4, "9999-12-31"), {"E025"}),
    ("share NaN", _set("links", 1, 3, "NaN"), {"E021"}),
    ("share inf", _set("links", 1, 3, "inf"), {"E021"}),
    ("share 1e309", _set("links", 1, 3, "1e309"), {"E021"}),
    ("negative share", _set("links", 1, 3, "-5"), {"E022"}),
    ("negative output", _set("enterprises", 1, 5, "-100"), {"E022"}),
    ("capacity above 100 %", _set("suppliers", 1, 5, "180"), {"E022"}),
    ("a 1M-character cell", _set("enterprises", 1, 1, "长" * 1_000_000), {"E028"}),
    ("a formula as an id", _set("links", 1, 1, '=HYPERLINK("x")'), {"E033"}),
    ("an unknown status word", _set("suppliers", 1, 4, "停业整顿"), {"E024"}),
]

LOADED: list[tuple[str, Mutation]] = [
    ("200,000 empty rows after the data", lambda d: _append_bytes(d / "links.csv", b",,,,,\r\n" * 200_000)),
    ("a cycle of stopped suppliers", _stopped_cycle),
    ("a title row merged over the header", _merged_title_and_header),
    ("an unknown extra column", _rows("links", lambda rows: _each(rows, lambda r: r.append("备注")))),
    ("full-width digits in numbers", _set("enterprises", 1, 5, "３００００")),
    ("a full-width id is the same firm", _set("suppliers", 3, 0, "Ｅ１")),
]


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    opened = SQLiteStore(f"sqlite:///{tmp_path}/hostile.db")
    opened.write(read_directory(write_canonical(tmp_path / "before")).ledgers)
    return opened


@pytest.mark.parametrize(("case", "mutate", "codes"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_with_a_located_issue_and_nothing_written(
    store: SQLiteStore, tmp_path: Path, case: str, mutate: Mutation, codes: set[str]
) -> None:
    directory = write_canonical(tmp_path / "data")
    mutate(directory)
    before, version = store.load().canonical(), store.data_version()
    report = ingest_directory(directory, store)
    found = {issue.code.value for issue in report.validation.issues}
    assert codes <= found, (case, sorted(found))
    assert not report.written
    assert store.data_version() == version
    assert store.load().canonical().firms.equals(before.firms)
    for issue in report.validation.issues:
        assert issue.message
        assert issue.file
    store.close()


@pytest.mark.parametrize(("case", "mutate"), LOADED, ids=[c[0] for c in LOADED])
def test_loaded(store: SQLiteStore, tmp_path: Path, case: str, mutate: Mutation) -> None:
    directory = write_canonical(tmp_path / "data")
    mutate(directory)
    report = ingest_directory(directory, store)
    assert report.written, (case, report.validation.issues[:3])
    loaded = store.load()
    assert loaded.firms["id"].is_unique
    assert set(loaded.firms["id"]) >= {"E1", "E2", "S1", "S2"}  # nothing lost, no twin firm
    analyze(loaded)
    store.close()
