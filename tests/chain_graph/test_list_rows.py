"""The coordination and local lists' rows: per-buyer figures, the supplier's 合计, 优先级 1…n.

The canonical ledgers, with S1 (长沙, stopped) and S2 made a stopped supplier, and S2's
chips made critical. By hand: E1 (output 30000) takes steel 60 % from S1 and 40 % from
S2, so it stands at 0, and P1 (plan 20000, all its equipment from E1) with it; E2
(output 5000, own capacity 60 %) takes all its chips from S2, so it stands at 0.

- Restoring S1 alone: E1 → 0.6 and P1 → 0.6. Its one row (buyer E1) gets E1's
  0.6 · 30000 = 18000; its 合计 is 18000 + 0.6 · 20000 = 30000 (P1 is a tier further).
- Restoring S2 alone: E1 → 0.4 (12000) and E2 → 0.6 (3000); P1 → 0.4 (8000, a tier
  further). Its rows: 12000 and 3000, summing to what its buyers gain; 合计 23000.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chain_graph.gaps import analyze
from chain_graph.list_rows import coordination_rows, local_rows
from chain_graph.model import LedgerTables
from ingest.loader import read_directory
from tests.defaults import SETTINGS

HOME_COUNTY = "431221"  # 中方县, in the home city 怀化
OTHER_COUNTY = "431202"  # 鹤城区
CHANGSHA = "430111"
GUANGZHOU = "440106"


def _ledgers(canonical_dir: Path, *, s1: str, s2: str) -> LedgerTables:
    base = read_directory(canonical_dir, settings=SETTINGS).ledgers
    firms = base.firms.copy()
    firms.loc[firms["id"] == "S1", "adcode"] = s1
    firms.loc[firms["id"] == "S2", ["adcode", "status"]] = [s2, "stopped"]
    links = base.links.copy()
    links.loc[(links["supplier_id"] == "S2") & (links["buyer_id"] == "E2"), "critical"] = True
    return LedgerTables(firms=firms, projects=base.projects, links=links, problems=base.problems)


def _rows(canonical_dir: Path, *, s1: str, s2: str, local: bool) -> pd.DataFrame:
    ledgers = _ledgers(canonical_dir, s1=s1, s2=s2)
    analysis = analyze(ledgers, settings=SETTINGS)
    return (local_rows if local else coordination_rows)(analysis, ledgers)


def _figures(rows: pd.DataFrame) -> list[tuple[str, str, float, float, float, int]]:
    columns = ["supplier_id", "buyer_id", "output", "investment", "total", "priority"]
    return [
        (s, b, round(o, 6), round(i, 6), round(t, 6), int(p)) for s, b, o, i, t, p in rows[columns].to_numpy()
    ]


def test_each_row_holds_what_its_buyer_regains(canonical_dir: Path) -> None:
    rows = _rows(canonical_dir, s1=CHANGSHA, s2=GUANGZHOU, local=False)
    assert _figures(rows) == [
        ("S1", "E1", 18000.0, 0.0, 30000.0, 1),
        ("S2", "E1", 12000.0, 0.0, 23000.0, 2),
        ("S2", "E2", 3000.0, 0.0, 23000.0, 2),
    ]
    s2 = rows[rows["supplier_id"] == "S2"]
    assert s2["output"].sum() == pytest.approx(12000 + 3000)  # E1's and E2's gains, once each
    assert s2["total"].iloc[0] > s2["output"].sum() + s2["investment"].sum()  # P1, a tier further


def test_priority_is_the_place_in_the_list_without_gaps(canonical_dir: Path) -> None:
    # S1 (rank 1 of all blocked suppliers) is local: S2, rank 2, is first in the coordination list.
    rows = _rows(canonical_dir, s1=OTHER_COUNTY, s2=GUANGZHOU, local=False)
    assert _figures(rows) == [("S2", "E1", 12000.0, 0.0, 23000.0, 1), ("S2", "E2", 3000.0, 0.0, 23000.0, 1)]


@pytest.mark.parametrize(
    ("s1", "expected"),
    [
        # Both local in one county: S1 first, S2 second.
        (HOME_COUNTY, [("S1", 1), ("S2", 2), ("S2", 2)]),
        # In different counties: each is first in its own county's list.
        (OTHER_COUNTY, [("S1", 1), ("S2", 1), ("S2", 1)]),
        # S1 outside the city: S2 is the local list's first.
        (CHANGSHA, [("S2", 1), ("S2", 1)]),
    ],
)
def test_local_priority_counts_within_the_county(
    canonical_dir: Path, s1: str, expected: list[tuple[str, int]]
) -> None:
    rows = _rows(canonical_dir, s1=s1, s2=HOME_COUNTY, local=True)
    assert list(zip(rows["supplier_id"], rows["priority"], strict=True)) == expected
    s2 = rows[rows["supplier_id"] == "S2"]
    assert s2["output"].tolist() == pytest.approx([12000.0, 3000.0])
    assert s2["total"].tolist() == pytest.approx([23000.0, 23000.0])


def test_a_buyer_with_two_materials_from_one_supplier_counts_once(canonical_dir: Path) -> None:
    ledgers = _ledgers(canonical_dir, s1=CHANGSHA, s2=GUANGZHOU)
    second = pd.DataFrame(
        [{"supplier_id": "S2", "buyer_id": "E2", "material": "芯片封装", "share": 100.0, "critical": True}]
    )
    links = pd.concat([ledgers.links, second.astype({"share": float})], ignore_index=True)
    ledgers = LedgerTables(
        firms=ledgers.firms, projects=ledgers.projects, links=links, problems=ledgers.problems
    )
    rows = coordination_rows(analyze(ledgers, settings=SETTINGS), ledgers)
    s2 = rows[rows["supplier_id"] == "S2"]
    assert list(zip(s2["material"], s2["output"].round(6), strict=True)) == [
        ("钢材", 12000.0),
        ("芯片", 3000.0),
        ("芯片封装", 0.0),
    ]


def test_no_negative_zero(canonical_dir: Path) -> None:
    rows = _rows(canonical_dir, s1=CHANGSHA, s2=GUANGZHOU, local=False)
    assert all(str(v) != "-0.0" for v in [*rows["output"], *rows["investment"], *rows["total"]])
