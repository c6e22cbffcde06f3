"""The settings tests run with: the spec's defaults (every setting a function needs is passed)."""

from __future__ import annotations

from chain_graph.settings import Settings

SETTINGS = Settings()
"""Deployment settings as the spec defines them (home city 431200, thresholds 90 % and 80 %)."""
