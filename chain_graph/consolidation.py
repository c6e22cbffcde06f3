"""The province's consolidated list (跨区域协调汇总): several cities' requests, one row per supplier.

Each city sends the province its 跨区域协调清单 (read back by
:func:`ingest.coordination.read_coordination_workbook`): one row per (blocked supplier,
buyer, material), with the supplier's 合计 on each of its rows and the city as ``source``.
The province coordinates per supplier, so the rows of every city are merged on the
supplier's identity: its name as :func:`chain_graph.materials.normalise` compares names
(full-width letters, spaces and case do not matter) and its place (the adcode of 配套企业所在地,
or the place as written when it gave none).

Figures of a supplier:

- ``total``: the sum over the cities of each city's 合计 for it. A city's 合计 is what
  restoring the supplier gives *that city's* firms and projects (through every tier of its
  own network), so two cities never count the same buyer and the sum counts none twice.
- ``output``, ``investment``: the sums of the rows (each row holds its buyer's own gain,
  on the buyer's first row only).
- ``stock_days``: the fewest days any buyer's stock lasts; ``recovery_days``: the longest
  recovery any city expects (the cautious figure each way).

This module is pure: tables in, tables out, no spreadsheets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from chain_graph.materials import normalise
from chain_graph.regions import region_name

__all__ = ["CONSOLIDATED_COLUMNS", "consolidate", "consolidated_ranking", "supplier_key"]

CONSOLIDATED_COLUMNS = [
    "rank",
    "supplier",
    "supplier_place",
    "supplier_adcode",
    "target_province",
    "target_city",
    "province_adcode",
    "city_adcode",
    "requesters",
    "requester_count",
    "buyers",
    "materials",
    "output",
    "investment",
    "total",
    "stock_days",
    "recovery_days",
]
"""Columns of :func:`consolidate`'s rows, in order."""

_NEEDED = ("source", "supplier", "supplier_place", "buyer", "material", "output", "investment", "total")
_JOIN = "、"


def supplier_key(name: str, place: str) -> str:
    """Return the identity of a supplier: its normalised name and its place.

    ``place`` is an adcode where one is known, else the place as written (normalised).

    Examples
    --------
    >>> supplier_key("长沙 Ｘ 钢铁有限公司", "430112") == supplier_key("长沙x钢铁有限公司", "430112")
    True
    >>> supplier_key("长沙X钢铁有限公司", "430112") == supplier_key("长沙X钢铁有限公司", "430111")
    False
    """
    return normalise(name) + "@" + normalise(place)


