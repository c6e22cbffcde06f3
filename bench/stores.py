"""Store benchmark: loading a synthetic set into Neo4j, beside the embedded SQLite store.

Starts its own Neo4j (``services/neo4j/neo4j.sh``, data in a temporary directory) and
measures, per batch size, medians over ``--repeat`` runs:

- ``anchor_create``: the bare batched ``UNWIND … MATCH … CREATE`` of the link rows in one
  transaction, nothing else — the ceiling a Neo4j load can reach on this machine (published
  anchor: ~67k rows/s for batched UNWIND MERGE with constraints on a laptop). Its endpoints
  are looked up by the store's key, ``(id, g)`` of the current generation: one index seek
  each, as the anchor did when the key was ``id`` alone. Its rows are one map each
  (``$rows``), the common idiom;
- ``anchor_columns``: the same statement with its rows sent as one list per column, indexed
  in Cypher (``$material[i]``), as the store sends its batches: how much of the store's
  speed is the shape of the parameters alone;
- ``nodes``: firms and projects imported into an empty graph (labels, regions);
- ``links``: the link rows upserted once the nodes exist (a staged upsert: the nodes are
  carried forward into the new generation);
- ``full``: the whole import as chain-graph runs it (staged, empty graph);
- ``reimport``: the same import again onto the loaded graph (an upsert: every row replaced);
- ``replace``: the same import again with ``replace`` (the loaded generation is dropped);
- ``load``: reading the whole current generation back (``Neo4jStore.load``);
- ``sqlite_full``: the whole import into a fresh SQLite file;
- ``bulk_import``: the whole import by Neo4j's offline importer (``chain-graph bulk-import``:
  the CSV files written, then ``neo4j-admin database import full`` into a fresh, stopped home);
- ``bulk_ready``: that, plus starting a server on it and creating the store's constraints
  (the first query can run).

Imports return at the switch; the replaced generation is deleted afterwards, outside the
timing (``wait_for_cleanup``), as a user's next read would not wait for it either.

One discarded round first warms the JVM and Neo4j's query-plan cache.

Usage::

    python bench/stores.py --scale province [--repeat 3] [--batch 5000,20000,50000] [--stages …]

``--stages`` runs only those stages (a national set: ``nodes,anchor_create,full
--anchor-each --no-warmup``, since the anchor's one transaction does not fit a bounded heap
(``--anchor-each`` commits each of its batches), and a staged national import takes
minutes: no discarded round is needed to warm it).

Writes ``bench/results/<date>-stores-<scale>-<commit>.json`` and prints a Markdown table, each stage's
rows/s beside ``anchor_create``'s.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pickle
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from harness import result_path, synthetic_set, validated_ledgers  # noqa: E402

from chain_graph.model import LINK_COLUMNS, LedgerTables  # noqa: E402
from chain_graph.settings import Settings  # noqa: E402
from chain_graph.store.neo4j_bulk import Neo4jBulkImport  # noqa: E402
from chain_graph.store.neo4j_store import Neo4jStore, _plain_column  # noqa: E402
from chain_graph.store.sqlite import SQLiteStore  # noqa: E402
from tests.neo4j_server import SCRIPT, Neo4jServer, free_port  # noqa: E402

_ANCHOR = (
    "UNWIND $rows AS row MATCH (s:Entity {id: row.supplier_id, g: $g}) "
    "MATCH (b:Entity {id: row.buyer_id, g: $g}) "
    "CREATE (s)-[:SUPPLIES_ANCHOR {material: row.material, share: row.share}]->(b)"
)
_ANCHOR_COLUMNS = (
    "UNWIND range(0, size($material) - 1) AS i MATCH (s:Entity {id: $supplier_id[i], g: $g}) "
    "MATCH (b:Entity {id: $buyer_id[i], g: $g}) "
    "CREATE (s)-[:SUPPLIES_ANCHOR {material: $material[i], share: $share[i]}]->(b)"
)


SETTINGS = Settings()
_STAGES = (
    "nodes",
    "anchor_create",
    "anchor_columns",
    "links",
    "full",
    "reimport",
    "replace",
    "load",
    "sqlite_full",
    "bulk_import",
    "bulk_ready",
)


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _anchor(
    store: Neo4jStore, ledgers: LedgerTables, batch: int, *, columns: bool = False, each: bool = False
) -> None:
    """The anchor: the link rows as one map each (the common idiom), or with ``columns`` as one
    list per column (as the store sends them), in batches of one transaction; with ``each``, of
    one transaction per batch (a national set's links do not fit one transaction's heap)."""
    links = ledgers.links
    data = {
        c: _plain_column(links[c], LINK_COLUMNS[c]) for c in ("supplier_id", "buyer_id", "material", "share")
    }
    generation = store._current()[0]
    with store._driver.session(database=store.database) as session:
        tx = session.begin_transaction()
        for start in range(0, len(links), batch):
            part = {c: values[start : start + batch] for c, values in data.items()}
            if columns:
                tx.run(_ANCHOR_COLUMNS, part, g=generation).consume()
            else:
                rows = [dict(zip(part, row, strict=True)) for row in zip(*part.values(), strict=True)]
                tx.run(_ANCHOR, rows=rows, g=generation).consume()
            if each:
                tx.commit()
                tx = session.begin_transaction()
        tx.commit()


def _one_round(
    url: str,
    ledgers: LedgerTables,
    batch: int,
    stages: set[str],
    *,
    workers: int,
    anchor_each: bool = False,
    last: bool = False,
) -> dict[str, float]:
    """Time the stages asked for; leave the store empty for the next round unless ``last``.

    (The last round's graph is left to the temporary server: emptying a national graph
    takes about five minutes.)
    """
    nodes = LedgerTables(firms=ledgers.firms, projects=ledgers.projects)
    links = LedgerTables(links=ledgers.links)
    seconds: dict[str, float] = {}
    with Neo4jStore(url, batch_size=batch, page_size=SETTINGS.read_page_size, write_workers=workers) as store:
        store.clear()
        if stages & {"nodes", "anchor_create", "anchor_columns"}:
            seconds["nodes"] = _timed(lambda: store.write(nodes))
            if "anchor_create" in stages:
                seconds["anchor_create"] = _timed(lambda: _anchor(store, ledgers, batch, each=anchor_each))
            if "anchor_columns" in stages:
                seconds["anchor_columns"] = _timed(
                    lambda: _anchor(store, ledgers, batch, columns=True, each=anchor_each)
                )
            store.clear()
        if "links" in stages:
            store.write(nodes)
            seconds["links"] = _timed(lambda: store.write(links))
            store.clear()
        if stages & {"full", "reimport", "replace", "load"}:
            seconds["full"] = _timed(lambda: store.write(ledgers))
        if "reimport" in stages:
            seconds["reimport"] = _timed(lambda: store.write(ledgers))
            store.wait_for_cleanup()
        if "replace" in stages:
            seconds["replace"] = _timed(lambda: store.write(ledgers, replace=True))
            store.wait_for_cleanup()
        if "load" in stages:
            seconds["load"] = _timed(store.load)
        if not last:
            store.clear()
    if "sqlite_full" in stages:
        with (
            tempfile.TemporaryDirectory() as tmp,
            SQLiteStore(f"sqlite:///{tmp}/b.db", batch_size=batch) as sqlite,
        ):
            seconds["sqlite_full"] = _timed(lambda: sqlite.write(ledgers))
    if stages & {"bulk_import", "bulk_ready"}:
        seconds.update(_bulk_round(ledgers))
    return {stage: s for stage, s in seconds.items() if stage in stages}


def _bulk_round(ledgers: LedgerTables) -> dict[str, float]:
    """Neo4j's offline importer into a fresh home, then a server started on it, ready to query."""
    with tempfile.TemporaryDirectory() as home:
        started = time.perf_counter()
        Neo4jBulkImport([str(SCRIPT), "admin", home]).write(ledgers)
        imported = time.perf_counter() - started
        server = Neo4jServer(Path(home), free_port())
        server.start()
        try:
            with Neo4jStore(
                server.url, batch_size=1000, page_size=SETTINGS.read_page_size
            ) as store:  # constraints
                counted = store.counts()
            ready = time.perf_counter() - started
        finally:
            server.stop()
    if counted != ledgers.counts():
        raise SystemExit(f"bulk import: {counted} read back, {ledgers.counts()} written")
    return {"bulk_import": imported, "bulk_ready": ready}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="province")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", default="5000,20000,50000")
    parser.add_argument("--stages", default=",".join(_STAGES))
    parser.add_argument("--workers", type=int, default=SETTINGS.neo4j_write_workers, help="write_workers")
    parser.add_argument("--no-warmup", action="store_true", help="no discarded first round (long imports)")
    parser.add_argument("--anchor-each", action="store_true", help="the anchor commits each batch (national)")
    args = parser.parse_args()
    stages = set(args.stages.split(","))
    if stages - set(_STAGES):
        parser.error(f"unknown stages {sorted(stages - set(_STAGES))}; known: {', '.join(_STAGES)}")

    with validated_ledgers(synthetic_set(args.scale, args.seed)).open("rb") as handle:
        ledgers: LedgerTables = pickle.load(handle)
    counts = ledgers.counts()
    rows = {
        "nodes": counts["firms"] + counts["projects"],
        "links": counts["links"],
        "anchor_create": counts["links"],
        "anchor_columns": counts["links"],
        "full": sum(counts.values()),
        "reimport": sum(counts.values()),
        "replace": sum(counts.values()),
        "load": sum(counts.values()),
        "sqlite_full": sum(counts.values()),
        "bulk_import": sum(counts.values()),
        "bulk_ready": sum(counts.values()),
    }
    batches = [int(b) for b in args.batch.split(",")]
    rust = importlib.util.find_spec("neo4j._rust") is not None  # neo4j-rust-ext installed

    # A staged import holds one batch in the heap, not the whole import.
    os.environ.setdefault("NEO4J_HEAP", "1g")
    with tempfile.TemporaryDirectory() as home:
        server = Neo4jServer(Path(home), free_port())
        server.start()
        try:
            summary: dict[str, dict[str, dict[str, float]]] = {}
            if stages - {"bulk_import", "bulk_ready"} and not args.no_warmup:
                _one_round(  # warm-up: JIT and query plans
                    server.url,
                    ledgers,
                    batches[0],
                    stages,
                    workers=args.workers,
                    anchor_each=args.anchor_each,
                )
            for batch in batches:
                runs = [
                    _one_round(
                        server.url,
                        ledgers,
                        batch,
                        stages,
                        workers=args.workers,
                        anchor_each=args.anchor_each,
                        last=batch == batches[-1] and run == args.repeat - 1,
                    )
                    for run in range(args.repeat)
                ]
                summary[str(batch)] = {
                    stage: {"median_seconds": statistics.median(r[stage] for r in runs), "rows": rows[stage]}
                    for stage in runs[0]
                }
        finally:
            server.stop()

    lines = [
        f"{args.scale}: {counts} — neo4j-rust-ext {'on' if rust else 'off'}, "
        f"heap {os.environ['NEO4J_HEAP']}, {args.workers} write workers",
        "",
        "| batch | stage | median s | rows | rows/s | × the anchor's rows/s |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for size, figures in summary.items():
        anchor = figures.get("anchor_create")
        anchor_per_row = anchor["median_seconds"] / anchor["rows"] if anchor else float("nan")
        for stage, figure in figures.items():
            seconds, rows_done = figure["median_seconds"], figure["rows"]
            lines.append(
                f"| {size} | {stage} | {seconds:.2f} | {rows_done:,.0f} | "
                f"{rows_done / seconds:,.0f} | {anchor_per_row / (seconds / rows_done):.2f} |"
            )
    print("\n".join(lines))
    out = result_path(f"stores-{args.scale}")
    out.write_text(
        json.dumps(
            {
                "scale": args.scale,
                "counts": counts,
                "repeat": args.repeat,
                "neo4j_rust_ext": rust,
                "neo4j_heap": os.environ["NEO4J_HEAP"],
                "write_workers": args.workers,
                "anchor_commits": "each batch" if args.anchor_each else "once",
                "batches": summary,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
