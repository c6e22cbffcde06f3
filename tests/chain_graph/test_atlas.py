"""The chain atlas (产业链图谱) on hand-checked ledgers, and its properties on random ones."""

from __future__ import annotations

import json
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain_graph.atlas import (
    CELL_COLUMNS,
    DOWNSTREAM,
    MIDSTREAM,
    PROJECT_CHAIN,
    SCOPES,
    STATES,
    TIERS,
    UNCHAINED,
    UPSTREAM,
    Atlas,
    atlas,
    supply_distance,
)
from chain_graph.gaps import analyze
from chain_graph.model import LedgerTables
from ingest.loader import read_directory
from tests.defaults import SETTINGS
from tests.fuzzing import examples

HOME = SETTINGS.home_adcode

# Canonical data (tests/ledger_files.py), with the chains of the atlas:
#   S1 长沙 (stopped) ─钢材 60 %─▶ E1 鹤城区, 装备制造 (a = 0.4: starved)
#   S2 武汉 (normal)  ─钢材 40 %─▶ E1;  ─芯片 100 %─▶ E2 芷江, 食品加工 (partial 60 %)
#   E1               ─机电设备 100 %─▶ P1 鹤城区, project 基础设施 (a = 0.4: starved)
# 钢材 and 芯片 have no local supplier: gaps. 机电设备 comes from E1 (local): no gap.
# Chains (one key buyer each, by name): 装备制造, 食品加工, then 重点项目.
CANONICAL_CELLS: dict[tuple[str, str, str], dict[str, Any]] = {
    ("装备制造", MIDSTREAM, "钢材"): {
        "ids": ("S1", "S2"),
        "in_province": 1,
        "out_of_province": 1,
        "stopped": 1,
        "normal": 1,
        "blocked": 1,
        "gap": True,
    },
    ("装备制造", DOWNSTREAM, "重点企业"): {
        "ids": ("E1",),
        "local": 1,
        "starved": 1,
        "blocked": 0,
        "gap": False,
    },
    ("食品加工", MIDSTREAM, "芯片"): {"ids": ("S2",), "out_of_province": 1, "normal": 1, "gap": True},
    ("食品加工", DOWNSTREAM, "重点企业"): {"ids": ("E2",), "local": 1, "partial": 1, "gap": False},
    (PROJECT_CHAIN, UPSTREAM, "钢材"): {
        "ids": ("S1", "S2"),
        "in_province": 1,
        "out_of_province": 1,
        "stopped": 1,
        "normal": 1,
        "blocked": 1,
        "gap": True,
    },
    (PROJECT_CHAIN, MIDSTREAM, "机电设备"): {"ids": ("E1",), "local": 1, "starved": 1, "gap": False},
    (PROJECT_CHAIN, DOWNSTREAM, "基础设施"): {"ids": ("P1",), "local": 1, "starved": 1, "gap": False},
}


@pytest.fixture(scope="module")
def canonical_atlas(tmp_path_factory: pytest.TempPathFactory) -> Atlas:
    from tests.ledger_files import write_canonical

    directory = write_canonical(tmp_path_factory.mktemp("atlas"))
    ledgers = read_directory(directory, settings=SETTINGS).ledgers
    return atlas(analyze(ledgers, settings=SETTINGS), ledgers, home_adcode=HOME)


def test_chains_are_ordered_by_key_buyers_then_name_projects_last(canonical_atlas: Atlas) -> None:
    assert canonical_atlas.chains == ("装备制造", "食品加工", PROJECT_CHAIN)


def test_the_canonical_cells_and_nothing_else(canonical_atlas: Atlas) -> None:
    cells = canonical_atlas.cells
    assert list(cells.columns) == list(CELL_COLUMNS)
    assert set(zip(cells["chain"], cells["tier"], cells["name"], strict=True)) == set(CANONICAL_CELLS)