def consolidate(requests: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Merge several cities' coordination rows into one row per supplier, for the province.

    Parameters
    ----------
    requests
        The rows of each city's workbook (:func:`ingest.coordination.read_coordination_workbook`),
        each with its ``source``. ``supplier_adcode``, ``stock_days`` and ``recovery_days`` may
        be left out (no place code, no days).

    Returns
    -------
    pandas.DataFrame
        One row per supplier with :data:`CONSOLIDATED_COLUMNS`: the supplier's name and place
        as first written, ``target_province``/``target_city`` (names, from its adcode or
        else its place) and their adcodes (``""`` when unknown), ``requesters`` (the cities,
        sorted, joined with 、) and how many, ``buyers`` and ``materials`` (sorted, unique,
        joined with 、), ``output``/``investment`` (sums of the rows), ``total`` (the sum of
        each city's 合计: no buyer counted twice, see the module), the fewest ``stock_days``
        and the most ``recovery_days`` (``NaN`` when none given), and ``rank`` (1…n by
        ``total`` descending, ties by name). Ordered by target province adcode, then city
        adcode (unknown last), then rank.

    Raises
    ------
    ValueError
        When a table lacks a column consolidation needs.

    Examples
    --------
    >>> a = pd.DataFrame({"source": "怀化市", "supplier": "长沙甲钢铁有限公司",
    ...     "supplier_place": "湖南省 长沙市 望城区", "supplier_adcode": "430112",
    ...     "buyer": ["怀化机械厂", "怀化电机厂"], "material": "钢材",
    ...     "output": [100.0, 50.0], "investment": 0.0, "total": 200.0})
    >>> b = a.iloc[:1].assign(source="邵阳市", supplier="长沙甲钢铁 有限公司",
    ...     buyer="邵阳机械厂", output=30.0, total=40.0)
    >>> row = consolidate([a, b]).iloc[0]
    >>> row["requesters"], float(row["total"]), float(row["output"]), row["target_city"]
    ('怀化市、邵阳市', 240.0, 180.0, '长沙市')
    """
    rows = _rows(requests)
    if rows.empty:
        return pd.DataFrame(columns=CONSOLIDATED_COLUMNS)
    grouped = rows.groupby("_key", sort=False)
    per_city = rows.groupby(["_key", "source"], sort=False)["total"].max()  # each row holds it
    table = pd.DataFrame(
        {
            "supplier": grouped["supplier"].first(),
            "supplier_place": grouped["supplier_place"].agg(_first_filled),
            "supplier_adcode": grouped["supplier_adcode"].agg(_first_filled),
            "requesters": grouped["source"].agg(_joined),
            "requester_count": grouped["source"].nunique(),
            "buyers": grouped["buyer"].agg(_joined),
            "materials": grouped["material"].agg(_joined_by_identity),
            "output": grouped["output"].sum(),
            "investment": grouped["investment"].sum(),
            "total": per_city.groupby(level="_key", sort=False).sum(min_count=1),
            "stock_days": grouped["stock_days"].min(),
            "recovery_days": grouped["recovery_days"].max(),
        }
    ).reset_index(drop=True)
    table = _with_targets(table)
    table["rank"] = _ranks(table)
    order = table.assign(
        _province=table["province_adcode"].replace("", "999999"),
        _city=table["city_adcode"].replace("", "999999"),
    ).sort_values(["_province", "_city", "rank"], kind="stable")
    return order[CONSOLIDATED_COLUMNS].reset_index(drop=True)


def consolidated_ranking(consolidated: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of :func:`consolidate` ordered purely by value (by ``rank``).

    Examples
    --------
    >>> rows = pd.DataFrame({"rank": [2, 1], "supplier": ["乙", "甲"]})
    >>> consolidated_ranking(rows)["supplier"].tolist()
    ['甲', '乙']
    """
    return consolidated.sort_values("rank", kind="stable").reset_index(drop=True)


def _rows(requests: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """All cities' rows with the columns consolidation uses and each row's supplier identity."""
    frames = []
    for frame in requests:
        missing = [c for c in _NEEDED if c not in frame.columns]
        if missing:
            msg = f"coordination rows lack columns: {', '.join(missing)}"
            raise ValueError(msg)
        frames.append(
            frame.assign(
                supplier_adcode=frame.get("supplier_adcode", ""),
                stock_days=frame.get("stock_days", np.nan),
                recovery_days=frame.get("recovery_days", np.nan),
            )
        )
    if not frames or all(f.empty for f in frames):
        return pd.DataFrame()
    rows = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    for column in ("source", "supplier", "supplier_place", "supplier_adcode", "buyer", "material"):
        rows[column] = rows[column].fillna("").astype(str)
    for column in ("output", "investment", "total", "stock_days", "recovery_days"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce").astype(float)
    place = rows["supplier_adcode"].where(rows["supplier_adcode"] != "", rows["supplier_place"])
    rows["_key"] = [supplier_key(n, p) for n, p in zip(rows["supplier"], place, strict=True)]
    return rows


def _first_filled(values: pd.Series) -> str:
    return next((str(v) for v in values if v), "")


def _joined(values: pd.Series) -> str:
    return _JOIN.join(sorted({str(v) for v in values if v}))


def _joined_by_identity(values: pd.Series) -> str:
    """Sorted unique names, one per identity (``钢 板`` and ``钢板`` are one), as first written."""
    first: dict[str, str] = {}
    for value in values:
        if value:
            first.setdefault(normalise(value), str(value))
    return _JOIN.join(sorted(first.values()))


def _with_targets(table: pd.DataFrame) -> pd.DataFrame:
    """Add the target province and city: from the adcode, else the names in the place."""
    code = table["supplier_adcode"]
    known = code.str.fullmatch(r"\d{6}")
    province_code: list[str] = [c[:2] + "0000" if k else "" for c, k in zip(code, known, strict=True)]
    city_code: list[str] = [
        c[:4] + "00" if k and not c.endswith("0000") else "" for c, k in zip(code, known, strict=True)
    ]
    words = table["supplier_place"].str.split()
    province = [
        region_name(c) if c else (w[0] if len(w) > 0 else "")
        for c, w in zip(province_code, words, strict=True)
    ]
    city = [
        region_name(c) if c else (w[1] if len(w) > 1 else "") for c, w in zip(city_code, words, strict=True)
    ]
    return table.assign(
        province_adcode=province_code,
        city_adcode=city_code,
        target_province=province,
        target_city=city,
    )


def _ranks(table: pd.DataFrame) -> np.ndarray:
    """1…n by total descending (no value last), ties by name."""
    order = table.assign(_value=table["total"].fillna(-np.inf)).sort_values(
        ["_value", "supplier"], ascending=[False, True], kind="stable"
    )
    ranks = np.empty(len(table), dtype=int)
    ranks[order.index.to_numpy()] = np.arange(1, len(table) + 1)
    return ranks
