"""Reading Neo4j query plans in tests: which operators a plan uses."""

from __future__ import annotations

from typing import Any


def operators(plan: dict[str, Any]) -> set[str]:
    """Return the operator names of ``plan`` and its children, without runtime or lock suffixes.

    ``NodeUniqueIndexSeek(Locking)@neo4j`` is ``NodeUniqueIndexSeek``.
    """
    found = {plan["operatorType"].split("@")[0].split("(")[0]}
    for child in plan.get("children", []):
        found |= operators(child)
    return found
