"""Ingest benchmark: synthetic ledgers into the embedded store, beside a pandas baseline.

Each stage runs in its own process so its peak memory is its own. The baseline is pandas
alone reading the same CSV files as text, in a process set up as a command sets itself up
(``cli.common.load_settings``: small pages, freed memory kept), so that the ratio measures
the code and not the process; the figure to watch is the ratio, since these machines are
shared and noisy. Stages: ``pandas_read``; ``floor`` (the same read, then one
trim of every cell and one hash of every id cell: the least any validator on Python strings
does, whatever its code); ``validate`` (read + validate, what
an upload costs); ``analyze`` (``chain-graph analyze DIR`` end to end: read, validate,
resolve addresses, analyse, print the report); ``ingest_sqlite`` (validate and write).
With ``--before DIR`` (a checkout of earlier code, e.g. ``git worktree add DIR REV``) each
stage but the baseline also runs on that code, in the same rounds. Usage::

    python bench/ingest.py --scale city|province|national|N [--repeat 3]
        [--stages pandas_read,floor,validate,analyze] [--before DIR]

Writes ``bench/results/<date>-ingest-<scale>-<commit>.json`` and prints a Markdown table.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
CODE = os.environ.get("CHAIN_GRAPH_BENCH_CODE") or str(ROOT.parent)
"""The code measured: this checkout, or the one ``--before`` names (set for its stages)."""
sys.path.insert(0, CODE)

from harness import arguments, measure, peak_mib, result_path, synthetic_set  # noqa: E402

from chain_graph.settings import Settings  # noqa: E402

SETTINGS = Settings()  # the deployment settings of the environment, as the CLI reads them


def _stage(name: str, data_dir: Path) -> dict[str, float]:
    import pandas as pd

    from chain_graph.store.sqlite import SQLiteStore
    from ingest.loader import read_directory

    _as_entry_points_do()  # the baseline too: the ratio measures the code, not the process setup
    started = time.perf_counter()
    rows = 0
    if name == "pandas_read":
        for path in sorted(data_dir.glob("*.csv")):
            rows += len(pd.read_csv(path, dtype=str, skiprows=1, keep_default_na=False, encoding="utf-8-sig"))
    elif name == "floor":
        rows = _floor(data_dir)
    elif name == "validate":
        validation = read_directory(data_dir, settings=SETTINGS)
        assert validation.ok, validation.issues[:5]
        rows = sum(validation.ledgers.counts().values())
    elif name == "analyze":
        from cli.main import app

        with contextlib.redirect_stdout(io.StringIO()) as printed:
            app(["analyze", str(data_dir)], standalone_mode=False)
        assert "堵点" in printed.getvalue(), printed.getvalue()[-500:]
    elif name == "ingest_sqlite":
        validation = read_directory(data_dir, settings=SETTINGS)
        with (
            tempfile.TemporaryDirectory() as tmp,
            SQLiteStore(f"sqlite:///{tmp}/b.db", batch_size=SETTINGS.write_batch_size) as store,
        ):
            write_started = time.perf_counter()
            store.write(validation.ledgers)
            write_seconds = time.perf_counter() - write_started
            rows = sum(store.counts().values())
        return {
            "seconds": time.perf_counter() - started,
            "rows": rows,
            "write_seconds": write_seconds,
            "peak_mib": peak_mib(),
        }
    return {"seconds": time.perf_counter() - started, "rows": rows, "peak_mib": peak_mib()}


def _as_entry_points_do() -> None:
    """Set the process up as a command of the code measured does (its ``load_settings``).

    Today that is :mod:`chain_graph.memory`'s small pages and kept freed memory;
    ``CHAIN_GRAPH_KEEP_FREED_MEMORY=false`` measures as the web service validates an upload.
    Code from before (``--before``) sets up whatever it set up.
    """
    from cli.common import load_settings

    load_settings()


def _floor(data_dir: Path) -> int:
    """Read the CSVs as ``pandas_read`` does, trim every cell once and hash every id cell once."""
    import numpy as np
    import pandas as pd

    frames = {
        path.stem: pd.read_csv(path, dtype=str, skiprows=1, keep_default_na=False, encoding="utf-8-sig")
        for path in sorted(data_dir.glob("*.csv"))
    }
    for frame in frames.values():
        for column in frame.columns:
            list(map(str.strip, frame[column].to_numpy(dtype=object)))
    ids = [frames[name].iloc[:, 0].to_numpy(dtype=object) for name in ("重点企业", "供应商", "重点项目")]
    index = pd.Index(pd.unique(np.concatenate(ids)), dtype=object)
    links = frames["供应关系"]
    for column in links.columns[:2]:  # supplier and buyer ids
        index.get_indexer(pd.Index(links[column].to_numpy(dtype=object), dtype=object))
    return sum(len(frame) for frame in frames.values())


def _ratios(runs: list[dict[str, float]], reads: list[float]) -> list[float]:
    """Each round's time over the same round's pandas read."""
    return [run["seconds"] / read for run, read in zip(runs, reads, strict=True)]


def main() -> None:
    args = arguments()
    if args.stage:
        print(json.dumps(_stage(args.stage, args.data)))
        return

    data_dir = synthetic_set(args.scale, args.seed)
    stages = (args.stages or "pandas_read,floor,validate,analyze,ingest_sqlite").split(",")
    codes: dict[str, dict[str, str] | None] = {"": None}
    if args.before:
        codes["before "] = dict(os.environ, CHAIN_GRAPH_BENCH_CODE=str(args.before.resolve()))
    results: dict[str, list[dict[str, float]]] = {}
    for _ in range(args.repeat):
        for name in stages:
            for label, env in codes.items():
                if label and name in ("pandas_read", "floor"):  # no code of ours
                    continue
                results.setdefault(label + name, []).append(measure(__file__, name, data_dir, env=env))
    reads = [r["seconds"] for r in results["pandas_read"]] if "pandas_read" in results else []
    summary = {
        name: {
            "median_seconds": statistics.median(r["seconds"] for r in runs),
            # Each round's time over the same round's pandas read, then the median: the
            # machine's speed drifts between rounds more than within one.
            **({"median_ratio": statistics.median(_ratios(runs, reads))} if reads else {}),
            "rows": runs[0]["rows"],
            "peak_mib": max(r["peak_mib"] for r in runs),
            **(
                {"median_write_seconds": statistics.median(r["write_seconds"] for r in runs)}
                if "write_seconds" in runs[0]
                else {}
            ),
        }
        for name, runs in results.items()
    }
    base = summary["pandas_read"]["median_seconds"]
    lines = [
        "| stage | median s | rows | rows/s | × read (medians) | × read (per round) | peak MiB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in summary.items():
        rows = f"{s['rows']:,.0f} | {s['rows'] / s['median_seconds']:,.0f}" if s["rows"] else "| "
        lines.append(
            f"| {name} | {s['median_seconds']:.2f} | {rows} | {s['median_seconds'] / base:.2f} | "
            f"{s.get('median_ratio', float('nan')):.2f} | {s['peak_mib']:,.0f} |"
        )
    table = "\n".join(lines)
    print(table)
    stamp = dt.date.today().isoformat()
    out = result_path(f"ingest-{args.scale}", day=stamp)
    out.write_text(
        json.dumps(
            {
                "scale": args.scale,
                "seed": args.seed,
                "repeat": args.repeat,
                "before": str(args.before) if args.before else None,
                "summary": summary,
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
