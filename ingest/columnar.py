"""Columns as codes into their distinct texts, and reading a plain CSV that way with Arrow.

A national ledger repeats its texts: five million links name a million suppliers, a few
thousand materials and a few dozen shares. Hashing each cell as a Python string — to parse
it, number its id, find its duplicates — costs more than reading the file. A :class:`Coded`
column is its distinct texts (``uniques``) and, per cell, the position of its text among
them (``codes``): the validator parses and looks up each distinct text once and gives the
result back to the cells by position (an array ``take``, no hashing).

:func:`read_coded_csv` reads a CSV with Arrow's reader (C++, bytes hashed, never Python
strings per cell), trims each distinct text as :meth:`str.strip` does, and encodes each
column as codes. It reads only files it reads exactly as pandas' C parser does (the other
reader of :mod:`ingest.readers`); for any other file — a row with more or fewer cells than
the first, a quote not part of a quoted cell as Excel writes one (``ab"c``, which pandas
reads as text, or an unterminated quoted cell, which pandas refuses and Arrow would read to
the end of the file), a quote above the data, bytes not in the encoding, no data row, any
error of Arrow's — it returns ``None`` and the caller reads the file with pandas, whose
answers (and located messages) are the reference (:mod:`ingest.readers` also leaves files of
CR line ends to pandas). The two readers are proven to agree cell for cell by property
tests (``tests/ingest/test_columnar.py``).
"""

from __future__ import annotations

import mmap
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

__all__ = ["WHITESPACE", "Coded", "coded", "read_coded_csv"]

WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""Every character :meth:`str.isspace` is true of (a test checks it against Python's)."""
_BLANKS = pa.array(list(WHITESPACE), type=pa.string())
"""What Python calls whitespace (the full-width space, NBSP, line and file separators …), for
Arrow: a text :meth:`str.strip` changes is one whose first or last character is one of them."""

_LINE_END = re.compile(r"\r\n|\r|\n")
"""CSV's line ends (:meth:`str.splitlines` takes U+2028, FF, FS … for line ends too)."""

_MAX_COLUMNS = 1024
"""Every column is read as text (Arrow names them ``f0``, ``f1``, …): as many as a sheet may have."""

_BLOCK_BYTES = 16 << 20
"""Arrow's read block: large enough that a cell spanning lines rarely crosses blocks."""


_FEW = 4
"""Up to this many flagged values, cells are flagged by comparing codes, not by a gather."""


@dataclass(frozen=True, slots=True, eq=False)
class Coded:
    """A column as ``uniques[codes]``: each distinct text (or its value) once, each cell its position.

    Examples
    --------
    >>> column = coded(np.array(["a", "b", "a"], dtype=object))
    >>> column.codes.tolist(), column.uniques.tolist(), column.cells().tolist()
    ([0, 1, 0], ['a', 'b'], ['a', 'b', 'a'])
    """

    codes: np.ndarray
    """One position into ``uniques`` per cell (``intp``)."""
    uniques: np.ndarray
    """The distinct texts (``object``), in order of first appearance as read; for parsed
    columns the value of each distinct text (two texts may have one value)."""

    def cells(self) -> np.ndarray:
        """Return the column's cells (an ``object`` array sharing the distinct strings)."""
        return self.spread(self.uniques)

    def spread(self, per_unique: np.ndarray) -> np.ndarray:
        """Give each cell the entry of ``per_unique`` (one per entry of ``uniques``) of its text."""
        spread: np.ndarray = per_unique.take(self.codes)
        return spread

    def at(self, position: int) -> Any:
        """Return the cell at row ``position``."""
        return self.uniques[self.codes[position]]

    def blank(self) -> np.ndarray:
        """Return which cells are ``""``."""
        return self.flagged(self.uniques == "")

    def flagged(self, flags: np.ndarray) -> np.ndarray:
        """Return which cells hold a value flagged in ``flags`` (one ``bool`` per entry of ``uniques``).

        A value or a few are found by comparing codes (no gather over five million cells).

        Examples
        --------
        >>> column = coded(np.array(["a", "", "b", ""], dtype=object))
        >>> column.flagged(column.uniques == "").tolist(), column.flagged(column.uniques != "").tolist()
        ([False, True, False, True], [True, False, True, False])
        """
        if len(flags) != len(self.uniques):
            msg = f"one flag per distinct value expected: {len(flags)} for {len(self.uniques)}"
            raise ValueError(msg)
        hits = np.flatnonzero(flags)
        if len(hits) > _FEW:
            return self.spread(np.asarray(flags, dtype=bool))
        found = np.zeros(len(self.codes), dtype=bool)
        for hit in hits.tolist():
            found |= self.codes == hit
        return found

    def __getitem__(self, rows: np.ndarray) -> Coded:
        """Return the column of the rows ``rows`` (a mask or positions)."""
        return Coded(self.codes[rows], self.uniques)


def coded(cells: np.ndarray) -> Coded:
    """Encode a column of texts (an ``object`` array of ``str``) as :class:`Coded`."""
    codes, uniques = pd.factorize(cells)
    return Coded(codes.astype(np.intp, copy=False), np.asarray(uniques, dtype=object))


def read_coded_csv(path: Path, *, encoding: str, skip_rows: int, head: str) -> list[Coded] | None:
    """Read a CSV's rows after ``skip_rows`` as trimmed, coded columns, or ``None``.

    ``None`` when the file is not one this reader reads exactly as pandas does (see the
    module): the caller then reads it with pandas.

    Parameters
    ----------
    path
        The CSV file.
    encoding
        ``utf-8-sig`` or ``gb18030`` (as :mod:`ingest.readers` detected it).
    skip_rows
        Rows before the data (title lines and the header).
    head
        The file's first characters, decoded: the rows before the data must hold no quote
        character (Arrow's row skipping reads quotes differently from the csv module's).

    Returns
    -------
    list of Coded or None
        One column per cell position of the first data row.
    """
    lines = _LINE_END.split(head)  # CSV line ends only (str.splitlines knows more)
    if len(lines) <= skip_rows or any('"' in line for line in lines[:skip_rows]):
        return None  # without quotes above the data, its lines are its rows, as Arrow skips them
    if _quotes_unlike_excel(path):
        return None
    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(
                skip_rows=skip_rows,
                autogenerate_column_names=True,
                encoding="utf8" if encoding == "utf-8-sig" else encoding,
                block_size=_BLOCK_BYTES,
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(_MAX_COLUMNS)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
        if not all(pa.types.is_string(column.type) for column in table.columns):
            return None  # a column of bytes not in UTF-8: pandas locates them
        with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, table.num_columns or 1)) as pool:
            encoded = list(pool.map(_encoded, table.columns))  # Arrow's kernels let go of the GIL
    except (pa.ArrowException, UnicodeDecodeError, LookupError):
        return None  # ragged rows, bytes not in the encoding, no data, too large: pandas says which
    return [_trimmed(codes, dictionary) for codes, dictionary in encoded]


def _encoded(column: pa.ChunkedArray[Any]) -> tuple[np.ndarray, pa.Array[Any]]:
    """Encode a column of texts as codes (``intp``) into its distinct texts, in order of first appearance.

    Texts all of one width of at most 8 bytes (ids numbered as ``GY000001``, 是/否) are
    hashed as the integers their bytes make (:func:`_packed`): national ids 0.9 s → 0.4 s a
    column. Other texts are hashed as bytes (padding texts of many widths to 8 bytes cost
    more than it saved).
    """
    packed = _packed(column)
    if packed is None:
        encoded = cast("pa.DictionaryArray[Any, Any]", pc.dictionary_encode(column).combine_chunks())
        return encoded.indices.to_numpy(zero_copy_only=False).astype(np.intp), encoded.dictionary
    keys, width = packed
    encoded = cast("pa.DictionaryArray[Any, Any]", pc.dictionary_encode(pa.array(keys)))
    return encoded.indices.to_numpy().astype(np.intp), _unpacked(encoded.dictionary.to_numpy(), width)