@pytest.mark.parametrize("key", sorted(CANONICAL_CELLS), ids="-".join)
def test_a_canonical_cell(canonical_atlas: Atlas, key: tuple[str, str, str]) -> None:
    cells = canonical_atlas.cells
    chain, tier, name = key
    row = cells[(cells["chain"] == chain) & (cells["tier"] == tier) & (cells["name"] == name)].iloc[0]
    expected = CANONICAL_CELLS[key]
    counts = {c: int(row[c]) for c in (*SCOPES, *STATES)}
    assert counts == {c: expected.get(c, 0) for c in (*SCOPES, *STATES)}  # unnamed counts are 0
    assert row["ids"] == expected["ids"]
    assert int(row["firms"]) == len(expected["ids"])
    assert int(row["blocked"]) == expected.get("blocked", 0)
    assert bool(row["gap"]) is expected["gap"]


def test_tiers_run_upstream_to_downstream_within_a_chain(canonical_atlas: Atlas) -> None:
    projects = canonical_atlas.cells[canonical_atlas.cells["chain"] == PROJECT_CHAIN]
    assert projects["tier"].tolist() == list(TIERS)


def test_a_county_counts_its_own_and_its_partners_only(canonical_atlas: Atlas) -> None:
    # 鹤城区 owns E1 and P1; S1 and S2 supply E1; E2 (芷江) is no partner of theirs.
    members = canonical_atlas.members
    seen = np.zeros(int(members["node"].max()) + 1, dtype=bool)
    for node, firm in zip(members["node"], members["id"], strict=True):
        seen[node] = firm in {"E1", "P1", "S1", "S2"}
    part = canonical_atlas.within(seen)
    assert "E2" not in {i for ids in part.cells["ids"] for i in ids}
    assert ("食品加工", DOWNSTREAM) not in set(zip(part.cells["chain"], part.cells["tier"], strict=True))
    # S2 still supplies 食品加工 its chips: the cell stays, with S2 alone.
    chips = part.cell("食品加工", MIDSTREAM, "芯片")
    assert chips["id"].tolist() == ["S2"]


def _ledgers(
    links: list[tuple[str, str, str, float | None]],
    *,
    extra: dict[str, str] | None = None,
    chains: dict[str, str] | None = None,
) -> LedgerTables:
    firms = sorted({s for s, *_ in links} | {b for _, b, *_ in links} | set(chains or {}))
    chains = chains or {}
    return LedgerTables.from_frames(
        firms=pd.DataFrame(
            {
                "id": firms,
                "adcode": ["431202"] * len(firms),
                "chain": [chains.get(f, "") for f in firms],
                "is_enterprise": [f in chains for f in firms],
                "status": ["normal"] * len(firms),
                "extra": [(extra or {}).get(f, "") for f in firms],
            }
        ),
        links=pd.DataFrame(
            {
                "supplier_id": [s for s, *_ in links],
                "buyer_id": [b for _, b, *_ in links],
                "material": [m for _, _, m, _ in links],
                "share": [50.0] * len(links),
                "critical": [True] * len(links),
                "annual_value": [v for *_, v in links],
            }
        ),
    )


@pytest.mark.parametrize(
    ("links", "segment"),
    [
        # the material with the larger purchase value
        ([("S", "E", "钢", 100.0), ("S", "E", "铝", 300.0)], "铝"),
        # equal values (unknown counts 0): the material with more links to the chain
        ([("S", "E", "钢", None), ("S", "F", "钢", None), ("S", "E", "铝", None)], "钢"),
        # a tie on both: the smaller identity
        ([("S", "E", "钢", 5.0), ("S", "E", "铝", 5.0)], "钢"),
        # only links one step closer count: S→T is S's link at its own tier, not towards E
        ([("S", "E", "钢", 1.0), ("S", "T", "煤", 99.0), ("T", "E", "电", 1.0)], "钢"),
    ],
)
def test_a_supplier_sits_in_the_segment_of_what_it_mostly_supplies_towards_the_chain(
    links: list[tuple[str, str, str, float | None]], segment: str
) -> None:
    ledgers = _ledgers(links, chains={"E": "装备", "F": "装备"})
    found = atlas(analyze(ledgers, settings=SETTINGS), ledgers, home_adcode=HOME)
    rows = found.members[(found.members["id"] == "S")]
    assert rows[["tier", "segment"]].values.tolist() == [[MIDSTREAM, segment]]


