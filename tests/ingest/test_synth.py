from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

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
    assert sorted(p.suffix for p in tmp_path.glob("*.*") if p.name != "说明.txt") == [".csv"] * 5
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
