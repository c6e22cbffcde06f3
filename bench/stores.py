"""Store benchmark: loading a synthetic set into Neo4j, beside the embedded SQLite store.

Starts its own Neo4j (``services/neo4j/neo4j.sh``, data in a temporary directory) and
measures, per batch size, medians over ``--repeat`` runs:

- ``anchor_create``: the bare batched ``UNWIND … MATCH … CREATE`` of the link rows in one
  transaction, nothing else — the ceiling a Neo4j load can reach on this machine (published
  anchor: ~67k rows/s for batched UNWIND MERGE with constraints on a laptop). Its endpoints
  are looked up by the store's key, ``(id, g)`` of the current generation: one index seek
  each, as the anchor did when the key was ``id`` alone;
- ``nodes``: firms and projects imported into an empty graph (labels, regions);
- ``links``: the link rows upserted once the nodes exist (a staged upsert: the nodes are
  carried forward into the new generation);
- ``full``: the whole import as chain-graph runs it (staged, empty graph);
- ``reimport``: the same import again onto the loaded graph (an upsert: every row replaced);
- ``replace``: the same import again with ``replace`` (the loaded generation is dropped);
- ``load``: reading the whole current generation back (``Neo4jStore.load``);
- ``sqlite_full``: the whole import into a fresh SQLite file.

Imports return at the switch; the replaced generation is deleted afterwards, outside the
timing (``wait_for_cleanup``), as a user's next read would not wait for it either.

One discarded round first warms the JVM and Neo4j's query-plan cache.

Usage::

    python bench/stores.py --scale province [--repeat 3] [--batch 5000,20000,50000]

Writes ``bench/results/<date>-stores-<scale>.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
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

from harness import synthetic_set, validated_ledgers  # noqa: E402

from chain_graph.model import LedgerTables  # noqa: E402
from chain_graph.store import neo4j_store  # noqa: E402
from chain_graph.store.neo4j_store import Neo4jStore  # noqa: E402
from chain_graph.store.sqlite import SQLiteStore  # noqa: E402
from tests.neo4j_server import Neo4jServer, free_port  # noqa: E402

_ANCHOR = (
    "UNWIND $rows AS row MATCH (s:Entity {id: row.supplier_id, g: $g}) "
    "MATCH (b:Entity {id: row.buyer_id, g: $g}) "
    "CREATE (s)-[:SUPPLIES_ANCHOR {material: row.material, share: row.share}]->(b)"
)


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _anchor(store: Neo4jStore, ledgers: LedgerTables, batch: int) -> None:
    rows = [row for part in neo4j_store._batches(ledgers.links, "links", batch) for row in part]
    flat = [
        {
            "supplier_id": r["supplier_id"],
            "buyer_id": r["buyer_id"],
            "material": r["material"],
            "share": r["props"].get("share"),
        }
        for r in rows
    ]
    generation = store._current()[0]
    with store._driver.session(database=store.database) as session, session.begin_transaction() as tx:
        for start in range(0, len(flat), batch):
            tx.run(_ANCHOR, rows=flat[start : start + batch], g=generation).consume()
        tx.commit()


def _one_round(url: str, ledgers: LedgerTables, batch: int) -> dict[str, float]:
    nodes = LedgerTables(firms=ledgers.firms, projects=ledgers.projects)
    links = LedgerTables(links=ledgers.links)
    seconds: dict[str, float] = {}
    with Neo4jStore(url, batch_size=batch) as store:
        store.clear()
        seconds["nodes"] = _timed(lambda: store.write(nodes))
        seconds["anchor_create"] = _timed(lambda: _anchor(store, ledgers, batch))
        store.clear()
        store.write(nodes)
        seconds["links"] = _timed(lambda: store.write(links))
        store.clear()
        seconds["full"] = _timed(lambda: store.write(ledgers))
        seconds["reimport"] = _timed(lambda: store.write(ledgers))
        store.wait_for_cleanup()
        seconds["replace"] = _timed(lambda: store.write(ledgers, replace=True))
        store.wait_for_cleanup()
        seconds["load"] = _timed(store.load)
        store.clear()
    with (
        tempfile.TemporaryDirectory() as tmp,
        SQLiteStore(f"sqlite:///{tmp}/b.db", batch_size=batch) as sqlite,
    ):
        seconds["sqlite_full"] = _timed(lambda: sqlite.write(ledgers))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="province")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", default="5000,20000,50000")
    args = parser.parse_args()

    with validated_ledgers(synthetic_set(args.scale, args.seed)).open("rb") as handle:
        ledgers: LedgerTables = pickle.load(handle)
    counts = ledgers.counts()
    rows = {
        "nodes": counts["firms"] + counts["projects"],
        "links": counts["links"],
        "anchor_create": counts["links"],
        "full": sum(counts.values()),
        "reimport": sum(counts.values()),
        "replace": sum(counts.values()),
        "load": sum(counts.values()),
        "sqlite_full": sum(counts.values()),
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
            _one_round(server.url, ledgers, batches[0])  # warm-up: JIT and query plans
            for batch in batches:
                runs = [_one_round(server.url, ledgers, batch) for _ in range(args.repeat)]
                summary[str(batch)] = {
                    stage: {"median_seconds": statistics.median(r[stage] for r in runs), "rows": rows[stage]}
                    for stage in runs[0]
                }
        finally:
            server.stop()

    lines = [
        f"{args.scale}: {counts} — neo4j-rust-ext {'on' if rust else 'off'}, heap {os.environ['NEO4J_HEAP']}",
        "",
        "| batch | stage | median s | rows | rows/s | × anchor time |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for size, stages in summary.items():
        anchor_per_row = stages["anchor_create"]["median_seconds"] / stages["anchor_create"]["rows"]
        for stage, figure in stages.items():
            seconds, rows_done = figure["median_seconds"], figure["rows"]
            lines.append(
                f"| {size} | {stage} | {seconds:.2f} | {rows_done:,.0f} | "
                f"{rows_done / seconds:,.0f} | {seconds / rows_done / anchor_per_row:.2f} |"
            )
    print("\n".join(lines))
    out = ROOT / "results" / f"{dt.date.today()}-stores-{args.scale}.json"
    out.write_text(
        json.dumps(
            {
                "scale": args.scale,
                "counts": counts,
                "repeat": args.repeat,
                "neo4j_rust_ext": rust,
                "neo4j_heap": os.environ["NEO4J_HEAP"],
                "batches": summary,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
