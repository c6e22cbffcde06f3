"""What-if use case (情景推演): the analysis after hypothetical changes, as the caller may see it.

A county may name only its own firms (stop, restore, set a capacity), and may ask what a
region's stopping would do (``stop_regions``, any region); it sees the difference for its
own entities only. The city's totals before and after are aggregates, the same for
everyone (from them a county can tell the value another region puts at risk, but no firm).
A firm the caller may not see answers "not found", exactly as an id that does not exist —
for everyone, so the map and the JSON what-if agree.
"""

from __future__ import annotations

from typing import Any

from application.visibility import Visibility
from application.workspace import Snapshot
from chain_graph.scenarios import Scenario, run_scenario

__all__ = ["CHANGES_SHOWN", "check_scenario", "what_if"]

CHANGES_SHOWN = 50
"""Most changed entities a what-if lists (the largest changes in value first)."""


def check_scenario(snap: Snapshot, vis: Visibility, scenario: Scenario) -> None:
    """Refuse a scenario that names a firm ``vis`` does not see: not found, as an unknown id."""
    for firm in [*scenario.stop, *scenario.restore, *scenario.capacity]:
        vis.require(firm, snap.adcode_of, what="企业")


def what_if(snap: Snapshot, vis: Visibility, scenario: Scenario) -> dict[str, Any]:
    """Run ``scenario`` against the current analysis; return the difference as JSON values.

    For a county, the changed entities and the blocked suppliers added or removed are its own.
    """
    check_scenario(snap, vis, scenario)
    outcome = run_scenario(snap.graph, scenario, settings=snap.settings, before=snap.analysis)
    result = outcome.to_json()
    if vis.is_county:
        own = snap.adcode_of
        changed = [r for r in outcome.changes(limit=None) if vis.sees(own[r["id"]])]
        result["availability_changes"] = changed[:CHANGES_SHOWN]
        result["blocked_added"] = vis.ids(result["blocked_added"], own)
        result["blocked_removed"] = vis.ids(result["blocked_removed"], own)
    return result
