"""Page benchmark: every console page and GET route, for the city bureau and a county, cold and warm.

Serves a synthetic set with ``chain-graph serve`` (one worker, SQLite, the ledger registered
from the analysis), then, for the city bureau (admin) and a county user (the county with the
most key enterprises), requests every console page, map page, list, export and report:

- **start**: the first page after the server starts (it computes the analysis once);
- **cold**: each route's first request after that (whatever the route itself builds);
- **warm**: p50 and p99 over ``--repeat`` sequential requests on one keep-alive connection;

beside ``/health`` (no login, no data) measured in the same run, and one analysis of the
same set in this process (the yardstick for "cold"). Times are client-side, to the last
byte; maps are timed to their HTML, not to drawing. Usage::

    python bench/pages.py [--scale city|province] [--repeat 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

import httpx2 as httpx  # noqa: E402
from harness import SETTINGS, served_demo, synthetic_set, validated_ledgers  # noqa: E402

# (path template, who may call it); {enterprise}, {project}, {supplier}, {item}, {county}
# are an own entity of the caller.
ROUTES: list[tuple[str, str]] = [
    ("/health", "all"),
    ("/console/", "all"),
    ("/console/blocked", "all"),
    ("/console/coordination", "city"),
    ("/console/ledger", "all"),
    ("/console/ledger?overdue=true", "all"),
    ("/console/ledger?q=停产&sort=overdue", "all"),
    ("/console/ledger/{item}", "all"),
    ("/console/local", "all"),
    ("/console/blocked?q=有限公司&sort=days", "all"),
    ("/console/coordination?q=有限公司", "city"),
    ("/console/glossary", "all"),
    ("/console/whatif", "all"),
    ("/console/whatif?restore={supplier}", "all"),
    ("/console/firms/{enterprise}", "all"),
    ("/maps/city", "all"),
    ("/maps/upstream/{enterprise}?depth=3", "all"),
    ("/maps/impact/{supplier}", "all"),
    ("/firms?limit=100", "all"),
    ("/firms?county={county}&status=partial&limit=100", "all"),
    ("/firms/{enterprise}", "all"),
    ("/projects?limit=100", "all"),
    ("/projects/{project}", "all"),
    ("/links?buyer_id={enterprise}", "all"),
    ("/analysis/summary", "all"),
    ("/analysis/blocked?limit=100", "all"),
    ("/analysis/blocked?scope=local&limit=100", "all"),
    ("/coordination?limit=100", "city"),
    ("/local?limit=100", "all"),
    ("/ledger?limit=100", "all"),
    ("/ledger?overdue=true&limit=100", "all"),
    ("/ledger/{item}", "all"),
    ("/ledger/{item}/history", "all"),
    ("/exports/coordination?fmt=xlsx", "city"),
    ("/exports/local?fmt=xlsx", "all"),
    ("/exports/ledger?fmt=xlsx", "all"),
    ("/reports/weekly?fmt=html", "all"),
    ("/reports/weekly?fmt=xlsx", "all"),
]


def _busiest_county(data: Path) -> str:
    firms = pd.read_csv(data / "重点企业.csv", skiprows=1, dtype=str)
    return str(firms["行政区划代码"].value_counts().index[0])


def _own(http: httpx.Client, token: str) -> dict[str, str]:
    """Ids of entities the caller sees: an enterprise, a project, a blocked supplier, an item."""
    bearer = {"Authorization": f"Bearer {token}"}

    def first(path: str, key: str = "id") -> str:
        rows = http.get(path, headers=bearer).json()["data"]
        return str(rows[0][key]) if rows else "NONE"

    return {
        "enterprise": first("/firms?limit=1"),
        "project": first("/projects?limit=1"),
        "supplier": first("/analysis/blocked?limit=1"),
        "item": first("/ledger?limit=1"),
    }


def _timed(http: httpx.Client, path: str, headers: dict[str, str]) -> tuple[float, int, int]:
    started = time.perf_counter()
    response = http.get(path, headers=headers)
    elapsed = time.perf_counter() - started
    return elapsed * 1000, response.status_code, len(response.content)


def _bench_user(base: str, token: str, *, city: bool, county: str, repeat: int) -> list[dict[str, Any]]:
    rows = []
    with httpx.Client(base_url=base, timeout=120) as http:
        login = http.post("/console/login", data={"token": token})
        assert login.status_code in (200, 303), login.text[:200]
        own = {**_own(http, token), "county": county}
        bearer = {"Authorization": f"Bearer {token}"}
        for template, who in ROUTES:
            if who == "city" and not city:
                continue
            path = template.format(**own)
            headers = {} if path.startswith("/console/") else bearer
            cold, status, size = _timed(http, path, headers)
            warm = [_timed(http, path, headers)[0] for _ in range(repeat)]
            rows.append(
                {
                    "route": template,
                    "status": status,
                    "kib": round(size / 1024, 1),
                    "cold_ms": round(cold, 1),
                    "p50_ms": round(statistics.median(warm), 2),
                    "p99_ms": round(sorted(warm)[max(0, int(len(warm) * 0.99) - 1)], 2),
                }
            )
    return rows


def _after_import(base: str, token: str, data: Path) -> dict[str, float]:
    """Replace the data through the service, then time the first page (a data change, cold)."""
    bearer = {"Authorization": f"Bearer {token}"}
    files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(data.glob("*.csv"))]
    with httpx.Client(base_url=base, timeout=600) as http:
        started = time.perf_counter()
        imported = http.post("/imports", files=files, data={"replace": "true"}, headers=bearer)
        import_s = time.perf_counter() - started
        assert imported.status_code == 200, imported.text[:300]
        started = time.perf_counter()
        first = http.get("/analysis/summary", headers=bearer)
        after_s = time.perf_counter() - started
        assert first.status_code == 200
    return {"import_s": round(import_s, 2), "after_import_s": round(after_s, 2)}


def _analysis_seconds(data: Path) -> float:
    import pickle

    from chain_graph.gaps import analyze

    ledgers = pickle.loads(validated_ledgers(data).read_bytes())
    started = time.perf_counter()
    analyze(ledgers, settings=SETTINGS)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="city")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    data = synthetic_set(args.scale, 1)
    county = _busiest_county(data)
    analysis = _analysis_seconds(data)
    users = {"admin": ("admin", ""), "county": ("county", county)}
    with served_demo(args.scale, users=users) as (base, tokens):
        with httpx.Client(base_url=base, timeout=300) as http:
            started = time.perf_counter()
            first = http.get("/analysis/summary", headers={"Authorization": f"Bearer {tokens['admin']}"})
            start_s = time.perf_counter() - started
            assert first.status_code == 200
        result = {
            "date": dt.date.today().isoformat(),
            "scale": args.scale,
            "county": county,
            "analysis_s": round(analysis, 2),
            "start_s": round(start_s, 2),
            "admin": _bench_user(base, tokens["admin"], city=True, county=county, repeat=args.repeat),
            "county_user": _bench_user(base, tokens["county"], city=False, county=county, repeat=args.repeat),
        }
        result |= _after_import(base, tokens["admin"], data)
    out = ROOT / "results" / f"{result['date']}-pages-{args.scale}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(_markdown(result))
    keys = ("start_s", "analysis_s", "import_s", "after_import_s")
    print(json.dumps({key: result[key] for key in keys}))


def _markdown(result: dict[str, Any]) -> str:
    health = {
        who: next(r for r in result[who] if r["route"] == "/health") for who in ("admin", "county_user")
    }
    lines = [
        f"{result['scale']}: after a replacing import through the service ({result['import_s']} s), the "
        f"first page took {result['after_import_s']} s "
        f"({result['after_import_s'] / result['analysis_s']:.2f}× one analysis)",
        "",
        f"{result['scale']}: one analysis {result['analysis_s']} s in this process; first page after start "
        f"{result['start_s']} s ({result['start_s'] / result['analysis_s']:.2f}× the analysis); "
        f"county {result['county']}",
        "",
        "| route | who | status | KiB | cold ms | warm p50 ms | warm p99 ms | p50 × /health |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for who in ("admin", "county_user"):
        for r in result[who]:
            ratio = r["p50_ms"] / health[who]["p50_ms"] if health[who]["p50_ms"] else float("nan")
            lines.append(
                f"| `{r['route']}` | {who.split('_')[0]} | {r['status']} | {r['kib']} | {r['cold_ms']} | "
                f"{r['p50_ms']} | {r['p99_ms']} | {ratio:.1f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