@pytest.mark.parametrize(
    ("extra", "chain", "segment"),
    [
        (json.dumps({"主要产品": "挖掘机"}, ensure_ascii=False), "装备", "挖掘机"),
        (json.dumps({"主营产品": " 铲车 "}, ensure_ascii=False), "装备", "铲车"),
        (json.dumps({"备注": "无"}, ensure_ascii=False), "装备", "重点企业"),
        ("", "", "重点企业"),
    ],
)
def test_a_key_enterprise_is_its_main_product_where_the_ledger_names_one(
    extra: str, chain: str, segment: str
) -> None:
    ledgers = _ledgers([("S", "E", "钢", None)], extra={"E": extra}, chains={"E": chain})
    found = atlas(analyze(ledgers, settings=SETTINGS), ledgers, home_adcode=HOME)
    assert found.chains == (chain or UNCHAINED,)
    downstream = found.cells[found.cells["tier"] == DOWNSTREAM]
    assert downstream[["name", "ids"]].values.tolist() == [[segment, ("E",)]]


def test_a_cycle_gives_each_node_its_shortest_tier() -> None:
    # S and T supply each other; S supplies E: S is 中游, T 上游, whatever the cycle.
    ledgers = _ledgers(
        [("S", "E", "钢", None), ("T", "S", "矿", None), ("S", "T", "钢", None)], chains={"E": "装备"}
    )
    found = atlas(analyze(ledgers, settings=SETTINGS), ledgers, home_adcode=HOME)
    tiers = dict(zip(found.members["id"], found.members["tier"], strict=True))
    assert tiers == {"S": MIDSTREAM, "T": UPSTREAM, "E": DOWNSTREAM}


def test_no_key_buyer_no_atlas() -> None:
    ledgers = _ledgers([("S", "T", "钢", None)])
    found = atlas(analyze(ledgers, settings=SETTINGS), ledgers, home_adcode=HOME)
    assert found.chains == ()
    assert found.cells.empty
    assert list(found.cells.columns) == list(CELL_COLUMNS)


# --- properties on random ledgers ---------------------------------------------------------

PROPERTY = settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
_ADCODES = ("431202", "431228", "430102", "420106", "")


@st.composite
def random_ledgers(draw: st.DrawFn) -> LedgerTables:
    n = draw(st.integers(2, 9))
    firms = [f"F{i}" for i in range(n)]
    projects = [f"P{i}" for i in range(draw(st.integers(0, 2)))]
    enterprise = [draw(st.booleans()) for _ in firms]
    pairs = st.tuples(
        st.sampled_from(firms), st.sampled_from(firms + projects), st.sampled_from(["钢", "铝", "煤"])
    )
    links = draw(st.lists(pairs, max_size=3 * n, unique=True).map(lambda ls: [x for x in ls if x[0] != x[1]]))
    return LedgerTables.from_frames(
        firms=pd.DataFrame(
            {
                "id": firms,
                "adcode": [draw(st.sampled_from(_ADCODES)) for _ in firms],
                "chain": [draw(st.sampled_from(["甲", "乙", ""])) for _ in firms],
                "is_enterprise": enterprise,
                "status": [draw(st.sampled_from(["normal", "partial", "stopped"])) for _ in firms],
            }
        ),
        projects=pd.DataFrame({"id": projects, "adcode": ["431202"] * len(projects)}),
        links=pd.DataFrame(
            {
                "supplier_id": [s for s, _, _ in links],
                "buyer_id": [b for _, b, _ in links],
                "material": [m for *_, m in links],
                "share": [draw(st.sampled_from([20.0, 50.0, 100.0])) for _ in links],
                "critical": [True] * len(links),
                "annual_value": [draw(st.sampled_from([None, 10.0, 40.0])) for _ in links],
            }
        ),
    )


