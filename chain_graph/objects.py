"""Hashing large arrays of Python objects (ids, materials) once per distinct object.

A national ledger holds five million links whose supplier and buyer ids are Python strings.
Looking each cell up in a hash table costs a cache miss per cell (the string lives somewhere
in memory; its hash and text must be read), about 0.4 µs: 2.4 s for one column of five
million links. But the ingest layer gives every cell of one distinct text *the same string
object* (:mod:`ingest.columnar`), so a column of five million cells holds about a million
objects. An object array stores the objects' addresses; grouping the cells by address is an
integer factorisation (no object is read), and only one cell per distinct object is then
hashed as a string. Equal texts held in different objects still meet: they are looked up
by value. The results are exactly those of ``pd.factorize`` / ``Index.get_indexer``.

Texts looked up by value go through :class:`TextIndex`: each text's Python hash (computed
once per string object, then kept in it) is looked up in an integer hash table and each hit
confirmed by one comparison, where pandas' object index calls Python's comparison on every
probe of its table (national links: 0.6 s → 0.2 s per column of ids).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["TextIndex", "by_object", "factorize", "first_rows", "lookup"]


def _addresses(values: np.ndarray) -> np.ndarray:
    """Return the address of each object of the 1-d object array ``values`` (no object is read).

    An object array's buffer holds one ``PyObject *`` per cell; numpy's array interface
    reads that buffer as pointer-sized integers, strides and all.
    """

    class _Buffer:
        __array_interface__ = {  # noqa: RUF012 - read once by numpy, below
            "data": (values.__array_interface__["data"][0], True),
            "shape": values.shape,
            "strides": values.strides,
            "typestr": np.dtype(np.uintp).str,
            "version": 3,
        }

    return np.array(_Buffer(), copy=True)  # a copy: no view into ``values`` outlives it


def by_object(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each cell's object number and one cell per object, in order of first appearance.

    Equal values held in different objects get different numbers: for a caller that only
    wants fewer cells to work on (each result then follows from its object's).

    Examples
    --------
    >>> a, b = "钢", "".join(["钢", ""])  # equal texts, two objects
    >>> codes, objects = by_object(np.array([a, None, a, b], dtype=object))
    >>> codes.tolist(), objects.tolist()
    ([0, 1, 0, 2], ['钢', None, '钢'])
    """
    values = np.asarray(values, dtype=object)
    if values.ndim != 1:
        msg = "a one-dimensional array is expected"
        raise ValueError(msg)
    codes, _ = pd.factorize(_addresses(values))
    return codes, values[first_rows(codes)]


