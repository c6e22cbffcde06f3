"""Word tables: rows copied from a template are the rows python-docx builds one by one."""

from __future__ import annotations

from typing import Any

from docx import Document

from exports import docx

ROWS = [
    [("甲公司", False), ("1,234.50", True), ("钢材", False)],
    [("", False), ("0.00", True), (" 前后有空格 ", False)],
    [("乙厂", False), ("", False), ("两行\n文字", False)],  # a break: built by python-docx itself
    [("丙&<厂>", False), ("12.00", True), ("铝", False)],
]


def _xml(table: Any) -> str:
    return str(table._tbl.xml)


def test_copied_rows_are_the_rows_python_docx_builds() -> None:
    fast = Document()
    docx.table(fast, "", ["名称", "金额", "物料"], ROWS, widths_mm=[40, 30, 30])
    slow = Document()
    docx.table(slow, "", ["名称", "金额", "物料"], [], widths_mm=[40, 30, 30])
    grid = slow.tables[0]
    for values in ROWS:
        docx._add_row(grid, [c.width for c in grid.columns], values)
    assert _xml(fast.tables[0]) == _xml(grid)
    texts = [[cell.text for cell in row.cells] for row in fast.tables[0].rows[1:]]
    assert texts == [[text for text, _ in values] for values in ROWS]
