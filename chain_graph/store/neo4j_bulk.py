"""Neo4j's offline bulk importer for a first load of a large set: its files, and running it.

``neo4j-admin database import full`` writes a database's store files directly, with no
transactions, from CSV files with typed headers: for a national set (1M firms, 5M links)
it takes minutes where the staged import (:mod:`chain_graph.store.neo4j_store`) takes a
quarter of an hour. It runs only on a *stopped* server and writes a whole database, so it
is for a first load; every later import goes through the staged import, on top of it.

:func:`write_import_files` writes the same graph the staged import writes — the same
labels, relationship types and properties, as generation 1 made current (the
``ChainGraphMeta`` pointer with its row counts) — so that :class:`Neo4jStore` reads it as
if it had written it, and creates its constraints when it first connects.
:class:`Neo4jBulkImport` runs the importer (any ``neo4j-admin``, or the local one of
``services/neo4j/neo4j.sh admin HOME``) and reports its failure in Chinese.
"""

from __future__ import annotations

import csv
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from chain_graph.errors import StoreError
from chain_graph.model import LedgerTables, conform
from chain_graph.regions import region_name
from chain_graph.store.neo4j_store import _COLUMNS, _KEYS, _plain_column

__all__ = ["GENERATION", "Neo4jBulkImport", "admin_arguments", "write_import_files"]

GENERATION = 1
"""The import generation the bulk importer writes, made current."""

_TYPES = {"text": "", "float": ":double", "int": ":long", "bool": ":boolean"}
_ENTITY = "Entity"
_TAIL = 20
"""Lines of the importer's output quoted when it fails."""


@dataclass(frozen=True)
class _File:
    kind: str  # "nodes" or "relationships"
    name: str


