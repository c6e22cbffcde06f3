"""The blank ledger template: one workbook, one sheet per table, with a guide sheet.

Officials download it, fill it in and hand it back; :mod:`ingest.readers` reads the
workbook as it is (sheets named after the tables).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from ingest.schema import TABLES

__all__ = ["write_template"]

_HINTS = {
    "id": "必填，同一表内不能重复；全角字符会自动转为半角",
    "text": "文字",
    "money": "万元；可写 1,200.5 或 1.2亿元",
    "percent": "0–100，可写 85 或 85%",
    "int": "不小于 0 的整数（天）",
    "count": "不小于 0 的整数（人）",
    "bool": "是/否",
    "date": "如 2026-04-30 或 2026年4月30日",
    "adcode": "6 位行政区划代码，如 431202；填写后优先于地址",
    "status": "正常 / 部分停产 / 停产",
    "level": "国家级 / 省级 / 市级",
    "category": "用工 / 原材料 / 物流运输 / 资金 / 审批 / 电力燃气 / 其他",
    "problem_status": "挂号 / 办理中 / 已销号",
}
_UNITS = {"money": "(万元)"}


def write_template(path: Path) -> None:
    """Write the template workbook to ``path`` (``.xlsx``)."""
    workbook = Workbook()
    guide = workbook.active
    assert guide is not None
    guide.title = "填写说明"
    guide.append(["chain-graph 台账模板：每个工作表是一张表，表头不要改名；第一行之上可以有标题行。"])
    guide.append(["表", "列", "必填", "填写要求"])
    for spec in TABLES.values():
        sheet = workbook.create_sheet(spec.label)
        headers = [c.headers[0] + _UNITS.get(c.kind, "") for c in spec.columns]
        sheet.append(headers)
        for index, column in enumerate(spec.columns, start=1):
            cell = sheet.cell(row=1, column=index)
            cell.font = Font(bold=True)
            if column.required:
                cell.fill = PatternFill("solid", fgColor="FFF2CC")
            cell.comment = Comment(_HINTS[column.kind], "chain-graph")
            sheet.column_dimensions[get_column_letter(index)].width = max(12, len(headers[index - 1]) * 2 + 2)
            guide.append(
                [spec.label, headers[index - 1], "是" if column.required else "", _HINTS[column.kind]]
            )
        sheet.freeze_panes = "A2"
    guide.column_dimensions["A"].width = 14
    guide.column_dimensions["B"].width = 20
    guide.column_dimensions["D"].width = 60
    workbook.save(path)
