"""Importing status reports (状态填报): read the files given, validate them against the ledgers.

Reports are their own kind of import: :func:`read_reports` reads the files named (a
``.csv``, or a workbook's 复产填报 / 状态填报 / 周报表 sheet, else its first sheet), and
:func:`ingest.validate.validate_reports` checks every cell and every row against the store's
base ledgers. Reading a directory of ledgers (:func:`ingest.loader.read_directory`) passes
a reports file by; importing reports never touches the base ledgers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from chain_graph.errors import ConfigError, InputIssue
from chain_graph.model import LedgerTables
from ingest.readers import RawTable, ReadProblem, read_table, reports_source
from ingest.validate import ReportValidation, validate_reports

__all__ = ["read_reports"]

_SUFFIXES = (".csv", ".xlsx", ".xlsm")


def read_reports(
    paths: Sequence[Path], *, ledgers: LedgerTables, today: dt.date, county: str = ""
) -> ReportValidation:
    """Read and validate status reports files.

    Parameters
    ----------
    paths
        The reports files (``.xlsx`` / ``.csv``), each one table.
    ledgers
        The base ledgers the reports are about (the store's).
    today
        No report may be dated after it.
    county
        A county's adcode when the reports come back from that county (回收): a row about
        another county's entity is refused as an unknown id. ``""``: the whole city.

    Returns
    -------
    ReportValidation
        The valid rows and every located issue (a file that cannot be read is one).

    Raises
    ------
    ConfigError
        When no file is given, or a path is not a ``.xlsx`` / ``.csv`` file.
    """
    if not paths:
        raise ConfigError("请指定至少一个填报文件（.xlsx / .csv）")
    for path in paths:
        if not path.is_file() or path.suffix.lower() not in _SUFFIXES:
            raise ConfigError(f"填报文件不存在或不是 .xlsx / .csv 文件：{path}")
    raws: list[RawTable] = []
    issues: list[InputIssue] = []
    for path in paths:
        try:
            raws.append(read_table(reports_source(path)))
        except ReadProblem as problem:
            issues.append(problem.issue)
    return validate_reports(raws, ledgers=ledgers, today=today, county=county, issues=issues)