def _naive_tiers(ledgers: LedgerTables, found: Atlas) -> dict[tuple[str, str], str]:
    """Each (chain, node)'s tier by networkx shortest paths from every key buyer, reversed."""
    G = nx.DiGraph()
    G.add_nodes_from([*ledgers.firms["id"], *ledgers.projects["id"]])
    G.add_edges_from(zip(ledgers.links["buyer_id"], ledgers.links["supplier_id"], strict=True))
    keys = found.members[found.members["tier"] == DOWNSTREAM]
    tiers: dict[tuple[str, str], str] = {}
    for chain, part in keys.groupby("chain"):
        G.add_node("*")
        G.add_edges_from(("*", k) for k in part["id"])
        for node, d in nx.single_source_shortest_path_length(G, "*").items():
            if node != "*":
                tiers[(str(chain), str(node))] = (UPSTREAM, MIDSTREAM, DOWNSTREAM)[::-1][min(d - 1, 2)]
        G.remove_node("*")
    return tiers


@PROPERTY
@given(random_ledgers())
def test_every_node_upstream_of_a_chain_is_in_one_cell_of_its_tier(ledgers: LedgerTables) -> None:
    found = atlas(analyze(ledgers, settings=SETTINGS), ledgers, home_adcode=HOME)
    members = found.members
    # exactly one cell per (chain, node): one tier, one segment
    assert not members.duplicated(["chain", "id"]).any()
    assert dict(zip(zip(members["chain"], members["id"], strict=True), members["tier"], strict=True)) == (
        _naive_tiers(ledgers, found)
    )
    # every supplier of a key buyer is 中游 of the buyer's chain, unless a key buyer of it itself
    keys = members[members["tier"] == DOWNSTREAM]
    key_chain = dict(zip(keys["id"], keys["chain"], strict=True))
    for supplier, buyer in zip(ledgers.links["supplier_id"], ledgers.links["buyer_id"], strict=True):
        if buyer in key_chain:
            chain = key_chain[buyer]
            row = members[(members["chain"] == chain) & (members["id"] == supplier)]
            assert row["tier"].tolist() == ([DOWNSTREAM] if key_chain.get(supplier) == chain else [MIDSTREAM])


@PROPERTY
@given(random_ledgers())
def test_counts_add_up(ledgers: LedgerTables) -> None:
    found = atlas(analyze(ledgers, settings=SETTINGS), ledgers, home_adcode=HOME)
    cells = found.cells
    firms = cells["firms"].to_numpy()
    assert (cells[list(SCOPES)].sum(axis=1).to_numpy() == firms).all()
    assert (cells[list(STATES)].sum(axis=1).to_numpy() == firms).all()
    assert (cells["ids"].map(len).to_numpy() == firms).all()
    assert (cells["blocked"].to_numpy() <= firms).all()
    per_tier = found.members.groupby(["chain", "tier"])["id"].nunique()
    assert cells.groupby(["chain", "tier"])["firms"].sum().to_dict() == per_tier.to_dict()
    assert not cells.loc[cells["tier"] == DOWNSTREAM, "gap"].any()
    # a county's part counts a subset, and adds up the same way
    half = np.arange(len(ledgers.firms) + len(ledgers.projects)) % 2 == 0
    part = found.within(half)
    assert (part.cells[list(SCOPES)].sum(axis=1).to_numpy() == part.cells["firms"].to_numpy()).all()
    assert set(part.members["id"]) <= set(found.members["id"])


def test_supply_distance_on_an_empty_target_is_nowhere() -> None:
    ledgers = _ledgers([("S", "T", "钢", None)])
    graph = analyze(ledgers, settings=SETTINGS).graph
    assert supply_distance(graph, np.zeros(graph.n, dtype=bool)).tolist() == [-1, -1]
