from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chain_graph.errors import IssueCode
from chain_graph.model import conform
from ingest.columnar import Coded
from ingest.loader import read_directory
from ingest.validate import _merge_firms, _over_limit, _repeated_rows
from tests.defaults import SETTINGS
from tests.ingest.broken import EXPECTED, write_broken
from tests.ledger_files import CANONICAL, Rows, write_canonical, write_csv


def test_every_problem_reported_at_once_and_located(tmp_path: Path) -> None:
    validation = read_directory(write_broken(tmp_path / "broken"), settings=SETTINGS)
    found = {(i.file, i.row, i.code) for i in validation.issues}
    assert found == EXPECTED
    assert len(validation.issues) == len(EXPECTED)
    for issue in validation.issues:
        assert issue.message
        assert not issue.message.isascii()
        assert issue.file.endswith(".csv")


def test_issue_names_the_column_and_value_as_written(tmp_path: Path) -> None:
    validation = read_directory(write_broken(tmp_path / "broken"), settings=SETTINGS)
    [share] = [i for i in validation.issues if i.code is IssueCode.SHARE_SUM_EXCEEDED and i.row == 7]
    assert (share.column, share.value) == ("share", "50%")
    assert "120%" in share.message


def test_keep_valid_builds_ledgers_from_good_rows_only(tmp_path: Path) -> None:
    validation = read_directory(write_broken(tmp_path / "broken"), settings=SETTINGS)
    ledgers = validation.ledgers
    # E1 conflicts across tables, so it is rejected in both; S2 has a bad number.
    assert sorted(ledgers.firms["id"]) == ["S1", "S3", "S4"]
    assert sorted(ledgers.projects["id"]) == ["P1"]
    # Only link rows 4..9 touch valid nodes; 4, 5 (duplicate), 6, 7 (share sum),
    # 8 (boolean) and 9 (material) are all rejected.
    assert ledgers.links.empty
    assert ledgers.problems.empty  # the problems table lacks a required column


def test_rows_pointing_at_rejected_rows_are_rejected_too(tmp_path: Path) -> None:
    tables = dict(CANONICAL)
    tables["suppliers"] = [
        *CANONICAL["suppliers"][:1],
        ["S1", "", "长沙市", "", "", "", "", ""],
        *CANONICAL["suppliers"][2:],
    ]
    validation = read_directory(write_canonical(tmp_path / "d", tables), settings=SETTINGS)
    codes = {
        (r.table.source.table, r.table.rows[r.position]): [i.code for i in r.issues]
        for r in validation.rejected
    }
    assert codes[("suppliers", 2)] == [IssueCode.VALUE_MISSING]
    assert codes[("links", 2)] == [IssueCode.REJECTED_REFERENCE]  # S1 → E1
    assert "S1" not in set(validation.ledgers.links["supplier_id"])
    # The consequence is in the rejects, not in the report of causes.
    assert [i.code for i in validation.issues] == [IssueCode.VALUE_MISSING]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", IssueCode.HEADER_NOT_FOUND),
        (b"\x00\x01\x02binary junk\xff", IssueCode.FILE_UNREADABLE),
        ("供应商编号,需求方编号,物料\n".encode() + "甲".encode("utf-16"), IssueCode.ENCODING_UNKNOWN),
        (b"supplier_id,buyer_id,material\n", IssueCode.TABLE_EMPTY),
        (b"a,b\n1,2\n", IssueCode.HEADER_NOT_FOUND),
        (b"supplier_id,buyer_id\nS1,E1\n", IssueCode.COLUMN_MISSING),
        (b"supplier_id,buyer_id,material,supplier_id\nS1,E1,x,S1\n", IssueCode.COLUMN_DUPLICATE),
        (b"supplier_id,buyer_id,material\nS1,E1,x,extra,cells\n", IssueCode.FILE_UNREADABLE),
    ],
)
def test_unreadable_or_unusable_links_file_blocks_the_import(
    tmp_path: Path, content: bytes, code: IssueCode
) -> None:
    directory = write_canonical(tmp_path / "d")
    (directory / "links.csv").write_bytes(content)
    validation = read_directory(directory, settings=SETTINGS)
    assert code in {i.code for i in validation.issues}
    assert all(i.file == "links.csv" for i in validation.issues)
    assert validation.ledgers.links.empty


