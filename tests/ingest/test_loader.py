from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from chain_graph.errors import ConfigError, IssueCode
from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import ingest_directory, read_directory
from tests.defaults import SETTINGS
from tests.ledger_files import CANONICAL, write_canonical, write_csv, write_xlsx

TITLE = ["怀化市重点企业上游供应商复工需求清单"]


def _chinese_twin(directory: Path) -> Path:
    """The canonical data set as officials keep it: Chinese headers, XLSX and GBK CSV,
    title rows, 85% strings and percent cells, 是/否, full-width ids, date cells."""
    directory.mkdir()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "重点企业"
    sheet.append(TITLE)
    sheet.append([])
    sheet.append(
        [
            "企业编号",
            "企业名称",
            "企业地址",
            "行政区划代码",
            "所属产业链",
            "年产值（万元）",
            "年纳税额(万元)",
            "生产状态",
            "产能恢复率",
        ]
    )
    sheet.append(
        [
            "Ｅ1",
            "怀化甲机械有限公司",
            "湖南省怀化市鹤城区迎丰路1号",
            None,
            "装备制造",
            30000,
            "100",
            "正常",
            None,
        ]
    )
    sheet.append(
        ["E2", "芷江乙食品有限公司", "芷江侗族自治县工业园", None, "食品加工", "5,000", 600, "部分停产", 0.6]
    )
    sheet["I5"].number_format = "0%"
    workbook.save(directory / "重点企业.xlsx")
    write_csv(
        directory / "配套企业.csv",
        [
            ["怀化市配套企业名单"],
            [
                "供应商编号",
                "供应商名称",
                "所在地",
                "区划代码",
                "生产状态",
                "产能恢复率",
                "预计恢复天数",
                "存在问题",
            ],
            ["S1", "长沙丙钢材有限公司", "湖南省长沙市雨花区", "", "停产", "", "20天", "原材料供应中断"],
            ["Ｓ２", "武汉丁电子有限公司", "", "420106", "正常", "", "", ""],
            ["E1", "怀化甲机械有限公司", "湖南省怀化市鹤城区迎丰路1号", "", "", "", "", ""],
        ],
        encoding="gbk",
    )
    write_xlsx(
        directory / "台账汇总.xlsx",
        {
            "供应关系": [
                TITLE,
                [
                    "供应商编号",
                    "需求方编号",
                    "配套产品",
                    "供应占比",
                    "是否关键",
                    "库存可用天数",
                    "年采购额（万元）",
                    "物料编码",
                ],
                ["S1", "E1", "钢材", "60%", "是", 10, "1,200.5", None],
                ["S2", "Ｅ１", "钢材", "40 %", "是", None, None, None],
                ["S2", "E2", "芯片", "100%", "否", "5", 300, None],
                ["E1", "P1", "机电设备", 100, "是", 30, "450万元", "8479"],
            ],
            "物料目录": [
                ["物料编码", "物料名称", "别名", "所属产业链"],
                ["7208", "钢材", "钢板；热轧钢板", "装备制造"],
                ["M-02", "轴承", None, None],
            ],
            "重点建设项目": [
                ["项目编号", "项目名称", "建设地点", "项目级别", "项目类别", "总投资", "年度计划投资(万元)"],
                ["P1", "鹤城区物流园建设项目", "怀化市鹤城区", "市级", "基础设施", "8亿元", "20,000"],
            ],
            "问题台账": [
                ["问题编号", "对象编号", "问题类别", "问题描述", "完成时限", "办理状态"],
                ["W1", "E1", "原材料", "钢材断供", dt.datetime(2026, 12, 31), "挂号"],
                ["W2", "P1", "其他", "征地未完成", None, None],
            ],
            "Sheet说明": [["这一页不是台账，应被忽略"]],
        },
    )
    return directory


def _store_content(data_dir: Path, db: Path) -> dict[str, pd.DataFrame]:
    with SQLiteStore(f"sqlite:///{db}", batch_size=SETTINGS.write_batch_size) as store:
        report = ingest_directory(data_dir, store, settings=SETTINGS)
        assert report.validation.issues == []
        loaded = store.load().canonical()
    return {name: getattr(loaded, name) for name in loaded.TABLES}


