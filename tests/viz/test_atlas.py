"""The atlas's HTML: escaping, folding, gap drawing, and the standalone file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chain_graph.atlas import TIERS
from cli.main import app
from viz.atlas import atlas_document, atlas_fragment


def _row(name: str, **counts: Any) -> dict[str, Any]:
    base = {"chain": "链", "tier": "上游", "segment": name, "name": name, "firms": 1, "local": 1}
    base |= {"in_province": 0, "out_of_province": 0, "unknown": 0, "blocked": 0, "gap": False, "ids": ("F",)}
    return base | counts


def _url(chain: str, tier: str, segment: str) -> str:
    return f"/c?{segment}"


def _chain(chain: str) -> str:
    return f"/c?{chain}"


def test_text_is_escaped_everywhere() -> None:
    row = _row('<script>alert("x")</script>', chain="<b>链</b>")
    html = atlas_fragment([row], chains=["<b>链</b>"], tiers=TIERS, cell_url=_url, show_gaps=True)
    assert "<script>" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)" in html
    assert "&lt;b&gt;链" in html


@pytest.mark.parametrize(("cells", "folded"), [(3, 0), (12, 0), (13, 1), (40, 28)])
def test_a_long_tier_folds_the_rest(cells: int, folded: int) -> None:
    rows = [_row(f"物料{i:02d}") for i in range(cells)]
    html = atlas_fragment(rows, chains=["链"], tiers=TIERS, cell_url=_url, show_gaps=False, limit=12)
    assert html.count('class="atlas-cell"') == cells + 1  # and the legend's badge sample
    assert (f"其余 {folded} 个环节" in html) is bool(folded)


def test_a_long_tier_links_the_rest_to_its_chain_page_when_asked() -> None:
    rows = [_row(f"物料{i:02d}") for i in range(40)]
    html = atlas_fragment(
        rows, chains=["链"], tiers=TIERS, cell_url=_url, show_gaps=False, limit=12, more_url=_chain
    )
    assert html.count('class="atlas-cell"') == 12 + 1  # the rest is on the chain's page
    assert '<a href="/c?链">其余 28 个环节 →</a>' in html
    assert "<details>" not in html


@pytest.mark.parametrize("show_gaps", [True, False])
def test_gap_cells_are_hollow_only_for_readers_of_the_gap_list(show_gaps: bool) -> None:
    html = atlas_fragment(
        [_row("钢", gap=True)], chains=["链"], tiers=TIERS, cell_url=_url, show_gaps=show_gaps
    )
    assert ('class="atlas-cell gap" href' in html) is show_gaps
    assert ("缺链/本地配套不足" in html) is show_gaps


def test_the_scope_bar_has_one_part_per_scope_present() -> None:
    row = _row("钢", firms=4, local=1, in_province=0, out_of_province=3)
    html = atlas_fragment([row], chains=["链"], tiers=TIERS, cell_url=_url, show_gaps=False)
    assert "width: 25.0%; background: #1a9850" in html
    assert "width: 75.0%; background: #e08214" in html
    assert "本地1 · 省外3" in html


def test_a_standalone_file_lists_each_cells_firms(tmp_path: Path) -> None:
    html = atlas_document(
        [_row("钢", ids=("F",))], chains=["链"], tiers=TIERS, title="图谱", names={"F": "某厂"}
    )
    assert 'href="#firms-1"' in html
    assert 'id="firms-1"' in html
    assert "某厂" in html
    linked = atlas_document(
        [_row("钢")], chains=["链"], tiers=TIERS, title="图谱", names={}, console="http://c/"
    )
    assert (
        'href="http://c/console/atlas/cell?chain=%E9%93%BE&amp;tier=%E4%B8%8A%E6%B8%B8&amp;segment=%E9%92%A2"'
        in linked
    )


def test_the_command_writes_the_atlas(canonical_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "atlas.html"
    result = CliRunner().invoke(app, ["map", str(canonical_dir), "--view", "atlas", "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.count('class="atlas-chain"') == 3
    assert "长沙丙钢材有限公司" in html  # the 钢材 cells' firms, listed in the file
    wrong = CliRunner().invoke(
        app, ["map", str(canonical_dir), "--view", "atlas", "--chain", "无", "-o", str(out)]
    )
    assert wrong.exit_code != 0
