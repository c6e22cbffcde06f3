"""Reading a 跨区域协调清单 back: the round trip from the product's own export, and located errors."""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from chain_graph.errors import CoordinationWorkbookError, IssueCode
from chain_graph.gaps import analyze
from chain_graph.incoming import match_own_suppliers
from chain_graph.list_rows import coordination_rows
from chain_graph.model import LedgerTables
from exports.lists import COORDINATION_COLUMNS, coordination_sheets
from exports.workbook import write_xlsx
from ingest.coordination import ROW_COLUMNS, read_coordination_workbook, split_place
from ingest.loader import read_directory
from ingest.synth import synthesize
from tests.defaults import SETTINGS

TODAY = dt.date(2026, 11, 28)
HEADERS = [c.header for c in COORDINATION_COLUMNS]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[LedgerTables, pd.DataFrame]:
    """The synthetic city's ledgers and its coordination rows, as the console builds them."""
    data = tmp_path_factory.mktemp("city")
    synthesize(data, firms=400, seed=3)
    ledgers = read_directory(data, settings=SETTINGS).ledgers
    rows = coordination_rows(analyze(ledgers, settings=SETTINGS), ledgers)
    assert rows["supplier_id"].nunique() > 10  # a list worth reading back
    return ledgers, rows


@pytest.fixture(scope="module")
def written(city: tuple[LedgerTables, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The city's export with the regions' sheets, as the console's download writes it."""
    path = tmp_path_factory.mktemp("export") / "跨区域协调清单.xlsx"
    write_xlsx(path, coordination_sheets(city[1], as_of=TODAY, by_region=True))
    return path


def _figures(values: pd.Series) -> list[float]:
    return [math.nan if v is None or pd.isna(v) else float(v) for v in values]


def test_round_trip_gives_back_every_row_and_figure(
    written: Path, city: tuple[LedgerTables, pd.DataFrame]
) -> None:
    rows = city[1]
    back = read_coordination_workbook(written, source="怀化市")
    assert list(back.columns) == ROW_COLUMNS
    assert len(back) == len(rows)
    for key in ("buyer", "buyer_county", "supplier", "supplier_place", "material", "problem", "route_to"):
        assert back[key].tolist() == rows[key].tolist(), key
    for key in ("no", "output", "investment", "total", "stock_days", "recovery_days", "priority"):
        assert _figures(back[key]) == pytest.approx(_figures(rows[key]), nan_ok=True), key
    # The merged 合计 holds each supplier's whole value, on every row of the supplier.
    totals = back.groupby("supplier", sort=False)["total"].agg(["min", "max"])
    assert (totals["min"] == totals["max"]).all()
    assert back["supplier_adcode"].tolist() == rows["supplier_adcode"].tolist()
    assert set(back["source"]) == {"怀化市"}


def test_round_trip_matches_the_suppliers_of_their_city(
    written: Path, city: tuple[LedgerTables, pd.DataFrame]
) -> None:
    ledgers, rows = city
    back = read_coordination_workbook(written, source="怀化市")
    home = str(rows["supplier_adcode"].iat[0])[:4] + "00"  # the first supplier's city as home
    matched = match_own_suppliers(back, ledgers.firms, home_adcode=home)
    expected = rows.loc[rows["supplier_adcode"].str[:4] == home[:4]]
    assert len(matched) == len(expected) > 0
    assert matched["supplier_id"].tolist() == expected["supplier_id"].tolist()
    assert set(matched["unmatched_reason"]) == {""}


def _workbook(path: Path, rows: list[list[object]], *, title: str = "跨区域协调清单") -> Path:
    """A hand-made list: a title row, the headers, the rows, a footer note."""
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = title
    ws.append(["跨区域协调清单（2026年11月28日）"])
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    ws.append([])
    ws.append(["注：合计为该配套企业的总影响。"])
    book.save(path)
    return path


def _row(**cells: object) -> list[object]:
    base: dict[str, object] = {
        "序号": 1,
        "需求企业/项目": "怀化甲机械有限公司",
        "所在县市区": "鹤城区",
        "配套企业": "长沙乙钢铁有限公司",
        "配套企业所在地（省/市/县）": "湖南省 长沙市 望城区",
        "配套产品": "钢材",
        "存在问题": "停产",
        "协调诉求": "协调尽快恢复生产",
        "影响产值（万元）": 100,
        "影响投资（万元）": 0,
        "合计（万元）": 300,
        "库存可用天数": 10,
        "预计恢复天数": 20,
        "优先级": 1,
        "建议协调单位": "省工业和信息化厅",
    }
    base.update(cells)
    return [base[h] for h in HEADERS]


def test_hand_made_list_with_notes_and_unmerged_total(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "邵阳.xlsx",
        [
            _row(),
            _row(**{"序号": 2, "需求企业/项目": "怀化丙电机厂", "合计（万元）": None, "库存可用天数": None}),
            _row(
                **{
                    "序号": 3,
                    "配套企业": "武汉丁电子有限公司",
                    "配套企业所在地（省/市/县）": "湖北省 武汉市",
                    "影响产值（万元）": "1,250.5万元",
                    "合计（万元）": "2000",
                    "优先级": 2,
                }
            ),
        ],
    )
    back = read_coordination_workbook(path, source="邵阳市")
    assert back["supplier"].tolist() == ["长沙乙钢铁有限公司", "长沙乙钢铁有限公司", "武汉丁电子有限公司"]
    assert back["total"].tolist() == [300.0, 300.0, 2000.0]  # the supplier's 合计 on its every row
    assert back["output"].tolist() == [100.0, 100.0, 1250.5]
    assert back["stock_days"].isna().tolist() == [False, True, False]
    assert back[["supplier_province", "supplier_city", "supplier_county_name", "supplier_adcode"]].iloc[
        2
    ].tolist() == ["湖北省", "武汉市", "", "420100"]
    assert back["source"].tolist() == ["邵阳市"] * 3


def test_first_sheet_when_none_is_named_as_the_list(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "x.xlsx", [_row()], title="Sheet1")
    assert read_coordination_workbook(path)["supplier"].tolist() == ["长沙乙钢铁有限公司"]


@pytest.mark.parametrize(
    ("cells", "code", "column", "fragment"),
    [
        ({"影响产值（万元）": "很多"}, IssueCode.NOT_A_NUMBER, "影响产值（万元）", "不是数字"),
        ({"合计（万元）": "300元"}, IssueCode.AMBIGUOUS_UNIT, "合计（万元）", "元"),
        ({"影响投资（万元）": -5}, IssueCode.OUT_OF_RANGE, "影响投资（万元）", "负数"),
        ({"库存可用天数": 2.5}, IssueCode.NOT_AN_INTEGER, "库存可用天数", "整数"),
        ({"优先级": 0}, IssueCode.OUT_OF_RANGE, "优先级", "从 1 起"),
        ({"配套企业": None}, IssueCode.SUPPLIER_MISSING, "配套企业", "没有“配套企业”"),
    ],
)
def test_a_bad_cell_is_located(
    tmp_path: Path, cells: dict[str, object], code: IssueCode, column: str, fragment: str
) -> None:
    path = _workbook(tmp_path / "衡阳.xlsx", [_row(), _row(**{"序号": 2, **cells})])
    with pytest.raises(CoordinationWorkbookError) as caught:
        read_coordination_workbook(path)
    (issue,) = caught.value.issues
    assert (issue.code, issue.file, issue.sheet, issue.row, issue.column) == (
        code,
        "衡阳.xlsx",
        "跨区域协调清单",
        4,
        column,
    )
    assert fragment in issue.message
    # The message alone (what the API shows) says where and which code.
    assert f"衡阳.xlsx[跨区域协调清单] 第4行 “{column}”列" in caught.value.message
    assert code.value in caught.value.message


def test_every_bad_cell_is_listed_at_once(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "a.xlsx",
        [_row(**{"影响产值（万元）": "x"}), _row(**{"序号": 2, "预计恢复天数": "两周"})],
    )
    with pytest.raises(CoordinationWorkbookError) as caught:
        read_coordination_workbook(path)
    assert [(i.row, i.column, i.code) for i in caught.value.issues] == [
        (3, "影响产值（万元）", IssueCode.NOT_A_NUMBER),
        (4, "预计恢复天数", IssueCode.NOT_A_NUMBER),
    ]
    assert "共 2 个问题" in caught.value.message


def test_two_totals_for_one_supplier(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "a.xlsx", [_row(), _row(**{"序号": 2, "合计（万元）": 500})])
    with pytest.raises(CoordinationWorkbookError) as caught:
        read_coordination_workbook(path)
    (issue,) = caught.value.issues
    assert (issue.code, issue.row, issue.column, issue.value) == (
        IssueCode.TOTAL_CONFLICT,
        4,
        "合计（万元）",
        "500",
    )


def test_a_missing_required_header(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    _workbook(path, [_row()])
    book = openpyxl.load_workbook(path)
    book.active["K2"] = "备注"  # type: ignore[index]  # 合计 gone
    book.save(path)
    with pytest.raises(CoordinationWorkbookError) as caught:
        read_coordination_workbook(path)
    (issue,) = caught.value.issues
    assert (issue.code, issue.file, issue.sheet, issue.row, issue.column) == (
        IssueCode.COLUMN_MISSING,
        "a.xlsx",
        "跨区域协调清单",
        2,
        "合计（万元）",
    )


def test_no_header_at_all(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["企业名称", "地址"])  # type: ignore[union-attr]
    book.save(path)
    with pytest.raises(CoordinationWorkbookError) as caught:
        read_coordination_workbook(path)
    assert caught.value.issues[0].code is IssueCode.HEADER_NOT_FOUND


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"not a workbook", IssueCode.FILE_UNREADABLE), (None, IssueCode.WORKBOOK_TOO_LARGE)],
)
def test_an_unreadable_or_hostile_file(tmp_path: Path, content: bytes | None, code: IssueCode) -> None:
    path = tmp_path / "坏.xlsx"
    if content is not None:
        path.write_bytes(content)
    else:  # a zip bomb: a part that would unpack to 80 MiB of zeros from 80 KiB, refused unread
        with (
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
            archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part,
        ):
            chunk = bytes(1 << 20)
            for _ in range(80):
                part.write(chunk)
    with pytest.raises(CoordinationWorkbookError) as caught:
        read_coordination_workbook(path)
    (issue,) = caught.value.issues
    assert (issue.code, issue.file) == (code, "坏.xlsx")
    assert "坏.xlsx" in caught.value.message


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ("湖南省 长沙市 望城区", ("湖南省", "长沙市", "望城区", "430112")),
        ("北京市 朝阳区", ("北京市", "", "朝阳区", "110105")),
        ("湖南省/长沙市/雨花区", ("湖南省", "长沙市", "雨花区", "430111")),
        ("湖南省 某市 某县", ("湖南省", "某市", "某县", "430000")),
        ("", ("", "", "", "")),
    ],
)
def test_split_place(place: str, expected: tuple[str, str, str, str]) -> None:
    assert split_place(place) == expected
