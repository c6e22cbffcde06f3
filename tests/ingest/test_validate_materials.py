"""Validating the supply spec's columns and catalogue: 年采购额, 物料编码 and 物料目录.

Every case starts from the canonical ledgers (``tests/ledger_files.py``): E1 buys 钢材 from
S1 (60 %) and S2 (40 %); S2 sells 芯片 to E2 (100 %); E1 sells 机电设备 to P1 (100 %, code
8479). The catalogue has 7208 钢材 (aliases 钢板；热轧钢板) and M-02 轴承. Headers below are
written in Chinese, as officials write them, so that each issue's column is checked as shown.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chain_graph.errors import IssueCode
from ingest.loader import read_directory
from ingest.validate import Validation
from tests.defaults import SETTINGS
from tests.ledger_files import CANONICAL, write_canonical, write_csv

LINK_HEADER = ["供应商编号", "需求方编号", "物料", "供应占比", "年采购额", "物料编码"]
MATERIAL_HEADER = ["物料编码", "物料名称", "别名", "所属产业链"]
CATALOGUE = [["7208", "钢材", "钢板；热轧钢板", "装备制造"], ["M-02", "轴承", "", ""]]
ONE_LINK = [["S1", "E1", "钢材", "60", "", ""]]


def _read(
    tmp_path: Path, links: list[list[str]], materials: list[list[str]] | None = CATALOGUE
) -> Validation:
    """Read the canonical ledgers with these links (and catalogue; ``None``: no catalogue file)."""
    tables = {name: rows for name, rows in CANONICAL.items() if name not in {"links", "materials"}}
    directory = write_canonical(tmp_path / "d", tables)
    write_csv(directory / "供应关系.csv", [LINK_HEADER, *links])
    if materials is not None:
        write_csv(directory / "物料目录.csv", [MATERIAL_HEADER, *materials])
    return read_directory(directory, settings=SETTINGS)


def _located(validation: Validation) -> list[tuple[IssueCode, str, int, str, str]]:
    return [(i.code, i.file, i.row, i.column, i.value) for i in validation.issues]


# --- the catalogue (物料目录) --------------------------------------------------------------


def test_the_catalogue_is_read_with_its_codes_names_aliases_and_chains(tmp_path: Path) -> None:
    validation = _read(tmp_path, [["S1", "E1", "钢材", "60", "", ""]])
    assert validation.ok, validation.issues
    materials = validation.ledgers.materials
    assert materials[["code", "name", "aliases", "chain"]].to_numpy().tolist() == CATALOGUE


@pytest.mark.parametrize(
    "twin",
    ["７２０８", "72 08", "７２\u3000０８"],
    ids=["full-width", "a space inside", "full-width with an ideographic space"],
)
def test_a_catalogue_code_given_twice_in_any_form_is_reported_on_both_rows(tmp_path: Path, twin: str) -> None:
    validation = _read(tmp_path, ONE_LINK, [*CATALOGUE, [twin, "钢", "", ""]])
    code = IssueCode.MATERIAL_CODE_DUPLICATE
    assert _located(validation) == [
        (code, "物料目录.csv", 2, "物料编码", "7208"),
        (code, "物料目录.csv", 4, "物料编码", twin),
    ]
    assert "第 2、4 行" in validation.issues[0].message
    assert "同一编码" in validation.issues[0].message  # says why 7208 and its twin are one
    assert validation.ledgers.materials["code"].tolist() == ["M-02"]  # both rows rejected


def test_a_code_in_another_case_is_the_same_code(tmp_path: Path) -> None:
    validation = _read(tmp_path, ONE_LINK, [["m-02", "轴承", "", ""], ["M-02", "轴承", "", ""]])
    assert [i.code for i in validation.issues] == [IssueCode.MATERIAL_CODE_DUPLICATE] * 2


def test_an_alias_given_to_a_second_code_is_reported_at_the_second_entry(tmp_path: Path) -> None:
    catalogue = [*CATALOGUE, ["M-03", "板材", "铁板、 热轧 钢板", ""]]  # 热轧钢板 is 7208's, spaced
    validation = _read(tmp_path, ONE_LINK, catalogue)
    assert _located(validation) == [
        (IssueCode.MATERIAL_NAME_CONFLICT, "物料目录.csv", 4, "别名", "热轧 钢板"),
    ]
    message = validation.issues[0].message
    assert "第 2 行" in message
    assert "“7208”" in message
    assert "“M-03”" in message
    assert validation.ledgers.materials["code"].tolist() == ["7208", "M-02"]


@pytest.mark.parametrize(
    ("later", "row", "value"),
    [
        pytest.param(["M-04", "热轧钢板", "", ""], 4, "热轧钢板", id="an earlier entry's alias"),
        pytest.param(
            ["M-04", "ＧＡＮＧ板", "", ""], 5, "gang板", id="an earlier name, in another width and case"
        ),
    ],
)
def test_a_name_given_to_a_second_code_is_reported_in_the_name_column(
    tmp_path: Path, later: list[str], row: int, value: str
) -> None:
    validation = _read(tmp_path, ONE_LINK, [*CATALOGUE, later, ["M-05", "gang板", "", ""]])
    assert _located(validation) == [
        (IssueCode.MATERIAL_NAME_CONFLICT, "物料目录.csv", row, "物料名称", value)
    ]


def test_one_entry_may_repeat_its_own_name_among_its_aliases(tmp_path: Path) -> None:
    validation = _read(tmp_path, ONE_LINK, [["7208", "钢材", "钢材；钢 材；钢板", ""]])
    assert validation.ok, validation.issues


def test_a_catalogue_row_without_a_code_is_located(tmp_path: Path) -> None:
    validation = _read(tmp_path, ONE_LINK, [*CATALOGUE, ["", "螺栓", "", ""]])
    assert _located(validation) == [(IssueCode.VALUE_MISSING, "物料目录.csv", 4, "物料编码", "")]


def test_a_catalogue_without_a_code_column_is_unusable(tmp_path: Path) -> None:
    tables = {name: rows for name, rows in CANONICAL.items() if name != "materials"}
    directory = write_canonical(tmp_path / "d", tables)
    write_csv(directory / "物料目录.csv", [["物料名称", "别名"], ["钢材", "钢板"]])
    validation = read_directory(directory, settings=SETTINGS)
    assert [(i.code, i.file, i.column) for i in validation.issues] == [
        (IssueCode.COLUMN_MISSING, "物料目录.csv", "物料编码")
    ]
    assert validation.ledgers.materials.empty


def test_the_catalogue_is_optional(tmp_path: Path) -> None:
    validation = _read(tmp_path, [["S1", "E1", "钢材", "60", "", "7208"]], materials=None)
    assert validation.ok, validation.issues
    assert validation.ledgers.materials.empty
    assert validation.ledgers.links["material_code"].tolist() == ["7208"]


def test_a_catalogue_with_only_its_header_is_no_issue(tmp_path: Path) -> None:
    validation = _read(tmp_path, ONE_LINK, materials=[])
    assert validation.ok, validation.issues
    assert validation.ledgers.materials.empty


# --- the link columns ---------------------------------------------------------------------


def test_annual_values_and_codes_are_read_as_officials_write_them(tmp_path: Path) -> None:
    links = [
        ["S1", "E1", "钢材", "60", "1,200.5", "7208"],
        ["S2", "E1", "钢材", "40", "0.05亿元", ""],
        ["S2", "E2", "芯片", "100", "", "HS 8542"],  # a code in no catalogue is fine
    ]
    validation = _read(tmp_path, links)
    assert validation.ok, validation.issues
    read = validation.ledgers.links
    assert read["annual_value"].tolist()[:2] == [1200.5, 500.0]
    assert pd.isna(read["annual_value"].iloc[2])
    assert read["material_code"].tolist() == ["7208", "", "HS 8542"]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("-300", IssueCode.OUT_OF_RANGE),
        ("三百", IssueCode.NOT_A_NUMBER),
        ("3000000元", IssueCode.AMBIGUOUS_UNIT),
    ],
)
def test_a_bad_annual_value_is_located(tmp_path: Path, value: str, code: IssueCode) -> None:
    validation = _read(tmp_path, [["S1", "E1", "钢材", "60", "", ""], ["S2", "E1", "钢材", "40", value, ""]])
    assert _located(validation) == [(code, "供应关系.csv", 3, "年采购额", value)]
    assert not validation.issues[0].message.isascii()


# --- material identity in the duplicate-link and share-sum checks -------------------------


SPELLINGS = [
    pytest.param("钢材", "钢 材", id="a space inside"),
    pytest.param("钢材", "钢\u3000材", id="an ideographic space"),
    pytest.param("PCB板", "ｐｃｂ板", id="full-width and lower case"),
    pytest.param("Q235钢", "q235 钢", id="case and space"),
    pytest.param("钢材", "热轧钢板", id="a catalogue alias"),
    pytest.param("钢板", "热轧钢板", id="two aliases of one code"),
]


@pytest.mark.parametrize(("first", "second"), SPELLINGS)
def test_one_link_typed_two_ways_is_a_duplicate(tmp_path: Path, first: str, second: str) -> None:
    validation = _read(tmp_path, [["S1", "E1", first, "30", "", ""], ["S1", "E1", second, "30", "", ""]])
    code = IssueCode.DUPLICATE_LINK
    assert _located(validation) == [
        (code, "供应关系.csv", 2, "物料", first),
        (code, "供应关系.csv", 3, "物料", second),
    ]
    for issue in validation.issues:
        assert "第 2、3 行" in issue.message
        assert f"“{first}”“{second}”" in issue.message  # names both spellings as typed
    assert validation.ledgers.links.empty


def test_a_code_makes_two_names_one_material(tmp_path: Path) -> None:
    links = [["S2", "E2", "芯片", "50", "", "8542"], ["S2", "E2", "集成电路", "50", "", "８５４２"]]
    validation = _read(tmp_path, links)
    assert [(i.code, i.row) for i in validation.issues] == [
        (IssueCode.DUPLICATE_LINK, 2),
        (IssueCode.DUPLICATE_LINK, 3),
    ]
    assert "同属物料编码“8542”" in validation.issues[0].message


def test_a_code_overrides_the_catalogue(tmp_path: Path) -> None:
    # 钢板 is 7208's alias, but this link says it is 7210 (a coated plate): two materials.
    validation = _read(tmp_path, [["S1", "E1", "钢材", "60", "", ""], ["S1", "E1", "钢板", "60", "", "7210"]])
    assert validation.ok, validation.issues


def test_one_name_with_two_codes_between_one_pair_is_refused(tmp_path: Path) -> None:
    # Two materials by identity, but one link to the stores, which key a link on its name.
    validation = _read(
        tmp_path, [["S1", "E1", "钢材", "50", "", "7208"], ["S1", "E1", "钢材", "50", "", "7210"]]
    )
    assert [(i.code, i.row, i.column, i.value) for i in validation.issues] == [
        (IssueCode.DUPLICATE_LINK, 2, "物料", "钢材"),
        (IssueCode.DUPLICATE_LINK, 3, "物料", "钢材"),
    ]
    assert "物料编码却不同" in validation.issues[0].message


def test_one_name_with_two_codes_is_located_after_a_duplicate_link(tmp_path: Path) -> None:
    # Rows 2 and 3 are one link twice; rows 4 and 5 one name with two codes. The second check
    # leaves rows 2 and 3 out, and must still name rows 4 and 5, not the 1st and 2nd it saw.
    links = [
        ["S1", "E1", "钢材", "40", "", "7208"],
        ["S1", "E1", "钢材", "40", "", "7208"],
        ["S1", "E1", "芯片", "50", "", "8542"],
        ["S1", "E1", "芯片", "50", "", "8541"],
    ]
    validation = _read(tmp_path, links)
    assert [(i.code, i.row, i.value) for i in validation.issues] == [
        (IssueCode.DUPLICATE_LINK, 2, "钢材"),
        (IssueCode.DUPLICATE_LINK, 3, "钢材"),
        (IssueCode.DUPLICATE_LINK, 4, "芯片"),
        (IssueCode.DUPLICATE_LINK, 5, "芯片"),
    ]
    assert "第 2、3 行" in validation.issues[0].message
    assert "第 4、5 行" in validation.issues[2].message
    assert "物料编码却不同" in validation.issues[2].message


@pytest.mark.parametrize(("first", "second"), SPELLINGS)
def test_shares_are_summed_across_spellings(tmp_path: Path, first: str, second: str) -> None:
    validation = _read(tmp_path, [["S1", "E1", first, "60", "", ""], ["S2", "E1", second, "50", "", ""]])
    code = IssueCode.SHARE_SUM_EXCEEDED
    assert _located(validation) == [
        (code, "供应关系.csv", 2, "供应占比", "60"),
        (code, "供应关系.csv", 3, "供应占比", "50"),
    ]
    assert f"物料“{first}”" in validation.issues[0].message  # each row names its material as typed
    assert f"物料“{second}”" in validation.issues[1].message
    assert "110%" in validation.issues[0].message


def test_shares_of_one_spelling_to_two_buyers_are_not_summed(tmp_path: Path) -> None:
    validation = _read(tmp_path, [["S1", "E1", "钢材", "60", "", ""], ["S2", "E2", "钢 材", "60", "", ""]])
    assert validation.ok, validation.issues


def test_shares_at_most_100_point_5_across_spellings_pass(tmp_path: Path) -> None:
    links = [["S1", "E1", "钢材", "60", "", ""], ["S2", "E1", "热轧钢板", "40.5", "", ""]]
    assert _read(tmp_path, links).ok


def test_the_links_are_checked_against_the_catalogue_that_is_written(tmp_path: Path) -> None:
    # Row 4 of the catalogue is refused (钢板 is 7208's), so its alias 铁板 joins nothing: 铁 and
    # 铁板 stay two materials, and their shares (60 + 50) are not summed.
    catalogue = [*CATALOGUE, ["M-09", "铁", "铁板、钢板", ""]]
    links = [["S1", "E1", "铁", "60", "", ""], ["S2", "E1", "铁板", "50", "", ""]]
    validation = _read(tmp_path, links, catalogue)
    assert [(i.code, i.file, i.row) for i in validation.issues] == [
        (IssueCode.MATERIAL_NAME_CONFLICT, "物料目录.csv", 4)
    ]
    assert len(validation.ledgers.links) == 2


def test_issues_of_the_catalogue_come_with_every_other_issue(tmp_path: Path) -> None:
    catalogue = [*CATALOGUE, ["７２０８", "钢", "", ""]]
    links = [["S1", "E1", "钢材", "60", "-1", ""], ["S1", "E1", "钢 材", "30", "", ""]]
    found = {(i.code, i.file, i.row) for i in _read(tmp_path, links, catalogue).issues}
    assert found == {
        (IssueCode.OUT_OF_RANGE, "供应关系.csv", 2),
        (IssueCode.DUPLICATE_LINK, "供应关系.csv", 2),
        (IssueCode.DUPLICATE_LINK, "供应关系.csv", 3),
        (IssueCode.MATERIAL_CODE_DUPLICATE, "物料目录.csv", 2),
        (IssueCode.MATERIAL_CODE_DUPLICATE, "物料目录.csv", 4),
    }
