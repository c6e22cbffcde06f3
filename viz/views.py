"""Which nodes and links a chain map shows, with what each one means (no HTML here).

A view is a ``networkx.DiGraph`` (supplier → buyer) whose nodes carry what the map encodes:
``kind`` (enterprise, project, supplier), ``status`` (normal, partial, stopped, starved),
``scope`` (local, in_province, out_of_province, unknown), ``value`` (output or annual plan,
万元), ``availability`` (and ``after`` for impact and scenario views), name, county, chain.
Views need the graph and its base availability only — not the whole analysis — so the
national overview is quick.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from chain_graph.errors import NotFoundError
from chain_graph.graph import SupplyGraph
from chain_graph.labels import KIND_LABELS
from chain_graph.materials import Catalogue, identities, normalise
from chain_graph.records import plain
from chain_graph.regions import classify, region_name

__all__ = [
    "NodeFacts",
    "city_view",
    "facts",
    "gap_view",
    "impact_view",
    "overview",
    "scenario_view",
    "upstream_view",
    "with_local_share",
]


@dataclass(frozen=True, eq=False)
class NodeFacts:
    """Per-node facts of one graph, computed once and shared by every view of it."""

    graph: SupplyGraph
    kind: np.ndarray
    status: np.ndarray
    scope: np.ndarray
    region: np.ndarray
    county: np.ndarray

    def position(self, node_id: str) -> int:
        """Return the position of a node id, or raise :class:`NotFoundError`."""
        found = self.graph.index.get(node_id)
        if found is None:
            raise NotFoundError(f"没有编号为 {node_id} 的企业或项目")
        return found


def facts(graph: SupplyGraph, *, home_adcode: str, threshold: float) -> NodeFacts:
    """Compute kind, status, scope and region of every node of ``graph``."""
    kind = np.where(graph.is_project, "project", np.where(graph.is_enterprise, "enterprise", "supplier"))
    capacity = graph.capacity
    status = np.where(capacity <= 0.0, "stopped", np.where(capacity < threshold, "partial", "normal"))
    status = status.astype(object)
    # Starved: runs (or, for a project, could run) at full capacity, held back by its
    # suppliers — the spec's starved firms, and projects in the same state.
    status[(capacity >= threshold) & (graph.base_availability < threshold)] = "starved"
    codes = graph.adcodes.astype(str)
    by_code = {code: classify(code, home_adcode=home_adcode) for code in set(codes.tolist())}
    scope = np.array([by_code[c].scope.value for c in codes], dtype=object)
    # Where a group of suppliers is named in the overview: county at home, city in the
    # province, province elsewhere.
    region = np.array([_region_label(c, by_code[c].scope.value) for c in codes], dtype=object)
    county = np.array([region_name(c) if c else "" for c in codes], dtype=object)
    return NodeFacts(
        graph=graph, kind=kind.astype(object), status=status, scope=scope, region=region, county=county
    )


def _region_label(code: str, scope: str) -> str:
    if not code:
        return "地址待核实"
    if scope == "local":
        return region_name(code) or region_name(code[:4] + "00")
    if scope == "in_province":
        return region_name(code[:4] + "00") or code
    return region_name(code[:2] + "0000") or code


def _view(
    f: NodeFacts,
    nodes: Iterable[int],
    *,
    after: np.ndarray | None = None,
    focus: int | None = None,
    status: np.ndarray | None = None,
    after_label: str = "恢复后",
) -> nx.DiGraph:
    g = f.graph
    chosen = np.unique(np.fromiter(nodes, dtype=np.int64))
    view = nx.DiGraph()
    a = g.base_availability
    value = g.weight
    for x in chosen.tolist():
        view.add_node(
            str(g.ids[x]),
            name=str(g.names[x]),
            kind=f.kind[x],
            status=f.status[x] if status is None else status[x],
            status_before=None if status is None else f.status[x],
            after_label=after_label,
            scope=f.scope[x],
            county=f.county[x],
            region=f.region[x],
            chain=str(g.chains[x]),
            adcode=str(g.adcodes[x]),
            capacity=float(g.capacity[x]),
            availability=float(a[x]),
            value=float(value[x]),
            after=None if after is None else float(after[x]),
            focus=x == focus,
        )
    inside = np.zeros(g.n, dtype=bool)
    inside[chosen] = True
    for e in np.flatnonzero(inside[g.src] & inside[g.dst]).tolist():
        s, d = str(g.ids[g.src[e]]), str(g.ids[g.dst[e]])
        material = str(g.material[e])
        if view.has_edge(s, d):  # several materials between one pair: one line, materials joined
            data = view.edges[s, d]
            data["material"] += f"、{material}"
            data["share"] = max(data["share"], float(g.w[e]))
            data["critical"] = data["critical"] or bool(g.critical[e])
            continue
        stock = g.stock_days[e]
        view.add_edge(
            s,
            d,
            material=material,
            share=float(g.w[e]),
            critical=bool(g.critical[e]),
            stock_days=None if np.isnan(stock) else int(stock),
        )
    return view


def _reach(g: SupplyGraph, start: int, *, forward: bool, depth: int | None) -> set[int]:
    heads, tails = (g.src, g.dst) if forward else (g.dst, g.src)
    order = np.argsort(heads, kind="stable")
    bounds = np.searchsorted(heads[order], np.arange(g.n + 1))
    seen = {start}
    frontier = deque([(start, 0)])
    while frontier:
        x, d = frontier.popleft()
        if depth is not None and d >= depth:
            continue
        for e in order[bounds[x] : bounds[x + 1]].tolist():
            y = int(tails[e])
            if y not in seen:
                seen.add(y)
                frontier.append((y, d + 1))
    return seen


def city_view(
    f: NodeFacts, *, chain: str | None = None, county: str | None = None, aggregate_limit: int | None = None
) -> nx.DiGraph:
    """Return the whole chain map, or one chain's or county's part of it (with direct partners).

    ``county`` is a 6-digit adcode; ``chain`` an industry chain name. With more nodes than
    ``aggregate_limit``, the grouped overview is built straight from the arrays (a national
    graph never becomes a networkx graph of a million nodes); its ``graph["aggregated_from"]``
    says how many nodes it sums up.
    """
    g = f.graph
    mask = np.ones(g.n, dtype=bool)
    if chain:
        mask &= g.chains.astype(str) == chain
    if county:
        mask &= g.adcodes.astype(str) == county
    if chain or county:
        mask = g.with_direct_partners(mask)
    if aggregate_limit is not None and int(mask.sum()) > aggregate_limit:
        return overview(f, mask)
    return _view(f, np.flatnonzero(mask).tolist())


def overview(f: NodeFacts, mask: np.ndarray) -> nx.DiGraph:
    """Group the nodes in ``mask`` into an overview: one node per (kind, place, chain).

    Enterprises and projects are placed by county, suppliers by region (county at home,
    city in the province, province elsewhere). Group nodes carry ``kind``, ``name``,
    ``count``, ``stopped`` (stopped or partial members), ``value`` (sum), ``availability``
    (value-weighted, or the mean when no value), ``scope``, ``region``, ``chain``,
    ``county_code`` and ``status``; group edges ``links`` and ``critical``.
    """
    g = f.graph
    chosen = np.flatnonzero(mask)
    kind = f.kind[chosen].astype(str)
    where = np.where(kind == "supplier", f.region[chosen].astype(str), f.county[chosen].astype(str))
    chains = g.chains[chosen].astype(str)
    # One integer code per (kind, place, chain): every sum below is a bincount on the codes.
    codes, uniques = pd.factorize(pd.Series(kind, dtype=object) + "|" + where + "|" + chains, sort=True)
    size = len(uniques)
    a = g.base_availability[chosen]
    value = g.weight[chosen]
    count = np.bincount(codes, minlength=size)
    stopped = np.bincount(
        codes, weights=np.isin(f.status[chosen].astype(str), ["stopped", "partial"]), minlength=size
    ).astype(int)
    total = np.bincount(codes, weights=value, minlength=size)
    weighted = np.bincount(codes, weights=value * a, minlength=size)
    mean_a = np.bincount(codes, weights=a, minlength=size) / np.maximum(count, 1)
    _, first = np.unique(codes, return_index=True)
    view = nx.DiGraph(aggregated_from=len(chosen))
    for c, key in enumerate(uniques):
        x = int(chosen[first[c]])
        group_kind = str(kind[first[c]])
        availability = weighted[c] / total[c] if total[c] > 0 else mean_a[c]
        n, bad = int(count[c]), int(stopped[c])
        view.add_node(
            str(key),
            name=f"{where[first[c]] or '地址待核实'}·{chains[first[c]] or '未分链'}·"
            f"{KIND_LABELS[group_kind]}",
            kind=group_kind,
            count=n,
            stopped=bad,
            value=float(total[c]),
            availability=float(availability),
            scope=str(f.scope[x]),
            region=str(where[first[c]]),
            chain=str(chains[first[c]]),
            county_code=str(g.adcodes[x]) if group_kind != "supplier" else "",
            status="stopped" if bad == n else "partial" if bad else "normal",
        )
    group = np.full(g.n, -1, dtype=np.int64)
    group[chosen] = codes
    inside = mask[g.src] & mask[g.dst]
    s_code, d_code = group[g.src[inside]], group[g.dst[inside]]
    between = s_code != d_code
    pair = s_code[between] * size + d_code[between]
    pairs, inverse, links = np.unique(pair, return_inverse=True, return_counts=True)
    critical = np.zeros(len(pairs), dtype=bool)
    np.logical_or.at(critical, inverse, g.critical[inside][between])
    for p_, n_links, crit in zip(pairs.tolist(), links.tolist(), critical.tolist(), strict=True):
        view.add_edge(
            str(uniques[p_ // size]),
            str(uniques[p_ % size]),
            links=int(n_links),
            critical=bool(crit),
            share=0.0,
            material="",
        )
    return view


def upstream_view(f: NodeFacts, node_id: str, *, depth: int = 3) -> nx.DiGraph:
    """Return an enterprise's or project's suppliers, tier by tier, up to ``depth`` tiers."""
    x = f.position(node_id)
    return _view(f, _reach(f.graph, x, forward=False, depth=depth), focus=x)


def impact_view(f: NodeFacts, node_id: str, *, substitutes: pd.DataFrame | None = None) -> nx.DiGraph:
    """Return what a supplier holds back (its downstream cone), with availability if it recovered.

    ``substitutes`` (rows of :data:`chain_graph.substitutes.SUBSTITUTE_COLUMNS` for this
    supplier) adds its candidates: each a node, and a *substitute edge* from it to the
    buyer it could supply, kept apart from the supply links in
    ``view.graph["substitute_edges"]`` (``from``, ``to``, ``material``, ``rank``,
    ``scope``, ``gain``): a candidate may already supply that buyer something.
    """
    g = f.graph
    x = f.position(node_id)
    capacity = g.capacity.copy()
    capacity[x] = 1.0
    after = g.with_capacity(capacity).base_availability
    cone = _reach(g, x, forward=True, depth=None)
    if substitutes is None or substitutes.empty:
        return _view(f, cone, after=after, focus=x)
    rows = substitutes[substitutes["buyer_id"].isin([str(i) for i in g.ids[sorted(cone)]])]
    candidates = {f.position(str(c)) for c in rows["candidate_id"]}
    view = _view(f, cone | candidates, after=after, focus=x)
    view.graph["substitute_edges"] = [
        {
            "from": str(r["candidate_id"]),
            "to": str(r["buyer_id"]),
            "material": str(r["material"]),
            "rank": int(r["rank"]),
            "scope": str(r["scope"]),
            "gain": float(r["gain"]),
        }
        for r in rows.to_dict("records")
    ]
    return view


def with_local_share(view: nx.DiGraph, share: dict[str, float]) -> nx.DiGraph:
    """Return ``view`` with each node's local share (本地配套率) where ``share`` gives one.

    ``share`` maps a home buyer's id to its local rate (by value, else by groups); the map
    colours nodes by it (``view.graph["colour"] == "local"``).
    """
    shaded = view.copy()
    shaded.graph["colour"] = "local"
    for node, data in shaded.nodes(data=True):
        data["local_share"] = share.get(node)
    return shaded


def gap_view(f: NodeFacts, gaps: pd.DataFrame, *, top: int) -> nx.DiGraph:
    """Return the first ``top`` materials of the 补链清单 between their suppliers and buyers.

    Each material is a node of kind ``material`` (drawn hollow) with the links of the
    home buyers' purchases through it: its suppliers outside the city → the material →
    the home city's buyers of it. ``gaps`` are the rows of :func:`chain_graph.supply.gap_list`.
    """
    g = f.graph
    catalogue = Catalogue(g.catalogue)
    chosen = gaps.iloc[:top]
    home = np.isin(f.kind, ["enterprise", "project"]) & (f.scope == "local")
    keys = [
        "#" + normalise(str(code)) if code else identities([str(name)], catalogue=catalogue)[0]
        for code, name in zip(chosen["code"], chosen["material"], strict=True)
    ]
    nodes: set[int] = set()
    edges: list[tuple[int, str, float, bool]] = []  # (node, material node, value, supplier?)
    for key in keys:
        links = np.flatnonzero((g.material_key == key) & home[g.dst])
        for e in links.tolist():
            s, d = int(g.src[e]), int(g.dst[e])
            value = float(g.annual_value[e]) if not np.isnan(g.annual_value[e]) else 0.0
            nodes.add(d)
            edges.append((d, key, value, False))
            if f.scope[s] != "local":
                nodes.add(s)
                edges.append((s, key, value, True))
    view = _view(f, nodes)
    view.remove_edges_from(list(view.edges))  # the materials stand between them
    for key, row in zip(keys, chosen.to_dict("records"), strict=True):
        share, outside = plain(row["local_share"]), plain(row["value_outside"])
        view.add_node(
            f"material:{key}",
            name=str(row["material"]),
            kind="material",
            status="normal",
            scope="unknown",
            county="",
            region="",
            chain="、".join(row["chains"] or []),
            value=0.0,
            availability=None,
            tooltip="\n".join(
                [
                    f"缺口物料：{row['material']}（补链清单第 {row['rank']} 位）",
                    f"本地配套比例 {share * 100:.1f}%" if share is not None else "本地配套比例 —",
                    f"市外采购额 {outside:,.0f} 万元" if outside is not None else "市外采购额未填",
                    f"本市采购方 {row['buyers']} 家",
                ]
            ),
        )
    for node, key, value, supplies in edges:
        material, other = f"material:{key}", str(g.ids[node])
        head, tail = (other, material) if supplies else (material, other)
        if view.has_edge(head, tail):
            view.edges[head, tail]["value"] += value
            continue
        name = str(view.nodes[material]["name"])
        view.add_edge(head, tail, material=name, share=0.0, critical=True, value=value, gap=True)
    return view


def scenario_view(
    f: NodeFacts,
    after: NodeFacts,
    *,
    changed: Iterable[str] = (),
    moves: Iterable[tuple[str, str, str, str]] = (),
) -> nx.DiGraph:
    """Return the nodes a scenario changes (availability moved by over 1e-9), before and after.

    ``after`` are the facts of the scenario's graph (:func:`chain_graph.scenarios.apply_scenario`).
    Nodes are drawn in their state in the scenario, ``status``, and coloured by what the
    scenario did to them (``change``, ``view.graph["colour"] == "change"``): ``restored``
    (blocked before, normal after), ``improved``, ``newly_blocked`` (normal before, not
    after), ``worsened``, ``unchanged``; the state before stays in ``status_before``.

    ``moves`` are the substitutions, ``(buyer, material, from, to)``: the new link from
    ``to`` is drawn (``change="substitute"``), the old one from ``from`` stays as
    ``change="removed"`` when ``from`` supplies the buyer nothing else.
    """
    g = f.graph
    moves = list(moves)
    a0, a1 = g.base_availability, after.graph.base_availability
    moved = set(np.flatnonzero(np.abs(a1 - a0) > 1e-9).tolist())
    moved |= {f.position(node) for node in changed}
    moved |= {f.position(node) for move in moves for node in (move[0], move[2], move[3])}
    view = _view(f, moved, after=a1, status=after.status, after_label="情景后")
    view.graph["colour"] = "change"
    for data in view.nodes.values():
        data["change"] = _change(data["status_before"], data["status"], data["availability"], data["after"])
    src, dst = after.graph.ids[after.graph.src].astype(str), after.graph.ids[after.graph.dst].astype(str)
    for buyer, material, old, new in moves:
        if view.has_edge(old, buyer) and not np.any((src == old) & (dst == buyer)):
            view.edges[old, buyer]["change"] = "removed"
        share = float(after.graph.w[np.flatnonzero((src == new) & (dst == buyer))].max(initial=0.0))
        if view.has_edge(new, buyer):  # the new supplier already sold the buyer something else
            data = view.edges[new, buyer]
            if material not in str(data["material"]).split("、"):
                data["material"] = f"{data['material']}、{material}"
            data["change"] = "substitute"
        else:
            view.add_edge(
                new,
                buyer,
                material=material,
                share=share,
                critical=True,
                stock_days=None,
                change="substitute",
            )
        view.edges[new, buyer]["replaces"] = view.nodes[old]["name"]
    return view


def _change(before: str, after: str, was: float, now: float | None) -> str:
    """Return what a scenario did to a node, from its state and availability before and after.

    Examples
    --------
    >>> _change("stopped", "normal", 0.0, 1.0), _change("normal", "starved", 1.0, 0.4)
    ('restored', 'newly_blocked')
    >>> _change("starved", "starved", 0.4, 0.6), _change("starved", "starved", 0.6, 0.4)
    ('improved', 'worsened')
    >>> _change("normal", "normal", 1.0, 1.0)
    'unchanged'
    """
    if before != "normal" and after == "normal":
        return "restored"
    if before == "normal" and after != "normal":
        return "newly_blocked"
    if now is not None and now > was + 1e-9:
        return "improved"
    if now is not None and now < was - 1e-9:
        return "worsened"
    return "unchanged"
