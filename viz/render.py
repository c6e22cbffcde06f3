"""Chain maps as HTML: pyvis builds the vis-network nodes and edges, our template draws them.

The page makes no request to another host: vis-network's script and styles are either
inlined (a standalone file) or served by the console (``/static/vis/…``); pyvis's own
template is not used because it pulls bootstrap and tom-select from a CDN even with
``cdn_resources="in_line"``. Every text from the ledgers reaches the page as JSON inside
``<script type="application/json">`` with ``<``, ``>`` and ``&`` escaped, and vis-network
9 shows tooltips as text, so a firm named ``<img src=x onerror=…>`` is shown, not run.

Encoding (legend on the page): shape = kind, colour = status (Okabe–Ito, colour-blind
safe), border = scope, size = value, edge width = share, dashed edge = non-critical. A view
may ask for more: colour by local share instead of status (``view.graph["colour"] ==
"local"``), substitute candidates (long-dashed edges coloured by the candidate's scope,
``view.graph["substitute_edges"]``), and gap materials (hollow diamonds, kind ``material``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import networkx as nx
from jinja2 import Environment, PackageLoader, select_autoescape
from pyvis.network import Network

from chain_graph.labels import KIND_LABELS, NODE_STATUS_LABELS, SCOPE_LABELS
from chain_graph.regions import region_name
from viz.layout import aggregate, layered_positions, spring_positions

__all__ = [
    "CHANGE_COLOURS",
    "LEGEND",
    "LOCAL_SHARE_BINS",
    "NAV_END",
    "NAV_START",
    "SUBSTITUTE_COLOURS",
    "MapPage",
    "render_map",
    "vis_assets",
]

STATUS_COLOURS = {"normal": "#0072B2", "partial": "#E69F00", "stopped": "#D55E00", "starved": "#CC79A7"}
SHAPES = {"enterprise": "dot", "project": "square", "supplier": "triangle", "material": "diamond"}
SCOPE_BORDERS = {
    "local": ("#222222", 1, False),
    "in_province": ("#009E73", 4, False),
    "out_of_province": ("#56B4E9", 4, False),
    "unknown": ("#999999", 3, True),
}
LEGEND = {"kind": KIND_LABELS, "status": NODE_STATUS_LABELS, "scope": SCOPE_LABELS}
SUBSTITUTE_COLOURS = {
    "local": "#1a9850",
    "in_province": "#762a83",
    "out_of_province": "#56B4E9",
    "unknown": "#999999",
}
"""Colour of a substitute candidate's edge, by the candidate's scope."""
LOCAL_SHARE_BINS = (
    (0.2, "#d7191c", "低于 20%"),
    (0.4, "#fdae61", "20%–40%"),
    (0.6, "#ffffbf", "40%–60%"),
    (0.8, "#abd9e9", "60%–80%"),
    (1.01, "#2c7bb6", "80% 及以上"),
)
"""Colours of the local-share map (diverging, colour-blind safe): upper bound, colour, label."""
CHANGE_COLOURS = {
    "restored": ("#009E73", "恢复正常"),
    "improved": ("#9fd8b9", "好转（仍受阻）"),
    "newly_blocked": ("#D55E00", "新增受阻（停产、部分停产或断供）"),
    "worsened": ("#E69F00", "恶化"),
    "unchanged": ("#bdbdbd", "状态未变"),
}
"""Colour of a node in a scenario map, by what the scenario did to it, and its legend."""
MOVE_EDGES = {
    "substitute": {
        "color": {"color": "#009E73", "opacity": 1.0},
        "dashes": [10, 6],
        "width": 3.5,
        "label": "替代",
    },
    "removed": {
        "color": {"color": "#D55E00", "opacity": 0.9},
        "dashes": [2, 5],
        "width": 2.5,
        "label": "已替代",
    },
}
"""How a substitution is drawn: the new link (替代) and the old one it replaces."""
NO_SHARE = "#d9d9d9"
"""A node without a local share (a supplier, or a buyer without links)."""
GAP_BORDER = "#b2182b"


NAV_START, NAV_END = "<!--console-frame-->", "<!--/console-frame-->"
"""Where a served map page's top bar is (:meth:`MapPage.framed`)."""
Mode = Literal["physics", "spring", "layout", "aggregate"]
"""How a map is laid out: physics in the browser (small), a force layout computed here
(mid-sized), tiers computed here (large), or a grouped overview."""


