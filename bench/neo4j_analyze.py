"""Analysis served from Neo4j: the whole store read into tables, beside the pandas read of the CSVs.

Starts its own Neo4j (``services/neo4j/neo4j.sh``, data in a temporary directory, heap
``NEO4J_HEAP``, default 1g), imports a synthetic set once (staged, timed for the record),
then measures medians over ``--repeat`` rounds, each stage in its own process (peak memory is
that process's VmHWM):

- ``pandas_read``: pandas alone reading the same set's CSVs as text — the baseline;
- ``load_rows``: the read before the columnar one, kept as a reference: one statement per
  table, one record per row (``cypher.READ`` → ``DataFrame.from_records`` → ``conform``);
- ``load``: ``Neo4jStore.load``, keyset pages of column lists (``cypher.READ_BATCH``); the
  stage then also times the analysis of the loaded tables (``build_graph`` + ``analyze``)
  (its peak memory is the load's and the analysis's; ``load_peak_mib``: the load's alone);
- ``analyze``: ``chain-graph analyze --store URL`` end to end (connect, load, status reports,
  analysis, the printed report).

Neo4j and the stages share the machine's cores: compare the ratios, not the seconds. Usage::

    python bench/neo4j_analyze.py --scale province|national|N [--repeat 3] [--stages …]

Writes ``bench/results/<date>-neo4j-analyze-<scale>-<commit>.json`` and prints a Markdown table.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from harness import arguments, measure, peak_mib, result_path, synthetic_set, validated_ledgers  # noqa: E402

from chain_graph.model import LedgerTables  # noqa: E402
from chain_graph.settings import Settings  # noqa: E402
from chain_graph.store import cypher, neo4j_store  # noqa: E402

SETTINGS = Settings()  # the deployment settings of the environment, as the CLI reads them
_STAGES = "pandas_read,load_rows,load,analyze"


def _pandas_read(data_dir: Path) -> int:
    import pandas as pd

    return sum(
        len(pd.read_csv(p, dtype=str, skiprows=1, keep_default_na=False, encoding="utf-8-sig"))
        for p in sorted(data_dir.glob("*.csv"))
    )


def _load_rows(store: neo4j_store.Neo4jStore) -> LedgerTables:
    """The whole-table read as it was before the columnar one (one record per row)."""
    return store._consistent(
        lambda g: LedgerTables(
            **{
                name: store._read(cypher.READ[name], neo4j_store._COLUMNS[name], name, g=g)
                for name in LedgerTables.TABLES
            }
        )
    )


def _stage(name: str, data_dir: Path) -> dict[str, float]:
    if name == "pandas_read":
        started = time.perf_counter()
        rows = _pandas_read(data_dir)
        return {"seconds": time.perf_counter() - started, "rows": rows, "peak_mib": peak_mib()}
    from chain_graph.gaps import analyze
    from chain_graph.graph import build_graph
    from chain_graph.store import open_store

    if name == "analyze":
        from cli.main import app

        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            app(["analyze", "--store", SETTINGS.store], standalone_mode=False)
        assert "堵点" in printed.getvalue(), printed.getvalue()[-500:]
        return {"seconds": time.perf_counter() - started, "rows": 0, "peak_mib": peak_mib()}
    with open_store(SETTINGS.store, settings=SETTINGS) as store:
        assert isinstance(store, neo4j_store.Neo4jStore), SETTINGS.store
        started = time.perf_counter()
        loaded = _load_rows(store) if name == "load_rows" else store.load()
        seconds = time.perf_counter() - started
    figures = {"seconds": seconds, "rows": sum(loaded.counts().values()), "peak_mib": peak_mib()}
    if name == "load":
        figures["load_peak_mib"] = figures["peak_mib"]
        started = time.perf_counter()
        result = analyze(build_graph(loaded), settings=SETTINGS)
        figures |= {
            "analysis_seconds": time.perf_counter() - started,
            "blocked": len(result.blocked),
            "peak_mib": peak_mib(),
        }
    return figures


def _import(url: str, data_dir: Path) -> float:
    with validated_ledgers(data_dir).open("rb") as handle:
        ledgers = pickle.load(handle)
    with neo4j_store.Neo4jStore(
        url, batch_size=SETTINGS.neo4j_batch_size, page_size=SETTINGS.read_page_size
    ) as store:
        started = time.perf_counter()
        store.write(ledgers)
        seconds = time.perf_counter() - started
        store.wait_for_cleanup()
    return seconds


def main() -> None:
    args = arguments()
    if args.stage:
        print(json.dumps(_stage(args.stage, args.data)))
        return
    from tests.neo4j_server import Neo4jServer, free_port

    data_dir = synthetic_set(args.scale, args.seed)
    stages = (args.stages or _STAGES).split(",")
    os.environ.setdefault("NEO4J_HEAP", "1g")
    results: dict[str, list[dict[str, float]]] = {}
    failed: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as home:
        server = Neo4jServer(Path(home), free_port())
        server.start()
        try:
            imported = _import(server.url, data_dir)
            env = dict(os.environ, CHAIN_GRAPH_STORE=server.url)
            measure(__file__, "load", data_dir, env=env)  # warm-up: page cache, JIT, query plans
            for _ in range(args.repeat):
                for name in stages:
                    try:
                        results.setdefault(name, []).append(measure(__file__, name, data_dir, env=env))
                    except subprocess.CalledProcessError as error:  # e.g. out of memory: say so
                        failed[name] = (error.stderr or "").strip().splitlines()[-1:] or [str(error)]
        finally:
            server.stop()
    for name in failed:
        results.pop(name, None)
    summary = {
        name: {
            "median_seconds": statistics.median(r["seconds"] for r in runs),
            "rows": runs[0]["rows"],
            "peak_mib": max(r["peak_mib"] for r in runs),
            **(
                {
                    "median_analysis_seconds": statistics.median(r["analysis_seconds"] for r in runs),
                    "load_peak_mib": max(r["load_peak_mib"] for r in runs),
                }
                if "analysis_seconds" in runs[0]
                else {}
            ),
        }
        for name, runs in results.items()
    }
    base = summary["pandas_read"]["median_seconds"]
    lines = [
        f"{args.scale}: imported in {imported:.1f} s, Neo4j heap {os.environ['NEO4J_HEAP']}, "
        f"batch {SETTINGS.neo4j_batch_size}, pages of {SETTINGS.read_page_size}",
        "",
        "| stage | median s | rows | rows/s | × pandas read | peak MiB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, s in summary.items():
        rows = f"{s['rows']:,.0f} | {s['rows'] / s['median_seconds']:,.0f}" if s["rows"] else " | "
        lines.append(
            f"| {name} | {s['median_seconds']:.2f} | {rows} | {s['median_seconds'] / base:.2f} | "
            f"{s['peak_mib']:,.0f} |"
        )
        if "median_analysis_seconds" in s:
            lines[-1] = lines[-1].removesuffix(" |") + f" (the load alone: {s['load_peak_mib']:,.0f}) |"
            analysis = s["median_analysis_seconds"]
            lines.append(
                f"| … analysis of the loaded tables | {analysis:.2f} | | | {analysis / base:.2f} | |"
            )
    lines += [f"| {name} | failed: {' '.join(why)} | | | | |" for name, why in failed.items()]
    table = "\n".join(lines)
    print(table)
    out = result_path(f"neo4j-analyze-{args.scale}")
    out.write_text(
        json.dumps(
            {
                "scale": args.scale,
                "seed": args.seed,
                "repeat": args.repeat,
                "neo4j_heap": os.environ["NEO4J_HEAP"],
                "batch": SETTINGS.neo4j_batch_size,
                "read_page_size": SETTINGS.read_page_size,
                "import_seconds": imported,
                "summary": summary,
                "failed": failed,
                "runs": results,
                "table": table,
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
