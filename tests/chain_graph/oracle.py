"""A deliberately naive availability computation on networkx, used as an oracle.

It iterates the spec's rule over the whole graph from a = c until nothing moves: slow,
obviously right, and independent of the engine's levels, cones and batching.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx


def naive_availability(G: nx.MultiDiGraph, capacity: dict[str, float] | None = None) -> dict[str, float]:
    c = {
        v: (1.0 if d.get("kind") == "project" else float(d.get("capacity", 1.0)))
        for v, d in G.nodes(data=True)
    }
    c.update(capacity or {})
    a = dict(c)
    for _ in range(200_000):
        new = {}
        for v in G.nodes:
            need: dict[str, float] = defaultdict(float)
            for s, _, key, d in G.in_edges(v, keys=True, data=True):
                if d.get("critical", True):
                    need[d.get("material", key)] += d.get("w", 1.0) * (1.0 - a[s])
            new[v] = min([c[v]] + [max(0.0, 1.0 - x) for x in need.values()])
        moved = max((abs(new[v] - a[v]) for v in a), default=0.0)
        a = new
        if moved < 1e-15:
            break
    return a


def naive_value_at_risk(G: nx.MultiDiGraph, a: dict[str, float]) -> float:
    total = 0.0
    for v, d in G.nodes(data=True):
        if d.get("kind") == "project":
            total += d.get("annual_plan", 0.0) * (1.0 - a[v])
        elif d.get("is_enterprise"):
            total += d.get("output_value", 0.0) * (1.0 - a[v])
    return total
