"""The supply use cases on the canonical ledgers: hand-computed rates, the gap list, substitutes.

The canonical ledgers: E1 (鹤城区, 装备制造) buys 钢材 from S1 (长沙, stopped; 60 %, 1200.5 万元)
and S2 (武汉; 40 %, no value); E2 (芷江, 食品加工) buys 芯片 from S2 (300 万元); P1 (鹤城区)
buys 机电设备 from E1 (local, 450 万元). Here S4, a 钢材 maker of 芷江, also supplies E2: a
substitute for S1 that 鹤城区 may not see (it is neither its own nor a partner).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from application import supply
from application.scenarios import check_scenario, resolve_firms, what_if
from application.visibility import Visibility
from application.workspace import Snapshot
from chain_graph.errors import ConfigError, NotFoundError
from chain_graph.scenarios import Scenario
from ingest.loader import read_directory
from tests.defaults import SETTINGS
from tests.ledger_files import CANONICAL, LINKS, SUPPLIERS, write_canonical

HECHENG, ZHIJIANG = "431202", "431228"


@pytest.fixture
def snap(tmp_path: Path) -> Snapshot:
    suppliers: list[list[object]] = [
        *SUPPLIERS,
        ["S4", "芷江庚钢铁厂", "芷江侗族自治县工业园", "431228", "normal", "", "", ""],
    ]
    links: list[list[object]] = [*LINKS, ["S4", "E2", "钢材", "50", "yes", "", "100", ""]]
    directory = write_canonical(tmp_path / "data", {**CANONICAL, "suppliers": suppliers, "links": links})
    ledgers = read_directory(directory, settings=SETTINGS).ledgers
    return Snapshot(version=1, ledgers=ledgers, settings=SETTINGS)


def test_the_citys_local_supply(snap: Snapshot) -> None:
    figures = supply.local_supply(snap, Visibility.whole_city())
    city = figures["headline"]
    assert figures["area"] == "全市"
    # 1200.5 (S1→E1, 长沙) + 300 (S2→E2, 湖北) + 100 (S4→E2, local) + 450 (E1→P1, local)
    assert city["value_total"] == pytest.approx(2050.5)
    assert city["local_rate_value"] == pytest.approx(550 / 2050.5)
    assert city["out_of_province_rate_value"] == pytest.approx(300 / 2050.5)
    assert city["value_coverage"] == pytest.approx(4 / 5)  # S2→E1 carries no value
    # groups (E1, 钢材), (E2, 芯片), (E2, 钢材), (P1, 机电设备): two with a local supplier
    assert (city["local_groups"], city["material_groups"]) == (2, 4)
    assert [c["chain"] for c in figures["chains"]] == ["装备制造", "食品加工"]
    assert [c["county"] for c in figures["counties"]] == [HECHENG, ZHIJIANG]


def test_a_county_sees_its_own_row_chains_and_enterprises(snap: Snapshot) -> None:
    vis = Visibility.of_county(HECHENG)
    figures = supply.local_supply(snap, vis)
    assert figures["area"] == "鹤城区"
    assert [c["county"] for c in figures["counties"]] == [HECHENG]
    # E1 and P1: 1200.5 + 450 with a value, 450 local; (E1, 钢材) and (P1, 机电设备)
    assert figures["headline"]["local_rate_value"] == pytest.approx(450 / 1650.5)
    assert figures["headline"]["local_rate_groups"] == pytest.approx(0.5)
    # its chains are over its own enterprises: E1 alone (装备制造), all from 长沙 by value
    [chain] = figures["chains"]
    figures_of_chain = (chain["chain"], chain["in_province_rate_value"], chain["value_coverage"])
    assert figures_of_chain == ("装备制造", 1.0, 0.5)
    table = supply.local_enterprises(snap, vis)
    assert table["id"].tolist() == ["E1", "P1"]  # lowest local rate first
    assert supply.local_enterprises(snap, Visibility.whole_city(), county=ZHIJIANG)["id"].tolist() == ["E2"]


def test_the_gap_list_and_its_chart(snap: Snapshot) -> None:
    gaps = supply.gap_list(snap)
    # 钢材: 1200.5 from 长沙 of 1200.5 + 100 (E2's local S4): 7.7 % local; 芯片: none local
    assert gaps["material"].tolist() == ["钢材", "芯片"]
    assert gaps["value_outside"].tolist() == pytest.approx([1200.5, 300.0])
    assert gaps.loc[0, "local_share"] == pytest.approx(100 / 1300.5)
    assert gaps.loc[0, "chains"] == ["装备制造"]  # the catalogue's chain of 钢材 (7208)
    assert supply.gap_chart(snap) == [
        {"chain": "装备制造", "material": "钢材", "value": 1200.5},
        {"chain": "食品加工", "material": "芯片", "value": 300.0},
    ]
    assert supply.gap_chart(snap, per_chain=0) == []


def test_substitutes_for_the_city(snap: Snapshot) -> None:
    found = supply.substitutes(snap, Visibility.whole_city(), "S1")
    assert found["supplier"] == {"id": "S1", "name": "长沙丙钢材有限公司", "scope": "in_province"}
    [link] = found["links"]
    assert (link["buyer_id"], link["material"], link["share"]) == ("E1", "钢材", 60.0)
    # S4 (local) before S2 (outside the province); either at full availability takes S1's
    # whole 60 %, as restoring S1 would: E1 0 → 0.6 (18000) and P1 a tier down (12000).
    assert [(c["rank"], c["id"], c["scope"]) for c in link["candidates"]] == [
        (1, "S4", "local"),
        (2, "S2", "out_of_province"),
    ]
    assert [c["gain"] for c in link["candidates"]] == pytest.approx([30000.0, 30000.0])
    assert link["candidates"][0]["gain_output"] == pytest.approx(18000.0)


def test_a_county_sees_only_candidates_it_may_see_ranked_among_themselves(snap: Snapshot) -> None:
    found = supply.substitutes(snap, Visibility.of_county(HECHENG), "S1")  # S1: a partner of E1
    [link] = found["links"]
    assert [(c["rank"], c["id"]) for c in link["candidates"]] == [(1, "S2")]  # not 芷江's S4


def test_a_county_may_not_ask_about_a_firm_beyond_its_partners(snap: Snapshot) -> None:
    with pytest.raises(NotFoundError, match="没有编号为 S1 的企业"):
        supply.substitutes(snap, Visibility.of_county(ZHIJIANG), "S1")
    with pytest.raises(NotFoundError):
        supply.substitutes(snap, Visibility.whole_city(), "P1")  # a project supplies nothing


def test_a_supplier_that_is_not_blocked_has_no_candidates(snap: Snapshot) -> None:
    assert supply.substitutes(snap, Visibility.whole_city(), "S2")["blocked"] is False


def test_the_substitute_rows_of_a_list(snap: Snapshot) -> None:
    rows = supply.substitute_rows(snap, Visibility.whole_city(), snap.coordination)
    assert rows[["no", "supplier", "buyer", "rank", "candidate", "scope"]].values.tolist() == [
        [1, "长沙丙钢材有限公司", "怀化甲机械有限公司", 1, "芷江庚钢铁厂", "local"],
        [1, "长沙丙钢材有限公司", "怀化甲机械有限公司", 2, "武汉丁电子有限公司", "out_of_province"],
    ]


MOVE = {"buyer": "E1", "material": "钢材", "from": "S1", "to": "S2"}


def test_a_what_if_moves_a_link_to_a_substitute(snap: Snapshot) -> None:
    result = what_if(snap, Visibility.of_county(HECHENG), Scenario(substitute=[MOVE]))
    assert result["delta"]["value_at_risk"] == pytest.approx(-30000.0)
    assert result["scenario"]["substitute"] == [MOVE]


@pytest.mark.parametrize(
    ("county", "move", "error"),
    [
        (ZHIJIANG, MOVE, NotFoundError),  # E1, S1 and S2 are none of 芷江's
        (HECHENG, {**MOVE, "to": "S4"}, NotFoundError),  # S4 is 芷江's, no partner of 鹤城区
        (HECHENG, {"buyer": "E2", "material": "芯片", "from": "S2", "to": "S1"}, NotFoundError),
    ],
)
def test_a_county_names_only_links_and_firms_it_may_see(
    snap: Snapshot, county: str, move: dict[str, str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        check_scenario(snap, Visibility.of_county(county), Scenario(substitute=[move]))


def test_a_link_between_two_partners_is_refused_as_one_that_does_not_exist(snap: Snapshot) -> None:
    # S1 and S2 are both partners of 鹤城区; a link from one to the other is none of its own.
    move = {"buyer": "S2", "material": "钢材", "from": "S1", "to": "S2"}
    with pytest.raises(ConfigError, match="并不向 S2 供应"):
        check_scenario(snap, Visibility.of_county(HECHENG), Scenario(substitute=[move]))


def test_a_substitute_firm_may_be_named_by_name_when_a_partner(snap: Snapshot) -> None:
    vis = Visibility.of_county(HECHENG)
    assert resolve_firms(snap, vis, "武汉丁电子有限公司", partners=True) == ["S2"]
    with pytest.raises(NotFoundError):
        resolve_firms(snap, vis, "武汉丁电子有限公司")  # to stop or restore: own firms only


def test_a_countys_impact_map_shows_only_the_candidates_it_may_see(tmp_path: Path) -> None:
    import json
    import re

    from application.maps import impact_map

    # S1 moves to 鹤城区 (an own supplier); its candidates: S4 (芷江's) and S2 (a partner of E1)
    suppliers: list[list[object]] = [
        SUPPLIERS[0],
        ["S1", "鹤城丙钢材有限公司", "", "431202", "stopped", "", "20", "停电"],
        *SUPPLIERS[2:],
        ["S4", "芷江庚钢铁厂", "芷江侗族自治县工业园", "431228", "normal", "", "", ""],
    ]
    links: list[list[object]] = [*LINKS, ["S4", "E2", "钢材", "50", "yes", "", "100", ""]]
    directory = write_canonical(tmp_path / "own", {**CANONICAL, "suppliers": suppliers, "links": links})
    snap = Snapshot(
        version=1, ledgers=read_directory(directory, settings=SETTINGS).ledgers, settings=SETTINGS
    )

    def substitute_edges(vis: Visibility) -> list[tuple[str, str]]:
        html = impact_map(snap, vis, "S1").html
        found = re.search(r'<script id="map-data" type="application/json">(.*?)</script>', html, re.S)
        assert found
        edges = json.loads(found.group(1))["edges"]
        return sorted((e["from"], e["to"]) for e in edges if e.get("dashes") == [10, 6])

    assert substitute_edges(Visibility.whole_city()) == [("S2", "E1"), ("S4", "E1")]
    assert substitute_edges(Visibility.of_county(HECHENG)) == [("S2", "E1")]