_PACK = 8
"""Bytes of a text packed into one integer key."""


def _packed(column: pa.ChunkedArray[Any]) -> tuple[np.ndarray, int] | None:
    """Each text's UTF-8 bytes zero-padded to 8, as one ``uint64``, and their width.

    ``None`` unless every text has one width of at most 8 bytes (then two texts have one key
    only if they are one text) and none is missing.
    """
    widths = set()
    keys = []
    for chunk in column.chunks:
        if not len(chunk):
            continue
        if chunk.null_count or not pa.types.is_string(chunk.type):
            return None
        _, offsets_buffer, data_buffer = chunk.buffers()
        at = chunk.offset
        offsets = np.frombuffer(cast("bytes", offsets_buffer), dtype=np.int32)[at : at + len(chunk) + 1]
        width = int(offsets[1] - offsets[0])
        widths.add(width)
        if len(widths) > 1 or width > _PACK or np.any(np.diff(offsets) != width):
            return None
        text = np.frombuffer(cast("bytes", data_buffer or b""), dtype=np.uint8)[offsets[0] : offsets[-1]]
        padded = np.zeros((len(chunk), _PACK), dtype=np.uint8)
        padded[:, :width] = text.reshape(len(chunk), width)
        keys.append(padded.view("<u8").ravel())
    return (np.concatenate(keys), widths.pop()) if keys else None


def _unpacked(keys: np.ndarray, width: int) -> pa.Array[Any]:
    """Return the texts of :func:`_packed` keys of one ``width`` as Arrow strings."""
    padded = np.ascontiguousarray(keys, dtype="<u8").view(np.uint8).reshape(len(keys), _PACK)
    texts = np.ascontiguousarray(padded[:, :width])
    offsets = np.arange(len(keys) + 1, dtype=np.int32) * np.int32(width)
    return pa.StringArray.from_buffers(len(keys), pa.py_buffer(offsets.data), pa.py_buffer(texts.data))


def _trimmed(codes: np.ndarray, dictionary: pa.Array[Any]) -> Coded:
    """Trim each distinct text as :meth:`str.strip` does (only those that start or end blank)."""
    uniques = dictionary.to_numpy(zero_copy_only=False)
    # The first and the last character of each text (by code point), looked up: no regex
    # scans every text to its end (national: 0.4 s → 0.1 s).
    ends = [pc.utf8_slice_codeunits(dictionary, 0, 1), pc.utf8_slice_codeunits(dictionary, -1)]
    flagged = pc.or_(*(pc.is_in(end, value_set=_BLANKS) for end in ends)).to_numpy(zero_copy_only=False)
    untrimmed = np.flatnonzero(flagged)
    if not len(untrimmed):
        return Coded(codes, uniques)
    trimmed = uniques.copy()
    trimmed[untrimmed] = [text.strip() for text in uniques[untrimmed]]
    again, distinct = pd.factorize(trimmed)  # " a" and "a" are one text once trimmed
    return Coded(again.take(codes), np.asarray(distinct, dtype=object))


_QUOTED = re.compile(rb'(?<![^,\r\n])"(?:[^"]|"")*"(?![^,\r\n])')
"""A quoted cell as Excel writes it: from a cell's start to its end, quotes inside doubled."""


def _quotes_unlike_excel(path: Path) -> bool:
    """Whether a ``"`` of the file is not part of a quoted cell as Excel writes one.

    Such a quote — inside an unquoted cell (``ab"c``), or opening a cell never closed —
    pandas reads as text or refuses, and Arrow's reader may read otherwise.
    """
    with path.open("rb") as handle:
        if not path.stat().st_size:
            return False
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:  # not read into memory
            if data.find(b'"') < 0:  # the usual case, a scan without a copy
                return False
            count = sum(data[at : at + _BLOCK_BYTES].count(b'"') for at in range(0, len(data), _BLOCK_BYTES))
            return sum(match.group().count(b'"') for match in _QUOTED.finditer(data)) != count
