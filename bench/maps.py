"""Map benchmark: time to produce each chain-map view, beside reading the same CSVs with pandas.

For the city demo: the city map (server layout), one chain, one county, the upstream of
the key enterprise with the most suppliers, the impact of the top blocked supplier, and the
chain atlas (产业链图谱: cells from the shared analysis, then its HTML; the analysis itself,
computed once per data version for every page, is timed apart as ``analysis``). For a
bigger set (``--big national``): the grouped overview. Each view is timed from the
validated ledgers (pickled by the analysis benchmark) to the finished HTML: graph, facts,
view, rendering. Usage::

    python bench/maps.py [--big national] [--repeat 3] [--browser 5]

``--browser N`` also opens the demo's busiest county map (:func:`application.demo.busiest_county`)
N times in headless Chromium (a standalone file) and reports the median time from navigation
to ``window.chainGraphReady`` (the network drawn, and stabilised where physics runs): as the
console draws it now (force layout on the server, physics off) and as it did before (physics
in the browser up to 1,500 nodes).
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from harness import SETTINGS, peak_mib, result_path, synthetic_set, validated_ledgers  # noqa: E402

from application.regions import draw_regions  # noqa: E402
from application.visibility import Visibility  # noqa: E402
from chain_graph.atlas import TIERS, atlas  # noqa: E402
from chain_graph.gaps import GapAnalysis, analyze  # noqa: E402
from chain_graph.graph import build_graph  # noqa: E402
from chain_graph.model import LedgerTables  # noqa: E402
from chain_graph.records import plain_records  # noqa: E402
from viz.atlas import atlas_fragment  # noqa: E402
from viz.render import render_map  # noqa: E402
from viz.views import NodeFacts, city_view, facts, impact_view, upstream_view  # noqa: E402


def _median(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _pandas_read(directory: Path) -> float:
    import pandas as pd

    started = time.perf_counter()
    for path in sorted(directory.glob("*.csv")):
        pd.read_csv(path, dtype=str, skiprows=1, keep_default_na=False, encoding="utf-8-sig")
    return time.perf_counter() - started


def _atlas_page(analysis: GapAnalysis, ledgers: LedgerTables) -> str:
    """The atlas's cells from the analysis, then its HTML (what the console page adds)."""
    found = atlas(analysis, ledgers, home_adcode=SETTINGS.home_adcode)
    return atlas_fragment(
        plain_records(found.cells),
        chains=found.chains,
        tiers=TIERS,
        cell_url=lambda c, t, s: f"/console/atlas/cell?{c}&{t}&{s}",
        show_gaps=True,
    )


def _views(ledgers: LedgerTables, repeat: int) -> dict[str, dict[str, Any]]:
    started = time.perf_counter()
    graph = build_graph(ledgers)
    node_facts: NodeFacts = facts(
        graph, home_adcode=SETTINGS.home_adcode, threshold=SETTINGS.blocked_threshold
    )
    prepared = time.perf_counter() - started
    g = node_facts.graph
    buyers = ledgers.links.groupby("buyer_id").size().sort_values(ascending=False)
    enterprise = next(b for b in buyers.index if b in set(ledgers.firms["id"]))
    import numpy as np

    out_degree = np.bincount(g.src, minlength=g.n)
    candidates = np.flatnonzero((g.capacity < 0.9) & (g.weight == 0))
    blocked = g.ids[candidates[np.argsort(-out_degree[candidates], kind="stable")]]
    chain = ledgers.firms["chain"].replace("", None).dropna().iloc[0]
    county = ledgers.firms["adcode"].iloc[0]
    views: dict[str, Callable[[], object]] = {
        "city": lambda: render_map(
            city_view(node_facts, aggregate_limit=SETTINGS.map_aggregate_limit),
            title="city",
            physics_limit=SETTINGS.map_physics_limit,
            spring_limit=SETTINGS.map_spring_limit,
            aggregate_limit=SETTINGS.map_aggregate_limit,
        ),
        "chain": lambda: render_map(
            city_view(node_facts, chain=chain, aggregate_limit=SETTINGS.map_aggregate_limit),
            title="chain",
            physics_limit=SETTINGS.map_physics_limit,
            spring_limit=SETTINGS.map_spring_limit,
            aggregate_limit=SETTINGS.map_aggregate_limit,
        ),
        "county": lambda: render_map(
            city_view(node_facts, county=county, aggregate_limit=SETTINGS.map_aggregate_limit),
            title="c",
            physics_limit=SETTINGS.map_physics_limit,
            spring_limit=SETTINGS.map_spring_limit,
            aggregate_limit=SETTINGS.map_aggregate_limit,
        ),
        "upstream": lambda: render_map(
            upstream_view(node_facts, str(enterprise), depth=3),
            title="up",
            physics_limit=SETTINGS.map_physics_limit,
            spring_limit=SETTINGS.map_spring_limit,
            aggregate_limit=SETTINGS.map_aggregate_limit,
        ),
        "impact": lambda: render_map(
            impact_view(node_facts, str(blocked[0])),
            title="impact",
            physics_limit=SETTINGS.map_physics_limit,
            spring_limit=SETTINGS.map_spring_limit,
            aggregate_limit=SETTINGS.map_aggregate_limit,
        ),
    }
    started = time.perf_counter()
    analysis = analyze(graph, settings=SETTINGS)
    _ = analysis.regions, analysis.gap_list
    analysed = time.perf_counter() - started
    views["atlas"] = lambda: _atlas_page(analysis, ledgers)
    results: dict[str, dict[str, Any]] = {
        "graph_and_facts": {"seconds": prepared},
        "analysis": {"seconds": analysed},
    }
    results |= _regions(ledgers, repeat)
    for name, action in views.items():
        page = action()
        results[name] = {
            "seconds": _median(action, repeat),
            "nodes": getattr(page, "nodes", 0),
            "mode": getattr(page, "mode", ""),
        }
    return results


