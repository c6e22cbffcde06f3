"""Published analyses benchmark: what a worker pays for a data version, analysing or reading it.

On a synthetic set written to a fresh SQLite store, medians over ``--repeat`` runs in this
one process:

- **analyse**: what a worker without a published result does for a new data version —
  read the tables from the store, build the graph, analyse (``Store.load`` + ``analyze``);
- **publish**: encode the tables and the analysis and write them (``result_put``), done
  once per data version by the worker that analysed it (in the background in the service);
- **read**: what every other worker does instead — ``result_get`` and ``decode``
  (including building the graph again);

beside the pandas read of the set's CSVs (the yardstick of the ingest benchmark), with the
size of the result and the peak memory. So N workers cost one ``analyse`` and N − 1
``read``\\ s. Usage::

    python bench/published.py [--scale city|province|national] [--repeat 3]
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

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

import pandas as pd  # noqa: E402
from harness import arguments, peak_mib, result_path, synthetic_set, validated_ledgers  # noqa: E402

from chain_graph.gaps import analyze  # noqa: E402
from chain_graph.settings import Settings  # noqa: E402
from chain_graph.store.results import decode, encode, result_key  # noqa: E402
from chain_graph.store.sqlite import SQLiteStore  # noqa: E402

SETTINGS = Settings()


def _median(run: object, repeat: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times), value


def main() -> None:
    args = arguments()
    data = synthetic_set(args.scale, args.seed)
    ledgers = pickle.loads(validated_ledgers(data).read_bytes())
    day = dt.date.today()
    csvs = sorted(data.glob("*.csv"))
    read_csv, _ = _median(lambda: [pd.read_csv(p, dtype=str) for p in csvs], args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(f"sqlite:///{tmp}/set.db", batch_size=SETTINGS.write_batch_size)
        try:
            store.write(ledgers, replace=True)
            key = result_key(SETTINGS, version=store.data_version(), reports_version=0, day=day)
            analyse_s, analysis = _median(lambda: analyze(store.load(), settings=SETTINGS), args.repeat)
            base = store.load()

            def publish() -> int:
                payload = encode(base, analysis)  # type: ignore[arg-type]
                store.result_put(key, payload)
                return len(payload)

            publish_s, size = _median(publish, args.repeat)

            def read() -> object:
                payload = store.result_get(key)
                assert payload is not None
                return decode(payload, settings=SETTINGS)

            read_s, found = _median(read, args.repeat)
            assert found.analysis.to_json() == analysis.to_json()  # type: ignore[attr-defined]
        finally:
            store.close()
    result = {
        "date": day.isoformat(),
        "scale": args.scale,
        "links": len(ledgers.links),
        "pandas_read_s": round(read_csv, 3),
        "analyse_s": round(analyse_s, 3),
        "publish_s": round(publish_s, 3),
        "read_s": round(read_s, 3),
        "read_x_analyse": round(read_s / analyse_s, 3),
        "read_x_pandas": round(read_s / read_csv, 2),
        "analyse_x_pandas": round(analyse_s / read_csv, 2),
        "result_mib": round(int(size) / 2**20, 1),  # type: ignore[call-overload]
        "peak_mib": round(peak_mib()),
    }
    out = result_path(f"published-{args.scale}", day=str(result["date"]))
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print("| scale | links | pandas read s | analyse s | publish s | read s | read × analyse | result MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.scale} | {result['links']} | {read_csv:.2f} | {analyse_s:.2f} | {publish_s:.2f} | "
        f"{read_s:.2f} | {result['read_x_analyse']} | {result['result_mib']} |"
    )


if __name__ == "__main__":
    main()
