"""What the benchmark scripts share: one process per stage, peak memory, the command line."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from chain_graph.settings import Settings

if TYPE_CHECKING:
    from chain_graph.gaps import GapAnalysis

SETTINGS = Settings()  # the deployment settings of the environment, as the CLI reads them

ROOT = Path(__file__).resolve().parent


def code_version() -> str:
    """The checkout a benchmark measures: its short commit, ``+`` if its code has uncommitted edits.

    Edits under bench/results and docs do not count: they are not the code measured.
    """

    def git(*args: str) -> str:
        command = ["git", "--no-optional-locks", *args]  # no index lock: other git commands go on
        done = subprocess.run(command, cwd=ROOT.parent, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    edited = git("status", "--porcelain", "--", ".", ":!bench/results", ":!bench/data", ":!docs")
    return commit + ("+" if edited else "")


def result_path(name: str, *, day: str | None = None) -> Path:
    """Where a benchmark writes its result: ``bench/results/<date>-<name>-<commit>.json``.

    Named by the code measured, so a run never overwrites a result of other code
    (the same commit's rerun replaces its own). ``day``: the date (default today).
    """
    import datetime as dt

    stamp = day or dt.date.today().isoformat()
    return ROOT / "results" / f"{stamp}-{name}-{code_version()}.json"


def peak_mib() -> float:
    """Peak resident memory of this process (VmHWM: unlike ru_maxrss, not inherited)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def every_figure(analysis: GapAnalysis) -> GapAnalysis:
    """Compute what the analysis leaves to first use (restoration order, exposure): the yardstick.

    "One analysis" in every benchmark is every figure of the analysis spec, as
    ``analyze --json`` computes them and as the benchmarks measured before these were lazy.
    """
    _ = analysis.restoration_order, analysis.exposure
    return analysis


def reset_peak() -> None:
    """Start :func:`peak_mib` afresh from the present resident memory (Linux ``clear_refs``)."""
    Path("/proc/self/clear_refs").write_text("5")


def measure(
    script: str, stage: str, data_dir: Path, *, env: dict[str, str] | None = None
) -> dict[str, float]:
    """Run one stage of ``script`` in a fresh process and return what it printed.

    ``env``: the process's environment (default: this one's).
    """
    out = subprocess.run(
        [sys.executable, script, "--stage", stage, "--data", str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def arguments() -> argparse.Namespace:
    """Parse the options every benchmark takes."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="city")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stage")
    parser.add_argument("--data", type=Path)
    parser.add_argument(
        "--before", type=Path, help="a checkout of earlier code, measured beside this one in the same run"
    )
    parser.add_argument("--stages", help="comma-separated stages to run (default: the script's own)")
    return parser.parse_args()


def synthetic_set(scale: str, seed: int) -> Path:
    """Return the CSV synthetic set of a scale and seed, written once under bench/data/."""
    import time

    from ingest.synth import SCALES, synthesize

    directory = ROOT / "data" / f"{scale}-{seed}"
    if not (directory / "说明.txt").exists():
        started = time.perf_counter()
        synthesize(directory, firms=SCALES.get(scale) or int(scale), seed=seed, fmt="csv")
        print(f"synthesised {scale} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return directory


def validated_ledgers(data_dir: Path) -> Path:
    """Validate a set once and return the pickle of its ledgers, cached next to the CSVs."""
    import pickle

    from ingest.loader import read_directory

    cache = data_dir / "ledgers.pickle"
    if not cache.exists():
        validation = read_directory(data_dir, settings=SETTINGS)
        assert validation.ok, validation.issues[:5]
        with cache.open("wb") as handle:
            pickle.dump(validation.ledgers, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return cache


@contextmanager
def served_city_demo(user: str) -> Iterator[tuple[str, str]]:
    """Serve the synthetic city set (with its ledger registered) on a free port.

    Yields the base URL and an admin token; the server and its files go away afterwards.
    """
    with served_demo("city", users={user: ("admin", "")}) as (base, tokens):
        yield base, tokens[user]


def _cli() -> str:
    return str(Path(sys.executable).parent / "chain-graph")


def add_user(env: dict[str, str], name: str, role: str, county: str = "") -> str:
    """Add a user with the CLI (to the auth file of ``env``) and return its token."""
    import re

    extra = ["--county", county] if county else []
    added = subprocess.run(
        [_cli(), "users", "add", name, "--role", role, *extra],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = re.search(r"cg_[A-Za-z0-9_-]+", added)
    assert found, added
    return found.group(0)


_ISSUE_LETTERS = """
from application.coordination import issue_letters
from application.workspace import Workspace
from chain_graph.settings import Settings

ws = Workspace(Settings())
try:
    issue_letters(ws, ws.snapshot(), by="市工信局")
finally:
    ws.close()
"""
"""Register the coordination requests from the analysis and put them into 商请函."""


@contextmanager
def served_demo(
    scale: str, *, users: dict[str, tuple[str, str]], letters: bool = False
) -> Iterator[tuple[str, dict[str, str]]]:
    """Serve a synthetic set (ledger registered from the analysis) with ``chain-graph serve``.

    ``users`` maps a name to (role, county). With ``letters``, the coordination requests are
    registered from the analysis and put into 商请函 first
    (:func:`application.coordination.issue_letters`, as ``chain-graph coordination letters``
    does, without writing the documents). The commands and the server run this checkout's
    code. Yields the base URL and each user's token; the files go away afterwards.
    """
    import os
    import tempfile
    import time
    import urllib.request

    from tests.neo4j_server import free_port

    cli = _cli()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(
            os.environ,
            CHAIN_GRAPH_AUTH_DB=f"{tmp}/auth.db",
            CHAIN_GRAPH_STORE=f"sqlite:///{tmp}/set.db",
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT.parent), os.environ.get("PYTHONPATH")])),
        )
        subprocess.run(
            [cli, "ingest", str(synthetic_set(scale, 1))], env=env, check=True, capture_output=True
        )
        subprocess.run([cli, "ledger", "from-analysis"], env=env, check=True, capture_output=True)
        if letters:
            subprocess.run([sys.executable, "-c", _ISSUE_LETTERS], env=env, check=True, capture_output=True)
        tokens = {name: add_user(env, name, role, county) for name, (role, county) in users.items()}
        port = free_port()
        server = subprocess.Popen(
            [cli, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"{base}/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            yield base, tokens
        finally:
            server.terminate()
            server.wait(timeout=30)
