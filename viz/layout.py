"""Positions computed on the server, and the aggregated overview for maps too big to draw.

vis-network's physics takes seconds to settle past a couple of hundred nodes (a county of
the demo city, 618 nodes: 5–6 s), so a mid-sized view gets a force layout here
(:func:`spring_positions`: Fruchterman–Reingold with a pull to the centre, a fixed number
of steps from a seeded start, so the same data gives the same picture) and is drawn with
physics off. A bigger view gets a layered layout (tier = longest path from the sources of
the condensation, left to right, suppliers before buyers; within a tier by chain and name),
physics off too. Above the aggregation limit, nodes are grouped — enterprises and projects by county
and chain, suppliers by where they are (county at home, city in the province, province
elsewhere) and chain — into a map of a few hundred groups.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import networkx as nx
import numpy as np

from chain_graph.labels import KIND_LABELS

__all__ = ["aggregate", "layered_positions", "spring_positions"]

_DX, _DY = 340.0, 28.0
_SUB_DX = 240.0  # between the sub-columns of one tall tier (room for a label)


def layered_positions(view: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """Return ``{node: (x, y)}``: tiers from left (raw suppliers) to right (key buyers).

    Examples
    --------
    >>> g = nx.DiGraph([("S", "E"), ("E", "P")])
    >>> {k: v[0] for k, v in layered_positions(g).items()}
    {'S': 0.0, 'E': 340.0, 'P': 680.0}
    """
    condensed = nx.condensation(view)
    tier: dict[int, int] = {}
    for component in nx.topological_sort(condensed):
        preds = list(condensed.predecessors(component))
        tier[component] = 1 + max(tier[p] for p in preds) if preds else 0
    members = condensed.graph["mapping"]
    columns: dict[int, list[str]] = defaultdict(list)
    for node in view.nodes:
        columns[tier[members[node]]].append(node)
    # A tall tier is wrapped into sub-columns of at most ``rows`` nodes, so that the whole
    # map keeps a screen-like shape instead of one column thousands of nodes high.
    rows = max(20, int(1.2 * len(view) ** 0.5))
    positions: dict[str, tuple[float, float]] = {}
    x = 0.0
    for t in sorted(columns):
        nodes = columns[t]
        nodes.sort(key=lambda n: (view.nodes[n].get("chain", ""), view.nodes[n].get("name", ""), n))
        height = min(len(nodes), rows)
        top = -(height - 1) * _DY / 2
        for i, node in enumerate(nodes):
            positions[node] = (x + (i // rows) * _SUB_DX, top + (i % rows) * _DY)
        x += ((len(nodes) - 1) // rows) * _SUB_DX + _DX
    return positions


def spring_positions(
    view: nx.DiGraph, *, iterations: int = 80, spacing: float = 60.0, seed: int = 1
) -> dict[str, tuple[float, float]]:
    """Return ``{node: (x, y)}`` of a force layout: linked nodes close, the others apart.

    Fruchterman–Reingold on the undirected links (dense arrays: fine up to a few thousand
    nodes), with a weak pull to the centre that keeps separate groups — a county's firms
    each with its own suppliers — on the screen. ``iterations`` steps with a cooling
    temperature, from positions drawn with ``seed``; scaled so that a node's nearest
    neighbour is typically (median) ``spacing`` pixels away.

    Examples
    --------
    >>> pos = spring_positions(nx.DiGraph([("S", "E"), ("E", "P"), ("T", "E")]))
    >>> sorted(pos) == ["E", "P", "S", "T"]
    True
    >>> import math
    >>> near = math.dist(pos["S"], pos["E"])
    >>> far = math.dist(pos["S"], pos["P"])
    >>> bool(near < far)
    True
    >>> spring_positions(nx.DiGraph([("S", "E")])) == spring_positions(nx.DiGraph([("S", "E")]))
    True
    """
    nodes = list(view.nodes)
    n = len(nodes)
    if n <= 1:
        return dict.fromkeys(nodes, (0.0, 0.0))
    index = {node: i for i, node in enumerate(nodes)}
    ends = np.array([(index[s], index[d]) for s, d in view.edges if s != d], dtype=np.int64).reshape(-1, 2)
    pos = np.random.default_rng(seed).random((n, 2))
    k = n**-0.5  # ideal distance in the unit square
    temperature = 0.1
    cooling = temperature / (iterations + 1)
    for _ in range(iterations):
        dx = pos[:, 0, None] - pos[None, :, 0]
        dy = pos[:, 1, None] - pos[None, :, 1]
        d2 = np.maximum(dx * dx + dy * dy, 1e-6)
        push = k * k / d2  # repulsion k²/d along the unit vector (dx, dy)/d
        np.fill_diagonal(push, 0.0)
        move = np.column_stack([(dx * push).sum(axis=1), (dy * push).sum(axis=1)])
        if len(ends):  # attraction d²/k along each link
            delta = pos[ends[:, 0]] - pos[ends[:, 1]]
            pull = delta * (np.hypot(delta[:, 0], delta[:, 1]) / k)[:, None]
            np.add.at(move, ends[:, 0], -pull)
            np.add.at(move, ends[:, 1], pull)
        move -= (pos - pos.mean(axis=0)) * (0.1 * n**0.5)  # the pull to the centre
        length = np.maximum(np.hypot(move[:, 0], move[:, 1]), 1e-9)
        pos += move * (np.minimum(length, temperature) / length)[:, None]
        temperature -= cooling
    dx = pos[:, 0, None] - pos[None, :, 0]
    dy = pos[:, 1, None] - pos[None, :, 1]
    nearest = np.hypot(dx, dy) + np.diag(np.full(n, np.inf))
    pos = (pos - pos.mean(axis=0)) * (spacing / max(float(np.median(nearest.min(axis=1))), 1e-9))
    return {node: (round(float(x), 1), round(float(y), 1)) for node, (x, y) in zip(nodes, pos, strict=True)}


def aggregate(view: nx.DiGraph) -> nx.DiGraph:
    """Group the nodes of ``view`` into an overview graph (one node per group).

    Group nodes carry ``kind``, ``name``, ``count``, ``stopped`` (stopped or partial members),
    ``value`` (sum), ``availability`` (value-weighted, or mean when no value), ``scope``,
    ``region``, ``chain`` and ``county_code`` of its members for drill-down.
    """
    group_of: dict[str, str] = {}
    groups: dict[str, dict[str, Any]] = {}
    for node, data in view.nodes(data=True):
        where = data["county"] if data["kind"] != "supplier" else data["region"]
        key = f"{data['kind']}|{where}|{data['chain']}"
        group_of[node] = key
        group = groups.setdefault(
            key,
            {
                "kind": data["kind"],
                "region": where,
                "chain": data["chain"],
                "scope": data["scope"],
                "count": 0,
                "stopped": 0,
                "value": 0.0,
                "weighted": 0.0,
                "a_sum": 0.0,
                "county_code": data.get("adcode", ""),
            },
        )
        group["count"] += 1
        group["stopped"] += data["status"] in ("stopped", "partial")
        group["value"] += data["value"]
        group["weighted"] += data["value"] * data["availability"]
        group["a_sum"] += data["availability"]
    overview = nx.DiGraph()
    for key, group in groups.items():
        availability = (
            group["weighted"] / group["value"] if group["value"] > 0 else group["a_sum"] / group["count"]
        )
        name = f"{group['region'] or '地址待核实'}·{group['chain'] or '未分链'}·{KIND_LABELS[group['kind']]}"
        overview.add_node(
            key,
            name=name,
            kind=group["kind"],
            count=group["count"],
            stopped=group["stopped"],
            value=group["value"],
            availability=availability,
            scope=group["scope"],
            region=group["region"],
            chain=group["chain"],
            county_code=group["county_code"],
            status="stopped"
            if group["stopped"] == group["count"]
            else "partial"
            if group["stopped"]
            else "normal",
        )
    for s, d, data in view.edges(data=True):
        a, b = group_of[s], group_of[d]
        if a == b:
            continue
        if overview.has_edge(a, b):
            overview.edges[a, b]["links"] += 1
            overview.edges[a, b]["critical"] = overview.edges[a, b]["critical"] or data["critical"]
        else:
            overview.add_edge(a, b, links=1, critical=data["critical"], share=data["share"], material="")
    return overview