def test_mixed_encodings_are_reported(tmp_path: Path) -> None:
    directory = write_canonical(tmp_path / "d")
    head = "供应商编号,需求方编号,物料\n".encode()
    body = b"".join(f"S1,E1,钢材{i}\n".encode() for i in range(70000))
    body += "S2,E1,钢材\n".encode("gbk")  # invalid as UTF-8
    (directory / "links.csv").write_bytes(head + body)
    validation = read_directory(directory, settings=SETTINGS)
    assert [i.code for i in validation.issues] == [IssueCode.ENCODING_UNKNOWN]


def test_many_duplicates_are_reported_quickly(tmp_path: Path) -> None:
    directory = write_canonical(tmp_path / "d")
    write_csv(
        directory / "links.csv",
        [["supplier_id", "buyer_id", "material", "share"]] + [["S2", "E1", "钢材", "0.001"]] * 20000,
    )
    validation = read_directory(directory, settings=SETTINGS)
    assert len(validation.issues) == 20000
    assert {i.code for i in validation.issues} == {IssueCode.DUPLICATE_LINK}
    assert "等 20000 行" in validation.issues[0].message


def test_two_files_for_one_table(tmp_path: Path) -> None:
    directory = write_canonical(tmp_path / "d")
    write_csv(directory / "供应关系.csv", CANONICAL["links"])
    validation = read_directory(directory, settings=SETTINGS)
    assert validation.blocking
    assert [i.code for i in validation.issues] == [IssueCode.TABLE_DUPLICATE]


def test_broken_xlsx_is_reported_not_raised(tmp_path: Path) -> None:
    directory = write_canonical(tmp_path / "d")
    (directory / "links.csv").unlink()
    (directory / "links.xlsx").write_bytes(b"PK\x03\x04 this is not really a zip")
    validation = read_directory(directory, settings=SETTINGS)
    assert [i.code for i in validation.issues] == [IssueCode.FILE_UNREADABLE]
    assert validation.blocking


def test_a_links_table_without_a_share_column_takes_the_default_100(tmp_path: Path) -> None:
    # Found by the fuzzer: without the column every share was NaN (not the default), and the
    # analysis's restoration order failed on the NaN values.
    from chain_graph.gaps import analyze
    from tests.ledger_files import CANONICAL, write_canonical

    # No 供应占比 column (and S2's 40 % of E1's steel dropped: two defaults of 100 % would overflow).
    links = [
        [c for j, c in enumerate(row) if j != 3] for row in CANONICAL["links"] if row[:2] != ["S2", "E1"]
    ]
    projects = [[c for j, c in enumerate(row) if j != 6] for row in CANONICAL["projects"]]  # no annual plan
    data = write_canonical(tmp_path / "d", {**CANONICAL, "links": links, "projects": projects})
    validation = read_directory(data, settings=SETTINGS)
    assert validation.ok, validation.issues
    assert validation.ledgers.links["share"].tolist() == [100.0] * 3
    assert validation.ledgers.projects["annual_plan"].tolist() == [0.0]
    result = analyze(validation.ledgers, settings=SETTINGS)
    assert result.availability()["E1"] == 0.0  # S1, stopped, now covers all of E1's steel


# --- repeated keys, compared as numbers ------------------------------------------------------


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]), st.integers(-1, 3)), max_size=40))
def test_repeated_keys_alike_from_values_and_numbers(
    rows: list[tuple[str | None, int]],
) -> None:
    values = np.array([v for v, _ in rows], dtype=object)
    numbers = np.array([n for _, n in rows], dtype=np.int64)
    texts = np.array([None if n < 0 else str(n) for n in numbers], dtype=object)
    expected: dict[tuple[str, int], list[int]] = {}  # by first row, as the checks report them
    for position, (value, number) in enumerate(rows):
        if value is not None and number >= 0:
            expected.setdefault((value, number), []).append(position)
    repeated = [positions for positions in expected.values() if len(positions) > 1]
    assert _repeated_rows([values, texts]) == repeated
    assert _repeated_rows([pd.factorize(values)[0], numbers]) == repeated


def test_repeated_keys_of_wide_numbers_are_renumbered_before_they_overflow() -> None:
    # Three columns of 2**32 numbers each: multiplied out, the first column's part would be
    # a multiple of 2**64 and vanish, making rows 0 and 1 (which differ only there) equal.
    top = 2**32 - 2
    first = np.array([0, 1, top], dtype=np.int64)
    rest = np.array([5, 5, top], dtype=np.int64)
    assert _repeated_rows([first, rest, rest]) == []
    assert _repeated_rows([rest, rest, rest]) == [[0, 1]]