def test_chinese_workbooks_load_exactly_like_the_canonical_csv(tmp_path: Path) -> None:
    canonical = _store_content(write_canonical(tmp_path / "canonical"), tmp_path / "a.db")
    chinese = _store_content(_chinese_twin(tmp_path / "chinese"), tmp_path / "b.db")
    for name, frame in canonical.items():
        pd.testing.assert_frame_equal(chinese[name], frame, obj=name)
    firms = canonical["firms"].set_index("id")
    # Hand-checked content of the twin: merged firm, defaults, resolved regions.
    assert bool(firms.at["E1", "is_enterprise"])
    assert bool(firms.at["E1", "is_supplier"])
    assert firms.at["E2", "capacity"] == 60.0
    assert firms.at["E2", "adcode"] == "431228"
    assert (firms.at["S2", "adcode"], firms.at["S2", "adcode_source"]) == ("420106", "column")
    assert firms.at["S1", "status"] == "stopped"
    assert pd.isna(firms["capacity"]["S2"])
    problems = canonical["problems"].set_index("id")
    assert problems.at["W1", "responsible_unit"] == "市工业和信息化局"
    assert problems.at["W2", "responsible_unit"] == "市发展改革委"  # 其他 for a project
    assert problems.at["W2", "status"] == "registered"
    links = canonical["links"].set_index(["supplier_id", "buyer_id", "material"])
    assert not links.at[("S2", "E2", "芯片"), "critical"]
    assert pd.isna(links["stock_days"][("S2", "E1", "钢材")])


def test_second_import_changes_nothing(tmp_path: Path, canonical_dir: Path) -> None:
    with SQLiteStore(f"sqlite:///{tmp_path}/x.db", batch_size=SETTINGS.write_batch_size) as store:
        ingest_directory(canonical_dir, store, settings=SETTINGS)
        first = store.load().canonical()
        report = ingest_directory(canonical_dir, store, settings=SETTINGS)
        second = store.load().canonical()
    assert report.before == report.after
    for name in first.TABLES:
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))


def test_unknown_columns_are_kept_as_extra_attributes(tmp_path: Path) -> None:
    directory = write_canonical(tmp_path / "d")
    write_csv(
        directory / "enterprises.csv",
        [
            ["id", "name", "address", "备注"],
            ["E1", "怀化甲机械有限公司", "湖南省怀化市鹤城区迎丰路1号", "重点帮扶"],
            ["E2", "芷江乙食品有限公司", "芷江侗族自治县工业园", ""],
        ],
    )
    ledgers = read_directory(directory, settings=SETTINGS).ledgers
    extra = ledgers.firms.set_index("id")["extra"]
    assert extra["E1"] == '{"备注": "重点帮扶"}'
    assert extra["E2"] == ""


def test_missing_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        read_directory(tmp_path / "nope", settings=SETTINGS)


def test_percent_cell_and_date_cell_in_xlsx(tmp_path: Path) -> None:
    validation = read_directory(_chinese_twin(tmp_path / "t"), settings=SETTINGS)
    assert validation.ok
    assert validation.ledgers.problems.set_index("id").at["W1", "deadline"] == "2026-12-31"


def test_required_table_missing_blocks_even_keep_valid(tmp_path: Path, canonical_dir: Path) -> None:
    (canonical_dir / "links.csv").unlink()
    with SQLiteStore(f"sqlite:///{tmp_path}/x.db", batch_size=SETTINGS.write_batch_size) as store:
        report = ingest_directory(canonical_dir, store, keep_valid=True, settings=SETTINGS)
        assert not report.written
        assert store.counts() == {"firms": 0, "projects": 0, "links": 0, "problems": 0, "materials": 0}
    assert [i.code for i in report.validation.issues] == [IssueCode.TABLE_MISSING]


def _misnamed_csv(directory: Path, table: str, name: str) -> str:
    (directory / f"{table}.csv").rename(directory / name)
    return name


def _misnamed_workbook(directory: Path, table: str, name: str) -> str:
    (directory / f"{table}.csv").unlink()
    write_xlsx(directory / name, {"Sheet1": CANONICAL[table]})
    return name


MISNAMED = [
    # (how, table, file name, the table offered first)
    (_misnamed_csv, "enterprises", "broken_重点企业.csv", "重点企业"),
    (_misnamed_workbook, "enterprises", "企业台账（修订）.xlsx", "重点企业"),
    (_misnamed_csv, "links", "数据.csv", "供应关系"),  # by its header only
    (_misnamed_csv, "projects", "项目清单_v2.csv", "重点项目"),  # an optional table
]


@pytest.mark.parametrize(("misname", "table", "name", "offered"), MISNAMED, ids=[m[2] for m in MISNAMED])
def test_a_file_named_after_no_table_is_the_first_issue_and_names_the_table(
    tmp_path: Path,
    canonical_dir: Path,
    misname: Callable[[Path, str, str], str],
    table: str,
    name: str,
    offered: str,
) -> None:
    misname(canonical_dir, table, name)
    with SQLiteStore(f"sqlite:///{tmp_path}/x.db", batch_size=SETTINGS.write_batch_size) as store:
        report = ingest_directory(canonical_dir, store, keep_valid=True, settings=SETTINGS)
        assert store.counts() == {"firms": 0, "projects": 0, "links": 0, "problems": 0, "materials": 0}
    issues = report.validation.issues
    first = issues[0]
    assert (first.code, first.file, first.row, first.column) == (IssueCode.FILE_UNRECOGNISED, name, 0, "")
    assert f"它可能是“{offered}”" in first.message
    assert not report.written  # not even the valid rows: which table the file holds is unsure
    # The knock-on issues of the table not read are not listed: no id is called unknown.
    assert IssueCode.UNKNOWN_REFERENCE not in {i.code for i in issues}
    missing = [i for i in issues if i.code is IssueCode.TABLE_MISSING]
    if table == "projects":
        assert issues == [first]
    else:
        assert len(missing) == 1
        assert f"可能在未识别的 {name} 中" in missing[0].message
        assert issues == [first, missing[0]]


