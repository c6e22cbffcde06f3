"""Consolidating cities' requests for the province, and matching incoming requests to our firms.

Expectations are computed by hand from the small tables below.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from chain_graph.consolidation import CONSOLIDATED_COLUMNS, consolidate, consolidated_ranking
from chain_graph.incoming import match_own_suppliers

NAN = math.nan


def _rows(
    source: str, rows: list[tuple[str, str, str, str, str, float, float, float, float, float]]
) -> pd.DataFrame:
    """Rows as read back from a city's workbook: (supplier, place, adcode, buyer, material,
    output, investment, total, stock_days, recovery_days)."""
    columns = [
        "supplier",
        "supplier_place",
        "supplier_adcode",
        "buyer",
        "material",
        "output",
        "investment",
        "total",
        "stock_days",
        "recovery_days",
    ]
    return pd.DataFrame(rows, columns=columns).assign(source=source)


@pytest.fixture
def requests() -> list[pd.DataFrame]:
    huaihua = _rows(
        "怀化市",
        [
            (
                "长沙甲钢铁有限公司",
                "湖南省 长沙市 望城区",
                "430112",
                "怀化机械厂",
                "钢材",
                100,
                0,
                200,
                10,
                20,
            ),
            (
                "长沙甲钢铁有限公司",
                "湖南省 长沙市 望城区",
                "430112",
                "怀化大桥项目",
                "钢 材",
                0,
                50,
                200,
                5,
                20,
            ),
            ("ABC电子有限公司", "湖南省 长沙市 开福区", "430105", "怀化电机厂", "芯片", 10, 0, 240, NAN, 30),
            ("武汉乙电子有限公司", "湖北省 武汉市", "420100", "怀化电机厂", "芯片", 70, 0, 90, NAN, 30),
        ],
    )
    shaoyang = _rows(
        "邵阳市",
        [
            # the same suppliers spelt with a space and in full width
            ("长沙甲钢铁 有限公司", "湖南省 长沙市 望城区", "430112", "邵阳机械厂", "钢材", 30, 0, 40, 8, 25),
            ("ＡＢＣ电子有限公司", "湖南省 长沙市 开福区", "430105", "邵阳电机厂", "芯片", 5, 0, 10, 3, 10),
        ],
    )
    zhuzhou = _rows(
        "株洲市",
        [("衡阳丙化工有限公司", "湖南省 衡阳市 珠晖区", "430405", "株洲化肥厂", "硫酸", 250, 0, 250, 7, 12)],
    )
    return [zhuzhou, huaihua, shaoyang]


def test_the_same_supplier_from_two_cities_is_one_row(requests: list[pd.DataFrame]) -> None:
    table = consolidate(requests).set_index("supplier")
    steel = table.loc["长沙甲钢铁有限公司"]
    assert steel["requesters"] == "怀化市、邵阳市"
    assert steel["requester_count"] == 2
    # Each city's 合计 once (200 from 怀化 on both its rows, 40 from 邵阳): 240, not 440.
    assert steel["total"] == 240.0
    assert (steel["output"], steel["investment"]) == (130.0, 50.0)
    assert steel["buyers"] == "、".join(sorted(["怀化机械厂", "怀化大桥项目", "邵阳机械厂"]))
    assert steel["materials"] == "钢材"  # 钢 材 is the same material
    assert (steel["stock_days"], steel["recovery_days"]) == (5.0, 25.0)
    assert (steel["target_province"], steel["target_city"]) == ("湖南省", "长沙市")
    assert (steel["province_adcode"], steel["city_adcode"]) == ("430000", "430100")
    # Full-width ＡＢＣ is ABC: one supplier, named as first written.
    abc = table.loc["ABC电子有限公司"]
    assert (abc["total"], abc["output"], abc["requesters"]) == (250.0, 15.0, "怀化市、邵阳市")
    assert (abc["stock_days"], abc["recovery_days"]) == (3.0, 30.0)  # a missing figure is skipped
    assert len(table) == 4


def test_order_by_target_province_and_city_then_value(requests: list[pd.DataFrame]) -> None:
    table = consolidate(requests)
    assert list(table.columns) == CONSOLIDATED_COLUMNS
    # 湖北省 (42) before 湖南省 (43); in 湖南, 长沙市 (4301) before 衡阳市 (4304); ranks by value.
    assert table[["supplier", "rank"]].values.tolist() == [
        ["武汉乙电子有限公司", 4],
        ["ABC电子有限公司", 1],
        ["长沙甲钢铁有限公司", 3],
        ["衡阳丙化工有限公司", 2],
    ]


def test_ranking_by_value_ties_by_name(requests: list[pd.DataFrame]) -> None:
    ranking = consolidated_ranking(consolidate(requests))
    # ABC and 衡阳丙 both hold 250: the name decides (A before 衡).
    assert ranking["supplier"].tolist() == [
        "ABC电子有限公司",
        "衡阳丙化工有限公司",
        "长沙甲钢铁有限公司",
        "武汉乙电子有限公司",
    ]
    assert ranking["total"].tolist() == [250.0, 250.0, 240.0, 90.0]
    assert ranking["rank"].tolist() == [1, 2, 3, 4]


def test_a_place_without_code_comes_last_and_merges_by_place_as_written() -> None:
    unknown = ("某地丁厂", "某省 某市", "", "怀化电机厂", "电机", 1, 0, 999, NAN, NAN)
    table = consolidate(
        [
            _rows(
                "怀化市",
                [unknown, ("武汉乙电子有限公司", "湖北省 武汉市", "420100", "b", "芯片", 1, 0, 5, 1, 1)],
            ),
            _rows("邵阳市", [unknown]),
        ]
    )
    assert table["supplier"].tolist() == ["武汉乙电子有限公司", "某地丁厂"]
    last = table.iloc[1]
    assert (last["rank"], last["total"], last["requesters"]) == (1, 1998.0, "怀化市、邵阳市")
    assert (last["target_province"], last["target_city"], last["province_adcode"]) == ("某省", "某市", "")
    assert math.isnan(last["stock_days"])


def test_two_places_are_two_suppliers() -> None:
    table = consolidate(
        [
            _rows("怀化市", [("甲厂", "湖南省 长沙市 望城区", "430112", "b", "m", 1, 0, 5, 1, 1)]),
            _rows("邵阳市", [("甲厂", "湖南省 长沙市 雨花区", "430111", "b", "m", 1, 0, 7, 1, 1)]),
        ]
    )
    assert table["supplier_adcode"].tolist() == ["430111", "430112"]


def test_nothing_to_consolidate() -> None:
    empty = consolidate([])
    assert empty.empty
    assert list(empty.columns) == CONSOLIDATED_COLUMNS


def test_rows_without_the_needed_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="total"):
        consolidate([pd.DataFrame({"source": ["x"], "supplier": ["y"]})])


# --- incoming requests: our own suppliers --------------------------------------------------

HOME = "431200"  # 怀化市


@pytest.fixture
def firms() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["S1", "S2", "S3", "S4", "S5"],
            "name": [
                "怀化甲钢铁有限公司",
                "怀化乙电子有限公司",
                "怀化乙电子有限公司",
                "长沙丙厂",
                "怀化丁厂",
            ],
            "adcode": ["431202", "431202", "431221", "430111", "431281"],
        }
    )


@pytest.mark.parametrize(
    ("supplier", "adcode", "supplier_id", "reason"),
    [
        ("怀化甲钢铁有限公司", "431202", "S1", ""),
        ("怀化甲钢铁 有限公司", "431221", "S1", ""),  # the name decides; its county is not needed
        ("怀化乙电子有限公司", "431221", "S3", ""),  # two of that name: the county tells them apart
        ("怀化乙电子有限公司", "431200", "", "本市有 2 家名为“怀化乙电子有限公司”的企业"),
        ("怀化戊厂", "431202", "", "本市台账中没有名为“怀化戊厂”的企业"),
        ("长沙丙厂", "431202", "", "不在本市（台账所在地：雨花区）"),
        ("怀化丁厂", "", "S5", ""),  # place not recognised: may be ours, and is
        ("某某厂", "", "", "可能不是本市企业"),
    ],
)
def test_match_own_suppliers(
    firms: pd.DataFrame, supplier: str, adcode: str, supplier_id: str, reason: str
) -> None:
    rows = pd.DataFrame({"supplier": [supplier], "supplier_adcode": [adcode], "buyer": ["邵阳机械厂"]})
    matched = match_own_suppliers(rows, firms, home_adcode=HOME)
    assert len(matched) == 1  # never dropped
    assert matched["supplier_id"].iat[0] == supplier_id
    found = str(matched["unmatched_reason"].iat[0])
    assert reason in found
    assert bool(found) is not bool(supplier_id)  # a reason exactly when there is no match
    assert matched["buyer"].iat[0] == "邵阳机械厂"


@pytest.mark.parametrize("adcode", ["430111", "420100", "420000"])
def test_suppliers_of_other_places_are_not_ours(firms: pd.DataFrame, adcode: str) -> None:
    rows = pd.DataFrame({"supplier": ["怀化甲钢铁有限公司"], "supplier_adcode": [adcode]})
    assert match_own_suppliers(rows, firms, home_adcode=HOME).empty
