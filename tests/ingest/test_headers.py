from __future__ import annotations

import pytest

from ingest.headers import find_header_row, map_headers, normalize_header
from ingest.schema import TABLES, table_for_name


@pytest.mark.parametrize("header", ["年产值(万元)", "年产值（万元）", "年产值", " 年产值 ", "年产值[万元]"])
def test_unit_suffix_and_width_do_not_matter(header: str) -> None:
    assert map_headers(TABLES["enterprises"], [header]) == {0: "output_value"}


def test_english_and_chinese_headers_map_to_the_same_columns() -> None:
    chinese = ["供应商编号", "需求方编号", "配套产品", "供应占比", "是否关键", "库存可用天数"]
    english = ["supplier_id", "buyer_id", "material", "share", "critical", "stock_days"]
    spec = TABLES["links"]
    assert list(map_headers(spec, chinese).values()) == list(map_headers(spec, english).values())


def test_header_row_found_below_title_rows() -> None:
    rows = [
        ["怀化市重点企业上游供应商复工需求清单"],
        [""],
        ["填报单位：市工信局"],
        ["企业编号", "企业名称", "地址"],
        ["E1", "甲", "鹤城区"],
    ]
    assert find_header_row(TABLES["enterprises"], rows) == 3


def test_no_header_within_ten_rows() -> None:
    rows = [["标题"]] * 10 + [["企业编号", "企业名称"]]
    assert find_header_row(TABLES["enterprises"], rows) is None


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("重点企业", "enterprises"),
        ("重点规模企业", "enterprises"),
        ("enterprises", "enterprises"),
        ("重点建设项目", "projects"),
        ("上游供应商", "suppliers"),
        ("配套关系", "links"),
        ("问题清单", "problems"),
        ("Sheet1", None),
    ],
)
def test_table_names(name: str, table: str | None) -> None:
    assert table_for_name(name) == table


def test_normalize_header_drops_markers() -> None:
    assert normalize_header("*企业名称") == normalize_header("企业名称")