def test_repeated_keys_of_numbers_far_apart_are_renumbered_too() -> None:
    # Five keys in the first column, numbers up to 2**62 in the second: renumbering the first
    # alone leaves 4 * (2**62 + 2) past int64, where (4, 0) would wrap onto (0, 8).
    first = np.array([0, 1, 2, 3, 4, 0], dtype=np.int64)
    far = np.array([2**62, 1, 1, 1, 0, 8], dtype=np.int64)
    assert _repeated_rows([first, far]) == []
    assert _repeated_rows([first, far, far]) == []


# --- enterprises and suppliers merged into firms ------------------------------------------


def _merged_as_combine_first(enterprises: pd.DataFrame, suppliers: pd.DataFrame) -> pd.DataFrame:
    """The merge as it was written first, with ``combine_first`` (the reference)."""
    ent = enterprises.assign(is_enterprise=True).set_index("id")
    sup = suppliers.assign(is_supplier=True).set_index("id")
    both = ent.index.intersection(sup.index)
    extras = pd.concat([ent["_extra"], sup["_extra"][~sup.index.isin(both)]])
    for firm_id in both:
        a, b = str(ent.at[firm_id, "_extra"]), str(sup.at[firm_id, "_extra"])
        if a and b:
            extras.at[firm_id] = json.dumps({**json.loads(b), **json.loads(a)}, ensure_ascii=False)
        elif b:
            extras.at[firm_id] = b
    merged = ent.combine_first(sup)
    merged["_extra"] = extras.astype(object).reindex(merged.index).fillna("")
    merged = merged.reset_index()
    for flag in ("is_enterprise", "is_supplier"):
        merged[flag] = merged[flag].fillna(False).astype(bool)
    merged["status"] = merged["status"].where(merged["status"].notna(), "normal")
    for money in ("output_value", "tax"):  # ledgers.md: money 0 by default, also with no such column
        merged[money] = pd.to_numeric(merged[money]).fillna(0.0) if money in merged else 0.0
    merged["extra"] = merged["_extra"]
    return merged


_CELLS = st.sampled_from([None, "甲", "乙", " 丙"])
_EXTRAS = st.sampled_from(["", '{"联系人": "王"}', '{"联系人": "李", "备注": "x"}', '{"备注": "y"}'])


@st.composite
def _firm_rows(draw: st.DrawFn, columns: tuple[str, ...]) -> pd.DataFrame:
    ids = draw(st.lists(st.sampled_from([f"F{i}" for i in range(12)]), unique=True, min_size=1, max_size=8))
    frame = {"id": ids, **{c: [draw(_CELLS) for _ in ids] for c in columns}}
    frame["output_value"] = [draw(st.sampled_from([None, 1.5, 0.0])) for _ in ids]
    frame["_extra"] = [draw(_EXTRAS) for _ in ids]
    return pd.DataFrame(frame, dtype=object)


def _coded(frame: pd.DataFrame) -> dict[str, Coded]:
    """A frame's columns coded as validation codes its valid rows (``None`` a value of its own)."""
    columns = {}
    for name in frame.columns:
        codes, uniques = pd.factorize(frame[name].to_numpy(dtype=object), use_na_sentinel=False)
        columns[name] = Coded(codes.astype(np.intp), np.asarray(uniques, dtype=object))
    return columns


def _merged(enterprises: pd.DataFrame, suppliers: pd.DataFrame, numbers: dict[str, int]) -> pd.DataFrame:
    given = [frame["id"].map(numbers).to_numpy(dtype=np.intp) for frame in (enterprises, suppliers)]
    return _merge_firms(_coded(enterprises), _coded(suppliers), numbers=(given[0], given[1]))


@given(
    _firm_rows(("name", "address", "status")),
    _firm_rows(("name", "address", "status", "contact")),
    st.sampled_from(["enterprises", "suppliers", "both", "same"]),
)
def test_firms_merge_as_combine_first_did(
    enterprises: pd.DataFrame, suppliers: pd.DataFrame, given: str
) -> None:
    if given == "same":  # the same ids in the same order
        suppliers = suppliers.iloc[: len(enterprises)].reset_index(drop=True)
        suppliers = suppliers.reindex(range(len(enterprises))).assign(id=enterprises["id"], _extra="")
    expected = (
        _merged_as_combine_first(enterprises, suppliers)
        if given in ("both", "same")
        else _merged_alone(enterprises if given == "enterprises" else suppliers, given)
    )
    if given == "enterprises":
        suppliers = suppliers.iloc[:0]
    if given == "suppliers":
        enterprises = enterprises.iloc[:0]
    # The ids numbered as validation numbers them (any numbers, equal for equal ids).
    for numbers in ({f"F{i}": i for i in range(12)}, {f"F{i}": 100 - 7 * i for i in range(12)}):
        found = _merged(enterprises, suppliers, numbers)
        pd.testing.assert_frame_equal(found, conform(expected, "firms"), check_exact=True)


