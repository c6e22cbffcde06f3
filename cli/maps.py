"""``chain-graph map``: a chain map as one standalone HTML file (opens offline, no server)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chain_graph.errors import ConfigError
from cli.common import StoreOption, errors, load_settings, user_errors

__all__ = ["map_command"]


def map_command(
    data_dir: Annotated[Path | None, typer.Argument(help="台账目录（或用 --store 读取已导入的数据）")] = None,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="输出的 HTML 文件（regions 也可为 .svg）")
    ] = Path("map.html"),
    view: Annotated[
        str,
        typer.Option(
            help="city（全市/产业链/县市区）、upstream（上游）、impact（影响范围）、atlas（产业链图谱）、"
            "regions（区域分布图）"
        ),
    ] = "city",
    node: Annotated[str | None, typer.Option("--id", help="upstream/impact 的企业或项目编号")] = None,
    depth: Annotated[int, typer.Option(help="upstream 的层数")] = 3,
    chain: Annotated[str | None, typer.Option(help="只看该产业链")] = None,
    county: Annotated[str | None, typer.Option(help="只看该县市区（6 位代码）")] = None,
    console_url: Annotated[str | None, typer.Option("--console", help="点击节点时打开的控制台地址")] = None,
    store: StoreOption = None,
) -> None:
    """生成产业链图（单个 HTML 文件，离线可打开）。"""
    from application import maps
    from application.visibility import Visibility
    from cli.main import load_snapshot

    with user_errors():
        settings = load_settings()
        if view not in ("city", "upstream", "impact", "atlas", "regions"):
            raise ConfigError(f"--view 应为 city、upstream、impact、atlas 或 regions，当前为 {view!r}")
        if view in ("upstream", "impact") and not node:
            raise ConfigError(f"--view {view} 需要 --id 指定企业或项目编号")
        if not output.parent.is_dir():
            raise ConfigError(f"输出目录 {output.parent} 不存在")
        snap = load_snapshot(data_dir, store, settings)
        city, link = Visibility.whole_city(), console_url.rstrip("/") + "/" if console_url else None
        if view == "atlas":
            from application.atlas import atlas_document_of

            seen = Visibility.of_county(county) if county else city
            output.write_text(atlas_document_of(snap, seen, chain=chain, console=link), encoding="utf-8")
            errors.print(f"已生成 {output}（产业链图谱）")
            return
        if view == "regions":
            from cli.regions_map import write_regions

            write_regions(snap, output)
            return
        if view == "city":
            page = maps.city_map(snap, city, chain=chain, county=county, assets="inline", link=link)
        elif view == "upstream":
            assert node is not None
            page = maps.upstream_map(snap, city, node, depth=depth, assets="inline", link=link)
        else:
            assert node is not None
            page = maps.impact_map(snap, city, node, assets="inline", link=link)
        output.write_text(page.html, encoding="utf-8")
        errors.print(f"已生成 {output}（{page.nodes} 个节点，{page.edges} 条连线，方式：{page.mode}）")
