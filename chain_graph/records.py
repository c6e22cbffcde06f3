"""Table rows as plain Python values: the one NaN → ``None`` rule of every output.

JSON, templates and spreadsheet cells want ``int``, ``float``, ``str``, ``None``; pandas and
numpy hand out ``numpy.int64``, ``NaN``, ``pd.NA`` and ``pd.NaT``. Every output goes
through :func:`plain` (one value) or :func:`plain_records` (a table).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plain", "plain_records"]


def plain(value: Any) -> Any:
    """Return ``value`` as a plain Python value; a missing value (NaN, NA, NaT) is ``None``.

    Examples
    --------
    >>> plain(np.int64(3)), plain(np.float64("nan")), plain(pd.NA), plain(pd.NaT), plain("x")
    (3, None, None, None, 'x')
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def plain_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``frame`` as dicts of plain Python values.

    Examples
    --------
    >>> plain_records(pd.DataFrame({"id": ["a", "b"], "x": [1.5, float("nan")]}))
    [{'id': 'a', 'x': 1.5}, {'id': 'b', 'x': None}]
    """
    return [{str(k): plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
