"""How hard the fuzz and property tests push: ``CHAIN_GRAPH_FUZZ_SCALE`` times their base.

The test command runs the base counts (bounded, a few minutes in all); ``make fuzz`` runs
the same tests twenty times harder.
"""

from __future__ import annotations

import os


def examples(base: int) -> int:
    """Number of Hypothesis examples for a test whose CI count is ``base``."""
    scale = float(os.environ.get("CHAIN_GRAPH_FUZZ_SCALE", "1") or 1)
    return max(1, round(base * scale))
