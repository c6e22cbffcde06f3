"""Small charts as inline SVG: drawn on the server, no script, nothing from another host.

The console's dashboard shows where people look rather than read: the ledger's weekly
trend (:func:`trend_chart`), blocked suppliers per scope or county (:func:`bar_chart`) and
the ledger per status and unit (:func:`stacked_bar_chart`). Each function returns SVG
markup, every text in it escaped, sized by ``viewBox`` so that it scales with the page and
prints. Colours are presentation attributes (a strict CSP allows no inline style).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Bar", "Series", "bar_chart", "stacked_bar_chart", "trend_chart"]

_FONT = 'font-family="Microsoft YaHei, PingFang SC, Noto Sans CJK SC, sans-serif"'
_GRID = "#d0d7de"
_TEXT = "#1f2328"
_MUTED = "#57606a"


@dataclass(frozen=True)
class Bar:
    """One bar: a label, a value, how the value is written, and optionally a link and its own colour."""

    label: str
    value: float
    text: str = ""
    href: str = ""
    color: str = ""


@dataclass(frozen=True)
class Series:
    """One series of a chart: a name, a colour and its values (one per category)."""

    name: str
    color: str
    values: Sequence[float]


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    label = escape(title)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{label}" xmlns="http://www.w3.org/2000/svg" {_FONT} font-size="12">'
        f"<title>{label}</title>{''.join(body)}</svg>"
    )


def _legend(series: Sequence[Series], *, x: float, y: float) -> list[str]:
    parts = []
    for s in series:
        parts.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{escape(s.color)}"/>')
        parts.append(f'<text x="{x + 14:.1f}" y="{y:.1f}" fill="{_TEXT}">{escape(s.name)}</text>')
        x += 24 + 13 * len(s.name)
    return parts


def _empty(width: int, title: str, note: str) -> Markup:
    body = [f'<text x="{width / 2:.0f}" y="34" text-anchor="middle" fill="{_MUTED}">{escape(note)}</text>']
    return _svg(width, 60, title, body)


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    color: str = "#b2182b",
    width: int = 560,
    empty: str = "暂无数据",
    label_width: int = 130,
) -> Markup:
    """Horizontal bars, one per row, longest scaled to the width; each value written beside it.

    Examples
    --------
    >>> svg = bar_chart([Bar("鹤城区", 3), Bar("<b>", 1, href="/x?a=1&b=2")], title="受阻")
    >>> "&lt;b&gt;" in svg and "<b>" not in svg, 'href="/x?a=1&amp;b=2"' in svg
    (True, True)
    >>> "暂无数据" in bar_chart([], title="受阻")
    True
    """
    if not bars:
        return _empty(width, title, empty)
    row, top = 24, 8
    room = width - label_width - 90
    largest = max((b.value for b in bars), default=0.0) or 1.0
    body: list[str] = []
    for k, b in enumerate(bars):
        y = top + k * row
        length = max(room * b.value / largest, 1.0 if b.value > 0 else 0.0)
        label = escape(b.label)
        text = escape(b.text or f"{b.value:g}")
        name = f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" fill="{_TEXT}">{label}</text>'
        if b.href:
            name = f'<a href="{escape(b.href)}">{name}</a>'
        body.append(name)
        fill = escape(b.color or color)
        body.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="14" fill="{fill}">'
            f"<title>{label}：{text}</title></rect>"
        )
        body.append(f'<text x="{label_width + length + 6:.1f}" y="{y + 15}" fill="{_MUTED}">{text}</text>')
    return _svg(width, top * 2 + row * len(bars), title, body)


def stacked_bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    width: int = 560,
    empty: str = "暂无数据",
) -> Markup:
    """Horizontal stacked bars: one row per category, one segment per series, with a legend.

    Examples
    --------
    >>> svg = stacked_bar_chart(["甲", "乙"], [Series("已挂号", "#b2182b", [2, 0]),
    ...                                       Series("已销号", "#2166ac", [1, 3])], title="台账")
    >>> svg.count("<rect") - 2  # four values, the zero one not drawn (and two legend keys)
    3
    """
    if not categories:
        return _empty(width, title, empty)
    label_width, row, top = 150, 24, 28
    room = width - label_width - 50
    totals = [sum(s.values[k] for s in series) for k in range(len(categories))]
    largest = max(totals, default=0.0) or 1.0
    body = _legend(series, x=label_width, y=16)
    for k, category in enumerate(categories):
        y = top + k * row
        label = escape(category)
        body.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" fill="{_TEXT}">{label}</text>'
        )
        x = float(label_width)
        for s in series:
            value = s.values[k]
            if value <= 0:
                continue
            length = room * value / largest
            body.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{length:.1f}" height="14" fill="{escape(s.color)}">'
                f"<title>{label} {escape(s.name)}：{value:g}</title></rect>"
            )
            x += length
        body.append(f'<text x="{x + 6:.1f}" y="{y + 15}" fill="{_MUTED}">{totals[k]:g}</text>')
    return _svg(width, top + row * len(categories) + 8, title, body)


def trend_chart(
    labels: Sequence[str], series: Sequence[Series], *, title: str, width: int = 560, height: int = 200
) -> Markup:
    """Lines over time: one point per label (a week), one line per series, with a legend.

    Examples
    --------
    >>> svg = trend_chart(["11-02", "11-09"], [Series("未销号", "#b2182b", [3, 5])], title="趋势")
    >>> svg.count("<circle"), "11-09" in svg
    (2, True)
    """
    if not labels:
        return _empty(width, title, "暂无数据")
    left, right, top, bottom = 40, 16, 28, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    largest = max((v for s in series for v in s.values), default=0.0)
    step = _nice_step(largest)
    ceiling = step * 4 or 1.0
    body = _legend(series, x=left, y=16)
    for k in range(5):
        value = step * k
        y = top + plot_h - plot_h * value / ceiling
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{_GRID}"/>')
        body.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="{_MUTED}">{value:g}</text>'
        )
    gap = plot_w / max(len(labels) - 1, 1)
    xs = [left + gap * k if len(labels) > 1 else left + plot_w / 2 for k in range(len(labels))]
    for x, label in zip(xs, labels, strict=True):
        body.append(
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="{_MUTED}">{escape(label)}</text>'
        )
    for s in series:
        points = [(x, top + plot_h - plot_h * v / ceiling) for x, v in zip(xs, s.values, strict=True)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{escape(s.color)}" stroke-width="2"/>')
        for (x, y), label, v in zip(points, labels, s.values, strict=True):
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{escape(s.color)}">'
                f"<title>{escape(label)} {escape(s.name)}：{v:g}</title></circle>"
            )
    return _svg(width, height, title, body)


def _nice_step(largest: float) -> float:
    """Return a round grid step so that four steps cover ``largest`` (1, 2, 2.5 or 5 × a power of ten).

    Examples
    --------
    >>> _nice_step(0), _nice_step(7), _nice_step(37), _nice_step(100), _nice_step(1234)
    (1.0, 2.0, 10.0, 25.0, 500.0)
    """
    if largest <= 0:
        return 1.0
    rough = largest / 4
    power = 10.0 ** len(str(int(rough))) / 10 if rough >= 1 else 1.0
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= rough:
            return float(factor * power)
    return float(10 * power)
