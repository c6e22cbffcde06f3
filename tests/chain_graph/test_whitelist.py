"""Whitelist nominations (白名单推荐) on a hand-built ledger, with hand-computed figures.

The city is 怀化 (431200). Every firm runs at full capacity (C is partial at 80 %, and
supplies nothing critical), so every availability is 1 before a stop::

    A (鹤城区)   ─钢 60%─▶ E1 (鹤城区, output 30000, key) ─设备 100%─▶ P1 (project, plan 10000)
    B (芷江)     ─钢 40%─▶ E1
    A            ─钢 90%─▶ E2 (芷江, output 5000, tax 600: key by tax)
    A            ─零件 50%─▶ X (武汉, output 1000, not key)
    C (鹤城区)   ─包装 (not critical)─▶ X
    D (芷江)     ─辅料 10% (not critical)─▶ E2          nothing on any figure: left out
    Z (长沙)     ─钢 100%─▶ W (鹤城区, output 100)        not a home-city firm: left out
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain_graph.analysis import RANK_TIE, exposure
from chain_graph.gaps import GapAnalysis, analyze
from chain_graph.graph import from_networkx
from chain_graph.model import LedgerTables
from chain_graph.whitelist import NOMINATION_COLUMNS, nominations
from tests.chain_graph.oracle import naive_availability, naive_value_at_risk
from tests.chain_graph.test_analysis_properties import PROPERTY, supply_graphs
from tests.defaults import SETTINGS

Firm = tuple[str, str, str, bool, float | None, float | None]  # id, adcode, status, enterprise, output, tax
Link = tuple[str, str, str, float, bool]  # supplier, buyer, material, share (%), critical


def _ledgers(
    firms: list[Firm],
    links: list[Link],
    projects: Sequence[tuple[str, str, float]] = (),
    chains: dict[str, str] | None = None,
) -> LedgerTables:
    return LedgerTables.from_frames(
        firms=pd.DataFrame(
            [
                {
                    "id": i,
                    "name": f"{i}公司",
                    "adcode": c,
                    "status": s,
                    "is_enterprise": e,
                    "output_value": o,
                    "tax": t,
                    "chain": (chains or {}).get(i, ""),
                }
                for i, c, s, e, o, t in firms
            ],
            columns=["id", "name", "adcode", "status", "is_enterprise", "output_value", "tax", "chain"],
        ),
        projects=pd.DataFrame(
            [{"id": i, "name": f"{i}项目", "adcode": c, "annual_plan": p} for i, c, p in projects],
            columns=["id", "name", "adcode", "annual_plan"],
        ),
        links=pd.DataFrame(
            [
                {"supplier_id": s, "buyer_id": b, "material": m, "share": w, "critical": k}
                for s, b, m, w, k in links
            ],
            columns=["supplier_id", "buyer_id", "material", "share", "critical"],
        ),
    )


CITY = _ledgers(
    [
        ("A", "431202", "normal", False, None, None),
        ("B", "431228", "normal", False, None, None),
        ("C", "431202", "partial", False, None, None),
        ("D", "431228", "normal", False, None, None),
        ("E1", "431202", "normal", True, 30000.0, 100.0),
        ("E2", "431228", "normal", True, 5000.0, 600.0),
        ("X", "420106", "normal", True, 1000.0, None),
        ("Z", "430100", "normal", False, None, None),
        ("W", "431202", "normal", True, 100.0, None),
    ],
    [
        ("A", "E1", "钢", 60, True),
        ("B", "E1", "钢", 40, True),
        ("A", "E2", "钢", 90, True),
        ("A", "X", "零件", 50, True),
        ("C", "X", "包装", 100, False),
        ("D", "E2", "辅料", 10, False),
        ("E1", "P1", "设备", 100, True),
        ("Z", "W", "钢", 100, True),
    ],
    [("P1", "431202", 10000.0)],
    {"E1": "装备制造", "E2": "食品加工"},
)


@pytest.fixture(scope="module")
def city() -> GapAnalysis:
    return analyze(CITY, settings=SETTINGS)


@pytest.fixture(scope="module")
def table(city: GapAnalysis) -> pd.DataFrame:
    return nominations(city, CITY)


def test_figures_by_hand(table: pd.DataFrame) -> None:
    # E1 stopped: E1 loses 30000, P1 (all its 设备 from E1) 10000                    = 40000
    # A stopped: E1's 钢 at 1 − 0.6 = 0.4 → 30000·0.6 = 18000; P1 follows E1: 10000·0.6 = 6000;
    #            E2's 钢 at 0.1 → 5000·0.9 = 4500; X's 零件 at 0.5 → 1000·0.5 = 500        = 29000
    # B stopped: E1 at 0.6 → 30000·0.4 = 12000; P1 10000·0.4 = 4000                      = 16000
    # C: nothing critical → 0, but it sells to X in 武汉
    assert table["id"].tolist() == ["E1", "A", "B", "C"]
    assert table["rank"].tolist() == [1, 2, 3, 4]
    assert table["exposure"].tolist() == pytest.approx([40000.0, 29000.0, 16000.0, 0.0], abs=1e-9)
    # single sources (critical, ≥ 80 %) of key buyers: E1 → P1 (100 %), A → E2 (90 %, key by tax)
    assert table["single_source_buyers"].tolist() == [1, 1, 0, 0]
    assert table["outside_buyers"].tolist() == [0, 1, 0, 1]  # X in 武汉
    assert table["key_buyers"].tolist() == [1, 2, 1, 0]  # A: E1 and E2; X is not key
    assert table["county"].tolist() == ["鹤城区", "鹤城区", "芷江侗族自治县", "鹤城区"]
    assert table["status"].tolist() == ["normal", "normal", "normal", "partial"]
    # E1's own chain; a supplier takes the chains of the buyers it supplies (X has none)
    assert table["chain"].tolist() == ["装备制造", "装备制造、食品加工", "装备制造", ""]
    assert list(table.columns) == list(NOMINATION_COLUMNS)


def test_reasons_in_chinese(table: pd.DataFrame) -> None:
    by_id = dict(zip(table["id"], table["reasons"], strict=True))
    assert by_id["A"].split("；") == [
        "停供将使重点企业和项目增加风险产值 2.9 亿元",
        "是 1 家重点企业/项目的唯一供应来源（占比≥80%）",
        "供应市外 1 家企业",
    ]
    assert by_id["B"] == "停供将使重点企业和项目增加风险产值 1.6 亿元"
    assert by_id["C"] == "供应市外 1 家企业"


def test_exposure_agrees_with_the_analysis_top(city: GapAnalysis, table: pd.DataFrame) -> None:
    top = exposure(city.graph, top=20).set_index("id")["value_at_risk_if_stopped"]
    for firm, value in zip(table["id"], table["exposure"], strict=True):
        assert value == pytest.approx(top[firm], abs=1e-9)


def test_top_keeps_the_first_rows(city: GapAnalysis) -> None:
    assert nominations(city, CITY, top=2)["id"].tolist() == ["E1", "A"]


def test_a_city_without_local_suppliers_nominates_nobody() -> None:
    ledgers = _ledgers(
        [("Z", "430100", "normal", False, None, None), ("W", "431202", "normal", True, 100.0, None)],
        [("Z", "W", "钢", 100, True)],
    )
    table = nominations(analyze(ledgers, settings=SETTINGS), ledgers)
    assert table.empty
    assert list(table.columns) == list(NOMINATION_COLUMNS)


def test_a_stopped_single_source_is_nominated_for_it() -> None:
    # S is stopped already: stopping it adds nothing, yet K depends on it alone
    ledgers = _ledgers(
        [("S", "431202", "stopped", False, None, None), ("K", "431202", "partial", True, 30000.0, None)],
        [("S", "K", "钢", 100, True)],
    )
    [row] = nominations(analyze(ledgers, settings=SETTINGS), ledgers).to_dict("records")
    assert (row["id"], row["exposure"], row["single_source_buyers"]) == ("S", 0.0, 1)
    assert row["reasons"] == "是 1 家重点企业/项目的唯一供应来源（占比≥80%）"


# Tie-breaking: two local suppliers P and Q; each case names who ranks first. The loser's id
# sorts first, so only the rule under test can put the winner ahead.
#   K1: key (tax 600), output o1; K2: key, output o2; O (Wuhan) buys non-critically.
def _pair(
    *, p_share: float, k1: float, q_share: float, k2: float, p_outside: int, q_outside: int
) -> LedgerTables:
    links: list[Link] = [("Q", "K1", "钢", p_share, True), ("P", "K2", "钢", q_share, True)]
    links += [("Q", f"O{i}", "包装", 10, False) for i in range(p_outside)]
    links += [("P", f"O{i}", "包装", 10, False) for i in range(q_outside)]
    firms: list[Firm] = [
        ("P", "431202", "normal", False, None, None),
        ("Q", "431202", "normal", False, None, None),
        ("K1", "431202", "normal", True, k1, 600.0),
        ("K2", "431202", "normal", True, k2, 600.0),
    ]
    firms += [(f"O{i}", "420106", "normal", True, 10.0, None) for i in range(max(p_outside, q_outside))]
    return _ledgers(firms, links)


@pytest.mark.parametrize(
    ("case", "ledgers", "first"),
    [
        # equal exposure 100: Q is K1's single source (100 %), P has half of K2 (200 · 0.5)
        ("single source", _pair(p_share=100, k1=100, q_share=50, k2=200, p_outside=0, q_outside=0), "Q"),
        # exposure and single sources equal (100, 1): Q sells to 2 outside buyers, P to 1
        ("outside buyers", _pair(p_share=100, k1=100, q_share=100, k2=100, p_outside=2, q_outside=1), "Q"),
        # everything equal: the smaller id
        ("id", _pair(p_share=100, k1=100, q_share=100, k2=100, p_outside=1, q_outside=1), "P"),
        # exposures 100 − 5e-7 and 100 are within RANK_TIE: a tie, the single source decides
        (
            "within tolerance",
            _pair(p_share=100, k1=100 - 5e-7, q_share=50, k2=200, p_outside=0, q_outside=0),
            "Q",
        ),
        # 100 − 2e-6 is beyond it: the larger exposure first
        (
            "beyond tolerance",
            _pair(p_share=100, k1=100 - 2e-6, q_share=50, k2=200, p_outside=0, q_outside=0),
            "P",
        ),
    ],
)
def test_tie_breaking(case: str, ledgers: LedgerTables, first: str) -> None:
    table = nominations(analyze(ledgers, settings=SETTINGS), ledgers)
    assert table["id"].tolist()[:2] == [first, "Q" if first == "P" else "P"], case


@st.composite
def located_graphs(draw: st.DrawFn) -> nx.MultiDiGraph:
    G = draw(supply_graphs())
    for v in G.nodes:
        G.nodes[v]["adcode"] = draw(st.sampled_from(["431202", "431228", "430100", "420106", ""]))
        if G.nodes[v].get("is_enterprise"):
            G.nodes[v]["tax"] = draw(st.sampled_from([0.0, 600.0]))
    return G


def _key(row: dict[str, Any]) -> tuple[int, int, str]:
    return (-row["single_source_buyers"], -row["outside_buyers"], row["id"])


@PROPERTY
@given(located_graphs())
def test_ranks_order_and_figures_on_random_graphs(G: nx.MultiDiGraph) -> None:
    analysis = analyze(from_networkx(G), settings=SETTINGS)
    table = nominations(analysis, LedgerTables())
    assert table["rank"].tolist() == list(range(1, len(table) + 1))
    assert table["id"].is_unique
    now = naive_value_at_risk(G, naive_availability(G))
    for row in table.to_dict("records"):
        assert G.nodes[row["id"]]["adcode"].startswith("4312")
        truth = naive_value_at_risk(G, naive_availability(G, {row["id"]: 0.0})) - now
        assert row["exposure"] == pytest.approx(truth if truth > RANK_TIE else 0.0, abs=1e-6)
        assert row["exposure"] > 0 or row["single_source_buyers"] > 0 or row["outside_buyers"] > 0
    rows = [{str(k): v for k, v in r.items()} for r in table.to_dict("records")]
    for before, after in itertools.pairwise(rows):
        assert after["exposure"] <= before["exposure"] + RANK_TIE
        if after["exposure"] == before["exposure"]:
            assert _key(before) < _key(after)
    # a home-city firm selling to a buyer outside the city is always nominated
    local = {str(v) for v in analysis.graph.ids[np.flatnonzero(analysis.regions["scope"] == "local")]}
    for s, b, _ in G.edges(keys=True):
        if s in local and G.nodes[b]["adcode"] in ("430100", "420106"):
            assert s in set(table["id"])