def write_import_files(ledgers: LedgerTables, directory: Path) -> tuple[list[str], dict[str, int]]:
    """Write ``ledgers`` as the importer's CSV files into ``directory``.

    Rows are those the staged import would write: duplicates by key keep the last; a link
    whose supplier or buyer is not a firm or project, and a problem's ``CONCERNS`` to a
    subject that is neither, are left out, as its ``MATCH`` would leave them.

    Parameters
    ----------
    ledgers
        The validated ledgers.
    directory
        An existing directory; its files are overwritten.

    Returns
    -------
    tuple of (list of str, dict)
        The importer's ``--nodes=…`` / ``--relationships=…`` arguments, and the row counts
        per table (as :meth:`Neo4jStore.counts` will report them).

    Examples
    --------
    >>> import tempfile
    >>> firms = pd.DataFrame({"id": ["S", "E"], "name": ["钢厂", "整车厂"], "is_supplier": [True, False]})
    >>> links = pd.DataFrame({"supplier_id": ["S"], "buyer_id": ["E"], "material": ["钢"], "share": [0.5]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     arguments, counts = write_import_files(LedgerTables(firms=firms, links=links), Path(tmp))
    ...     header = (Path(tmp) / "links.csv").read_text(encoding="utf-8").splitlines()[0]
    >>> counts
    {'firms': 2, 'projects': 0, 'links': 1, 'problems': 0, 'materials': 0}
    >>> header.split(",")[:4]
    [':START_ID(Entity)', ':END_ID(Entity)', ':TYPE', 'material']
    """
    tables = {
        name: conform(getattr(ledgers, name), name).drop_duplicates(_KEYS[name], keep="last")
        for name in LedgerTables.TABLES
    }
    firms, projects = tables["firms"], tables["projects"]
    entities = pd.Index(pd.concat([firms["id"], projects["id"]], ignore_index=True))
    links = tables["links"]
    links = links[links["supplier_id"].isin(entities) & links["buyer_id"].isin(entities)]
    problems = tables["problems"]
    counts = {
        "firms": len(firms),
        "projects": len(projects),
        "links": len(links),
        "problems": len(problems),
        "materials": len(tables["materials"]),
    }
    files: list[_File] = []

    def write(name: str, kind: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        with (directory / name).open("w", encoding="utf-8", newline="") as handle:
            handle.write(",".join(header) + "\n")  # names and types: no comma, no quote
            csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerows(rows)
        files.append(_File(kind, name))

    places = sorted(set(firms["adcode"]) | set(projects["adcode"]) - {""})
    write(
        "regions.csv",
        "nodes",
        ("adcode:ID(Region)", "name", "g:long", ":LABEL"),
        ((code, region_name(code), GENERATION, "Region") for code in places),
    )
    labels = ["Entity;Firm"] * len(firms)
    for i, (enterprise, supplier) in enumerate(
        zip(firms["is_enterprise"].tolist(), firms["is_supplier"].tolist(), strict=True)
    ):
        labels[i] += (";Enterprise" if enterprise else "") + (";Supplier" if supplier else "")
    _table(write, "firms.csv", "nodes", firms, "firms", key=f"id:ID({_ENTITY})", labels=labels)
    _table(
        write, "projects.csv", "nodes", projects, "projects", key=f"id:ID({_ENTITY})", labels="Entity;Project"
    )
    _table(write, "problems.csv", "nodes", problems, "problems", key="id:ID(Problem)", labels="Problem")
    _table(write, "materials.csv", "nodes", tables["materials"], "materials", key=None, labels="Material")
    meta = ("key", "value:long", *(f"{name}:long" for name in counts), ":LABEL")
    write(
        "meta.csv",
        "nodes",
        meta,
        [
            ("generation", GENERATION, *counts.values(), "ChainGraphMeta"),
            ("generation_next", GENERATION, *([None] * len(counts)), "ChainGraphMeta"),
            ("data_version", 1, *([None] * len(counts)), "ChainGraphMeta"),
        ],
    )
    _table(write, "links.csv", "relationships", links, "links", key=None, labels="SUPPLIES")
    located = pd.concat([firms[["id", "adcode"]], projects[["id", "adcode"]]], ignore_index=True)
    located = located[located["adcode"] != ""]
    write(
        "located_in.csv",
        "relationships",
        (f":START_ID({_ENTITY})", ":END_ID(Region)", ":TYPE"),
        (
            (i, code, "LOCATED_IN")
            for i, code in zip(located["id"].tolist(), located["adcode"].tolist(), strict=True)
        ),
    )
    concerns = problems[problems["subject_id"].isin(entities)]
    write(
        "concerns.csv",
        "relationships",
        (":START_ID(Problem)", f":END_ID({_ENTITY})", ":TYPE"),
        (
            (i, s, "CONCERNS")
            for i, s in zip(concerns["id"].tolist(), concerns["subject_id"].tolist(), strict=True)
        ),
    )
    arguments = [f"--{f.kind}={directory / f.name}" for f in files]
    return arguments, counts


_Write = Callable[[str, str, Sequence[str], Iterable[Sequence[Any]]], None]


def _table(
    write: _Write,
    name: str,
    kind: str,
    frame: pd.DataFrame,
    table: str,
    *,
    key: str | None,
    labels: str | list[str],
) -> None:
    """Write one ledger table: its key column typed as the importer's id, then every property."""
    columns = _COLUMNS[table]
    if kind == "relationships":
        head = [f":START_ID({_ENTITY})", f":END_ID({_ENTITY})", ":TYPE"]
        first = [frame["supplier_id"].tolist(), frame["buyer_id"].tolist(), [labels] * len(frame)]
        stored = [c for c in columns if c not in ("supplier_id", "buyer_id")]
        tail: list[str] = []
    else:
        head, first = [], []
        stored = list(columns)
        tail = ["g:long", ":LABEL"]
    header = head + [
        key if key is not None and c == key.split(":")[0] else f"{c}{_TYPES[columns[c]]}" for c in stored
    ]
    values = first + [_values(frame[c], columns[c]) for c in stored]
    if tail:
        values += [[GENERATION] * len(frame), labels if isinstance(labels, list) else [labels] * len(frame)]
    write(name, kind, header + tail, zip(*values, strict=True))


def _values(column: pd.Series, kind: str) -> list[Any]:
    """One column as CSV values: the staged import's values, booleans spelt as the importer reads them.

    Texts are quoted (``""``: an empty text), absent numbers left empty (no property).
    """
    values = _plain_column(column, kind)
    return ["true" if v else "false" for v in values] if kind == "bool" else values


def admin_arguments(files: Sequence[str], *, database: str, overwrite: bool, report: Path) -> list[str]:
    """Return ``neo4j-admin``'s arguments to import ``files`` into ``database``.

    Examples
    --------
    >>> admin_arguments(["--nodes=/t/a.csv"], database="neo4j", overwrite=False, report=Path("/t/r"))[3:]
    ['--nodes=/t/a.csv', '--multiline-fields=true', '--report-file=/t/r', 'neo4j']
    """
    return [
        "database",
        "import",
        "full",
        *files,
        "--multiline-fields=true",  # an address or a note may hold a line break
        f"--report-file={report}",
        *(["--overwrite-destination"] if overwrite else []),
        database,
    ]


class Neo4jBulkImport:
    """Write ledgers with Neo4j's offline importer into a stopped server's database.

    Parameters
    ----------
    admin
        The command that runs ``neo4j-admin`` for the target server, e.g. ``["neo4j-admin"]``
        on the server's machine, or ``["services/neo4j/neo4j.sh", "admin", HOME]``.
    database
        The database to write (Neo4j Community has one: ``neo4j``).
    overwrite
        Replace a database that already holds data (everything in it is lost: the
        problem ledger, reports and coordination records too). Without it the importer
        refuses a database that exists.
    work_dir
        Where the CSV files go while the importer reads them (default: the system's temporary
        directory; a national set takes about 1 GB).
    """

    def __init__(
        self,
        admin: Sequence[str],
        *,
        database: str = "neo4j",
        overwrite: bool = False,
        work_dir: Path | None = None,
    ) -> None:
        self.admin = list(admin)
        self.database = database
        self.overwrite = overwrite
        self.work_dir = work_dir
        self._counts = dict.fromkeys(LedgerTables.TABLES, 0)

    def counts(self) -> dict[str, int]:
        """Rows per table written by the last :meth:`write` (zero before it)."""
        return dict(self._counts)

    def write(self, ledgers: LedgerTables, *, replace: bool = False) -> None:
        """Import ``ledgers`` as the whole database, as generation 1 made current.

        ``replace`` changes nothing: the importer always writes the whole database.

        Raises
        ------
        StoreError
            When the importer cannot run or refuses (the server is running, the database
            already exists without ``overwrite``, a row it cannot read); the database is then
            as it was, or — where the importer failed while writing — incomplete.
        """
        del replace
        with tempfile.TemporaryDirectory(prefix="chain-graph-import-", dir=self.work_dir) as tmp:
            directory = Path(tmp)
            files, counts = write_import_files(ledgers, directory)
            report = directory / "import.report"
            command = [
                *self.admin,
                *admin_arguments(files, database=self.database, overwrite=self.overwrite, report=report),
            ]
            try:
                done = subprocess.run(command, capture_output=True, text=True, check=False)
            except OSError as error:
                raise StoreError(f"无法运行 Neo4j 离线导入工具（{self.admin[0]}）：{error}") from error
            if done.returncode != 0:
                raise StoreError(_failure(done.stdout + done.stderr, database=self.database))
        self._counts = counts


def _failure(output: str, *, database: str) -> str:
    """Say why the importer failed: a refusal in a sentence (nothing was touched), else its last lines."""
    if "already exist" in output or "already contains" in output:
        return (
            f"数据库 {database} 已存在，未作任何改动；离线导入会覆盖其全部数据"
            "（含问题台账、周报与协调记录），仅用于首次导入。确需覆盖请加 --overwrite"
        )
    if "running" in output or "in use" in output:
        return (
            "Neo4j 正在运行，未作任何改动：离线导入只能在停止的服务器上进行，"
            "请先停止（services/neo4j/neo4j.sh stop）"
        )
    lines = [line for line in output.splitlines() if line.strip() and not line.startswith(("..", "-.."))]
    said = "\n".join(lines[-_TAIL:])
    return (
        f"Neo4j 离线导入失败（数据库 {database} 可能已不完整，可加 --overwrite 重新导入）。"
        f"导入工具输出：\n{said}"
    )
