"""Page benchmark: every console page and GET route, for the city bureau and a county, cold and warm.

Serves a synthetic set with ``chain-graph serve`` (one worker, SQLite, the ledger registered
from the analysis), then, for the city bureau (admin) and a county user (the county with the
most key enterprises), requests every console page, map page, list, export and report:

- **start**: the first page after the server starts (it reads the analysis the set-up
  commands published to the store, as a second worker would; else it computes it);
- **cold**: each route's first request after that (whatever the route itself builds);
  one analysis (the yardstick) is every figure of the analysis spec, the restoration order
  and the exposure index included, as ``analyze --json`` computes them;
- **warm**: p50 and p99 over ``--repeat`` sequential requests on one keep-alive connection;

beside ``/health`` (no login, no data) measured in the same run, and one analysis of the
same set in this process (the yardstick for "cold"). Times are client-side, to the last
byte; maps are timed to their HTML, not to drawing. Usage::

    python bench/pages.py [--scale city|province] [--repeat 30] [--only /coordination/letters,/console/firms]
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
from urllib.parse import quote

import pandas as pd

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

import httpx2 as httpx  # noqa: E402
from harness import SETTINGS, every_figure, result_path, served_demo, synthetic_set, validated_ledgers  # noqa: E402

# Every GET route of the service (``api.app.ROUTERS`` plus the app's own health checks) and how
# it is called: (path and query, who may call it). ``who`` is "all", "city" (not a county) or
# "admin". {enterprise}, {project}, {supplier}, {item}, {request}, {letter}, {county} and
# {cell} are entities the caller sees, picked from the data (:func:`_own`). A route served
# without a line here stops the benchmark (:func:`_check_covered`): none is forgotten.
CASES: dict[str, list[tuple[str, str]]] = {
    "/health": [("/health", "all")],
    "/ready": [("/ready", "all")],
    "/console/login": [("/console/login", "all")],
    "/console/": [("/console/", "all")],
    "/console/blocked": [("/console/blocked", "all"), ("/console/blocked?q=有限公司&sort=days", "all")],
    "/console/coordination": [
        ("/console/coordination", "city"),
        ("/console/coordination?q=有限公司", "city"),
    ],
    "/console/local": [("/console/local", "all")],
    "/console/glossary": [("/console/glossary", "all")],
    "/console/whatif": [("/console/whatif", "all"), ("/console/whatif?restore={supplier}", "all")],
    "/console/import": [("/console/import", "admin")],
    "/console/firms/{node_id}": [("/console/firms/{enterprise}", "all")],
    "/console/atlas": [("/console/atlas", "all")],
    "/console/atlas/cell": [("/console/atlas/cell?{cell}", "all")],
    "/console/coordination/requests": [
        ("/console/coordination/requests", "all"),
        ("/console/coordination/requests?overdue=true", "all"),
    ],
    "/console/coordination/requests/{request_id}": [("/console/coordination/requests/{request}", "all")],
    "/console/coordination/letters/{number}": [("/console/coordination/letters/{letter}", "all")],
    "/console/ledger": [
        ("/console/ledger", "all"),
        ("/console/ledger?overdue=true", "all"),
        ("/console/ledger?q=停产&sort=overdue", "all"),
    ],
    "/console/ledger/{item_id}": [("/console/ledger/{item}", "all")],
    "/console/regions": [("/console/regions", "all"), ("/console/regions?view=all", "all")],
    "/console/reports": [("/console/reports", "admin")],
    "/console/supply": [("/console/supply", "all")],
    "/console/targets": [("/console/targets", "all")],
    "/console/whitelist": [("/console/whitelist", "all")],
    "/maps/city": [("/maps/city", "all"), ("/maps/city?county={county}&colour=local", "all")],
    "/maps/gaps": [("/maps/gaps", "city")],
    "/maps/upstream/{node_id}": [("/maps/upstream/{enterprise}?depth=3", "all")],
    "/maps/impact/{node_id}": [("/maps/impact/{supplier}", "all")],
    "/maps/scenario": [("/maps/scenario?restore={supplier}", "all")],
    "/maps/regions": [("/maps/regions", "all"), ("/maps/regions?view=all&fmt=svg", "all")],
    "/firms": [("/firms?limit=100", "all"), ("/firms?county={county}&status=partial&limit=100", "all")],
    "/firms/{firm_id}": [("/firms/{enterprise}", "all")],
    "/projects": [("/projects?limit=100", "all")],
    "/projects/{project_id}": [("/projects/{project}", "all")],
    "/links": [("/links?buyer_id={enterprise}", "all")],
    "/analysis/summary": [("/analysis/summary", "all")],
    "/analysis/blocked": [
        ("/analysis/blocked?limit=100", "all"),
        ("/analysis/blocked?scope=local&limit=100", "all"),
    ],
    "/analysis/blocked/{supplier_id}/substitutes": [("/analysis/blocked/{supplier}/substitutes", "all")],
    "/coordination": [("/coordination?limit=100", "city")],
    "/coordination/requests": [("/coordination/requests?limit=100", "all")],
    "/coordination/summary": [("/coordination/summary", "all")],
    "/coordination/requests/{request_id}": [("/coordination/requests/{request}", "all")],
    "/coordination/letters": [("/coordination/letters", "all")],
    "/coordination/letters/{number}": [("/coordination/letters/{letter}", "all")],
    "/coordination/letters/{number}/document": [
        ("/coordination/letters/{letter}/document?fmt=docx", "all"),
        ("/coordination/letters/{letter}/document?fmt=xlsx", "all"),
    ],
    "/coordination/whitelist": [("/coordination/whitelist?limit=100", "all")],
    "/local": [("/local?limit=100", "all")],
    "/supply/local": [("/supply/local?limit=100", "all")],
    "/supply/gaps": [("/supply/gaps?limit=100", "city")],
    "/ledger": [("/ledger?limit=100", "all"), ("/ledger?overdue=true&limit=100", "all")],
    "/ledger/{item_id}": [("/ledger/{item}", "all")],
    "/ledger/{item_id}/history": [("/ledger/{item}/history", "all")],
    "/campaign/series": [("/campaign/series?group=county", "all")],
    "/campaign/compliance": [("/campaign/compliance", "all")],
    "/campaign/ranking": [("/campaign/ranking", "all")],
    "/campaign/targets": [("/campaign/targets", "all")],
    "/reports": [("/reports?limit=100", "all")],
    "/exports/coordination": [("/exports/coordination?fmt=xlsx", "city")],
    "/exports/local": [("/exports/local?fmt=xlsx", "all")],
    "/exports/gaps": [("/exports/gaps?fmt=xlsx", "city")],
    "/exports/ledger": [("/exports/ledger?fmt=xlsx", "all")],
    "/exports/whitelist": [("/exports/whitelist?fmt=xlsx", "city")],
    "/exports/template": [("/exports/template", "all")],
    "/reports/weekly": [
        ("/reports/weekly?fmt=html", "all"),
        ("/reports/weekly?fmt=docx", "all"),
        ("/reports/weekly?fmt=xlsx", "all"),
    ],
    "/reports/notice": [
        ("/reports/notice?period={month}&fmt=html", "city"),
        ("/reports/notice?period={month}&fmt=docx", "city"),
    ],
}

NOT_BENCHED = {
    "/": "a redirect to the console",
    "/docs": "static documentation page",
    "/openapi.json": "the schema, built once by FastAPI",
    "/imports/{ticket}/rejects.csv": "exists only after a rejected upload, for its uploader",
}
"""GET routes left out, and why."""


def _check_covered() -> None:
    """Stop when a GET route of the service has no line in :data:`CASES` (nor a reason to skip it)."""
    from starlette.routing import Route

    from api.app import ROUTERS, create_app

    routes = [r for router in ROUTERS for r in router.routes]
    routes += [r for r in create_app().routes if isinstance(r, Route)]
    served = {r.path for r in routes if isinstance(r, Route) and "GET" in (r.methods or ())}
    served -= {"/static/swagger/{path:path}"}
    missing = sorted(served - CASES.keys() - NOT_BENCHED.keys())
    if missing:
        sys.exit(f"bench/pages.py: no case for GET {', '.join(missing)} (add them to CASES)")


def _busiest_county(data: Path) -> str:
    firms = pd.read_csv(data / "重点企业.csv", skiprows=1, dtype=str)
    return str(firms["行政区划代码"].value_counts().index[0])


def _own(http: httpx.Client, token: str, county: str) -> dict[str, str]:
    """Entities the caller sees, to name in paths: an enterprise, a project, a blocked supplier, …"""
    import html
    import re

    bearer = {"Authorization": f"Bearer {token}"}

    def first(path: str, key: str = "id") -> str:
        answer = http.get(path, headers=bearer).json()
        rows = answer["data"] if isinstance(answer, dict) else answer
        return quote(str(rows[0][key])) if rows else "NONE"

    atlas = http.get("/console/atlas").text
    cell = re.search(r'/console/atlas/cell\?([^"]+)"', atlas)
    return {
        "enterprise": first("/firms?status=partial&limit=1"),
        "project": first("/projects?limit=1"),
        "supplier": first("/analysis/blocked?limit=1"),
        "item": first("/ledger?limit=1"),
        "request": first("/coordination/requests?limit=1"),
        "letter": first("/coordination/letters", "number"),
        "cell": html.unescape(cell.group(1)) if cell else "chain=NONE&tier=NONE&segment=NONE",
        "county": county,
        "month": (dt.date.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m"),  # ended
    }


def _timed(http: httpx.Client, path: str, headers: dict[str, str]) -> tuple[float, int, int]:
    started = time.perf_counter()
    response = http.get(path, headers=headers)
    elapsed = time.perf_counter() - started
    return elapsed * 1000, response.status_code, len(response.content)


def _bench_user(
    base: str, token: str, *, role: str, county: str, repeat: int, budget_s: float, only: str = ""
) -> dict[str, dict[str, Any]]:
    """Time every case the user may call: cold (its first request), then warm.

    Warm is ``repeat`` sequential requests, or fewer (at least 5) when they would take
    longer than ``budget_s`` (a page of seconds is slow whatever its p99).
    """
    rows: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=base, timeout=300) as http:
        login = http.post("/console/login", data={"token": token})
        assert login.status_code in (200, 303), login.text[:200]
        own = _own(http, token, county)
        bearer = {"Authorization": f"Bearer {token}"}
        for cases in CASES.values():
            for template, who in cases:
                if (who == "city" and role == "county") or (who == "admin" and role != "admin"):
                    continue
                if only and template != "/health" and not any(part in template for part in only.split(",")):
                    continue
                path = template.format(**own)
                headers = {} if path.startswith("/console/") else bearer
                cold, status, size = _timed(http, path, headers)
                warm: list[float] = []
                spent = time.perf_counter()
                while len(warm) < repeat and (len(warm) < 5 or time.perf_counter() - spent < budget_s):
                    warm.append(_timed(http, path, headers)[0])
                rows[template] = {
                    "status": status,
                    "kib": round(size / 1024, 1),
                    "cold_ms": round(cold, 1),
                    "p50_ms": round(statistics.median(warm), 2),
                    "p99_ms": round(sorted(warm)[max(0, int(len(warm) * 0.99) - 1)], 2),
                    "n": len(warm),
                }
                print(role, template, rows[template], file=sys.stderr, flush=True)
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
    every_figure(analyze(ledgers, settings=SETTINGS))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="city")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--budget", type=float, default=8.0, help="most seconds of warm requests per page")
    parser.add_argument("--only", default="", help="the routes containing one of these comma-separated texts")
    args = parser.parse_args()
    _check_covered()
    data = synthetic_set(args.scale, 1)
    county = _busiest_county(data)
    analysis = _analysis_seconds(data)
    users = {"admin": ("admin", ""), "county": ("county", county)}
    with served_demo(args.scale, users=users, letters=True) as (base, tokens):
        with httpx.Client(base_url=base, timeout=300) as http:
            started = time.perf_counter()
            first = http.get("/analysis/summary", headers={"Authorization": f"Bearer {tokens['admin']}"})
            start_s = time.perf_counter() - started
            assert first.status_code == 200
        timed = {
            who: _bench_user(
                base,
                tokens[who],
                role=who,
                county=county,
                repeat=args.repeat,
                budget_s=args.budget,
                only=args.only,
            )
            for who in ("admin", "county")
        }
        result = {
            "date": dt.date.today().isoformat(),
            "scale": args.scale,
            "county": county,
            "analysis_s": round(analysis, 2),
            "start_s": round(start_s, 2),
            "admin": timed["admin"],
            "county_user": timed["county"],
        }
        result |= _after_import(base, tokens["admin"], data)
    part = f"-only-{len(args.only.split(','))}" if args.only else ""  # a subset keeps the full table
    out = result_path(f"pages-{args.scale}{part}", day=str(result["date"]))
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(_markdown(result))
    keys = ("start_s", "analysis_s", "import_s", "after_import_s")
    print(json.dumps({key: result[key] for key in keys}))


GOAL_P50_MS, GOAL_P99_MS, GOAL_KIB = 50.0, 200.0, 300.0
"""The issue's goals: warm p50 and p99, and the HTML of a page that is not a map."""


