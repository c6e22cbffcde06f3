"""Load test: 50 concurrent clients for 60 s on loopback against the city demo.

Each client loops over a mix: the coordination list (60 %), a map page (20 %) and a ledger
update (20 %: read an item, add a progress note with the version it read, re-read and retry
on 409). At the end every accepted note must be in the ledger's history — no lost update —
and no request may have failed. Starts and stops ``chain-graph serve`` itself. Usage::

    python bench/load.py [--clients 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from harness import result_path, served_city_demo  # noqa: E402


async def _client(
    base: str,
    *,
    token: str,
    until: float,
    items: list[str],
    seed: int,
    latencies: dict[str, list[float]],
    outcome: dict[str, int],
) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        while time.perf_counter() < until:
            roll = rng.random()
            started = time.perf_counter()
            if roll < 0.6:
                kind, response = "coordination", await http.get("/coordination", params={"limit": 100})
            elif roll < 0.8:
                kind, response = "map", await http.get("/maps/impact/" + rng.choice(items[:1] or ["x"]))
            else:
                kind = "ledger_update"
                item = rng.choice(items[1:])
                for _ in range(20):
                    current = (await http.get(f"/ledger/{item}")).json()
                    response = await http.post(
                        f"/ledger/{item}/actions",
                        json={"action": "note", "version": current["version"], "note": f"load {seed}"},
                    )
                    if response.status_code != 409:
                        break
                    outcome["conflicts_retried"] += 1
                if response.status_code == 200:
                    outcome["notes_accepted"] += 1
            latencies[kind].append((time.perf_counter() - started) * 1000)
            if response.status_code >= 400:
                outcome["errors"] += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    with served_city_demo("load") as (base, token):
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
            blocked = http.get("/analysis/blocked", params={"limit": 1}).json()["data"][0]["id"]
            ledger = http.get("/ledger", params={"limit": 20}).json()["data"]
            items = [blocked] + [i["id"] for i in ledger]
            before = {i: len(http.get(f"/ledger/{i}/history").json()) for i in items[1:]}
            http.get("/coordination")  # warm-up: the analysis and the pages
            http.get(f"/maps/impact/{blocked}")
        latencies: dict[str, list[float]] = {"coordination": [], "map": [], "ledger_update": []}
        outcome = {"errors": 0, "notes_accepted": 0, "conflicts_retried": 0}
        until = time.perf_counter() + args.seconds

        async def run() -> None:
            await asyncio.gather(
                *(
                    _client(
                        base,
                        token=token,
                        until=until,
                        items=items,
                        seed=seed,
                        latencies=latencies,
                        outcome=outcome,
                    )
                    for seed in range(args.clients)
                )
            )

        asyncio.run(run())
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
            after = {i: len(http.get(f"/ledger/{i}/history").json()) for i in items[1:]}
    recorded = sum(after.values()) - sum(before.values())
    summary = {
        "clients": args.clients,
        "seconds": args.seconds,
        **outcome,
        "notes_recorded": recorded,
        "lost_updates": outcome["notes_accepted"] - recorded,
        "requests": {
            kind: {
                "count": len(values),
                "p50_ms": statistics.median(values),
                "p99_ms": sorted(values)[int(0.99 * (len(values) - 1))],
            }
            for kind, values in latencies.items()
            if values
        },
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    (result_path("load-city")).write_text(json.dumps(summary, indent=2))
    if summary["errors"] or summary["lost_updates"]:
        sys.exit("errors or lost updates")


if __name__ == "__main__":
    main()
