"""Helpers that write ledger files as officials would (CSV in any encoding, XLSX)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from openpyxl import Workbook

Rows = Sequence[Sequence[object]]


def write_csv(path: Path, rows: Rows, *, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, Rows]) -> Path:
    workbook = Workbook()
    first = True
    for name, rows in sheets.items():
        if first:
            sheet = workbook.active
            assert sheet is not None
            sheet.title = name
            first = False
        else:
            sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


# A small, valid data set in canonical English headers; tests derive variants from it.
ENTERPRISES: list[list[object]] = [
    ["id", "name", "address", "adcode", "chain", "output_value", "tax", "status", "capacity"],
    ["E1", "怀化甲机械有限公司", "湖南省怀化市鹤城区迎丰路1号", "", "装备制造", "30000", "100", "normal", ""],
    ["E2", "芷江乙食品有限公司", "芷江侗族自治县工业园", "", "食品加工", "5000", "600", "partial", "60"],
]
SUPPLIERS: list[list[object]] = [
    ["id", "name", "address", "adcode", "status", "capacity", "recovery_days", "problem"],
    ["S1", "长沙丙钢材有限公司", "湖南省长沙市雨花区", "", "stopped", "", "20", "原材料供应中断"],
    ["S2", "武汉丁电子有限公司", "", "420106", "normal", "", "", ""],
    ["E1", "怀化甲机械有限公司", "湖南省怀化市鹤城区迎丰路1号", "", "", "", "", ""],
]
PROJECTS: list[list[object]] = [
    ["id", "name", "address", "level", "category", "total_investment", "annual_plan"],
    ["P1", "鹤城区物流园建设项目", "怀化市鹤城区", "city", "基础设施", "80000", "20000"],
]
LINKS: list[list[object]] = [
    [
        "supplier_id",
        "buyer_id",
        "material",
        "share",
        "critical",
        "stock_days",
        "annual_value",
        "material_code",
    ],
    ["S1", "E1", "钢材", "60", "yes", "10", "1200.5", ""],  # 钢材 is 7208 by the catalogue
    ["S2", "E1", "钢材", "40", "yes", "", "", ""],
    ["S2", "E2", "芯片", "100", "no", "5", "300", ""],  # in no catalogue: its name is its identity
    ["E1", "P1", "机电设备", "100", "yes", "30", "450", "8479"],  # a code in no catalogue (HS)
]
PROBLEMS: list[list[object]] = [
    ["id", "subject_id", "category", "description", "deadline", "status"],
    ["W1", "E1", "原材料", "钢材断供", "2026-12-31", "registered"],
    ["W2", "P1", "其他", "征地未完成", "", ""],
]
MATERIALS: list[list[object]] = [
    ["code", "name", "aliases", "chain"],
    ["7208", "钢材", "钢板；热轧钢板", "装备制造"],
    ["M-02", "轴承", "", ""],
]
CANONICAL = {
    "enterprises": ENTERPRISES,
    "suppliers": SUPPLIERS,
    "projects": PROJECTS,
    "links": LINKS,
    "problems": PROBLEMS,
    "materials": MATERIALS,
}


def write_canonical(directory: Path, tables: Mapping[str, Rows] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in (tables or CANONICAL).items():
        write_csv(directory / f"{name}.csv", rows)
    return directory
