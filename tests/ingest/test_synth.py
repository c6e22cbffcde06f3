from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chain_graph.graph import build_graph
from chain_graph.materials import Catalogue, identities, normalise
from chain_graph.regions import Scope, classify
from ingest.loader import read_directory
from ingest.synth import HUAIHUA_COUNTIES, synthesize
from tests.defaults import SETTINGS


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("city")
    synthesize(directory, firms=2300, seed=7)
    return directory


def test_city_has_the_huaihua_shape(city: Path) -> None:
    validation = read_directory(city, settings=SETTINGS)
    assert validation.issues == []
    ledgers = validation.ledgers
    firms = ledgers.firms
    assert int(firms["is_enterprise"].sum()) == 300
    assert len(firms) == 2300
    assert len(ledgers.projects) == 385
    assert int((ledgers.projects["category"] == "基础设施").sum()) == 44
    assert len(ledgers.links) == 6000
    suppliers = firms[firms["is_supplier"] & ~firms["is_enterprise"]]
    scopes = (
        suppliers["adcode"]
        .map(lambda c: classify(c, home_adcode="431200").scope)
        .value_counts(normalize=True)
    )
    assert scopes[Scope.LOCAL] == pytest.approx(0.40, abs=0.04)
    assert scopes[Scope.IN_PROVINCE] == pytest.approx(0.35, abs=0.04)
    assert scopes[Scope.OUT_OF_PROVINCE] == pytest.approx(0.25, abs=0.04)
    troubled = (suppliers["status"] != "normal").mean()
    assert troubled == pytest.approx(0.10, abs=0.03)
    enterprises = firms[firms["is_enterprise"]]
    assert set(enterprises["adcode"]) <= set(HUAIHUA_COUNTIES)
    assert (firms["is_enterprise"] & firms["is_supplier"]).sum() > 0  # one id space


def test_same_seed_same_data(city: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    synthesize(again, firms=2300, seed=7)
    a, b = read_directory(city, settings=SETTINGS).ledgers, read_directory(again, settings=SETTINGS).ledgers
    for name in a.TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_other_seed_other_data(city: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    synthesize(other, firms=2300, seed=8)
    assert not read_directory(city, settings=SETTINGS).ledgers.links.equals(
        read_directory(other, settings=SETTINGS).ledgers.links
    )


def test_larger_scales_write_csv_and_say_they_are_synthetic(tmp_path: Path) -> None:
    counts = synthesize(tmp_path, firms=12000, seed=1)
    assert sorted(p.suffix for p in tmp_path.glob("*.*") if p.name != "说明.txt") == [".csv"] * 6
    assert "虚构" in (tmp_path / "说明.txt").read_text(encoding="utf-8")
    assert "虚构" in (tmp_path / "供应关系.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert counts["供应关系"] == 60000
    assert read_directory(tmp_path, settings=SETTINGS).ok


def test_titles_say_each_word_once(city: Path) -> None:
    from openpyxl import load_workbook

    for path in sorted(city.glob("*.xlsx")):
        book = load_workbook(path, read_only=True)  # read-only keeps the file open until closed
        title = str(book.worksheets[0]["A1"].value)
        book.close()
        assert "台账台账" not in title, path.name
        assert title.startswith("怀化市"), path.name


def test_the_catalogue_codes_names_aliases_and_chains(city: Path) -> None:
    materials = read_directory(city, settings=SETTINGS).ledgers.materials
    assert len(materials) > 40
    assert materials["code"].is_unique
    assert (materials["chain"] != "").mean() > 0.8
    steel = materials.set_index("name").loc["钢材"]
    assert steel["aliases"] == "钢板；热轧钢板"
    assert steel["chain"] == "装备制造"
    assert "电子信息" in str(materials.set_index("name").at["芯片", "chain"])


def test_links_carry_values_and_codes_and_the_forms_officials_type(city: Path) -> None:
    ledgers = read_directory(city, settings=SETTINGS).ledgers
    links = ledgers.links
    coverage = links["annual_value"].notna().mean()
    assert 0.8 < coverage < 0.95  # most links carry a value, some do not
    assert (links["annual_value"].dropna() >= 0).all()
    coded = links["material_code"] != ""
    assert 0.6 < coded.mean() < 0.85  # most links carry a code, some are matched by name
    codes = links.loc[coded, "material_code"]
    assert codes.str.startswith("Ｗ").any()  # full-width, as typed
    assert codes.str.startswith("wl").any()  # lower case
    catalogue = Catalogue(ledgers.materials)
    names = set(links["material"])
    assert {"钢板", "热轧钢板"} & names  # aliases of 钢材
    assert any(" " in name for name in names)  # a space typed inside a name
    assert names & {"ＰＣＢ板", "ＩＣ", "ＣＣＬ", "ＣＮＣ系统", "ＰＥ管"}  # full-width letters
    assert len(names - set(ledgers.materials["name"])) > 10
    # However typed, each material is one identity: as many as the catalogue's and the rest.
    keys = identities(links["material"], links["material_code"], catalogue=catalogue)
    uncatalogued = {normalise(n) for n in names if catalogue.code_of(n) is None}
    assert len(set(keys)) == len(ledgers.materials) + len(uncatalogued)


def test_annual_values_are_a_part_of_what_the_buyer_makes(city: Path) -> None:
    # 2–15 % of an enterprise's output value for the whole of one material, times the share.
    ledgers = read_directory(city, settings=SETTINGS).ledgers
    firms = ledgers.firms.set_index("id")
    output = firms.loc[firms["is_enterprise"], "output_value"]
    links = ledgers.links[
        ledgers.links["buyer_id"].isin(output.index) & ledgers.links["annual_value"].notna()
    ]
    bought = output.reindex(links["buyer_id"]).to_numpy() * links["share"] / 100  # its need covered here
    value = links["annual_value"]
    assert len(links) > 1000
    assert (value >= 0.02 * bought - 0.05).all()  # rounded to 0.1 万元
    assert (value <= 0.15 * bought + 0.05).all()


def test_most_blocked_suppliers_have_a_substitute_for_every_link(city: Path) -> None:
    # A substitute for X → b of material m: a firm Y ≠ X, b with own capacity ≥ 90 % that
    # already supplies m to some buyer (supply spec). Counted by hand over the arrays.
    g = build_graph(read_directory(city, settings=SETTINGS).ledgers)
    healthy = g.capacity >= SETTINGS.blocked_threshold
    makers: dict[str, set[int]] = {}
    for src, key in zip(g.src[healthy[g.src]], g.material_key[healthy[g.src]], strict=True):
        makers.setdefault(str(key), set()).add(int(src))
    blocked = ~healthy[g.src]
    covered = np.array(
        [
            bool(makers.get(str(key), set()) - {int(s), int(d)})
            for s, d, key in zip(g.src[blocked], g.dst[blocked], g.material_key[blocked], strict=True)
        ]
    )
    per_supplier = pd.Series(covered).groupby(g.src[blocked]).all()
    assert len(per_supplier) > 100
    assert per_supplier.mean() >= 0.9
