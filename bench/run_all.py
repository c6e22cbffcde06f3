"""The one benchmark command (``make bench``): every benchmark, one dated report.

Runs, each in its own process: ingest (province, SQLite, beside pandas reading the CSVs),
stores (province into Neo4j beside the bare UNWIND CREATE anchor and SQLite), analysis from
Neo4j (province: the store's load and ``analyze --store`` beside pandas reading the CSVs), analysis
(city, province and — unless ``--quick`` — national, beside pandas), API latency (city
demo, beside ``/health``), pages (every route, city and province), campaign, substitutes,
incremental re-analysis and published analyses (province), maps (city views, national
overview). Each script prints its
Markdown table and writes its JSON; this one gathers them into
``bench/results/<date>-all-<commit>.json`` and ``.md`` (every result file is named by the
commit it measured, ``+`` when the code had uncommitted edits: see ``harness.result_path``). Usage::

    python bench/run_all.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))  # the checkout's code, installed or not (as every bench script)

from harness import code_version, result_path  # noqa: E402


def _steps(quick: bool) -> list[tuple[str, list[str], str]]:
    scales = ["city", "province"] if quick else ["city", "province", "national"]
    steps = [
        ("ingest (province)", ["ingest.py", "--scale", "province", "--repeat", "3"], "ingest-province"),
        (
            "stores (province)",
            ["stores.py", "--scale", "province", "--repeat", "2", "--batch", "20000"],
            "stores-province",
        ),
        (
            "analysis from Neo4j (province)",
            ["neo4j_analyze.py", "--scale", "province", "--repeat", "3"],
            "neo4j-analyze-province",
        ),
    ]
    steps += [
        (
            f"analysis ({s})",
            ["analysis.py", "--scale", s, "--repeat", "1" if s == "national" else "3"],
            f"analysis-{s}",
        )
        for s in scales
    ]
    steps += [
        ("api (city)", ["api.py", "--seconds", "10"], "api-city"),
        ("pages (city)", ["pages.py", "--scale", "city"], "pages-city"),
        ("pages (province)", ["pages.py", "--scale", "province"], "pages-province"),
        ("campaign (province)", ["campaign.py", "--scale", "province"], "campaign-province"),
        ("substitutes (province)", ["substitutes.py", "--scale", "province"], "substitutes-province"),
        ("incremental (province)", ["incremental.py", "--scale", "province"], "incremental-province"),
        ("published (province)", ["published.py", "--scale", "province"], "published-province"),
        ("maps", ["maps.py", *([] if quick else ["--big", "national"])], "maps"),
    ]
    return steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the national set")
    args = parser.parse_args()
    today = dt.date.today().isoformat()
    steps: dict[str, dict[str, object]] = {}
    report: dict[str, object] = {
        "date": today,
        "code": code_version(),
        "python": sys.version.split()[0],
        "steps": steps,
    }
    markdown = [
        f"# chain-graph benchmarks, {today}",
        "",
        "Each figure is beside a baseline measured in the same run (see each table).",
        "",
    ]
    for title, command, stem in _steps(args.quick):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(ROOT / command[0]), *command[1:]],
            cwd=ROOT.parent,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        result_file = result_path(stem, day=today)
        steps[title] = {
            "exit_code": done.returncode,
            "seconds": round(elapsed, 1),
            "result": json.loads(result_file.read_text()) if result_file.exists() else None,
        }
        markdown += [f"## {title}", ""]
        if done.returncode == 0:
            markdown += [line for line in done.stdout.splitlines() if line.strip()] + [""]
        else:
            markdown += ["```", *done.stderr.strip().splitlines()[-15:], "```", ""]
        print(f"{title}: exit {done.returncode} in {elapsed:.0f} s", flush=True)
    out = result_path("all", day=today)
    out.write_text(json.dumps(report, indent=2, default=str))
    out.with_suffix(".md").write_text("\n".join(markdown) + "\n", encoding="utf-8")
    failed = [title for title, step in steps.items() if step["exit_code"]]
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
