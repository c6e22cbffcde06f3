"""Nominations for the key supply-chain whitelist (重点产业链供应链企业白名单推荐).

Provinces keep whitelists of the supply-chain firms that must keep running through a
disruption, and recognise each other's lists. A city nominates its own suppliers: firms
located in the home city (scope ``local`` of the analysis spec) that supply at least one
link. This module owns the ranking of those nominations and the reasons given for each.

Three figures make a firm a candidate, each from the analysis spec:

* ``exposure`` — the firm's exposure (the spec's *Exposure*): the extra value at risk
  (万元) if it stopped now, others unchanged. The analysis keeps only its top
  ``exposure_top``; here it is computed for every home-city supplier, on the same engine,
  in one batch (:func:`chain_graph.analysis.exposure_of`);
* ``single_source_buyers`` — the key buyers (key scale enterprises, as
  :func:`chain_graph.analysis.key_enterprises` decides, and key projects) for which the firm
  is a single source (the spec's *Single-source dependencies*, ``single_source_threshold``);
* ``outside_buyers`` — its distinct buyers located outside the home city (scope
  ``in_province`` or ``out_of_province``; a buyer whose place is unknown is not counted):
  a firm other cities depend on is one the whitelist is for.

A firm with none of the three is not nominated (an exposure of at most
:data:`~chain_graph.analysis.RANK_TIE` counts as none). The ranking is by exposure (values within
:data:`chain_graph.analysis.RANK_TIE` of each other are ties), then single-source buyers,
then outside buyers, all descending, then by id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chain_graph.analysis import RANK_TIE, exposure_of, tie_groups
from chain_graph.gaps import GapAnalysis
from chain_graph.graph import SupplyGraph
from chain_graph.model import LedgerTables
from chain_graph.regions import Scope, region_name

__all__ = ["NOMINATION_COLUMNS", "money", "nominations", "reasons"]

NOMINATION_COLUMNS = (
    "rank",
    "id",
    "name",
    "adcode",
    "county",
    "chain",
    "exposure",
    "single_source_buyers",
    "outside_buyers",
    "key_buyers",
    "status",
    "reasons",
)
"""The columns of :func:`nominations`, in order."""

_OUTSIDE = (Scope.IN_PROVINCE.value, Scope.OUT_OF_PROVINCE.value)


def money(value: float) -> str:
    """Write an amount of 万元 as officials say it: 亿元 from 1 亿 up, two decimals at most.

    Examples
    --------
    >>> money(12000.0), money(20000.0), money(12345.0), money(850.0), money(12.345)
    ('1.2 亿元', '2 亿元', '1.23 亿元', '850 万元', '12.35 万元')
    """
    amount, unit = (value / 10000.0, "亿元") if value >= 10000.0 else (value, "万元")
    text = f"{amount:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}"


def reasons(
    exposure: float,
    single_source_buyers: int,
    outside_buyers: int,
    *,
    outside_projects: int,
    threshold: float,
) -> str:
    """Write why a firm is nominated, in the words of a 推荐理由 (the non-zero figures only).

    ``outside_projects`` counts the projects among the outside buyers; ``threshold`` is the
    single-source share (``single_source_threshold``, 0–1).

    Examples
    --------
    >>> for part in reasons(12000.0, 3, 2, outside_projects=0, threshold=0.8).split("；"):
    ...     print(part)
    停供将使重点企业和项目增加风险产值 1.2 亿元
    是 3 家重点企业/项目的唯一供应来源（占比≥80%）
    供应市外 2 家企业
    >>> reasons(0.0, 0, 1, outside_projects=1, threshold=0.8)
    '供应市外 1 家企业和项目'
    """
    parts = []
    if exposure > 0:
        parts.append(f"停供将使重点企业和项目增加风险产值 {money(exposure)}")
    if single_source_buyers:
        share = f"{threshold * 100:.1f}".rstrip("0").rstrip(".")
        parts.append(f"是 {single_source_buyers} 家重点企业/项目的唯一供应来源（占比≥{share}%）")
    if outside_buyers:
        kinds = "企业和项目" if outside_projects else "企业"
        parts.append(f"供应市外 {outside_buyers} 家{kinds}")
    return "；".join(parts)


def _buyers(src: np.ndarray, dst: np.ndarray, links: np.ndarray, n: int) -> np.ndarray:
    """Count, per node, the distinct buyers of its links in the mask ``links``."""
    pairs = np.unique(src[links] * n + dst[links])
    counts: np.ndarray = np.bincount(pairs // n, minlength=n) if pairs.size else np.zeros(n, dtype=np.int64)
    return counts


def _chains(g: SupplyGraph, firms: np.ndarray) -> list[str]:
    """Each firm's chain: its own where the ledgers give one, else those of the buyers it supplies.

    A supplier (配套企业) usually has no chain of its own; the chains it serves say which
    chain's whitelist it belongs on (several joined by 、, in order).
    """
    code, names = pd.factorize(g.chains.astype(str), sort=True)  # codes in the chains' order
    code = code[g.dst]
    keep = names[code] != ""
    k = max(len(names), 1)
    pairs = np.unique(g.src[keep].astype(np.int64) * k + code[keep])  # by firm, then chain
    firm_of = pairs // k
    start = np.searchsorted(firm_of, firms, side="left")
    end = np.searchsorted(firm_of, firms, side="right")
    own = g.chains[firms].astype(str)
    spans = zip(own, start.tolist(), end.tolist(), strict=True)
    return [c or "、".join(names[pairs[a:b] % k]) for c, a, b in spans]


def nominations(analysis: GapAnalysis, ledgers: LedgerTables, *, top: int | None = None) -> pd.DataFrame:
    """Rank the home city's suppliers for the key supply-chain whitelist (白名单推荐表).

    Parameters
    ----------
    analysis
        The gap analysis of the ledgers (its graph, regions, key enterprises, single
        sources and settings).
    ledgers
        The same ledgers: the firms' production status.
    top
        Keep the first ``top`` rows only (the city's ``whitelist_top``); none: all.

    Returns
    -------
    pandas.DataFrame
        One row per nominated firm, in rank order, with :data:`NOMINATION_COLUMNS`:
        ``rank`` (1…n), ``id``, ``name``, ``adcode``, ``county`` (its county's name, or
        ``县市区待核实`` where only the city is known), ``chain`` (its own, else the chains
        of the buyers it supplies, joined by 、), ``exposure`` (万元),
        ``single_source_buyers``, ``outside_buyers``, ``key_buyers`` (its distinct key
        buyers), ``status`` (the ledgers' production status) and ``reasons`` (Chinese).

    Examples
    --------
    Home-city H (鹤城区) supplies all of the key enterprise E's steel (E: output 3 亿元,
    also in 鹤城区) and sells parts to F in Wuhan; L (also local) sells F nothing critical.
    Stopping H stops E (30000 万元 more at risk) and halves F (its 50 % of F's parts: 100 万元).

    >>> from chain_graph.gaps import analyze
    >>> from chain_graph.settings import Settings
    >>> firms = pd.DataFrame({
    ...     "id": ["H", "E", "F", "L"], "name": ["鹤城甲", "怀化乙", "武汉丙", "鹤城丁"],
    ...     "adcode": ["431202", "431202", "420106", "431202"], "status": "normal",
    ...     "is_enterprise": [False, True, True, False], "output_value": [None, 30000.0, 200.0, None]})
    >>> links = pd.DataFrame({"supplier_id": ["H", "H", "L"], "buyer_id": ["E", "F", "F"],
    ...     "material": ["钢", "零件", "包装"], "share": [100.0, 50.0, 10.0],
    ...     "critical": [True, True, False]})
    >>> ledgers = LedgerTables.from_frames(firms=firms, links=links)
    >>> a = analyze(ledgers, settings=Settings(home_adcode="431200"))
    >>> table = nominations(a, ledgers)
    >>> columns = ["rank", "id", "exposure", "single_source_buyers", "outside_buyers", "key_buyers"]
    >>> table[columns].values.tolist()
    [[1, 'H', 30100.0, 1, 1, 1], [2, 'L', 0.0, 0, 1, 0]]
    >>> for part in table.loc[0, "reasons"].split("；"):
    ...     print(part)
    停供将使重点企业和项目增加风险产值 3.01 亿元
    是 1 家重点企业/项目的唯一供应来源（占比≥80%）
    供应市外 1 家企业
    """
    g = analysis.graph
    n = g.n
    scope = analysis.regions["scope"].to_numpy(dtype=object)
    supplies = np.zeros(n, dtype=bool)
    supplies[g.src] = True
    firms = np.flatnonzero(~g.is_project & supplies & (scope == Scope.LOCAL.value))
    key = analysis.key_enterprises | g.is_project
    outside = np.isin(scope, _OUTSIDE)
    out_buyers = _buyers(g.src, g.dst, outside[g.dst], n)[firms]
    out_projects = _buyers(g.src, g.dst, outside[g.dst] & g.is_project[g.dst], n)[firms]
    key_buyers = _buyers(g.src, g.dst, key[g.dst], n)[firms]
    single = analysis.single_source
    single = single[key[g.index_of(single["buyer_id"])]] if len(single) else single
    sole = single.groupby("supplier_id")["buyer_id"].nunique()
    ids = g.ids[firms].astype(str)
    sole_buyers = sole.reindex(ids).fillna(0).to_numpy(dtype=np.int64)
    # below a millionth of 万元 an exposure is rounding in the engine's deltas, not a reason
    stopped = exposure_of(g, firms)
    exposure = np.where(stopped > RANK_TIE, stopped, 0.0)
    adcodes = g.adcodes[firms].astype(str)
    threshold = analysis.settings.single_source_threshold
    status = ledgers.firms.drop_duplicates("id").set_index("id")["status"]
    table = pd.DataFrame(
        {
            "id": ids,
            "name": g.names[firms].astype(str),
            "adcode": adcodes,
            "county": [region_name(c) if c[4:] != "00" else "" for c in adcodes],
            "chain": _chains(g, firms),
            "exposure": exposure,
            "single_source_buyers": sole_buyers,
            "outside_buyers": out_buyers,
            "key_buyers": key_buyers,
            "status": status.reindex(ids).fillna("").to_numpy(dtype=object),
            "reasons": [
                reasons(float(e), int(s), int(o), outside_projects=int(p), threshold=threshold)
                for e, s, o, p in zip(exposure, sole_buyers, out_buyers, out_projects, strict=True)
            ],
        }
    )
    table["county"] = table["county"].replace("", "县市区待核实")
    table = table[
        (table["exposure"] > 0) | (table["single_source_buyers"] > 0) | (table["outside_buyers"] > 0)
    ]
    order = pd.DataFrame(
        {
            "group": tie_groups(table["exposure"].to_numpy(dtype=float)),
            "single": -table["single_source_buyers"],
            "outside": -table["outside_buyers"],
            "id": table["id"],
        },
        index=table.index,
    ).sort_values(["group", "single", "outside", "id"], kind="stable")
    ranked = table.loc[order.index].reset_index(drop=True)
    if top is not None:
        ranked = ranked.iloc[:top]
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    return ranked[list(NOMINATION_COLUMNS)]
