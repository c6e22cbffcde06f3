"""Incremental re-analysis benchmark: a few firms' capacities change, beside the full analysis.

On a synthetic set (validated once, cached), in one process:

- **full**: ``analyze`` of the changed graph, as a new data version costs without the
  update (the yardstick); ``full_all`` with the figures computed on first use too
  (restoration order, exposure index);
- **update k**: ``chain_graph.incremental.update`` of the analysis before, for k = 1, 10,
  100, 1000 firms whose capacity changed (drawn at random among all firms, each to a new
  capacity); ``update_all k`` with the lazy figures too, the analysis before having them;
- **end to end**: a SQLite store with the set, the web service (TestClient), a status
  report of k firms appended, and the time until ``GET /analysis/summary`` answers with the
  new figures — once with the incremental update, once with it switched off
  (``incremental_limit=0``).

Medians over ``--repeat`` draws; the ratios are of medians, to the full analysis measured
in the same run. Usage::

    python bench/incremental.py --scale city|province [--repeat 5]
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from harness import arguments, every_figure, result_path, synthetic_set, validated_ledgers  # noqa: E402

from chain_graph.gaps import analyze  # noqa: E402
from chain_graph.graph import SupplyGraph, build_graph  # noqa: E402
from chain_graph.incremental import update  # noqa: E402
from chain_graph.model import LedgerTables  # noqa: E402
from chain_graph.settings import Settings  # noqa: E402

SETTINGS = Settings()
SIZES = (1, 10, 100, 1000)
CAPACITIES = (0.0, 0.3, 0.6, 0.95, 1.0)


def _changed(graph: SupplyGraph, k: int, rng: np.random.Generator) -> SupplyGraph:
    firms = np.flatnonzero(~graph.is_project)
    nodes = rng.choice(firms, size=k, replace=False)
    capacity = graph.capacity.copy()
    capacity[nodes] = rng.choice(CAPACITIES, size=k)
    fields = {name: getattr(graph, name) for name in graph.__dataclass_fields__}
    return SupplyGraph(**fields | {"capacity": capacity})  # nothing cached: as a new version's graph


def _engine(ledgers: LedgerTables, repeat: int, seed: int) -> dict[str, list[float]]:
    graph = build_graph(ledgers)
    before = analyze(graph, settings=SETTINGS)
    every_figure(before)
    rng = np.random.default_rng(seed)
    times: dict[str, list[float]] = {}
    for _ in range(repeat):
        for k in SIZES:
            after = _changed(graph, k, rng)
            started = time.perf_counter()
            updated = update(before, after)
            served = time.perf_counter()
            every_figure(updated)
            done = time.perf_counter()
            times.setdefault(f"update {k}", []).append(served - started)
            times.setdefault(f"update_all {k}", []).append(done - started)
        after = _changed(graph, 1, rng)
        started = time.perf_counter()
        full = analyze(after, settings=SETTINGS)
        served = time.perf_counter()
        every_figure(full)
        done = time.perf_counter()
        times.setdefault("full", []).append(served - started)
        times.setdefault("full_all", []).append(done - started)
    return times


def _reports(ids: np.ndarray, day: dt.date, rng: np.random.Generator) -> pd.DataFrame:
    k = len(ids)
    return pd.DataFrame(
        {
            "id": ids,
            "as_of": day.isoformat(),
            "status": "",
            "capacity": rng.choice([0.0, 30.0, 60.0, 95.0, 100.0], size=k),
            "recovery_days": np.nan,
            "problem": "",
            "started": np.nan,
            "completed": np.nan,
            "workers": np.nan,
            "reporter": "",
        }
    )


def _end_to_end(ledgers: LedgerTables, repeat: int, seed: int) -> dict[str, list[float]]:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.state import AppState
    from api.users import Role
    from chain_graph.store.sqlite import SQLiteStore

    rng = np.random.default_rng(seed)
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store_url = f"sqlite:///{tmp}/bench.db"
        with SQLiteStore(store_url, batch_size=SETTINGS.write_batch_size) as store:
            store.write(ledgers, replace=True)
        firms = ledgers.firms["id"].to_numpy(dtype=object)
        for label, limit in (("incremental", SETTINGS.incremental_limit), ("whole", 0)):
            settings = Settings(store=store_url, auth_db=f"{tmp}/auth-{label}.db", incremental_limit=limit)
            state = AppState(settings)
            token = state.users.add("admin", Role.ADMIN)[1]
            bearer = {"Authorization": f"Bearer {token}"}
            with TestClient(create_app(settings, state=state)) as client:
                first = client.get("/analysis/summary", headers=bearer).json()  # the analysis before
                for _ in range(repeat):
                    for k in (1, 10, 100):
                        ids = rng.choice(firms, size=k, replace=False)
                        started = time.perf_counter()
                        with state.store() as store:
                            store.append_reports(
                                _reports(ids, dt.date.today(), rng), by="bench", at=dt.datetime.now()
                            )
                        state.refresh()  # as the reports import does after its write
                        answer = client.get("/analysis/summary", headers=bearer).json()
                        times.setdefault(f"{label} {k}", []).append(time.perf_counter() - started)
                        assert answer["summary"]["firms"] == first["summary"]["firms"]
                        with state.store() as store:  # the answer was the new reports' state
                            assert state.snapshot().reports_version == store.reports_version()
            state.close()
    return times


def main() -> None:
    args = arguments()
    data_dir = synthetic_set(args.scale, args.seed)
    with validated_ledgers(data_dir).open("rb") as handle:
        ledgers = pickle.load(handle)
    engine = _engine(ledgers, args.repeat, args.seed)
    served = _end_to_end(ledgers, args.repeat, args.seed)
    medians = {name: statistics.median(v) for name, v in {**engine, **served}.items()}
    full, full_all = medians["full"], medians["full_all"]
    lines = [
        f"| step ({args.scale}, median of {args.repeat}) | s | × full analysis (every figure: × its own) |",
        "|---|---:|---:|",
        f"| full analysis (figures pages show) | {full:.3f} | 1.00 |",
        f"| full analysis, every figure (+ restoration order, exposure) | {full_all:.3f} | 1.00 |",
    ]
    for k in SIZES:
        upd, upd_all = medians[f"update {k}"], medians[f"update_all {k}"]
        lines.append(f"| update, {k} firms changed | {upd:.3f} | {upd / full:.2f} |")
        every = f"{upd_all:.3f} | {upd_all / full_all:.2f}"
        lines.append(f"| update, {k} firms changed, every figure | {every} |")
    for label in ("incremental", "whole"):
        for k in (1, 10, 100):
            value = medians[f"{label} {k}"]
            lines.append(
                f"| {k} reports written → new summary served ({label}) | {value:.3f} | {value / full:.2f} |"
            )
    table = "\n".join(lines)
    print(table)
    out = result_path(f"incremental-{args.scale}")
    out.write_text(
        json.dumps(
            {
                "scale": args.scale,
                "seed": args.seed,
                "medians": medians,
                "runs": {**engine, **served},
                "table": table,
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