def test_a_file_like_nothing_lists_every_table_name(tmp_path: Path, canonical_dir: Path) -> None:
    write_csv(canonical_dir / "月报.csv", [["日期", "备注"], ["2026-11-30", "无"]])
    issues = read_directory(canonical_dir, settings=SETTINGS).issues
    assert [(i.code, i.file) for i in issues] == [(IssueCode.FILE_UNRECOGNISED, "月报.csv")]
    assert "表名为：重点企业、重点项目、供应商、供应关系、问题台账、物料目录" in issues[0].message


def test_an_unknown_id_is_still_reported_when_every_table_was_read(canonical_dir: Path) -> None:
    links = canonical_dir / "links.csv"
    links.write_text(links.read_text(encoding="utf-8") + "S404,E1,螺栓,10,yes,\r\n", encoding="utf-8")
    issues = read_directory(canonical_dir, settings=SETTINGS).issues
    assert [(i.code, i.file, i.row, i.value) for i in issues] == [
        (IssueCode.UNKNOWN_REFERENCE, "links.csv", 6, "S404")
    ]


def test_a_sheet_named_after_no_table_beside_table_sheets_is_left_out(tmp_path: Path) -> None:
    # The template's 填写说明 sheet (and the twin's Sheet说明) are no tables, and no issue.
    validation = read_directory(_chinese_twin(tmp_path / "t"), settings=SETTINGS)
    assert validation.issues == []


def _with_formula(rows: list[list[object]]) -> list[list[object]]:
    rows = [list(r) for r in rows]
    rows[1][5] = "=30000"  # E1's output value as a formula; openpyxl saves no value for it
    rows[2][8] = "六成"  # E2's capacity: not a number
    return [*rows, ["E1", "怀化甲机械有限公司重复", "湖南省怀化市鹤城区迎丰路1号"]]  # E1 twice


@pytest.mark.parametrize("keep_valid", [False, True])
def test_a_formula_without_value_is_listed_with_every_other_issue_of_its_file(
    tmp_path: Path, canonical_dir: Path, keep_valid: bool
) -> None:
    (canonical_dir / "enterprises.csv").unlink()
    write_xlsx(canonical_dir / "enterprises.xlsx", {"enterprises": _with_formula(CANONICAL["enterprises"])})
    with SQLiteStore(f"sqlite:///{tmp_path}/x.db", batch_size=SETTINGS.write_batch_size) as store:
        report = ingest_directory(canonical_dir, store, keep_valid=keep_valid, settings=SETTINGS)
        assert store.counts() == {"firms": 0, "projects": 0, "links": 0, "problems": 0, "materials": 0}
    assert not report.written
    found = {(i.code, i.file, i.row, i.column) for i in report.validation.issues}
    assert found >= {
        (IssueCode.FORMULA_WITHOUT_VALUE, "enterprises.xlsx", 2, "output_value"),
        (IssueCode.NOT_A_NUMBER, "enterprises.xlsx", 3, "capacity"),
        (IssueCode.DUPLICATE_ID, "enterprises.xlsx", 2, "id"),
        (IssueCode.DUPLICATE_ID, "enterprises.xlsx", 4, "id"),
    }
    # The rest of the directory is checked too, and its ids are known: nothing is unknown.
    assert IssueCode.UNKNOWN_REFERENCE not in {i.code for i in report.validation.issues}
    rejected = {(r.table.source.path.name, i.code) for r in report.validation.rejected for i in r.issues}
    assert ("enterprises.xlsx", IssueCode.FORMULA_WITHOUT_VALUE) in rejected


@pytest.mark.parametrize("writer", ["csv", "xlsx"])
def test_links_and_problems_hold_their_firms_id_objects(tmp_path: Path, writer: str) -> None:
    """One string object per id: the graph finds each link's ends by object, not by hashing text.

    Equal texts either way (the values are what count); this guards the speed of
    ``chain_graph.objects.lookup`` on national ledgers, which relies on it.
    """
    directory = tmp_path / "d"
    if writer == "csv":
        write_canonical(directory)
    else:
        directory.mkdir()
        for name, rows in CANONICAL.items():
            write_xlsx(directory / f"{name}.xlsx", {name: rows})
    ledgers = read_directory(directory, settings=SETTINGS).ledgers
    objects = {id(x) for x in [*ledgers.firms["id"], *ledgers.projects["id"]]}
    cells = [*ledgers.links["supplier_id"], *ledgers.links["buyer_id"], *ledgers.problems["subject_id"]]
    assert cells
    assert all(id(x) in objects for x in cells)
