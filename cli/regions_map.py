"""``chain-graph map --view regions``: the regional map (区域分布图) as one HTML or SVG file."""

from __future__ import annotations

from pathlib import Path

from application.regions import regions_map
from application.visibility import Visibility
from application.workspace import Snapshot
from cli.common import errors
from viz.regions import regions_document, regions_svg

__all__ = ["write_regions"]


def write_regions(snap: Snapshot, output: Path) -> None:
    """Write the three panels (全国、湖南、怀化) to ``output``: SVG for ``.svg``, else HTML."""
    drawn = regions_map(snap, Visibility.whole_city(), view="all", links=False)
    if output.suffix.lower() == ".svg":
        output.write_text(regions_svg(drawn.panels, title=drawn.title), encoding="utf-8")
    else:
        page = regions_document(drawn.panels, title=drawn.title, summary="；".join(drawn.notes))
        output.write_text(page, encoding="utf-8")
    d = drawn.distribution
    errors.print(
        f"已生成 {output}（{len(d.provinces)} 个省份、{len(d.cities)} 个市州、{len(d.counties)} 个县市区，"
        f"{d.suppliers} 家受阻配套企业）"
    )
