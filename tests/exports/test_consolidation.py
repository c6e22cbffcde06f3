"""The province's 跨区域协调汇总 workbook, built from two cities' real exports and opened again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from chain_graph.consolidation import consolidate
from chain_graph.gaps import analyze
from chain_graph.list_rows import coordination_rows
from exports.consolidation import CONSOLIDATION_COLUMNS, consolidation_sheets
from exports.lists import coordination_sheets
from exports.workbook import write_xlsx
from ingest.coordination import read_coordination_workbook
from ingest.loader import read_directory
from ingest.synth import synthesize
from tests.defaults import SETTINGS

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def requests(tmp_path_factory: pytest.TempPathFactory) -> list[pd.DataFrame]:
    """Two cities' lists (two synthetic seeds), written as the product writes them, read back."""
    requests = []
    for seed, city in ((3, "怀化市"), (4, "邵阳市")):
        data = tmp_path_factory.mktemp(f"city{seed}")
        synthesize(data, firms=400, seed=seed)
        ledgers = read_directory(data, settings=SETTINGS).ledgers
        rows = coordination_rows(analyze(ledgers, settings=SETTINGS), ledgers)
        path = data / "跨区域协调清单.xlsx"
        write_xlsx(path, coordination_sheets(rows, as_of=TODAY))
        requests.append(read_coordination_workbook(path, source=city))
    return requests


@pytest.fixture(scope="module")
def consolidated(requests: list[pd.DataFrame]) -> pd.DataFrame:
    return consolidate(requests)


def test_summary_sheet_ranked_by_value_then_a_sheet_per_province(
    tmp_path: Path, consolidated: pd.DataFrame
) -> None:
    path = tmp_path / "跨区域协调汇总.xlsx"
    write_xlsx(path, consolidation_sheets(consolidated, as_of=TODAY))
    book = openpyxl.load_workbook(path)
    provinces = consolidated.drop_duplicates("province_adcode")
    expected = ["汇总", *provinces.loc[provinces["province_adcode"] != "", "target_province"]]
    assert book.sheetnames == expected
    ws = book["汇总"]
    assert ws["A1"].value == "跨区域协调汇总（2026年11月28日）"
    assert [c.value for c in ws[2]] == [c.header for c in CONSOLIDATION_COLUMNS]
    assert ws.freeze_panes == "A3"
    body = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(body) == len(consolidated)
    header = [c.header for c in CONSOLIDATION_COLUMNS]
    total, rank = header.index("合计（万元）"), header.index("优先级")
    assert [row[rank] for row in body] == list(range(1, len(body) + 1))
    totals = [value for row in body if isinstance(value := row[total], int | float)]
    assert len(totals) == len(body)  # every 合计 a number
    assert totals == sorted(totals, reverse=True)
    assert sum(totals) == pytest.approx(consolidated["total"].sum())
    assert ws.cell(row=3, column=total + 1).data_type == "n"  # a number, not text
    assert ws.cell(row=3, column=total + 1).number_format == "#,##0.00"
    # Every supplier is on exactly one province's sheet, numbered from 1 there.
    shown = 0
    for name in expected[1:]:
        sheet = book[name]
        assert sheet["A1"].value == f"跨区域协调汇总（2026年11月28日）—{name}"
        rows = list(sheet.iter_rows(min_row=3, values_only=True))
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
        assert len(rows) == (consolidated["target_province"] == name).sum()
        shown += len(rows)
    assert shown == len(consolidated)


def test_two_cities_requesting_every_supplier_show_both(requests: list[pd.DataFrame]) -> None:
    huaihua = requests[0]
    table = consolidate([huaihua, huaihua.assign(source="邵阳市")])
    assert len(table) == huaihua.groupby(["supplier", "supplier_place"]).ngroups
    assert set(table["requesters"]) == {"怀化市、邵阳市"}
    per_supplier = huaihua.groupby("supplier")["total"].first()
    assert table.set_index("supplier")["total"].to_dict() == pytest.approx((2 * per_supplier).to_dict())


def test_nothing_consolidated_gives_an_empty_summary() -> None:
    sheets = consolidation_sheets(consolidate([]), as_of=TODAY)
    assert [s.name for s in sheets] == ["汇总"]
    assert sheets[0].rows.empty