COLD_GOAL, COLD_AIM = 1.2, 0.2
"""Cold, as a multiple of one analysis: the issue's goal for a page's first request after a
data change (the shared analysis included), and the stricter aim for a page's own part."""


def _misses(path: str, row: dict[str, Any], analysis_ms: float) -> str:
    """What a row misses: warm p50/p99, cold beyond the goal (in bold) or the aim, size."""
    missed = []
    if row["p50_ms"] >= GOAL_P50_MS:
        missed.append("**p50**")
    if row["p99_ms"] >= GOAL_P99_MS:
        missed.append("**p99**")
    if row["cold_ms"] > COLD_GOAL * analysis_ms:
        missed.append("**cold**")
    elif row["cold_ms"] > COLD_AIM * analysis_ms:
        missed.append(f"cold>{COLD_AIM}×")
    page = path.startswith("/console/") or "fmt=html" in path
    if page and row["kib"] >= GOAL_KIB:
        missed.append("**KiB**")
    return " ".join(missed)


def _markdown(result: dict[str, Any]) -> str:
    analysis_ms = result["analysis_s"] * 1000
    health = {who: result[who]["/health"]["p50_ms"] for who in ("admin", "county_user")}
    after = result["after_import_s"] / result["analysis_s"]
    lines = [
        f"{result['scale']}: one analysis {result['analysis_s']} s in this process; first page after start "
        f"{result['start_s']} s ({result['start_s'] / result['analysis_s']:.2f}× the analysis); after a "
        f"replacing import through the service ({result['import_s']} s), the first page took "
        f"{result['after_import_s']} s ({after:.2f}× one analysis); "
        f"`/health` warm p50 {health['admin']} ms (admin) / {health['county_user']} ms "
        f"(county {result['county']})",
        "",
        f"Goals: warm p50 < 50 ms, p99 < 200 ms; cold (first request of a page after a data "
        f"change) ≤ {COLD_GOAL}× one analysis; HTML of a page < 300 KiB; misses in **bold**. "
        f"Noted, not bold: a page whose own cold part is above {COLD_AIM}× one analysis (the "
        "analysis is shared by every page).",
        "",
        "| route | admin KiB | cold ms | p50 ms | p99 ms | county KiB | cold ms | p50 ms | p99 ms | misses |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    empty = {"kib": "", "cold_ms": "", "p50_ms": "", "p99_ms": "", "status": 0}
    for path, admin in result["admin"].items():
        county = result["county_user"].get(path, empty)
        cells = []
        for row in (admin, county):
            status = f" ({row['status']})" if row["status"] not in (0, 200) else ""
            cells += [f"{row['kib']}{status}", row["cold_ms"], row["p50_ms"], row["p99_ms"]]
        missed = " ".join(
            filter(None, (_misses(path, r, analysis_ms) for r in (admin, county) if r is not empty))
        )
        lines.append(f"| `{path}` | " + " | ".join(str(c) for c in cells) + f" | {missed} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
