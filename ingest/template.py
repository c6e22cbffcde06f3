"""The blank ledger template: one workbook, one sheet per table, with a guide sheet.

The sheets follow :data:`ingest.schema.TABLES`, optional ones included (重点项目, 问题台账,
and the 物料目录 of the supply spec): a sheet left empty is reported as an empty table, not
an error that stops the import.

Each table sheet is laid out as county offices lay theirs out for stamping: a title, a
填报单位（盖章）/填报日期 line, the header with a 序号 column, pre-numbered rows, and the
填表人 / 审核人 / 联系电话 line under them. Officials download it, fill it in and hand it back;
:mod:`ingest.readers` reads the workbook as it is (sheets named after the tables; the
layout lines skipped by :mod:`ingest.layout`), so a filled template is itself a test of it.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from chain_graph.labels import PRODUCTION_STATUS_LABELS
from ingest.schema import REPORTS, TABLES

__all__ = ["write_reports_template", "write_template"]

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
TEMPLATE_ROWS = 20
"""Pre-numbered rows under each header (more can be inserted above the signature line)."""
HEADER_ROW = 3
"""The header's row: under the title and the 填报单位 line."""


def write_template(path: Path) -> None:
    """Write the template workbook to ``path`` (``.xlsx``)."""
    workbook = Workbook()
    guide = workbook.active
    assert guide is not None
    guide.title = "填写说明"
    guide.append(
        [
            "chain-graph 台账模板：每个工作表是一张表，表头不要改名。标题、填报单位、序号、"
            "合计和填表人行导入时自动跳过；行不够时在填表人行之上插入。"
        ]
    )
    guide.append(["表", "列", "必填", "填写要求"])
    for spec in TABLES.values():
        sheet = workbook.create_sheet(spec.label)
        headers = [c.headers[0] + _UNITS.get(c.kind, "") for c in spec.columns]
        last = get_column_letter(len(headers) + 1)
        sheet.append([f"{spec.label}台账"])
        sheet.merge_cells(f"A1:{last}1")
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append(["填报单位（盖章）：", *[None] * (len(headers) - 2), "填报日期："])
        sheet.append(["序号", *headers])
        sheet.cell(row=HEADER_ROW, column=1).font = Font(bold=True)
        sheet.column_dimensions["A"].width = 6
        for number in range(1, TEMPLATE_ROWS + 1):
            sheet.append([number])
        sheet.append(["填表人：", None, "审核人：", None, "联系电话："][: max(3, len(headers) + 1)])
        for index, column in enumerate(spec.columns, start=2):
            cell = sheet.cell(row=HEADER_ROW, column=index)
            cell.font = Font(bold=True)
            if column.required:
                cell.fill = PatternFill("solid", fgColor="FFF2CC")
            hint = column.hint or _HINTS[column.kind]
            cell.comment = Comment(hint, "chain-graph")
            sheet.column_dimensions[get_column_letter(index)].width = max(12, len(headers[index - 2]) * 2 + 2)
            guide.append([spec.label, headers[index - 2], "是" if column.required else "", hint])
        sheet.freeze_panes = f"B{HEADER_ROW + 1}"
    guide.column_dimensions["A"].width = 14
    guide.column_dimensions["B"].width = 20
    guide.column_dimensions["D"].width = 60
    workbook.save(path)


_NAME = "名称"
"""The reports workbook's column of names: for the reader of the sheet, ignored on import."""


def write_reports_template(path: Path, rows: pd.DataFrame, *, title: str) -> None:
    """Write a pre-filled status-reports workbook (下发) to ``path`` (``.xlsx``).

    One sheet named 复产填报: a title row, the Chinese headers (required ones shaded, each
    with its hint), then ``rows`` as an official reads them (生产状态 in words, 是否开复工
    是/否, blanks empty). ``rows`` has the report columns but ``seq``, and ``name``. A
    guide sheet says how to fill it in. The filled workbook imports back as it is.
    """
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = REPORTS.label
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    columns = [REPORTS.columns[0], None, *REPORTS.columns[1:]]
    headers = [_NAME if c is None else c.headers[0] + _UNITS.get(c.kind, "") for c in columns]
    sheet.append(headers)
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=2, column=index)
        cell.font = Font(bold=True)
        if column is not None and column.required:
            cell.fill = PatternFill("solid", fgColor="FFF2CC")
        cell.comment = Comment(_HINTS[column.kind] if column else "仅供对照，导入时不读取", "chain-graph")
        sheet.column_dimensions[get_column_letter(index)].width = 30 if column is None else 14
    for row in rows.to_dict("records"):
        sheet.append([_shown(row, "name" if c is None else c.name) for c in columns])
    sheet.freeze_panes = "C3"
    guide = workbook.create_sheet("填写说明")
    for line in (
        "请核对并更新每一行（截至填报日期的实际情况），改完后原样交回；不要改表头、不要增删列。",
        "生产状态、产能恢复率、预计恢复天数只填企业；是否开复工、累计完成投资只填项目（万元，本年累计）。",
        "留空表示没有变化；同一对象同一日期只填一行。",
    ):
        guide.append([line])
    workbook.save(path)


def _shown(row: Mapping[Hashable, object], name: str) -> object:
    value = row.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    if name == "status":
        return PRODUCTION_STATUS_LABELS.get(str(value), str(value))
    if name == "started":
        return "是" if value == 1.0 else "否"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
