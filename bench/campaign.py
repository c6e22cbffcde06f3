"""Campaign benchmark: a year of weekly rounds of series beside one full analysis, same process.

On a synthetic set (validated once, cached), makes a year of status reports — every week,
every key enterprise and project reports, a few suppliers too, recovery climbing unevenly —
then times, in this one process:

- **analysis**: one full gap analysis of the base ledgers (the yardstick);
- **series**: 52 weekly rounds of the city series, the county series and the chain series
  (``chain_graph.campaign.series``: each round a capacity scenario on the base graph).

The goal (issue 13) is series ≤ 5 × one analysis. Medians over ``--repeat`` runs; the ratio
is of medians. Usage::

    python bench/campaign.py --scale city|province [--repeat 3]
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from harness import arguments, peak_mib, result_path, synthetic_set, validated_ledgers  # noqa: E402

from chain_graph.analysis import key_enterprises  # noqa: E402
from chain_graph.campaign import REPORT_COLUMNS, round_ends, series_by_groups  # noqa: E402
from chain_graph.gaps import analyze  # noqa: E402
from chain_graph.graph import build_graph  # noqa: E402
from chain_graph.settings import Settings  # noqa: E402

SETTINGS = Settings()
WEEKS = 52
END = dt.date(2026, 11, 27)


def _year_of_reports(ledgers: object, graph: object, *, seed: int) -> pd.DataFrame:
    """A report per key enterprise and project every week, and a tenth of the suppliers."""
    from chain_graph.graph import SupplyGraph
    from chain_graph.model import LedgerTables

    assert isinstance(ledgers, LedgerTables)
    assert isinstance(graph, SupplyGraph)
    rng = np.random.default_rng(seed)
    key = key_enterprises(
        graph, output_threshold=SETTINGS.key_output_threshold, tax_threshold=SETTINGS.key_tax_threshold
    )
    firms = graph.ids[key].astype(str)
    suppliers = ledgers.firms.loc[ledgers.firms["is_supplier"] & ~ledgers.firms["is_enterprise"], "id"]
    sample = rng.choice(suppliers.to_numpy(), size=max(1, len(suppliers) // 10), replace=False)
    projects = ledgers.projects["id"].to_numpy()
    frames = []
    for week, end in enumerate(round_ends(END - dt.timedelta(days=7 * WEEKS - 1), END, weekday=4)):
        climb = min(1.0, 0.5 + week / WEEKS)
        for ids, is_project in ((firms, False), (sample, False), (projects, True)):
            n = len(ids)
            frames.append(
                pd.DataFrame(
                    {
                        "id": ids,
                        "as_of": (end - dt.timedelta(days=int(rng.integers(0, 5)))).isoformat(),
                        "status": "",
                        "capacity": np.nan if is_project else np.clip(rng.normal(100 * climb, 15, n), 0, 100),
                        "recovery_days": np.nan,
                        "problem": "",
                        "started": (rng.random(n) < climb).astype(float) if is_project else np.nan,
                        "completed": rng.random(n) * 1000 * week if is_project else np.nan,
                        "workers": np.nan,
                        "reporter": "",
                    }
                )
            )
    reports = pd.concat(frames, ignore_index=True)
    reports["seq"] = np.arange(1, len(reports) + 1)
    return reports[list(REPORT_COLUMNS)]


def main() -> None:
    args = arguments()
    data_dir = synthetic_set(args.scale, args.seed)
    with validated_ledgers(data_dir).open("rb") as handle:
        ledgers = pickle.load(handle)
    graph = build_graph(ledgers)
    reports = _year_of_reports(ledgers, graph, seed=args.seed)
    ends = round_ends(END - dt.timedelta(days=7 * WEEKS - 1), END, weekday=SETTINGS.report_weekday)
    analysis_s, series_s = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        analyze(build_graph(ledgers), settings=SETTINGS)
        analysis_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        series_by_groups(
            graph,
            ledgers,
            reports,
            ends=ends,
            groups=["city", "county", "chain"],
            output_threshold=SETTINGS.key_output_threshold,
            tax_threshold=SETTINGS.key_tax_threshold,
            threshold=SETTINGS.blocked_threshold,
        )
        series_s.append(time.perf_counter() - started)
    result = {
        "date": dt.date.today().isoformat(),
        "scale": args.scale,
        "firms": len(ledgers.firms),
        "links": len(ledgers.links),
        "reports": len(reports),
        "rounds": len(ends),
        "analysis_s": statistics.median(analysis_s),
        "series_s": statistics.median(series_s),
        "ratio": statistics.median(series_s) / statistics.median(analysis_s),
        "peak_mib": peak_mib(),
    }
    out = result_path(f"campaign-{args.scale}", day=str(result["date"]))
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
