"""API latency benchmark: cached reads on the city demo, with wrk on loopback.

Starts ``chain-graph serve`` (one uvicorn worker) on the synthetic city set in a fresh
SQLite store, warms it up, then runs wrk against each endpoint for ``--seconds`` with
``--connections`` connections, beside ``/health`` (no auth, no data) as the baseline
measured in the same run. Needs wrk (Debian: ``apt-get install wrk``). Usage::

    python bench/api.py [--seconds 10] [--connections 4,8]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from harness import result_path, served_city_demo  # noqa: E402

ENDPOINTS = [
    "/health",
    "/coordination",
    "/analysis/blocked",
    "/local",
    "/analysis/summary",
    "/ledger?limit=50",
]
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def _wrk(url: str, token: str, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)$", out, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(latency["50"]),
        "p90_ms": _ms(latency["90"]),
        "p99_ms": _ms(latency["99"]),
        "errors": int(errors.group(1)) if errors else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", default="4,8")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/api.py needs wrk: apt-get install wrk")
    results: dict[str, dict[str, dict[str, float]]] = {}
    with served_city_demo("bench") as (base, token):
        for path in ENDPOINTS:  # warm-up: the analysis, the pages, the token cache
            request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
            for _ in range(20):
                urllib.request.urlopen(request, timeout=30).read()
        for connections in args.connections.split(","):
            for path in ENDPOINTS:
                results.setdefault(path, {})[connections] = _wrk(
                    base + path, token, args.seconds, int(connections)
                )
    lines = [
        "| endpoint | connections | requests/s | × /health | p50 ms | p90 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for path, by_connections in results.items():
        for connections, figure in by_connections.items():
            baseline = results["/health"][connections]["requests_per_s"]
            lines.append(
                f"| `{path}` | {connections} | {figure['requests_per_s']:,.0f} | "
                f"{figure['requests_per_s'] / baseline:.2f} | {figure['p50_ms']:.2f} | "
                f"{figure['p90_ms']:.2f} | {figure['p99_ms']:.2f} | {figure['errors']:.0f} |"
            )
    print("\n".join(lines))
    out = result_path("api-city")
    out.write_text(json.dumps({"seconds": args.seconds, "results": results}, indent=2))


if __name__ == "__main__":
    main()
