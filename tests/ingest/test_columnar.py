"""Arrow's CSV reader (ingest.columnar) against the reference, pandas' C parser.

Whatever file Arrow reads, it reads as pandas does, cell for cell, after the same trim;
whatever file it might read otherwise, it declines (and the pandas reader answers).
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import columnar, readers
from ingest.columnar import WHITESPACE, Coded, coded, read_coded_csv
from ingest.readers import ReadProblem, Source, read_table

CHARACTERS = st.sampled_from([*list('a1中 ,"\n\r\t\u3000\xa0\x1c\x85-'), "合计", "注：", "E1"])
CELLS = st.lists(CHARACTERS, max_size=6).map("".join)


HEADER = "供应商编号,需求方编号,物料"
TITLES = ["某市重点企业 表", "某市\u2028台账\x0c", "填报\x1c单位\x85"]


def _read(path: Path, monkeypatch: pytest.MonkeyPatch, *, arrow: bool) -> object:
    """The table :func:`read_table` reads (or the problem it raises), by Arrow or by pandas alone."""
    with monkeypatch.context() as patched:
        if not arrow:  # the reference: every file declined, as pandas reads it
            patched.setattr(readers, "read_coded_csv", lambda *_, **__: None)
        try:
            table = read_table(Source("links", path))
        except ReadProblem as problem:
            return problem.issue
    return (table.headers, table.cells.to_numpy().tolist(), table.rows, table.skipped)


def _arrow_reads(path: Path, *, skip_rows: int) -> bool:
    head = path.read_bytes().decode("utf-8-sig", errors="replace")
    return read_coded_csv(path, encoding="utf-8-sig", skip_rows=skip_rows, head=head) is not None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    titles=st.lists(
        st.sampled_from(["某市重点企业 表", "某市\u2028台账\x0c", "填报\x1c单位\x85"]), max_size=2
    ),
    header=st.sampled_from([",备注", ',"备\n注"']),
    rows=st.lists(st.lists(CELLS, min_size=4, max_size=4), min_size=1, max_size=8),
    quote_all=st.booleans(),
    encoding=st.sampled_from(["utf-8-sig", "gb18030"]),
)
def test_arrow_reads_what_excel_writes_as_pandas_does(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    titles: list[str],
    header: str,
    rows: list[list[str]],
    quote_all: bool,
    encoding: str,
) -> None:
    buffer = io.StringIO()
    for title in titles:  # characters str.splitlines takes for line ends, and CSV does not
        buffer.write(f"{title}\r\n")
    buffer.write(HEADER + header + "\r\n")  # a header cell holding a line break is quoted
    # As Excel saves: CRLF, a cell holding a comma, quote or line break quoted.
    csv.writer(buffer, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerows(rows)
    path = tmp_path / "供应关系.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))

    if '"' not in header:  # else Arrow declines (a quote above the data)
        assert encoding != "utf-8-sig" or _arrow_reads(path, skip_rows=len(titles) + 1)
    assert _read(path, monkeypatch, arrow=True) == _read(path, monkeypatch, arrow=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.lists(st.sampled_from([*list('a,"\n 合'), "\r\n", '""', "计"]), max_size=30).map("".join))
def test_arrow_reads_any_text_as_pandas_does_or_declines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    path = tmp_path / "供应关系.csv"
    path.write_bytes((HEADER + "\n" + body).encode())
    # (A lone CR in a file of LF lines is a line end to Arrow, as to the header search's csv
    # module; pandas reads no row after "\n\ra" at all. Such mixed files are left out here.)

    assert _read(path, monkeypatch, arrow=True) == _read(path, monkeypatch, arrow=False)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (b"h0,h1\n1,2,3\n4,5\n", "a row longer than the first"),
        (b"h0,h1\n1,2\n4\n", "a row shorter than the first"),
        (b'h0,h1\n1,"2\n', "an unterminated quoted cell"),
        (b'h0,h1\n1,ab"c\n', "a quote inside an unquoted cell"),
        (b"h0,h1\n1,\xff\n", "bytes not in UTF-8"),
        (b"h0,h1\n", "no data row"),
        (b'"title, with a comma"\nh0,h1\n1,2\n', "a quote before the data"),
    ],
)
def test_arrow_declines_what_it_might_read_otherwise(tmp_path: Path, text: bytes, why: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(text)
    skip = 2 if text.startswith(b'"') else 1
    head = text.decode(errors="replace")

    assert read_coded_csv(path, encoding="utf-8-sig", skip_rows=skip, head=head) is None, why


def test_a_declined_file_is_answered_by_pandas(tmp_path: Path) -> None:
    path = tmp_path / "供应关系.csv"
    path.write_bytes("供应商编号,需求方编号,物料\nS1,E1,钢板\nS2,E1\n".encode())

    table = read_table(Source("links", path))

    assert table.cells.to_numpy().tolist() == [["S1", "E1", "钢板"], ["S2", "E1", ""]]

    path.write_bytes('供应商编号,需求方编号,物料\nS1,E1,"钢板\n'.encode())
    with pytest.raises(ReadProblem) as refused:
        read_table(Source("links", path))
    assert refused.value.issue.file == "供应关系.csv"


def test_a_table_read_by_arrow_carries_its_columns_coded(tmp_path: Path) -> None:
    path = tmp_path / "供应关系.csv"
    path.write_bytes("序号,供应商编号,需求方编号,物料\n1, S1 ,E1,钢板\n2,S2,E1,钢板\n,,,\n合计,,,\n".encode())

    table = read_table(Source("links", path))

    assert table.headers == ["供应商编号", "需求方编号", "物料"]
    assert table.rows == [2, 3]  # the empty line and the totals line are not data
    assert [k.kind for k in table.skipped] == ["合计行"]
    for position in range(3):
        column = table.column(position)
        assert column.cells().tolist() == table.cells[position].tolist()
        assert len(set(column.uniques.tolist())) == len(column.uniques)
    assert table.cells[0].tolist() == ["S1", "S2"]


def test_coded_selects_rows_and_encodes_once_per_text() -> None:
    column = coded(np.array(["b", "a", "b", ""], dtype=object))

    assert column.uniques.tolist() == ["b", "a", ""]
    assert column[np.array([True, False, True, True])].cells().tolist() == ["b", "b", ""]
    assert Coded(np.zeros(0, dtype=np.intp), column.uniques).cells().tolist() == []
    assert pd.Series(column.cells()).tolist() == ["b", "a", "b", ""]


def test_a_blank_line_under_the_header_loses_no_row_of_a_file_pandas_reads(tmp_path: Path) -> None:
    path = tmp_path / "供应关系.csv"  # the quote inside a cell leaves the file to pandas
    path.write_bytes('供应商编号,需求方编号,物料\n\nS1,E1,ab"c\n'.encode())

    table = read_table(Source("links", path))

    assert table.cells.to_numpy().tolist() == [["S1", "E1", 'ab"c']]
    assert table.rows == [3]


def test_whitespace_is_what_python_strips() -> None:
    assert "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()) == WHITESPACE


def test_a_cr_file_with_a_stray_lf_is_read_by_pandas(tmp_path: Path) -> None:
    path = tmp_path / "供应关系.csv"  # CR line ends through the first megabyte, then an LF
    lines = ["供应商编号,需求方编号,物料", *(f"S{i},E1,钢材" for i in range(80_000))]
    path.write_bytes(("\r".join(lines) + "\rS1,E1,a\nS2,E1,b\r").encode())

    with pytest.raises(ReadProblem) as refused:  # as before: the stray LF is no line end to it
        read_table(Source("links", path))

    assert refused.value.issue.code.value == "E001"


def test_a_header_cell_with_a_line_break_counts_as_one_row(tmp_path: Path) -> None:
    path = tmp_path / "供应关系.csv"
    path.write_bytes('某市\u2028台账\r\n"供应商\n编号",需求方编号,物料\r\nS1,E1,钢材\r\n'.encode())

    table = read_table(Source("links", path))

    assert table.rows == [3]
    assert table.skipped == ()
    assert table.cells.to_numpy().tolist() == [["S1", "E1", "钢材"]]


def test_a_blank_line_under_a_header_of_two_lines_loses_no_row(tmp_path: Path) -> None:
    path = tmp_path / "供应关系.csv"  # the quotes leave the file to pandas
    path.write_bytes('"供应商\n编号",需求方编号,物料\n\nS1,E1,钢材\n'.encode())

    table = read_table(Source("links", path))

    assert table.cells.to_numpy().tolist() == [["S1", "E1", "钢材"]]
    assert table.rows == [3]


@given(st.lists(st.integers(0, 6), max_size=30), st.sets(st.integers(0, 6)))
def test_flagged_cells_are_the_gather_of_their_flags(codes: list[int], flagged: set[int]) -> None:
    """Few flags are found by comparing codes, many by a gather: the same cells either way
    (the distinct values may repeat, as a parsed column's do)."""
    column = Coded(np.array(codes, dtype=np.intp), np.array(["a", "b", "", "a", "c", "d", "e"], dtype=object))
    flags = np.array([i in flagged for i in range(len(column.uniques))])
    assert column.flagged(flags).tolist() == flags.take(column.codes).tolist()
    with pytest.raises(ValueError, match="one flag per distinct value"):
        column.flagged(np.append(flags, True))


TEXTS = st.one_of(
    st.text(st.sampled_from(["a", "Z", "0", "中", "é", " ", "\x00", "\u3000", "𠀀"]), max_size=10),
    st.text(st.sampled_from(["a", "Z", "0", "\x00"]), min_size=4, max_size=4),  # one width, often
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(TEXTS, max_size=8), max_size=4), st.integers(0, 2))
def test_texts_encode_as_arrow_encodes_them_packed_or_not(chunks: list[list[str]], sliced: int) -> None:
    """Codes and distinct texts, in order of first appearance, as Arrow's own hashing of the bytes.

    Texts all of one width of up to 8 bytes (NUL characters too) are hashed as integers, others
    as bytes.
    A chunk may be a slice of a longer array (Arrow's offset into its buffers).
    """
    arrays = [pa.array(["pad"] * sliced + chunk, type=pa.string())[sliced:] for chunk in chunks]
    column = pa.chunked_array(arrays, type=pa.string())
    codes, distinct = columnar._encoded(column)
    expected = cast("pa.DictionaryArray[Any, Any]", pc.dictionary_encode(column).combine_chunks())
    assert codes.dtype == np.intp
    assert codes.tolist() == expected.indices.to_pylist()
    assert distinct.to_pylist() == expected.dictionary.to_pylist()
    texts = [text for chunk in chunks for text in chunk]
    widths = {len(text.encode()) for text in texts}
    packed = len(widths) == 1 and max(widths) <= 8
    assert (columnar._packed(column) is not None) is packed
