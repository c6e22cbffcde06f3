"""Supply benchmark: substitutes for every blocked supplier beside one full analysis, same process.

On a synthetic set (validated once, cached), times in this one process:

- **analysis**: one full gap analysis, every figure of the analysis spec (the yardstick);
- **substitutes**: the ranked substitute suppliers of every link of every blocked supplier
  (``GapAnalysis.substitutes``, computed on first use);
- **supply**: the local supply rates and the gap list.

The goals (issue 14): substitutes ≤ 2 × one analysis in time, and "the national set within
the memory bound of the analysis" — read as the bound the national analysis is held to
(issue 16: peak ≤ 4 GB, i.e. 3,815 MiB: ``memory_bound_mib``, ``within_bound``); the
analysis's own peak in the same run is reported beside it. Medians over ``--repeat`` runs;
the ratio is of medians. Memory is the peak resident size of the process during each
stage (the peak is reset as the stage starts, so both include the ledgers and the graph
held throughout): ``analysis_peak_mib`` and ``substitutes_peak_mib``, of the first run
(later runs start from the heap the earlier ones left to the allocator). Usage::

    python bench/substitutes.py --scale city|province|national [--repeat 3]
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import pickle
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from harness import (  # noqa: E402
    arguments,
    every_figure,
    peak_mib,
    reset_peak,
    result_path,
    synthetic_set,
    validated_ledgers,
)

from chain_graph.gaps import analyze  # noqa: E402
from chain_graph.graph import build_graph  # noqa: E402
from chain_graph.settings import Settings  # noqa: E402

SETTINGS = Settings()
MEMORY_BOUND_MIB = 4e9 / 2**20
"""The national analysis's memory bound (issue 16: 4 GB), in MiB."""


def main() -> None:
    args = arguments()
    data_dir = synthetic_set(args.scale, args.seed)
    with validated_ledgers(data_dir).open("rb") as handle:
        ledgers = pickle.load(handle)
    analysis_s, substitutes_s, supply_s = [], [], []
    analysis_mib, substitutes_mib = [], []
    rows = links = blocked = 0
    for _ in range(args.repeat):
        reset_peak()
        started = time.perf_counter()
        result = every_figure(analyze(build_graph(ledgers), settings=SETTINGS))
        analysis_s.append(time.perf_counter() - started)
        analysis_mib.append(peak_mib())
        reset_peak()
        started = time.perf_counter()
        table = result.substitutes
        substitutes_s.append(time.perf_counter() - started)
        substitutes_mib.append(peak_mib())
        started = time.perf_counter()
        _ = result.local_supply, result.gap_list
        supply_s.append(time.perf_counter() - started)
        rows, blocked = len(table), len(result.blocked)
        links = table.groupby(["supplier_id", "buyer_id", "material"]).ngroups
        del result, table  # not held through the next run's analysis
        gc.collect()
    result_json = {
        "date": dt.date.today().isoformat(),
        "scale": args.scale,
        "firms": len(ledgers.firms),
        "links": len(ledgers.links),
        "blocked": blocked,
        "links_with_candidates": links,
        "candidate_rows": rows,
        "analysis_s": statistics.median(analysis_s),
        "substitutes_s": statistics.median(substitutes_s),
        "supply_s": statistics.median(supply_s),
        "ratio": statistics.median(substitutes_s) / statistics.median(analysis_s),
        "analysis_peak_mib": analysis_mib[0],
        "substitutes_peak_mib": substitutes_mib[0],
        "substitutes_peak_over_analysis_peak": substitutes_mib[0] / analysis_mib[0],
        "memory_bound_mib": round(MEMORY_BOUND_MIB, 1),
        "within_bound": substitutes_mib[0] <= MEMORY_BOUND_MIB and analysis_mib[0] <= MEMORY_BOUND_MIB,
    }
    out = result_path(f"substitutes-{args.scale}", day=str(result_json["date"]))
    out.write_text(json.dumps(result_json, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result_json, ensure_ascii=False))


if __name__ == "__main__":
    main()
