"""The rejects file: every rejected row with its reasons, as a CSV that Excel opens.

Written in UTF-8 with a BOM (Excel on Windows then shows Chinese correctly), one line per
issue, with the original row's cells so the official can fix and re-import it. Cell text
that Excel would run as a formula is neutralised.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from chain_graph.errors import InputIssue
from ingest.validate import Rejected

__all__ = ["REJECT_HEADERS", "neutralise", "write_rejects"]

REJECT_HEADERS = ["文件", "工作表", "行号", "列", "值", "错误代码", "说明", "原始行"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe.

    Examples
    --------
    >>> neutralise("=HYPERLINK(1)"), neutralise("鹤城区")
    ("'=HYPERLINK(1)", '鹤城区')
    """
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_rejects(path: Path, rejected: Iterable[Rejected], table_issues: Iterable[InputIssue]) -> int:
    """Write the rejects file; return the number of lines written (without header).

    Parameters
    ----------
    path
        Target CSV path; written to a temporary file first, then moved into place.
    rejected
        Rejected rows with their issues.
    table_issues
        Issues not tied to one row (a missing column, an unreadable file).
    """
    temporary = path.with_name(path.name + ".part")
    count = 0
    with temporary.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REJECT_HEADERS)
        for issue in table_issues:
            writer.writerow(_line(issue, ""))
            count += 1
        for row in rejected:
            original = json.dumps(row.cells(), ensure_ascii=False)
            for issue in row.issues:
                writer.writerow(_line(issue, original))
                count += 1
    temporary.replace(path)
    return count


def _line(issue: InputIssue, original: str) -> list[str]:
    cells = [
        issue.file,
        issue.sheet,
        str(issue.row or ""),
        issue.column,
        issue.value,
        f"{issue.code.value} {issue.code.name}",
        issue.message,
        original,
    ]
    return [neutralise(c) for c in cells]