@dataclass(frozen=True)
class MapPage:
    """What :func:`render_map` produced: the HTML and how the view was drawn."""

    html: str
    nodes: int
    edges: int
    mode: Mode

    def framed(self, frame: str) -> str:
        """Return the page with ``frame`` (HTML: the console's menu and a way back) in its top bar.

        The page is cached per data version and visibility, the frame is the caller's own
        (name, menu, form key), so it is put in per request, in place of the standalone
        file's bar (a link back to the console, or nothing).
        """
        head, rest = self.html.split(NAV_START, 1)
        return head + NAV_START + frame + rest[rest.index(NAV_END) :]


def vis_assets() -> Path:
    """Return the directory of the vis-network script and styles shipped with pyvis."""
    import pyvis

    return Path(pyvis.__file__).resolve().parent / "lib" / "vis-9.1.2"


def _percent(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _local_colour(share: float | None) -> str:
    """Return the colour of a local share (grey for none).

    Examples
    --------
    >>> _local_colour(0.1), _local_colour(0.8), _local_colour(1.0), _local_colour(None)
    ('#d7191c', '#2c7bb6', '#2c7bb6', '#d9d9d9')
    """
    if share is None:
        return NO_SHARE
    return next(colour for bound, colour, _ in LOCAL_SHARE_BINS if share < bound)


def _tooltip(data: dict[str, Any]) -> str:
    if data.get("tooltip"):
        return str(data["tooltip"])
    lines = [data["name"], f"{KIND_LABELS[data['kind']]}　{data.get('county') or data.get('region', '')}"]
    if "count" in data:
        lines.append(f"{data['count']} 家，其中停产或部分停产 {data['stopped']} 家")
    else:
        state = NODE_STATUS_LABELS[data["status"]]
        if data.get("status_before") is not None:
            state = (
                f"{data.get('after_label', '')} {state}（此前 {NODE_STATUS_LABELS[data['status_before']]}）"
            )
            lines.append(f"状态：{state}")
        else:
            lines.append(f"状态：{state}　产能 {_percent(data['capacity'])}")
    lines.append(
        f"可用度 {_percent(data['availability'])}"
        + (
            f" → {data.get('after_label', '恢复后')} {_percent(data['after'])}"
            if data.get("after") is not None
            else ""
        )
    )
    if data.get("value"):
        lines.append(f"{'年度计划投资' if data['kind'] == 'project' else '产值'} {data['value']:,.0f} 万元")
    if data.get("local_share") is not None:
        lines.append(f"本地配套率 {_percent(data['local_share'])}")
    if data.get("chain"):
        lines.append(f"产业链：{data['chain']}")
    if data.get("open_items"):
        lines.append(f"未销号问题：{data['open_items']} 项")
    return "\n".join(lines)


def _edge_tooltip(data: dict[str, Any]) -> str:
    if data.get("gap"):
        return (
            f"{data['material']}　年采购额 {data['value']:,.0f} 万元" if data["value"] else data["material"]
        )
    if "links" in data:
        return f"{data['links']} 条供应关系"
    stock = "未填" if data.get("stock_days") is None else f"{data['stock_days']} 天"
    return f"{data['material']}　占比 {data['share'] * 100:.0f}%　库存 {stock}" + (
        "" if data["critical"] else "（非关键物料）"
    )


def _network(
    view: nx.DiGraph, *, positions: dict[str, tuple[float, float]] | None, link: str | None, aggregated: bool
) -> Network:
    net = Network(directed=True, cdn_resources="remote")
    biggest = max((d["value"] for _, d in view.nodes(data=True)), default=0.0) or 1.0
    by_local = view.graph.get("colour") == "local"
    for node, data in view.nodes(data=True):
        border, width, dashed = SCOPE_BORDERS[data["scope"]]
        status = data["status"]
        fill = _local_colour(data.get("local_share")) if by_local else STATUS_COLOURS[status]
        if view.graph.get("colour") == "change":
            fill = CHANGE_COLOURS[data["change"]][0]
        if data["kind"] == "material":
            fill, border, width, dashed = "#ffffff", GAP_BORDER, 3, False
        options: dict[str, Any] = {
            "title": _tooltip(data),
            "size": 10 + 30 * (data["value"] / biggest) ** 0.5,
            "borderWidth": width,
            "shapeProperties": {"borderDashes": [4, 3] if dashed else False},
            "kind": data["kind"],
            "status": status,
            "scope": data["scope"],
            "chain": data.get("chain", ""),
            "county": data.get("county") or data.get("region", ""),
            # What the county filter matches: the adcode where there is one (two counties of
            # one name are two places), else the group's region (湖北省).
            "place": data.get("adcode") or data.get("county_code") or data.get("region", ""),
        }
        if data.get("focus"):
            options["borderWidth"] = 6
        if data["kind"] == "material":  # the gap itself: as large as the largest firm
            options |= {"size": 28, "font": {"size": 16, "bold": True}}
        if positions is not None:
            x, y = positions[node]
            options |= {"x": x, "y": y, "physics": False}
        if link is None:
            label = f"{data['name']}（{data['count']}）" if aggregated else data["name"]
        elif aggregated:
            query = {"chain": data["chain"]} | (
                {"county": data["county_code"]} if data["kind"] != "supplier" and data["county_code"] else {}
            )
            options["url"] = f"{link}maps/city?{urlencode(query)}"
            label = f"{data['name']}（{data['count']}）"
        else:
            if data["kind"] != "material":
                options["url"] = f"{link}console/firms/{node}"
            label = data["name"]
        net.add_node(
            node,
            label=label,
            shape=SHAPES[data["kind"]],
            color={
                "background": fill,
                "border": border,
                "highlight": {"background": fill, "border": "#000000"},
            },
            **options,
        )
    for s, d, data in view.edges(data=True):
        width = (
            1 + 5 * min(data.get("share", 0.0), 1.0)
            if "links" not in data
            else 1 + min(data["links"], 40) / 4
        )
        drawn: dict[str, Any] = {
            "width": width,
            "dashes": not data["critical"],
            "title": _edge_tooltip(data),
            "color": {"color": "#7f7f7f", "opacity": 0.6},
        }
        if data.get("change") == "substitute":
            drawn |= MOVE_EDGES["substitute"]
            drawn["title"] = f"替代：{data['material']}（原由 {data['replaces']} 供应）"
        elif data.get("change") == "removed":
            drawn |= MOVE_EDGES["removed"]
            drawn["title"] = f"已被替代的原供应：{data['material']}"
        net.add_edge(s, d, arrows="to", **drawn)
    for e in view.graph.get("substitute_edges", []):
        if e["from"] in view and e["to"] in view:
            net.add_edge(
                e["from"],
                e["to"],
                width=2.5,
                dashes=[10, 6],
                title=f"替代供应商第 {e['rank']} 位（{SCOPE_LABELS.get(e['scope'], e['scope'])}）："
                f"{e['material']}，可挽回 {e['gain']:,.0f} 万元",
                arrows="to",
                color={"color": SUBSTITUTE_COLOURS.get(e["scope"], "#999999"), "opacity": 0.9},
            )
    return net


def _places(nodes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Return the county filter's choices, ``(value, name)``: the home city's counties first.

    Home counties (of the nodes in scope ``local``) by adcode, then every other county by
    adcode (named with its city), then the groups named by region only (an overview's
    provinces), by name.

    Examples
    --------
    >>> _places([
    ...     {"place": "450305", "county": "七星区", "scope": "out_of_province"},
    ...     {"place": "431226", "county": "麻阳苗族自治县", "scope": "local"},
    ...     {"place": "湖北省", "county": "湖北省", "scope": "out_of_province"},
    ...     {"place": "431202", "county": "鹤城区", "scope": "local"},
    ...     {"place": "", "county": "", "scope": "unknown"},
    ... ])
    [('431202', '鹤城区'), ('431226', '麻阳苗族自治县'), ('450305', '桂林市七星区'), ('湖北省', '湖北省')]
    """
    names = {str(n["place"]): str(n["county"] or n["place"]) for n in nodes if n.get("place")}
    home = {str(n["place"]) for n in nodes if n.get("place") and n["scope"] == "local"}
    for place in names.keys() - home:  # 鼓楼区 is in four cities: say which
        city = region_name(place[:4] + "00") if place.isdigit() and len(place) == 6 else ""
        if city and city != names[place] and not place.endswith("00"):
            names[place] = city + names[place]

    def order(place: str) -> tuple[int, str]:
        if not place.isdigit():
            return (2, names[place])
        return (0 if place in home else 1, place)

    return [(place, names[place]) for place in sorted(names, key=order)]


def _place_groups(places: list[tuple[str, str]], *, home: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """Split the county filter's choices into 本市 (the first ``home``) and 其他地区 (no empty group)."""
    groups = [("本市县市区", places[:home]), ("其他地区", places[home:])]
    return [(label, members) for label, members in groups if members]


def _json_for_script(value: object) -> str:
    """JSON safe inside ``<script>``: no ``</script>``, no ``<!--``, no ``&`` entities."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


OVERVIEW_EDGES_PER_GROUP = 4
"""Edges an overview draws per group and direction: its strongest suppliers and buyers
(a province's overview links ~190 groups by ~11,000 group pairs, 2 MB and a hairball)."""


def strongest_edges(view: nx.DiGraph, *, per_node: int) -> tuple[nx.DiGraph, int]:
    """Keep, of an overview's edges, each node's ``per_node`` strongest in and out (by ``links``).

    An edge stays when it is among the strongest of its source's out-edges or of its
    target's in-edges (critical ones first at equal counts, then by name). Returns the
    thinned copy and how many edges it leaves out.

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_edge("a", "x", links=5)
    >>> g.add_edge("b", "x", links=1)
    >>> g.add_edge("c", "x", links=3)
    >>> kept, hidden = strongest_edges(g, per_node=1)
    >>> sorted(kept.edges), hidden
    ([('a', 'x'), ('b', 'x'), ('c', 'x')], 0)
    >>> g.add_edge("b", "y", links=9)
    >>> kept, hidden = strongest_edges(g, per_node=1)
    >>> sorted(kept.edges), hidden
    ([('a', 'x'), ('b', 'y'), ('c', 'x')], 1)
    """

    def strength(edge: tuple[str, str]) -> tuple[int, bool, str, str]:
        data = view.edges[edge]
        return (-int(data.get("links", 1)), not data.get("critical", False), str(edge[0]), str(edge[1]))

    keep: set[tuple[str, str]] = set()
    for node in view.nodes:
        keep.update(sorted(view.out_edges(node), key=strength)[:per_node])
        keep.update(sorted(view.in_edges(node), key=strength)[:per_node])
    hidden = view.number_of_edges() - len(keep)
    if not hidden:
        return view, 0
    thinned = nx.DiGraph(view.edge_subgraph(keep))
    thinned.add_nodes_from(view.nodes(data=True))  # a node left without edges stays on the map
    thinned.graph.update(view.graph)
    return thinned, hidden


def render_map(
    view: nx.DiGraph,
    *,
    title: str,
    subtitle: str = "",
    assets: Literal["inline", "served"] = "inline",
    link: str | None = "/",
    physics_limit: int,
    spring_limit: int,
    aggregate_limit: int,
    note: str = "",
) -> MapPage:
    """Render a view as a self-contained HTML page.

    Parameters
    ----------
    view
        From :mod:`viz.views`.
    title
        Page heading.
    subtitle
        A line beside it (a scenario's totals before → after).
    assets
        ``inline``: vis-network inside the page (a standalone file); ``served``: loaded from
        ``/static/vis/`` of the console.
    link
        Prefix of the links a click opens (the console's base URL); ``None``: no links (a
        standalone file with no console to open).
    physics_limit, spring_limit, aggregate_limit
        The settings ``map_physics_limit``, ``map_spring_limit`` and ``map_aggregate_limit``.
        Up to ``physics_limit`` nodes: physics in the browser, stabilised then frozen; up to
        ``spring_limit``: a force layout computed here (:func:`~viz.layout.spring_positions`),
        physics off, so the map is ready as soon as it is drawn; up to ``aggregate_limit``:
        tiers computed here; above: grouped overview.
    """
    mode: Mode
    source_nodes = int(view.graph.get("aggregated_from", view.number_of_nodes()))
    if "aggregated_from" in view.graph:  # already an overview (built from the arrays)
        mode, drawn = "aggregate", view
        positions = layered_positions(drawn)
    elif view.number_of_nodes() <= physics_limit:
        mode, drawn, positions = "physics", view, None
    elif view.number_of_nodes() <= spring_limit:
        mode, drawn = "spring", view
        positions = spring_positions(view)
    elif view.number_of_nodes() <= aggregate_limit:
        mode, drawn = "layout", view
        positions = layered_positions(view)
    else:
        # The groups are laid out in tiers too: physics on a few hundred groups linked by
        # thousands of edges would be a hairball.
        mode, drawn = "aggregate", aggregate(view)
        positions = layered_positions(drawn)
    if mode == "aggregate":
        drawn, hidden = strongest_edges(drawn, per_node=OVERVIEW_EDGES_PER_GROUP)
        if hidden:
            shown = drawn.number_of_edges()
            note = "".join(
                [
                    note,
                    f"分组之间共有 {shown + hidden:,} 条连线，只画出每个分组供应关系最多的上下游各 "
                    f"{OVERVIEW_EDGES_PER_GROUP} 条（{shown:,} 条）；点击分组查看其中的企业。",
                ]
            )
    net = _network(drawn, positions=positions, link=link, aggregated=mode == "aggregate")
    nodes, edges = net.nodes, net.edges
    places = _places(nodes)
    home = len({str(n["place"]) for n in nodes if n.get("place") and n["scope"] == "local"})
    facets = {
        "chain": sorted({str(n["chain"]) for n in nodes if n.get("chain")}),
        "place": _place_groups(places, home=home),
    }
    options = {
        "physics": {
            "enabled": mode == "physics" or (mode == "aggregate" and positions is None),
            "solver": "forceAtlas2Based",
            "stabilization": {"iterations": 300, "fit": True},
        },
        "interaction": {
            "hover": True,
            "tooltipDelay": 150,
            "navigationButtons": True,
            "hideEdgesOnDrag": mode != "physics",
        },
        "edges": {"smooth": mode == "physics"},
        "layout": {"improvedLayout": drawn.number_of_nodes() <= 150},
    }
    env = Environment(loader=PackageLoader("viz", "templates"), autoescape=select_autoescape(["html"]))
    directory = vis_assets()
    html = env.get_template("map.html").render(
        title=title,
        subtitle=subtitle,
        note=note,
        mode=mode,
        by_change=view.graph.get("colour") == "change",
        change_colours=CHANGE_COLOURS,
        moves=any(d.get("change") for _, _, d in view.edges(data=True)),
        link=link,
        nav_start=NAV_START,
        nav_end=NAV_END,
        legend=LEGEND,
        by_local=view.graph.get("colour") == "local",
        local_bins=LOCAL_SHARE_BINS,
        no_share=NO_SHARE,
        substitutes=bool(view.graph.get("substitute_edges")),
        substitute_colours=SUBSTITUTE_COLOURS,
        materials=any(d.get("kind") == "material" for _, d in view.nodes(data=True)),
        gap_border=GAP_BORDER,
        colours=STATUS_COLOURS,
        shapes=SHAPES,
        borders=SCOPE_BORDERS,
        facets=facets,
        source_nodes=source_nodes,
        data=_json_for_script({"nodes": nodes, "edges": edges, "options": options}),
        inline_js=(directory / "vis-network.min.js").read_text(encoding="utf-8")
        if assets == "inline"
        else None,
        inline_css=(directory / "vis-network.css").read_text(encoding="utf-8")
        if assets == "inline"
        else None,
    )
    return MapPage(html=html, nodes=len(nodes), edges=len(edges), mode=mode)
