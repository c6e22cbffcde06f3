"""What-if use case (情景推演): the analysis after hypothetical changes, as the caller may see it.

A county may change only its own firms (stop, restore, set a capacity) and sees the
difference for its own entities only; the city's totals before and after are aggregates
and the same for everyone. A firm the caller may not see answers "not found", exactly as
an id that does not exist.
"""

from __future__ import annotations

from typing import Any

from application.visibility import Visibility
from application.workspace import Snapshot
from chain_graph.scenarios import Scenario, run_scenario

__all__ = ["check_scenario", "what_if"]


def check_scenario(snap: Snapshot, vis: Visibility, scenario: Scenario) -> None:
    """Refuse a scenario that names a firm ``vis`` does not see: not found, as an unknown id."""
    for firm in [*scenario.stop, *scenario.restore, *scenario.capacity]:
        vis.require(firm, snap.adcode_of, what="企业")


def what_if(snap: Snapshot, vis: Visibility, scenario: Scenario) -> dict[str, Any]:
    """Run ``scenario`` against the current analysis; return the difference as JSON values.

    For a county, the changed entities and the blocked suppliers added or removed are its own.
    """
    check_scenario(snap, vis, scenario)
    result = run_scenario(snap.graph, scenario, settings=snap.settings, before=snap.analysis).to_json()
    if vis.is_county:
        own = snap.adcode_of
        result["availability_changes"] = [r for r in result["availability_changes"] if vis.sees(own[r["id"]])]
        result["blocked_added"] = [i for i in result["blocked_added"] if vis.sees(own[i])]
        result["blocked_removed"] = [i for i in result["blocked_removed"] if vis.sees(own[i])]
    return result
