"""The blank template workbook: one sheet per table with the supply spec's columns, read back as filled."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from ingest.loader import read_directory
from ingest.schema import TABLES
from ingest.template import HEADER_ROW, TEMPLATE_ROWS, write_template
from tests.defaults import SETTINGS
from tests.ledger_files import CANONICAL, write_canonical

REQUIRED_FILL = "00FFF2CC"


@pytest.fixture
def template(tmp_path: Path) -> Path:
    directory = tmp_path / "template"
    directory.mkdir()
    write_template(directory / "台账模板.xlsx")
    return directory / "台账模板.xlsx"


def test_the_links_sheet_has_the_annual_value_and_material_code(template: Path) -> None:
    sheet = load_workbook(template)["供应关系"]
    headers = [cell.value for cell in sheet[HEADER_ROW]]
    assert headers[0] == "序号"
    assert headers[-2:] == ["年采购额(万元)", "物料编码"]
    value, code = sheet[HEADER_ROW][-2], sheet[HEADER_ROW][-1]
    assert value.comment is not None
    assert "万元" in value.comment.text
    assert code.comment is not None
    assert "全角半角" in code.comment.text
    assert code.fill.fgColor.rgb != REQUIRED_FILL  # optional: not shaded


def test_the_materials_sheet_is_styled_like_the_others(template: Path) -> None:
    book = load_workbook(template)
    assert book.sheetnames[-1] == "物料目录"
    sheet, links = book["物料目录"], book["供应关系"]
    assert [cell.value for cell in sheet[HEADER_ROW]] == [
        "序号",
        "物料编码",
        "物料名称",
        "别名",
        "所属产业链",
    ]
    _number, code, name, aliases, _chain = sheet[HEADER_ROW]
    assert code.fill.fgColor.rgb == REQUIRED_FILL  # required, as 供应关系's 供应商编号
    assert links.cell(row=HEADER_ROW, column=2).fill.fgColor.rgb == REQUIRED_FILL
    assert name.fill.fgColor.rgb != REQUIRED_FILL
    assert all(cell.font.bold for cell in sheet[HEADER_ROW])
    assert aliases.comment is not None
    assert "；" in aliases.comment.text  # how to separate several aliases
    assert sheet.freeze_panes == links.freeze_panes == f"B{HEADER_ROW + 1}"
    # The lines officials expect around the table.
    assert sheet["A1"].value == "物料目录台账"
    assert sheet["A2"].value == "填报单位（盖章）："
    assert sheet.cell(row=HEADER_ROW + TEMPLATE_ROWS + 1, column=1).value == "填表人："
    guide = [row for row in book["填写说明"].iter_rows(values_only=True) if row[0] == "物料目录"]
    assert [(row[1], row[2]) for row in guide] == [
        ("物料编码", "是"),
        ("物料名称", None),
        ("别名", None),
        ("所属产业链", None),
    ]


def _fill(template: Path, tables: dict[str, list[list[object]]]) -> Path:
    """Fill the template's numbered rows with ``tables`` (canonical headers), each value under its header.

    The signature line under the rows gets a name and a phone number, as a county office
    fills it in.
    """
    book = load_workbook(template)
    for name, rows in tables.items():
        spec = TABLES[name]
        sheet = book[spec.label]
        order = [column.name for column in spec.columns]
        for offset, row in enumerate(rows[1:], start=1):
            for column, value in zip(rows[0], row, strict=True):
                position = order.index(str(column)) + 2  # after 序号
                cell = sheet.cell(row=HEADER_ROW + offset, column=position)
                cell.value = None if value == "" else str(value)
        sheet.cell(row=HEADER_ROW + TEMPLATE_ROWS + 1, column=1).value = "填表人：张三"
    book.save(template)
    return template.parent


def test_a_filled_template_reads_back_as_the_canonical_files_do(template: Path, tmp_path: Path) -> None:
    filled = read_directory(_fill(template, CANONICAL), settings=SETTINGS)
    assert filled.issues == []
    # Every filled sheet's signature line is listed as skipped (not an error); numbered empty rows are not.
    signature_row = HEADER_ROW + TEMPLATE_ROWS + 1
    assert {(line.sheet, line.row, line.kind) for line in filled.skipped} == {
        (TABLES[name].label, signature_row, "签名、联系人行") for name in CANONICAL
    }
    canonical = read_directory(write_canonical(tmp_path / "canonical"), settings=SETTINGS)
    for name in filled.ledgers.TABLES:
        expected = getattr(canonical.ledgers.canonical(), name)
        pd.testing.assert_frame_equal(getattr(filled.ledgers.canonical(), name), expected, obj=name)
    links = filled.ledgers.links
    assert links["annual_value"].fillna(-1).tolist() == [1200.5, -1, 300.0, 450.0]  # S2 → E1 left blank
    assert links["material_code"].tolist() == ["", "", "", "8479"]
    materials = filled.ledgers.materials.set_index("code")
    assert materials.at["7208", "aliases"] == "钢板；热轧钢板"
    assert materials.at["7208", "chain"] == "装备制造"


def test_a_filled_template_with_its_optional_sheets_left_blank_imports(template: Path) -> None:
    links = [row for row in CANONICAL["links"] if row[1] != "P1"]  # no projects: no link to P1
    tables = {"enterprises": CANONICAL["enterprises"], "suppliers": CANONICAL["suppliers"], "links": links}
    validation = read_directory(_fill(template, tables), settings=SETTINGS)
    assert validation.ok, validation.issues
    assert validation.ledgers.materials.empty
    assert len(validation.ledgers.links) == 3
