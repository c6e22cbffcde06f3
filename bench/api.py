"""API latency benchmark: cached reads on the city demo, with wrk on loopback.

Starts ``chain-graph serve`` (one uvicorn worker) on the synthetic city set in a fresh
SQLite store, warms it up, then runs wrk against each endpoint for ``--seconds`` with
``--connections`` connections, beside ``/health`` (no auth, no data) as the baseline
measured in the same run. Needs wrk (Debian: ``apt-get install wrk``). Usage::

    python bench/api.py [--seconds 10] [--connections 4,8]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from harness import synthetic_set  # noqa: E402

from tests.neo4j_server import free_port  # noqa: E402

ENDPOINTS = ["/health", "/coordination", "/analysis/blocked", "/local", "/analysis/summary",
             "/ledger?limit=50"]
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def _wrk(url: str, token: str, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-H", f"Authorization: Bearer {token}", url],
                         check=True, capture_output=True, text=True).stdout
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)$", out, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            "p50_ms": _ms(latency["50"]), "p90_ms": _ms(latency["90"]), "p99_ms": _ms(latency["99"]),
            "errors": int(errors.group(1)) if errors else 0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", default="4,8")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/api.py needs wrk: apt-get install wrk")
    cli = str(Path(sys.executable).parent / "chain-graph")
    data = synthetic_set("city", 1)
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CHAIN_GRAPH_AUTH_DB=f"{tmp}/auth.db", CHAIN_GRAPH_STORE=f"sqlite:///{tmp}/city.db")
        subprocess.run([cli, "ingest", str(data)], env=env, check=True, capture_output=True)
        subprocess.run([cli, "ledger", "from-analysis"], env=env, check=True, capture_output=True)
        added = subprocess.run([cli, "users", "add", "bench", "--role", "admin"], env=env, check=True,
                               capture_output=True, text=True).stdout
        token = re.search(r"cg_[A-Za-z0-9_-]+", added).group(0)  # type: ignore[union-attr]
        port = free_port()
        server = subprocess.Popen([cli, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    urllib.request.urlopen(f"{base}/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            for path in ENDPOINTS:  # warm-up: the analysis, the pages, the token cache
                request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
                for _ in range(20):
                    urllib.request.urlopen(request, timeout=30).read()
            for connections in args.connections.split(","):
                for path in ENDPOINTS:
                    results.setdefault(path, {})[connections] = _wrk(base + path, token, args.seconds,
                                                                     int(connections))
        finally:
            server.terminate()
            server.wait(timeout=30)
    lines = ["| endpoint | connections | requests/s | × /health | p50 ms | p90 ms | p99 ms | errors |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for path, by_connections in results.items():
        for connections, figure in by_connections.items():
            baseline = results["/health"][connections]["requests_per_s"]
            lines.append(f"| `{path}` | {connections} | {figure['requests_per_s']:,.0f} | "
                         f"{figure['requests_per_s'] / baseline:.2f} | {figure['p50_ms']:.2f} | "
                         f"{figure['p90_ms']:.2f} | {figure['p99_ms']:.2f} | {figure['errors']:.0f} |")
    print("\n".join(lines))
    out = ROOT / "results" / f"{dt.date.today()}-api-city.json"
    out.write_text(json.dumps({"seconds": args.seconds, "results": results}, indent=2))


if __name__ == "__main__":
    main()