def _regions(ledgers: LedgerTables, repeat: int) -> dict[str, dict[str, Any]]:
    """区域分布图: the analysis once, then the three panels (aggregation and SVG) per repeat."""
    started = time.perf_counter()
    analysis = analyze(ledgers, settings=SETTINGS)
    analysed = time.perf_counter() - started
    city = Visibility.whole_city()
    drawn = draw_regions(analysis, city, view="all", links=True)
    seconds = _median(lambda: draw_regions(analysis, city, view="all", links=True), repeat)
    regions = (
        len(drawn.distribution.provinces) + len(drawn.distribution.cities) + len(drawn.distribution.counties)
    )
    return {
        "regions_analysis": {"seconds": analysed},
        "regions_map": {"seconds": seconds, "nodes": regions, "mode": "svg"},
    }


def _time_to_interactive(ledgers: LedgerTables, repeat: int) -> dict[str, dict[str, Any]]:
    """Median seconds from navigation to ``window.chainGraphReady`` of the busiest county's map."""
    import tempfile

    from playwright.sync_api import sync_playwright

    from application.demo import busiest_county
    from application.workspace import Snapshot

    snap = Snapshot(version=1, ledgers=ledgers, settings=SETTINGS)
    county = busiest_county(snap)
    view = city_view(snap.facts, county=county, aggregate_limit=SETTINGS.map_aggregate_limit)
    limits = {
        "now": (SETTINGS.map_physics_limit, SETTINGS.map_spring_limit),
        "before (physics to 1,500)": (1500, 1500),
    }
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        for name, (physics, spring) in limits.items():
            drawn = render_map(
                view,
                title=county,
                link=None,
                physics_limit=physics,
                spring_limit=spring,
                aggregate_limit=SETTINGS.map_aggregate_limit,
            )
            path = Path(folder) / f"{len(results)}.html"
            path.write_text(drawn.html, encoding="utf-8")
            times = []
            for _ in range(repeat + 1):  # the first load warms the browser up: not counted
                started = time.perf_counter()
                page.goto(path.as_uri())
                page.wait_for_function("window.chainGraphReady === true", timeout=60_000)
                times.append(time.perf_counter() - started)
            results[name] = {
                "seconds": statistics.median(times[1:]),
                "nodes": drawn.nodes,
                "mode": drawn.mode,
                "county": county,
            }
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--big", default="")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--browser", type=int, default=0, help="loads of the county map in Chromium")
    args = parser.parse_args()
    report: dict[str, object] = {}
    for scale, repeat, only_overview in (("city", args.repeat, False), (args.big, 1, True)):
        if not scale:
            continue
        directory = synthetic_set(scale, 1)
        with validated_ledgers(directory).open("rb") as handle:
            ledgers: LedgerTables = pickle.load(handle)
        baseline = _pandas_read(directory)
        if only_overview:
            started = time.perf_counter()
            node_facts = facts(
                build_graph(ledgers), home_adcode=SETTINGS.home_adcode, threshold=SETTINGS.blocked_threshold
            )
            prepared = time.perf_counter() - started
            started = time.perf_counter()
            page = render_map(
                city_view(node_facts, aggregate_limit=SETTINGS.map_aggregate_limit),
                title="overview",
                physics_limit=SETTINGS.map_physics_limit,
                spring_limit=SETTINGS.map_spring_limit,
                aggregate_limit=SETTINGS.map_aggregate_limit,
            )
            results: dict[str, dict[str, Any]] = {
                **_regions(ledgers, 1),
                "graph_and_facts": {"seconds": prepared},
                "overview": {
                    "seconds": time.perf_counter() - started,
                    "nodes": page.nodes,
                    "mode": page.mode,
                },
            }
        else:
            results = _views(ledgers, repeat)
        report[scale] = {"pandas_read_seconds": baseline, "views": results, "peak_mib": peak_mib()}
        if args.browser and not only_overview:
            ready = _time_to_interactive(ledgers, args.browser)
            report[scale]["county_time_to_interactive"] = ready  # type: ignore[index]
            print(f"\ncounty map in Chromium, time to interactive (median of {args.browser} loads)")
            print("| drawn | seconds | nodes | mode |\n|---|---:|---:|---|")
            for name, figure in ready.items():
                print(f"| {name} | {figure['seconds']:.2f} | {figure['nodes']} | {figure['mode']} |")
        print(f"\n{scale} (pandas read of the CSVs: {baseline:.2f} s)")
        print("| view | seconds | × read | nodes drawn | mode |\n|---|---:|---:|---:|---|")
        for name, figure in results.items():
            print(
                f"| {name} | {figure['seconds']:.2f} | {figure['seconds'] / baseline:.1f} | "
                f"{figure.get('nodes', '')} | {figure.get('mode', '')} |"
            )
    out = result_path("maps")
    out.write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