def first_rows(codes: np.ndarray) -> np.ndarray:
    """Return the first row of each code of ``pd.factorize`` (numbered in order of first appearance).

    A code's first row is where the running maximum of the codes first reaches it.

    Examples
    --------
    >>> first_rows(np.array([0, 1, 0, -1, 2, 1])).tolist()
    [0, 1, 4]
    """
    if not len(codes):
        return np.zeros(0, dtype=np.intp)
    running = np.maximum.accumulate(codes)
    return np.flatnonzero(np.diff(running, prepend=-1) > 0)


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``pd.factorize(values)``, hashing each distinct object once.

    Parameters
    ----------
    values
        A one-dimensional array of objects (missing values, ``None`` or NaN, get ``-1``).

    Returns
    -------
    codes, uniques
        As ``pandas.factorize``: uniques in order of first appearance.

    Examples
    --------
    >>> a, b = "钢" * 3, "".join(["钢", "钢", "钢"])  # equal texts, two objects
    >>> codes, uniques = factorize(np.array([a, None, "铝", b, a], dtype=object))
    >>> codes.tolist(), uniques.tolist()
    ([0, -1, 1, 0, 0], ['钢钢钢', '铝'])
    """
    codes, objects = by_object(values)
    numbers, uniques = pd.factorize(objects)
    return numbers[codes], uniques


def lookup(labels: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Return the position of each of ``values`` among ``labels``: by object first, then by text.

    Cells that hold one of the labels' own objects are found by address (integers hashed, no
    string read): the ingest layer gives a link the very string object of its firm's id. The
    others are looked up by value, each distinct object once. The result is that of
    ``pd.Index(labels, dtype=object).get_indexer(values)`` for labels as ids are: distinct
    texts, none missing (a missing label, ``None`` or NaN, may be found where pandas would not).

    Parameters
    ----------
    labels
        A one-dimensional array of distinct texts (the caller's to ensure).
    values
        A one-dimensional array of objects.

    Returns
    -------
    numpy.ndarray
        The position of each value among ``labels``, ``-1`` where it is not there.

    Examples
    --------
    >>> labels = np.array(["S", "E"], dtype=object)
    >>> lookup(labels, np.array([labels[1], "X", "".join(["E"]), labels[0]], dtype=object)).tolist()
    [1, -1, 1, 0]
    """
    labels = np.asarray(labels, dtype=object)
    values = np.asarray(values, dtype=object)
    found = np.full(len(values), -1, dtype=np.intp)
    if _shares_objects(labels, values):
        found = pd.Index(_addresses(labels)).get_indexer(_addresses(values)).astype(np.intp, copy=False)
    missing = np.flatnonzero(found < 0)
    if len(missing):
        codes, objects = by_object(values[missing] if len(missing) < len(values) else values)
        found[missing] = TextIndex(labels).positions(objects)[codes]
    return found


class TextIndex:
    """Distinct labels, each value's position among them found by its Python hash.

    ``positions(values)`` is ``pd.Index(labels, dtype=object).get_indexer(values)`` for labels
    that are distinct texts (``str``). For other labels, or two labels of one hash (as good as
    never, with 64-bit hashes), or values that cannot be hashed, it is pandas' lookup itself.

    Examples
    --------
    >>> index = TextIndex(np.array(["F1", "F2"], dtype=object))
    >>> index.positions(np.array(["F2", None, "F3", "".join(["F", "1"])], dtype=object)).tolist()
    [1, -1, -1, 0]
    """

    def __init__(self, labels: np.ndarray) -> None:
        self.labels = np.asarray(labels, dtype=object)
        texts = pd.api.types.infer_dtype(self.labels, skipna=False) in ("string", "empty")  # NaN: pandas
        hashes = _hashes(self.labels) if texts else None
        by_hash = pd.Index(hashes, copy=False) if hashes is not None else None
        self._by_hash = by_hash if by_hash is not None and by_hash.is_unique else None

    def positions(self, values: np.ndarray) -> np.ndarray:
        """Return the position of each of ``values`` among the labels (``-1``: not there)."""
        values = np.asarray(values, dtype=object)
        hashes = _hashes(values) if self._by_hash is not None else None
        if hashes is None or self._by_hash is None:
            index = pd.Index(self.labels, dtype=object, copy=False)
            positions: np.ndarray = index.get_indexer(pd.Index(values, dtype=object, copy=False))
            return positions.astype(np.intp, copy=False)
        found: np.ndarray = self._by_hash.get_indexer(hashes).astype(np.intp, copy=False)
        hit = np.flatnonzero(found >= 0)
        # One comparison per hit: a value of a label's hash is that label or no label at all.
        found[hit[self.labels[found[hit]] != values[hit]]] = -1
        return found


def _hashes(values: np.ndarray) -> np.ndarray | None:
    """Return each value's Python hash (``None``: a value cannot be hashed)."""
    try:
        return np.fromiter(map(hash, values), dtype=np.int64, count=len(values))
    except TypeError:
        return None


def _shares_objects(labels: np.ndarray, values: np.ndarray, *, sample: int = 1_000) -> bool:
    """Whether some of the first ``sample`` values are objects of ``labels`` (worth a pass by address)."""
    if not len(labels) or not len(values):
        return False
    head = _addresses(values[:sample])
    return bool(pd.Series(_addresses(labels)).isin(head).any())  # hashes the sample only
