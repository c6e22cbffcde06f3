"""What-if use case (情景推演): the analysis after hypothetical changes, as the caller may see it.

A county may name only its own firms (stop, restore, set a capacity), and may ask what a
region's stopping would do (``stop_regions``, any region); it sees the difference for its
own entities only. The city's totals before and after are aggregates, the same for
everyone (from them a county can tell the value another region puts at risk, but no firm).
A firm the caller may not see answers "not found", exactly as an id that does not exist —
for everyone, so the map and the JSON what-if agree.
"""

from __future__ import annotations

import re
from typing import Any

from application.supply import shown_ids
from application.visibility import Visibility
from application.workspace import Snapshot
from chain_graph.errors import ConfigError, NotFoundError
from chain_graph.scenarios import Scenario, run_scenario

__all__ = ["CHANGES_SHOWN", "check_scenario", "resolve_firms", "what_if"]

_SEPARATORS = re.compile(r"[\s,，、;；]+")

CHANGES_SHOWN = 50
"""Most changed entities a what-if lists (the largest changes in value first)."""


def check_scenario(snap: Snapshot, vis: Visibility, scenario: Scenario) -> None:
    """Refuse a scenario that names a firm ``vis`` does not see: not found, as an unknown id.

    A substitute move (替代) names a link and a new supplier: for a county, the link has an
    own entity at one end (a link between two partners is refused as one that does not
    exist), and each firm it names is own or a direct partner.
    """
    for firm in [*scenario.stop, *scenario.restore, *scenario.capacity]:
        vis.require(firm, snap.adcode_of, what="企业")
    if not vis.is_county or not scenario.substitute:
        return
    shown = shown_ids(snap, vis)
    for move in scenario.substitute:
        for firm in (move.buyer, move.from_, move.to):
            if firm not in shown:
                raise NotFoundError(f"没有编号为 {firm} 的企业")
        if not (vis.sees(snap.adcode_of.get(move.buyer)) or vis.sees(snap.adcode_of.get(move.from_))):
            raise ConfigError(f"替代推演：{move.from_} 并不向 {move.buyer} 供应“{move.material}”，无法替代")


def resolve_firms(snap: Snapshot, vis: Visibility, text: str, *, partners: bool = False) -> list[str]:
    """Return the firm ids named in ``text``: ids or exact names, separated by 、，; or spaces.

    A name found more than once, or a firm ``vis`` does not see, is refused with a message
    naming it (an unseen firm: not found, as an unknown name). With ``partners``, a
    county's direct partners may be named too (the firms of a substitute move).
    """
    ids: list[str] = []
    by_name = snap.memo(("firm-by-name", vis.key, partners), lambda: _names(snap, vis, partners=partners))
    shown = shown_ids(snap, vis) if partners else frozenset()
    for token in _SEPARATORS.split(text.strip()):
        if not token:
            continue
        seen = token in snap.adcode_of and (vis.sees(snap.adcode_of[token]) or token in shown)
        if seen and token not in snap.project_ids:
            found = token
        else:  # another county's id answers as an unknown name: no way to tell which ids exist
            matches = by_name.get(token, [])
            if not matches:
                raise NotFoundError(f"没有编号或名称为“{token}”的企业")
            if len(matches) > 1:
                raise ConfigError(f"名称“{token}”对应多家企业（{'、'.join(matches)}），请填写编号")
            found = matches[0]
        if found not in ids:
            ids.append(found)
    return ids


def _names(snap: Snapshot, vis: Visibility, *, partners: bool) -> dict[str, list[str]]:
    firms = snap.firm_rows
    if vis.is_county:
        firms = firms[firms["id"].isin(shown_ids(snap, vis))] if partners else vis.rows(firms)
    names: dict[str, list[str]] = {}
    for firm_id, name in zip(firms["id"], firms["name"], strict=True):
        names.setdefault(str(name), []).append(str(firm_id))
    return names


def what_if(snap: Snapshot, vis: Visibility, scenario: Scenario) -> dict[str, Any]:
    """Run ``scenario`` against the current analysis; return the difference as JSON values.

    For a county, the changed entities and the blocked suppliers added or removed are its own.
    """
    check_scenario(snap, vis, scenario)
    key = ("what-if", vis.key, scenario.model_dump_json())
    return snap.memo(key, lambda: _what_if(snap, vis, scenario))  # asked again: not analysed again


def _what_if(snap: Snapshot, vis: Visibility, scenario: Scenario) -> dict[str, Any]:
    outcome = run_scenario(snap.graph, scenario, settings=snap.settings, before=snap.analysis)
    result = outcome.to_json()
    if vis.is_county:
        own = snap.adcode_of
        changed = [r for r in outcome.changes(limit=None) if vis.sees(own[r["id"]])]
        result["availability_changes"] = changed[:CHANGES_SHOWN]
        result["blocked_added"] = vis.ids(result["blocked_added"], own)
        result["blocked_removed"] = vis.ids(result["blocked_removed"], own)
    return result
