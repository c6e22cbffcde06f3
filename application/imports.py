"""The import use case: read and validate a directory of ledger tables, write it, keep the rejects.

One function for the command line (``chain-graph ingest``, ``demo``) and the web service
(``POST /imports``, the console's import page): all or nothing unless ``keep_valid`` (then
only the rows that passed, never when a required table is missing or unreadable), and every
issue written to a rejects file (CSV with BOM) whose place the caller tells the user.
What an importer needs to know beforehand — which tables, by which names
(:func:`table_guide`), and the blank template (:func:`template_workbook`) — is here too.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chain_graph.model import LedgerTables
from chain_graph.settings import Settings
from chain_graph.store.base import LedgerWriter
from ingest.loader import ImportReport, Progress, ingest_directory
from ingest.rejects import write_rejects
from ingest.schema import TABLES
from ingest.template import write_template

__all__ = [
    "TEMPLATE_NAME",
    "ImportOutcome",
    "TableGuide",
    "default_rejects_path",
    "import_directory",
    "table_guide",
    "template_workbook",
]

TEMPLATE_NAME = "台账模板.xlsx"
"""The template workbook's file name as downloaded."""


@dataclass(frozen=True, slots=True)
class TableGuide:
    """One ledger table as an importer must name it."""

    label: str
    """Its Chinese name."""
    names: tuple[str, ...]
    """Every name a file or sheet may have to be read as this table."""
    required: bool


def table_guide() -> list[TableGuide]:
    """Return the ledger tables in order, with the file or sheet names each is known by.

    Examples
    --------
    >>> table_guide()[0]
    TableGuide(label='重点企业', names=('重点企业', '重点规模企业', 'enterprises'), required=True)
    """
    return [TableGuide(spec.label, (*spec.names, spec.name), spec.required) for spec in TABLES.values()]


@functools.cache
def template_workbook() -> bytes:
    """Return the blank template workbook (one sheet per table, and a guide sheet).

    Written once per process: it depends on nothing but the code.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / TEMPLATE_NAME
        write_template(path)
        return path.read_bytes()


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did, and where its rejects file is (``None`` when nothing was rejected)."""

    report: ImportReport
    rejects: Path | None
    rejects_lines: int

    @property
    def written(self) -> bool:
        """Whether the store was written."""
        return self.report.written


def default_rejects_path(data_dir: Path) -> Path:
    """Return where a directory's rejects go by default: beside it.

    Never inside it (where the next import would read it as a table), and never in
    whatever directory the command happened to run from.

    Examples
    --------
    >>> default_rejects_path(Path("/data/十一月台账"))
    PosixPath('/data/十一月台账_退回.csv')
    """
    return data_dir.resolve().with_name(f"{data_dir.resolve().name}_退回.csv")


def import_directory(
    data_dir: Path,
    store: LedgerWriter,
    *,
    settings: Settings,
    keep_valid: bool = False,
    replace: bool = False,
    rejects: Path | None = None,
    progress: Progress | None = None,
    before_write: Callable[[LedgerTables], None] | None = None,
) -> ImportOutcome:
    """Import ``data_dir`` into ``store``; write every issue to ``rejects`` (default beside it).

    Parameters
    ----------
    data_dir
        The ledger tables (``.xlsx`` / ``.csv``).
    store
        Where to write, in one transaction.
    settings
        Deployment settings.
    keep_valid
        Write the valid rows even when some rows have issues.
    replace
        Replace the store's content instead of upserting into it.
    rejects
        The rejects file; default :func:`default_rejects_path`.
    progress
        Called with a short Chinese line as each stage starts.
    before_write
        Called with the tables about to be written, once they passed validation.
    """
    report = ingest_directory(
        data_dir,
        store,
        settings=settings,
        keep_valid=keep_valid,
        replace=replace,
        progress=progress,
        before_write=before_write,
    )
    validation = report.validation
    if not validation.issues:
        return ImportOutcome(report, None, 0)
    path = rejects or default_rejects_path(data_dir)
    in_rows = {id(issue) for row in validation.rejected for issue in row.issues}
    # Every issue not listed with its row: a table's, a file's, and a refused file's first bad cell.
    others = [i for i in validation.issues if id(i) not in in_rows]
    lines = write_rejects(path, validation.rejected, others)
    return ImportOutcome(report, path, lines)
