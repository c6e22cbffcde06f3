# ruff: noqa: E501  (the stylesheet and templates below are HTML/CSS, one rule a line)
"""The chain atlas (产业链图谱) as server-rendered HTML: no script, every text escaped.

Each chain is a block of three columns, 上游 → 中游 → 下游; each cell of
:func:`chain_graph.atlas.atlas` a box with its segment's name, its firms by scope (a bar of
four colours and the numbers), a red badge with its blocked suppliers, and a dashed, hollow
border when it is a gap (缺链: the city has no or too little local supply of it). A cell is
a link to the firms behind it. A tier with many cells shows the largest and folds the rest
into a ``<details>`` element.

:func:`atlas_fragment` is the part a console page embeds; :func:`atlas_document` a
standalone file (``chain-graph map --view atlas``) that opens offline and lists each cell's
firms at the end of the file when no console is given to link to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

__all__ = ["ATLAS_CSS", "CELLS_SHOWN", "SCOPE_COLOURS", "atlas_document", "atlas_fragment"]

CELLS_SHOWN = 12
"""Cells a tier shows before folding the rest (most firms first)."""

SCOPE_COLOURS: dict[str, tuple[str, str]] = {
    "local": ("本地", "#1a9850"),
    "in_province": ("省内市外", "#2166ac"),
    "out_of_province": ("省外", "#e08214"),
    "unknown": ("地址待核实", "#999999"),
}
"""Each scope's label and bar colour."""

ATLAS_CSS = """
.atlas-legend { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: center; font-size: 13px; margin: 8px 0 16px; }
.atlas-legend .swatch { display: inline-block; width: 12px; height: 12px; vertical-align: -1px; margin-right: 4px; }
.atlas-chain { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px 12px; margin: 0 0 18px; background: #fff; }
.atlas-chain h2 { margin: 4px 0 8px; font-size: 18px; }
.atlas-chain h2 small { font-weight: normal; color: #57606a; font-size: 13px; margin-left: 8px; }
.atlas-tiers { display: grid; grid-template-columns: minmax(0, 2.2fr) 24px minmax(0, 1.6fr) 24px minmax(0, 1fr); align-items: start; }
.atlas-arrow { text-align: center; color: #8c959f; font-size: 20px; padding-top: 28px; }
.atlas-tier h3 { margin: 0 0 6px; font-size: 14px; color: #24292f; border-bottom: 2px solid #d0d7de; padding-bottom: 2px; }
.atlas-tier h3 small { font-weight: normal; color: #57606a; }
.atlas-cells { display: grid; grid-template-columns: repeat(auto-fill, minmax(136px, 1fr)); gap: 8px; }
.atlas-cell { position: relative; display: block; box-sizing: border-box; min-width: 0; padding: 5px 7px 6px;
  border: 1.5px solid #8c959f; border-radius: 4px; background: #f6f8fa; color: #24292f; text-decoration: none; font-size: 12px; }
.atlas-cell:hover, .atlas-cell:focus { border-color: #0969da; background: #ddf4ff; }
.atlas-cell.gap { border: 1.5px dashed #b2182b; background: #fff; }
.atlas-cell .seg { display: block; font-weight: bold; font-size: 13px; padding-right: 22px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.atlas-cell .n { color: #57606a; }
.atlas-cell .badge { position: absolute; top: -7px; right: -7px; min-width: 18px; height: 18px; border-radius: 9px; background: #cf222e;
  color: #fff; font-size: 11px; line-height: 18px; text-align: center; padding: 0 4px; box-sizing: border-box; }
.atlas-cell .gap-tag { color: #b2182b; font-size: 11px; margin-left: 4px; }
.atlas-bar { display: flex; height: 6px; margin: 4px 0 3px; background: #eaeef2; border-radius: 3px; overflow: hidden; }
.atlas-bar span { display: block; height: 6px; }
.atlas-cell .scopes { color: #57606a; font-size: 11px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; display: block; }
.atlas-tier details { margin-top: 6px; width: 100%; }
.atlas-tier summary { cursor: pointer; color: #0969da; font-size: 12px; margin-bottom: 6px; }
.atlas-more { margin: 6px 0 0; font-size: 12px; }
.atlas-empty { color: #8c959f; font-size: 12px; }
.atlas-firms td, .atlas-firms th { padding: 2px 8px; text-align: left; font-size: 13px; }
"""

