"""What the benchmark scripts share: one process per stage, peak memory, the command line."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def peak_mib() -> float:
    """Peak resident memory of this process (VmHWM: unlike ru_maxrss, not inherited)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(script: str, stage: str, data_dir: Path) -> dict[str, float]:
    """Run one stage of ``script`` in a fresh process and return what it printed."""
    out = subprocess.run([sys.executable, script, "--stage", stage, "--data", str(data_dir)],
                         check=True, capture_output=True, text=True)
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
        validation = read_directory(data_dir)
        assert validation.ok, validation.issues[:5]
        with cache.open("wb") as handle:
            pickle.dump(validation.ledgers, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return cache
