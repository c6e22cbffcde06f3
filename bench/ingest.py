"""Ingest benchmark: synthetic ledgers into the embedded store, beside a pandas baseline.

Each stage runs in its own process so its peak memory is its own. The baseline is pandas
alone reading the same CSV files as text; the figure to watch is the ratio, since these
machines are shared and noisy. Usage::

    python bench/ingest.py --scale city|province|national|N [--repeat 3]

Writes ``bench/results/<date>-ingest-<scale>.json`` and prints a Markdown table.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from harness import arguments, measure, peak_mib, synthetic_set  # noqa: E402

from chain_graph.settings import Settings  # noqa: E402

SETTINGS = Settings()  # the deployment settings of the environment, as the CLI reads them


def _stage(name: str, data_dir: Path) -> dict[str, float]:
    import pandas as pd

    from chain_graph.store.sqlite import SQLiteStore
    from ingest.loader import read_directory

    started = time.perf_counter()
    rows = 0
    if name == "pandas_read":
        for path in sorted(data_dir.glob("*.csv")):
            rows += len(pd.read_csv(path, dtype=str, skiprows=1, keep_default_na=False, encoding="utf-8-sig"))
    elif name == "validate":
        validation = read_directory(data_dir, settings=SETTINGS)
        assert validation.ok, validation.issues[:5]
        rows = sum(validation.ledgers.counts().values())
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


def main() -> None:
    args = arguments()
    if args.stage:
        print(json.dumps(_stage(args.stage, args.data)))
        return

    data_dir = synthetic_set(args.scale, args.seed)
    results: dict[str, list[dict[str, float]]] = {}
    for _ in range(args.repeat):
        for name in ("pandas_read", "validate", "ingest_sqlite"):
            results.setdefault(name, []).append(measure(__file__, name, data_dir))
    summary = {
        name: {
            "median_seconds": statistics.median(r["seconds"] for r in runs),
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
        "| stage | median s | rows | rows/s | × pandas read | peak MiB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, s in summary.items():
        lines.append(
            f"| {name} | {s['median_seconds']:.2f} | {s['rows']:,.0f} | "
            f"{s['rows'] / s['median_seconds']:,.0f} | {s['median_seconds'] / base:.2f} | "
            f"{s['peak_mib']:,.0f} |"
        )
    table = "\n".join(lines)
    print(table)
    stamp = dt.date.today().isoformat()
    out = ROOT / "results" / f"{stamp}-ingest-{args.scale}.json"
    out.write_text(
        json.dumps(
            {
                "scale": args.scale,
                "seed": args.seed,
                "repeat": args.repeat,
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