_TEMPLATE = """
{%- macro cell(c) -%}
<a class="atlas-cell{{ ' gap' if c.gap and show_gaps }}" href="{{ c.url }}" data-cell="{{ c.key }}"
   title="{{ c.name }}：{{ c.firms }} 家（{{ c.tip }}）{{ '，缺链/本地配套不足' if c.gap and show_gaps }}">
<span class="seg">{{ c.name }}</span>
{%- if c.blocked %}<span class="badge" title="受阻配套企业 {{ c.blocked }} 家">{{ c.blocked }}</span>{% endif %}
<span class="n">{{ c.firms }} 家{% if c.gap and show_gaps %}<span class="gap-tag">缺链</span>{% endif %}</span>
<span class="atlas-bar">{% for s in c.bars %}<span style="width: {{ s.width }}%; background: {{ s.colour }}"></span>{% endfor %}</span>
<span class="scopes">{{ c.short }}</span>
</a>
{%- endmacro -%}
<div class="atlas">
<p class="atlas-legend">
{%- for label, colour in scopes %}<span><span class="swatch" style="background: {{ colour }}"></span>{{ label }}</span>{% endfor %}
<span><span class="atlas-cell" style="display: inline-block; padding: 0 6px"><span class="badge" style="position: static; display: inline-block">n</span></span> 受阻配套企业</span>
{%- if show_gaps %}<span><span class="atlas-cell gap" style="display: inline-block; padding: 0 6px">缺链</span> 缺链/本地配套不足（补链清单中的物料）</span>{% endif %}
<span>上游：中游企业的供应商（二级及以上）；中游：直接供应重点企业/项目；下游：重点企业和项目</span>
</p>
{%- for chain in chains %}
<section class="atlas-chain" id="chain-{{ loop.index }}" data-chain="{{ chain.name }}">
<h2>{{ chain.name }}<small>{% for t in chain.tiers %}{{ t.name }} {{ t.firms }} 家 / {{ t.cells|length }} 个环节{{ " · " if not loop.last }}{% endfor %}</small></h2>
<div class="atlas-tiers">
{%- for t in chain.tiers %}
<div class="atlas-tier" data-tier="{{ t.name }}">
<h3>{{ t.name }} <small>{{ t.firms }} 家</small></h3>
<div class="atlas-cells">
{%- for c in t.cells[:limit] %}{{ cell(c) }}{% else %}<span class="atlas-empty">（无）</span>{% endfor %}
</div>
{%- if t.cells|length > limit and chain.more %}
<p class="atlas-more"><a href="{{ chain.more }}">其余 {{ t.cells|length - limit }} 个环节 →</a></p>
{%- elif t.cells|length > limit %}
<details><summary>其余 {{ t.cells|length - limit }} 个环节</summary><div class="atlas-cells">
{%- for c in t.cells[limit:] %}{{ cell(c) }}{% endfor %}
</div></details>
{%- endif %}
</div>
{%- if not loop.last %}<div class="atlas-arrow" aria-hidden="true">→</div>{% endif %}
{%- endfor %}
</div>
</section>
{%- else %}
<p class="atlas-empty">没有可显示的产业链：台账中没有本市重点企业或项目。</p>
{%- endfor %}
</div>
"""

