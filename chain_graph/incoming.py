"""Requests that come in: another city's coordination rows whose supplier is one of ours.

When another city's 跨区域协调清单 (read by
:func:`ingest.coordination.read_coordination_workbook`) names suppliers in the home city,
the bureau has to act on them as its own (属地原则). This module owns finding those rows and
matching each to the firm in our ledgers, so that they can be put on the problem ledger or
the local list. A row is matched by the supplier's normalised name
(:func:`chain_graph.materials.normalise`) among our firms in the home city, and by its
county where several firms have the name; a row that cannot be matched stays in the result
with the reason, never dropped.
"""

from __future__ import annotations

import pandas as pd

from chain_graph.materials import normalise
from chain_graph.regions import region_name

__all__ = ["match_own_suppliers"]


def match_own_suppliers(rows: pd.DataFrame, firms: pd.DataFrame, *, home_adcode: str) -> pd.DataFrame:
    """Keep the rows whose supplier is in the home city and match each to our firm id.

    Parameters
    ----------
    rows
        Another city's coordination rows, with ``supplier`` and ``supplier_adcode``
        (:func:`ingest.coordination.read_coordination_workbook`).
    firms
        Our firms (``LedgerTables.firms``): ``id``, ``name``, ``adcode``.
    home_adcode
        The home city's adcode (setting ``home_adcode``).

    Returns
    -------
    pandas.DataFrame
        The rows whose supplier's place is in the home city, and the rows whose place names
        no known region (they may be ours), in their order, with ``supplier_id`` (``""``
        when not matched) and ``unmatched_reason`` (``""`` when matched; else why, in
        Chinese). Rows placed in another city are not ours and are left out.

    Examples
    --------
    >>> firms = pd.DataFrame({"id": ["S1", "S2", "S3"], "name": ["甲厂", "乙厂", "乙厂"],
    ...                       "adcode": ["431202", "431202", "431221"]})
    >>> rows = pd.DataFrame({"supplier": ["甲 厂", "乙厂", "丙厂", "丁厂"],
    ...                      "supplier_adcode": ["431202", "431221", "431202", "430112"]})
    >>> match_own_suppliers(rows, firms, home_adcode="431200")["supplier_id"].tolist()
    ['S1', 'S3', '']
    """
    code = rows["supplier_adcode"].fillna("").astype(str)
    # Only the place's province known (or nothing): it may be ours, so it is shown, unmatched or not.
    unknown = ~code.str.fullmatch(r"\d{6}") | (code.str.endswith("0000") & (code.str[:2] == home_adcode[:2]))
    ours = rows.loc[unknown | (code.str[:4] == home_adcode[:4])].copy()
    by_name: dict[str, list[tuple[str, str]]] = {}
    for firm_id, name, adcode in zip(firms["id"], firms["name"], firms["adcode"].fillna(""), strict=True):
        by_name.setdefault(normalise(name), []).append((str(firm_id), str(adcode)))
    matches = [
        _match(str(name), str(place), by_name, home_adcode=home_adcode)
        for name, place in zip(ours["supplier"], code.loc[ours.index], strict=True)
    ]
    ours["supplier_id"] = [found for found, _ in matches]
    ours["unmatched_reason"] = [reason for _, reason in matches]
    return ours.reset_index(drop=True)


def _match(
    name: str, place: str, by_name: dict[str, list[tuple[str, str]]], *, home_adcode: str
) -> tuple[str, str]:
    """Return (firm id, "") or ("", the reason in Chinese) for one row's supplier."""
    city = home_adcode[:4]
    candidates = by_name.get(normalise(name), [])
    if not candidates:
        maybe = "" if place[:4] == city else "（所在地未能识别到本市的县市区，可能不是本市企业）"
        return "", f"本市台账中没有名为“{name}”的企业{maybe}"
    here = [(i, a) for i, a in candidates if a[:4] == city]
    if not here:
        elsewhere = "、".join(sorted({region_name(a) or a or "所在地不明" for _, a in candidates}))
        return "", f"台账中的“{name}”不在本市（台账所在地：{elsewhere}），请核实"
    if len(here) == 1:
        return here[0][0], ""
    county = [(i, a) for i, a in here if a == place]
    if len(county) == 1:
        return county[0][0], ""
    where = region_name(place) or "所在县市区不明"
    return "", f"本市有 {len(here)} 家名为“{name}”的企业，按所在地（{where}）仍无法区分，请人工确认"
