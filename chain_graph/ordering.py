"""Sorting large arrays quickly, in the order Python would sort them.

:func:`lexsort_codes` sorts by several integer keys at once, as one stable sort of one
combined key; :func:`text_order` sorts texts by code point through numpy's fixed-width text.

``np.lexsort`` sorts once per key: a national graph's five million links sort by buyer and
material in 1.15 s that way, and in 0.6 s as one stable ``argsort`` of ``buyer * materials +
material``. :func:`lexsort_codes` combines non-negative integer keys so whenever their
product fits in 63 bits, and falls back on ``np.lexsort`` otherwise: the order is the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["lexsort_codes", "text_order"]


def lexsort_codes(keys: Sequence[np.ndarray]) -> np.ndarray:
    """Return ``np.lexsort(keys)`` for non-negative integer keys (the last key sorts first).

    Parameters
    ----------
    keys
        Integer arrays of one length, each ``>= 0`` (any key below 0 falls back on
        ``np.lexsort``, as does a product of spans at or above ``2**62``).

    Returns
    -------
    numpy.ndarray
        The stable order: by the last key, ties by the one before, and so on, then by position.

    Examples
    --------
    >>> lexsort_codes([np.array([0, 1, 0, 0]), np.array([1, 0, 1, 0])]).tolist()
    [3, 1, 0, 2]
    """
    arrays = [np.asarray(k) for k in keys]
    if not arrays or arrays[0].size == 0 or any(a.dtype.kind not in "iu" or a.min() < 0 for a in arrays):
        return np.lexsort(arrays) if arrays else np.zeros(0, dtype=np.intp)
    combined = np.zeros(arrays[0].size, dtype=np.int64)
    span = 1
    for key in reversed(arrays):  # the last key is the primary one
        width = int(key.max()) + 1
        span *= width
        if span >= 2**62:
            order: np.ndarray = np.lexsort(arrays)
            return order
        combined = combined * width + key.astype(np.int64)  # below span < 2**62: exact
    return np.argsort(combined, kind="stable")


def text_order(texts: np.ndarray) -> np.ndarray:
    r"""Return the stable order of ``texts`` (an object array of ``str``) as Python sorts them.

    numpy's fixed-width text sorts by code point too, and far faster than Python objects, but
    drops a trailing NUL (``"A\x00"`` would tie with ``"A"``): texts ending in one are then
    sorted as Python objects.

    Examples
    --------
    >>> text_order(np.array(["b", "A\x00", "a", "A"], dtype=object)).tolist()
    [3, 1, 2, 0]
    """
    if any(text.endswith("\x00") for text in texts.tolist()):
        return np.array(sorted(range(len(texts)), key=texts.__getitem__), dtype=np.intp)
    order: np.ndarray = np.argsort(texts.astype(str), kind="stable")
    return order