_DOCUMENT = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>body { font-family: system-ui, "Noto Sans CJK SC", sans-serif; margin: 16px 24px; color: #24292f; background: #f6f8fa; }
{{ css }}</style></head>
<body><h1>{{ title }}</h1>
{{ fragment }}
{%- if listed %}
<h2>各环节企业</h2>
{%- for c in listed %}
<h3 id="{{ c.anchor }}">{{ c.chain }} · {{ c.tier }} · {{ c.name }}（{{ c.rows|length }} 家）</h3>
<table class="atlas-firms"><tr><th>编号</th><th>名称</th></tr>
{%- for id, name in c.rows %}<tr><td>{{ id }}</td><td>{{ name }}</td></tr>{% endfor %}
</table>
{%- endfor %}
{%- endif %}
</body></html>
"""

_ENV = Environment(autoescape=True, trim_blocks=False, lstrip_blocks=False)
_FRAGMENT = _ENV.from_string(_TEMPLATE)
_PAGE = _ENV.from_string(_DOCUMENT)

CellUrl = Callable[[str, str, str], str]
"""Link of a cell from its chain, tier and segment."""


def _cell(row: Mapping[str, Any], url: str, key: str) -> dict[str, Any]:
    firms = int(row["firms"])
    counts = [(s, int(row[s])) for s in SCOPE_COLOURS]
    bars = [
        {"width": round(100.0 * n / firms, 2), "colour": SCOPE_COLOURS[s][1]}
        for s, n in counts
        if n and firms
    ]
    named = [f"{SCOPE_COLOURS[s][0]} {n}" for s, n in counts if n]
    short = " · ".join(f"{SCOPE_COLOURS[s][0][:2]}{n}" for s, n in counts if n)
    return {
        "name": str(row["name"]),
        "firms": firms,
        "blocked": int(row["blocked"]),
        "gap": bool(row["gap"]),
        "bars": bars,
        "tip": "，".join(named),
        "short": short,
        "url": url,
        "key": key,
    }


def _chains(
    cells: Sequence[Mapping[str, Any]],
    chains: Sequence[str],
    tiers: Sequence[str],
    cell_url: CellUrl,
    more_url: Callable[[str], str] | None = None,
) -> list[dict[str, Any]]:
    blocks: dict[str, dict[str, list[dict[str, Any]]]] = {c: {t: [] for t in tiers} for c in chains}
    for i, row in enumerate(cells):
        chain, tier, segment = str(row["chain"]), str(row["tier"]), str(row["segment"])
        if chain in blocks and tier in blocks[chain]:
            blocks[chain][tier].append(_cell(row, cell_url(chain, tier, segment), f"cell-{i + 1}"))
    return [
        {
            "name": chain,
            "more": more_url(chain) if more_url else "",
            "tiers": [
                {"name": t, "cells": found, "firms": sum(c["firms"] for c in found)}
                for t, found in per.items()
            ],
        }
        for chain, per in blocks.items()
    ]


def atlas_fragment(
    cells: Sequence[Mapping[str, Any]],
    *,
    chains: Sequence[str],
    tiers: Sequence[str],
    cell_url: CellUrl,
    show_gaps: bool,
    limit: int = CELLS_SHOWN,
    more_url: Callable[[str], str] | None = None,
) -> Markup:
    """Return the atlas as HTML to embed in a page (style: :data:`ATLAS_CSS`).

    Parameters
    ----------
    cells
        The rows of :attr:`chain_graph.atlas.Atlas.cells`, as records, in their order.
    chains, tiers
        The blocks to draw, in order, and the columns of each (上游, 中游, 下游).
    cell_url
        The link of a cell.
    show_gaps
        Draw gap cells hollow and name 缺链 in the legend (a reader of the gap list).
    limit
        Cells a tier shows before folding the rest.
    more_url
        The page of one chain: when given, a long tier's other cells are not drawn (folded)
        but linked to there — a province's whole atlas has hundreds of them.

    Examples
    --------
    >>> row = {"chain": "装备<制造>", "tier": "中游", "segment": "s", "name": "钢&铁", "firms": 2,
    ...        "local": 1, "in_province": 0, "out_of_province": 1, "unknown": 0, "blocked": 1, "gap": True}
    >>> html = atlas_fragment([row], chains=["装备<制造>"], tiers=["上游", "中游", "下游"],
    ...                       cell_url=lambda c, t, s: f"/cell?s={s}", show_gaps=True)
    >>> "装备&lt;制造&gt;" in html, "钢&amp;铁" in html, 'class="atlas-cell gap"' in html
    (True, True, True)
    >>> '<span class="badge" title="受阻配套企业 1 家">1</span>' in html
    True
    """
    return Markup(
        _FRAGMENT.render(
            chains=_chains(cells, chains, tiers, cell_url, more_url),
            scopes=list(SCOPE_COLOURS.values()),
            show_gaps=show_gaps,
            limit=limit,
        )
    )


def atlas_document(
    cells: Sequence[Mapping[str, Any]],
    *,
    chains: Sequence[str],
    tiers: Sequence[str],
    title: str,
    names: Mapping[str, str],
    console: str | None = None,
    show_gaps: bool = True,
) -> str:
    """Return the atlas as one standalone HTML file.

    A cell links to the console's page of its firms when ``console`` (the console's base
    URL, ending in ``/``) is given; else to a table of its firms (id and name, from
    ``names``) at the end of the file.
    """
    listed: list[dict[str, Any]] = []
    anchors: dict[tuple[str, str, str], str] = {}
    if console is None:
        for i, row in enumerate(cells):
            key = (str(row["chain"]), str(row["tier"]), str(row["segment"]))
            anchors[key] = f"firms-{i + 1}"
            rows = [(str(x), names.get(str(x), "")) for x in row["ids"]]
            listed.append(
                {"anchor": anchors[key], "chain": key[0], "tier": key[1], "name": row["name"], "rows": rows}
            )

    def cell_url(chain: str, tier: str, segment: str) -> str:
        if console is None:
            return "#" + anchors[(chain, tier, segment)]
        from urllib.parse import urlencode

        return f"{console}console/atlas/cell?" + urlencode({"chain": chain, "tier": tier, "segment": segment})

    fragment = atlas_fragment(cells, chains=chains, tiers=tiers, cell_url=cell_url, show_gaps=show_gaps)
    return _PAGE.render(title=title, css=Markup(ATLAS_CSS), fragment=fragment, listed=listed)
