"""What-if for a county: its own changes, chosen from all changes, not from the city's top list."""

from __future__ import annotations

import pytest

from application.scenarios import CHANGES_SHOWN, what_if
from application.visibility import Visibility
from application.workspace import Snapshot
from chain_graph.errors import NotFoundError
from chain_graph.scenarios import Scenario, run_scenario
from ingest.loader import read_directory
from ingest.synth import synthesize
from tests.defaults import SETTINGS


@pytest.fixture(scope="module")
def snap(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    data = tmp_path_factory.mktemp("city")
    synthesize(data, firms=1200, seed=3)
    return Snapshot(version=1, ledgers=read_directory(data, settings=SETTINGS).ledgers, settings=SETTINGS)


def test_a_county_sees_its_own_changes_even_beyond_the_citys_top_list(snap: Snapshot) -> None:
    everything = Scenario(stop_regions=["43"])  # the whole province stops
    outcome = run_scenario(snap.graph, everything, settings=SETTINGS, before=snap.analysis)
    changes = outcome.changes(limit=None)
    assert len(changes) > CHANGES_SHOWN
    city_top = {r["id"] for r in changes[:CHANGES_SHOWN]}
    # The county with the most changed entities outside the city's top list.
    counties = [
        snap.adcode_of[r["id"]] for r in changes[CHANGES_SHOWN:] if snap.adcode_of[r["id"]].startswith("4312")
    ]
    county = max(set(counties), key=counties.count)
    vis = Visibility.of_county(county)
    own = [r for r in changes if snap.adcode_of[r["id"]] == county]
    shown = what_if(snap, vis, everything)["availability_changes"]
    assert shown == own[:CHANGES_SHOWN]
    assert any(r["id"] not in city_top for r in shown)


def test_a_county_may_not_name_another_countys_firm(snap: Snapshot) -> None:
    firms = snap.ledgers.firms
    home = firms[firms["adcode"].str.startswith("4312")]
    mine, other = home["adcode"].iloc[0], home[home["adcode"] != home["adcode"].iloc[0]]["id"].iloc[0]
    with pytest.raises(NotFoundError):
        what_if(snap, Visibility.of_county(mine), Scenario(stop=[str(other)]))
    with pytest.raises(NotFoundError):
        what_if(snap, Visibility.whole_city(), Scenario(stop=["NO-SUCH-FIRM"]))