def _merged_alone(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """One side only: its rows as they are, with the defaults (the reference's other branch)."""
    merged = frame.assign(is_enterprise=table == "enterprises", is_supplier=table == "suppliers")
    merged["status"] = merged["status"].where(merged["status"].notna(), "normal")
    merged["output_value"] = pd.to_numeric(merged["output_value"]).fillna(0.0)
    merged["tax"] = 0.0
    return merged.assign(extra=merged["_extra"])


def test_no_firm_rows_at_all() -> None:
    found = _merge_firms({}, {}, numbers=(np.zeros(0, np.intp), np.zeros(0, np.intp)))
    pd.testing.assert_frame_equal(found, conform(pd.DataFrame(), "firms"))


@pytest.mark.parametrize(
    ("shares", "flagged"),
    [
        (["19.7", "28.5", "7.2", "18.1", "27.0"], False),  # exactly 100.5; pandas summed 100.50000000000001
        (["7.65", "22.92", "69.93"], False),  # exactly 100.5; their doubles, exactly: 100.50000000000001
        (["0.8", "49.2", "34.4", "9.9", "6.2"], False),  # exactly 100.5; a running sum: 100.50000000000001
        (["19.7", "28.5", "7.2", "18.1", "27.0001"], True),  # 100.5001
        (["60", "40.6"], True),
    ],
)
def test_share_sums_over_100_5_are_flagged_exactly(tmp_path: Path, shares: list[str], flagged: bool) -> None:
    """ledgers.md: "a sum over 100.5 is an error". Written shares summing to exactly 100.5
    used to be flagged or not by the binary rounding of the order they were summed in."""
    tables: dict[str, Rows] = dict(CANONICAL)
    suppliers: Rows = [[f"T{i}", f"供应商{i}", "", "430000", "normal", "", "", ""] for i in range(5)]
    tables["suppliers"] = [*CANONICAL["suppliers"], *suppliers]
    tables["links"] = [
        CANONICAL["links"][0],
        *[[f"T{i}", "E2", "轴承", share, "yes", "", "", ""] for i, share in enumerate(shares)],
    ]
    validation = read_directory(write_canonical(tmp_path / "d", tables), settings=SETTINGS)
    sums = [i for i in validation.issues if i.code is IssueCode.SHARE_SUM_EXCEEDED]
    assert len(sums) == (len(shares) if flagged else 0)


_SHARES = st.one_of(
    st.sampled_from([0.8, 49.2, 34.4, 9.9, 6.2, 19.7, 28.5, 7.2, 18.1, 27.0, 100.0, 100.5, 50.25, 0.1]),
    st.floats(min_value=0, max_value=100),
)


@given(st.lists(st.tuples(st.integers(0, 5), _SHARES), max_size=40))
@example([(0, 7.65), (0, 22.92), (0, 69.93)])  # the doubles' exact sum: 100.50000000000001
@example([(0, 50.0), (1, 50.0), (0, 50.50000001)])
def test_sums_over_the_limit_are_exact_sums(rows: list[tuple[int, float]]) -> None:
    """The plain-sum prefilter never changes which rows are over, nor their totals."""
    exact: dict[int, float] = {}
    for g in {g for g, _ in rows}:
        exact[g] = math.fsum(v for h, v in rows if h == g)
    over = [i for i, (g, _) in enumerate(rows) if exact[g] > 100.5 + 1e-9]
    groups = np.array([g for g, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows], dtype=float)
    found, sums = _over_limit(groups, values, limit=100.5)
    assert found.tolist() == over
    assert sums.tolist() == [exact[rows[i][0]] for i in over]


def test_firms_with_ids_ending_in_nul_sort_as_python_sorts() -> None:
    """Found in review: numpy's fixed-width text drops a trailing NUL, so "A\\x00" tied with "A"."""
    enterprises = pd.DataFrame({"id": ["A\x00", "C"], "name": ["甲", "丙"], "_extra": ["", ""]}, dtype=object)
    suppliers = pd.DataFrame({"id": ["A", "B"], "name": ["乙", "丁"], "_extra": ["", ""]}, dtype=object)
    merged = _merged(enterprises, suppliers, {"A\x00": 0, "C": 1, "A": 2, "B": 3})
    assert merged["id"].tolist() == ["A", "A\x00", "B", "C"]
