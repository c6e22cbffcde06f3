"""Helpers the routers share: pagination, scoping by county, DataFrame rows as plain values."""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import Query

__all__ = ["Limit", "Offset", "page", "plain_records"]

Limit = Annotated[int, Query(ge=1, le=1000, description="Rows per page (1–1000).")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip.")]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def plain_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``frame`` as dicts of plain Python values (NaN and NA as ``None``)."""
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def page(frame: pd.DataFrame, limit: int, offset: int) -> dict[str, Any]:
    """Return one page of ``frame`` as ``{data, count}``."""
    return {"data": plain_records(frame.iloc[offset:offset + limit]), "count": len(frame)}
