"""Hostile and broken files, each with the outcome it must have.

Every case starts from the canonical ledgers, breaks one thing, imports into a store that
already holds the canonical content under the bounds of :mod:`tests.ingest.bounds`, and
checks the located issue codes and that the store is unchanged (or, for a case that must
load, that it loads and what it loaded). Workbook-level attacks are in
``test_hostile_workbooks.py``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from chain_graph.gaps import analyze
from chain_graph.model import LedgerTables
from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import ingest_directory, read_directory
from tests.defaults import SETTINGS
from tests.ingest.bounds import bounded
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


def _links_text(separator: str, line_end: str) -> Mutation:
    def mutate(directory: Path) -> None:
        text = line_end.join(separator.join(map(str, row)) for row in CANONICAL["links"]) + line_end
        (directory / "links.csv").write_text(text, encoding="utf-8")

    return mutate


def _directory_for_file(directory: Path) -> None:
    (directory / "links.csv").unlink()
    (directory / "links.csv").mkdir()


def _ole_container(directory: Path) -> None:
    """A password-protected workbook (or an old .xls) is an OLE compound file, not a zip."""
    (directory / "enterprises.csv").unlink()
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    (directory / "enterprises.xlsx").write_bytes(header + bytes(4096))


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
            (d / "links.csv").read_text(encoding="utf-8") + "S1,E2,钢材,10,yes,1,,,extra,more\r\n",
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
    ("a link to an unknown supplier", _append("links", ["S404", "E1", "钢材", "10", "yes", ""]), {"E033"}),
    ("shares over 100 % for one material", _append("links", ["E2", "E1", "钢材", "50", "yes", ""]), {"E036"}),
    ("the same link twice", _append("links", ["S1", "E1", "钢材", "10", "yes", ""]), {"E035"}),
    ("an enterprise listed twice", _append("enterprises", CANONICAL["enterprises"][1]), {"E030"}),
    ("a date that does not exist", _set("problems", 1, 4, "2026/13/45"), {"E025"}),
    ("a date in the year 1900", _set("problems", 1, 4, "1900-01-01"), {"E025"}),
    ("a five-digit adcode", _set("suppliers", 2, 3, "12345"), {"E026"}),
    ("an empty id", _set("enterprises", 1, 0, ""), {"E020"}),
    ("fractional stock days", _set("links", 1, 5, "3.5"), {"E023"}),
    ("negative stock days", _set("links", 1, 5, "-1"), {"E022"}),
    ("a yes/no column saying maybe", _set("links", 1, 4, "maybe"), {"E024"}),
    ("a project with a firm's id", _set("projects", 1, 0, "E2"), {"E032"}),
    ("a share in words", _set("links", 1, 3, "abc"), {"E021"}),
    ("output 1e400", _set("enterprises", 1, 5, "1e400"), {"E021"}),
    ("a 400-digit number", _set("enterprises", 1, 5, "9" * 400), {"E021"}),
    ("output in 元 not 万元", _set("enterprises", 1, 5, "3000元"), {"E027"}),
    (
        "neither address nor adcode",
        _rows("suppliers", lambda rows: rows[2].__setitem__(slice(2, 4), ["", ""])),
        {"E038"},
    ),
    ("an unknown problem status", _set("problems", 1, 5, "closed?"), {"E024"}),
    ("an unknown problem category", _set("problems", 1, 2, "天气"), {"E024"}),
    ("an unknown project level", _set("projects", 1, 3, "国家级?"), {"E024"}),
    ("semicolons instead of commas", _links_text(";", "\r\n"), {"E006"}),
    (
        "UTF-16 text (Excel's Unicode text)",
        lambda d: (d / "links.csv").write_bytes(
            "\r\n".join(",".join(map(str, r)) for r in CANONICAL["links"]).encode("utf-16")
        ),
        {"E002"},
    ),
    (
        "the header below row 10",
        _rows("links", lambda rows: rows.__setitem__(slice(0, 0), [[""] * 6] * 29)),
        {"E006"},
    ),
    ("a directory named links.csv", _directory_for_file, {"E003"}),
    (
        "a table given twice (CSV and XLSX)",
        lambda d: write_xlsx(d / "enterprises.xlsx", {"enterprises": CANONICAL["enterprises"]}),
        {"E004"},
    ),
    ("a negative annual value", _set("links", 1, 6, "-1200"), {"E022"}),
    ("an annual value in 元 not 万元", _set("links", 1, 6, "1200元"), {"E027"}),
    ("an annual value in words", _set("links", 1, 6, "一千二百"), {"E021"}),
    ("a material code of 1M characters", _set("links", 1, 7, "码" * 1_000_000), {"E028"}),
    (
        "the same link with spaces in its material",
        _append("links", ["S1", "E1", "钢 材", "10", "yes"]),
        {"E035"},
    ),
    ("the same link by a catalogue alias", _append("links", ["S1", "E1", "热轧钢板", "10", "yes"]), {"E035"}),
    ("shares over 100 % across spellings", _append("links", ["E2", "E1", "钢板", "50", "yes"]), {"E036"}),
    ("a catalogue code twice, once full-width", _append("materials", ["７２０８", "钢", "", ""]), {"E041"}),
    ("a catalogue alias of two codes", _append("materials", ["M-03", "板材", "钢板", ""]), {"E042"}),
    ("a catalogue row without a code", _append("materials", ["", "螺栓", "", ""]), {"E020"}),
    (
        "a catalogue without its code column",
        _rows("materials", lambda rows: [r.pop(0) for r in rows]),
        {"E010"},
    ),
    ("a password-protected workbook (OLE container)", _ole_container, {"E001"}),
    ("a NUL byte in a cell", lambda d: _append_bytes(d / "links.csv", b"S1,E2,\x00,10,yes,\r\n"), {"E001"}),
    (
        "an unbalanced quote",
        lambda d: _append_bytes(d / "links.csv", 'S1,"E2,钢材,10,yes,\r\n'.encode()),
        {"E001"},
    ),
]

Check = Callable[[LedgerTables], object]


def _firm(firm: str, column: str, expected: object) -> Check:
    def check(ledgers: LedgerTables) -> None:
        assert ledgers.firms.set_index("id").loc[firm, column] == expected

    return check


def _link_from(supplier: str, buyer: str) -> Check:
    def check(ledgers: LedgerTables) -> None:
        links = ledgers.links
        assert ((links["supplier_id"] == supplier) & (links["buyer_id"] == buyer)).any()

    return check


LOADED: list[tuple[str, Mutation, Check | None]] = [
    (
        "200,000 empty rows after the data",
        lambda d: _append_bytes(d / "links.csv", b",,,,,\r\n" * 200_000),
        None,
    ),
    ("a cycle of stopped suppliers", _stopped_cycle, None),
    ("a title row merged over the header", _merged_title_and_header, None),
    ("an unknown extra column", _rows("links", lambda rows: _each(rows, lambda r: r.append("备注"))), None),
    (
        "full-width digits in numbers",
        _set("enterprises", 1, 5, "３００００"),
        _firm("E1", "output_value", 30000),
    ),
    ("a full-width id is the same firm", _set("suppliers", 3, 0, "Ｅ１"), None),
    ("a share written 60%", _set("links", 1, 3, "60%"), _link_from("S1", "E1")),
    ("thousands separators", _set("enterprises", 1, 5, "30,000"), _firm("E1", "output_value", 30000)),
    ("output in 亿元", _set("enterprises", 1, 5, "3亿元"), _firm("E1", "output_value", 30000)),
    ("LF line ends", _links_text(",", "\n"), _link_from("E1", "P1")),
    ("old Mac CR line ends", _links_text(",", "\r"), _link_from("E1", "P1")),
    (
        "a GBK-encoded file",
        lambda d: write_csv(d / "suppliers.csv", CANONICAL["suppliers"], encoding="gbk"),
        _firm("S1", "name", "长沙丙钢材有限公司"),
    ),
    ("spaces around an id", _set("links", 1, 0, "  S1  "), _link_from("S1", "E1")),
    ("an ideographic space after an id", _set("links", 1, 0, "S1\u3000"), _link_from("S1", "E1")),
    ("a zero-width space inside an id", _set("links", 1, 0, "S\u200b1"), _link_from("S1", "E1")),
    ("a line break inside a name", _set("enterprises", 2, 1, "芷江乙食品\n有限公司"), None),
    (
        "a right-to-left override in a name",
        _set("enterprises", 2, 1, "\u202e司公限有品食乙江芷"),
        _firm("E2", "name", "司公限有品食乙江芷"),
    ),
    (
        "HTML in a name",
        _set("enterprises", 2, 1, "<script>alert(1)</script>"),
        _firm("E2", "name", "<script>alert(1)</script>"),
    ),
    ("a formula as a name (kept as text)", _set("enterprises", 2, 1, "=1+2"), _firm("E2", "name", "=1+2")),
    ("a capacity of 0 %", _set("suppliers", 2, 5, "0"), _firm("S2", "capacity", 0)),
    ("no materials catalogue", lambda d: (d / "materials.csv").unlink(), _link_from("S1", "E1")),
    (
        "a catalogue with only its header",
        _rows("materials", lambda rows: rows.__delitem__(slice(1, None))),
        None,
    ),
    ("a material code in no catalogue (an HS code)", _set("links", 2, 7, "7208.51"), _link_from("S2", "E1")),
    ("an annual value in 亿元", _set("links", 1, 6, "0.12亿元"), _link_from("S1", "E1")),
    ("a formula as a material code (kept as text)", _set("links", 1, 7, "=A1"), _link_from("S1", "E1")),
]


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    opened = SQLiteStore(f"sqlite:///{tmp_path}/hostile.db", batch_size=SETTINGS.write_batch_size)
    opened.write(read_directory(write_canonical(tmp_path / "before"), settings=SETTINGS).ledgers)
    return opened


@pytest.mark.parametrize(("case", "mutate", "codes"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_with_a_located_issue_and_nothing_written(
    store: SQLiteStore, tmp_path: Path, case: str, mutate: Mutation, codes: set[str]
) -> None:
    directory = write_canonical(tmp_path / "data")
    mutate(directory)
    before, version = store.load().canonical(), store.data_version()
    with bounded(mib=256, seconds=60):
        report = ingest_directory(directory, store, settings=SETTINGS)
    found = {issue.code.value for issue in report.validation.issues}
    assert codes <= found, (case, sorted(found))
    assert not report.written
    assert store.data_version() == version
    assert store.load().canonical().firms.equals(before.firms)
    for issue in report.validation.issues:
        assert issue.message
        assert issue.file
    store.close()


@pytest.mark.parametrize(("case", "mutate", "check"), LOADED, ids=[c[0] for c in LOADED])
def test_loaded(store: SQLiteStore, tmp_path: Path, case: str, mutate: Mutation, check: Check | None) -> None:
    directory = write_canonical(tmp_path / "data")
    mutate(directory)
    with bounded(mib=256, seconds=60):
        report = ingest_directory(directory, store, settings=SETTINGS)
    assert report.written, (case, report.validation.issues[:3])
    loaded = store.load()
    assert loaded.firms["id"].is_unique
    assert set(loaded.firms["id"]) >= {"E1", "E2", "S1", "S2"}  # nothing lost, no twin firm
    if check is not None:
        check(loaded)
    analyze(loaded, settings=SETTINGS)
    store.close()
