"""The regional distribution map (区域分布图) a caller may see, per view, once per data version.

Two views: ``coordination`` (跨区域: 全国 by province and 湖南 by city, the suppliers the
province is asked about) and ``local`` (本地: 怀化 by county); ``all`` draws the three
panels (the command line's file). A county sees only what holds back its own entities,
valued by what restoring it gives them (:meth:`~chain_graph.gaps.GapAnalysis.held_back`),
and in the local view only its own county; no supplier is named, only counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

import pandas as pd
from markupsafe import Markup

from application.visibility import Visibility
from application.workspace import Snapshot
from chain_graph.errors import ConfigError
from chain_graph.gaps import GapAnalysis
from chain_graph.records import plain_records
from chain_graph.regional import RegionalDistribution, regional_distribution
from chain_graph.regions import region_name
from viz.regions import Arrow, boundaries, region_panel

__all__ = ["RegionsMap", "View", "draw_regions", "regions_map"]

View = Literal["coordination", "local", "all"]
VIEWS: tuple[View, ...] = ("coordination", "local", "all")


@dataclass(frozen=True)
class RegionsMap:
    """The panels of one view, and the figures they draw."""

    view: View
    title: str
    panels: tuple[Markup, ...]
    distribution: RegionalDistribution
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """Return the figures as JSON: totals per level, the unplaced, the flows, the boundary source."""
        d = self.distribution
        return {
            "view": self.view,
            "title": self.title,
            "provinces": plain_records(d.provinces) if self.view != "local" else [],
            "cities": plain_records(d.cities) if self.view != "local" else [],
            "counties": plain_records(d.counties) if self.view != "coordination" else [],
            "unknown": {"suppliers": d.unknown_suppliers, "value": d.unknown_value},
            "flows": plain_records(d.flows),
            "notes": list(self.notes),
            "source": dict(boundaries()["source"]),
        }


def _totals(table: pd.DataFrame) -> dict[str, tuple[int, float]]:
    return {
        str(c): (int(n), float(v))
        for c, n, v in zip(table["adcode"], table["suppliers"], table["value"], strict=True)
    }


def _arrows(flows: pd.DataFrame, *, to_city: str | None) -> list[Arrow]:
    """Arrows per source region; to the home city (``to_city``) or to each home county."""
    if flows.empty:
        return []
    table = flows.assign(target=to_city) if to_city else flows
    grouped = table.groupby(["source", "target"], as_index=False).agg(
        value=("value", "sum"), suppliers=("suppliers", "sum")
    )
    return [
        Arrow(
            s,
            t,
            float(v),
            f"{region_name(s) or s} → {region_name(t) or t}：{int(n)} 家受阻配套企业，涉及 {v:,.2f} 万元",
        )
        for s, t, v, n in zip(
            grouped["source"], grouped["target"], grouped["value"], grouped["suppliers"], strict=True
        )
    ]


def regions_map(snap: Snapshot, vis: Visibility, *, view: View, links: bool) -> RegionsMap:
    """Return the regional map of ``view`` as ``vis`` may see it.

    Parameters
    ----------
    snap
        The data version (today's, or an as-of day's).
    vis
        Who looks: the whole city, or a county.
    view
        ``coordination``, ``local`` or ``all``.
    links
        Whether provinces and cities link to the coordination list (the caller may open it).
    """
    if view not in VIEWS:
        raise ConfigError(f"view 应为 coordination、local 或 all，当前为 {view!r}")
    return snap.memo(
        ("regions", view, vis.key, links), lambda: draw_regions(snap.analysis, vis, view=view, links=links)
    )


def draw_regions(analysis: GapAnalysis, vis: Visibility, *, view: View, links: bool) -> RegionsMap:
    """Draw the panels of ``view`` from an analysis (:func:`regions_map` without the cache)."""
    graph = analysis.graph
    home = analysis.settings.home_adcode
    if vis.is_county:
        found = regional_distribution(analysis, own=vis.own_mask(graph), shown=vis.map_mask(graph))
        counties = found.counties[found.counties["adcode"] == vis.county].reset_index(drop=True)
        found = RegionalDistribution(
            found.provinces, found.cities, counties, found.unknown_suppliers, found.unknown_value, found.flows
        )
    else:
        found = regional_distribution(analysis)
    area = region_name(vis.county) if vis.is_county else region_name(home)
    flows = found.flows
    outside = flows[~flows["source"].str.startswith(home[:4])]
    local = flows[flows["source"].str.startswith(home[:4])]

    def to_list(_code: str, name: str) -> str | None:
        return "/console/coordination?" + urlencode({"target": name}) if links else None

    def to_county(code: str, _name: str) -> str | None:
        return "/console/local?" + urlencode({"county": code}) if code != home else None

    notes = []
    if found.unknown_suppliers:
        notes.append(
            f"地址待核实（未上图）：{found.unknown_suppliers} 家，涉及 {found.unknown_value:,.2f} 万元"
        )
    unplaced = found.counties[found.counties["adcode"] == home]
    if len(unplaced):
        notes.append(
            f"仅知在{region_name(home)}、县市区待核实（未上图）：{int(unplaced['suppliers'].sum())} 家"
        )
    panels: list[Markup] = []
    if view in ("coordination", "all"):
        panels.append(
            region_panel(
                "china",
                _totals(found.provinces),
                _arrows(outside[outside["source"].str.endswith("0000")], to_city=home),
                title="省外受阻配套企业（按省份）",
                href=to_list,
                home=home[:2] + "0000",
                note=notes[0] if found.unknown_suppliers else "",
            )
        )
        panels.append(
            region_panel(
                "hunan",
                _totals(found.cities),
                _arrows(outside[~outside["source"].str.endswith("0000")], to_city=home),
                title=f"省内市外受阻配套企业（按{region_name(home[:2] + '0000')}各市州）",
                href=to_list,
                home=home,
            )
        )
    if view in ("local", "all"):
        panels.append(
            region_panel(
                "huaihua",
                _totals(found.counties),
                _arrows(local, to_city=None),
                title=f"本地受阻配套企业（{area}，按县市区）",
                href=to_county,
                home=vis.county,
                note=notes[-1] if len(unplaced) else "",
            )
        )
    title = f"受阻配套企业区域分布图（{area}）"
    return RegionsMap(view, title, tuple(panels), found, tuple(notes))
