"""Analysis benchmark: the whole gap analysis on synthetic sets, beside a pandas baseline.

The baseline is pandas alone reading the same ledger CSVs (the issue's yardstick: the
analysis should take at most about five times as long). Each stage runs in its own process
(peak memory is VmHWM of that process). The ledgers are validated once and cached as a
pickle next to the CSVs, so the analysis stage measures graph building plus analysis
only. Usage::

    python bench/analysis.py --scale city|province|national|N [--repeat 3]
"""

from __future__ import annotations

import json
import pickle
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from harness import arguments, measure, peak_mib, result_path, synthetic_set, validated_ledgers  # noqa: E402

from chain_graph.settings import Settings  # noqa: E402

SETTINGS = Settings()  # the deployment settings of the environment, as the CLI reads them


def _stage(name: str, data_dir: Path) -> dict[str, float]:
    import pandas as pd

    if name == "pandas_read":
        started = time.perf_counter()
        rows = sum(
            len(pd.read_csv(p, dtype=str, skiprows=1, keep_default_na=False, encoding="utf-8-sig"))
            for p in sorted(data_dir.glob("*.csv"))
        )
        return {"seconds": time.perf_counter() - started, "rows": rows, "peak_mib": peak_mib()}
    with validated_ledgers(data_dir).open("rb") as handle:
        ledgers = pickle.load(handle)
    from chain_graph.gaps import analyze
    from chain_graph.graph import build_graph

    loaded = peak_mib()
    started = time.perf_counter()
    graph = build_graph(ledgers)
    built = time.perf_counter()
    result = analyze(graph, settings=SETTINGS)
    done = time.perf_counter()
    return {
        "seconds": done - started,
        "build_seconds": built - started,
        "rows": len(ledgers.links),
        "blocked": len(result.blocked),
        "peak_mib": peak_mib(),
        "ledgers_mib": loaded,
    }


def main() -> None:
    args = arguments()
    if args.stage:
        print(json.dumps(_stage(args.stage, args.data)))
        return
    data_dir = synthetic_set(args.scale, args.seed)
    validated_ledgers(data_dir)
    runs: dict[str, list[dict[str, float]]] = {"pandas_read": [], "analysis": []}
    for _ in range(args.repeat):
        for name, record in runs.items():
            record.append(measure(__file__, name, data_dir))
    base = statistics.median(r["seconds"] for r in runs["pandas_read"])
    analysis = statistics.median(r["seconds"] for r in runs["analysis"])
    summary = {
        "links": runs["analysis"][0]["rows"],
        "blocked": runs["analysis"][0]["blocked"],
        "pandas_read_seconds": base,
        "analysis_seconds": analysis,
        "build_graph_seconds": statistics.median(r["build_seconds"] for r in runs["analysis"]),
        "ratio_to_pandas_read": analysis / base,
        "peak_mib": max(r["peak_mib"] for r in runs["analysis"]),
        "ledgers_in_memory_mib": max(r["ledgers_mib"] for r in runs["analysis"]),
    }
    table = "\n".join(
        [
            "| scale | links | blocked | pandas read s | analysis s | × read | peak MiB |",
            "|---|---:|---:|---:|---:|---:|---:|",
            f"| {args.scale} | {summary['links']:,} | {summary['blocked']:,} | {base:.2f} | "
            f"{analysis:.2f} | {summary['ratio_to_pandas_read']:.2f} | {summary['peak_mib']:,.0f} |",
        ]
    )
    print(table)
    out = result_path(f"analysis-{args.scale}")
    out.write_text(
        json.dumps(
            {"scale": args.scale, "seed": args.seed, "summary": summary, "runs": runs, "table": table},
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
