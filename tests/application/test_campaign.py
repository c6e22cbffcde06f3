"""The campaign use cases as each caller sees them: a county gets the city line and its own rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from application import campaign
from application.visibility import Visibility
from application.workspace import Snapshot, Workspace
from chain_graph.campaign import REPORT_COLUMNS
from chain_graph.errors import ConfigError
from chain_graph.settings import Settings
from chain_graph.store.sqlite import SQLiteStore
from ingest.loader import read_directory
from tests.defaults import SETTINGS

HECHENG, ZHIJIANG = "431202", "431228"
TODAY = dt.date(2026, 11, 30)  # a Monday: the last round ended on Friday 11-27


def _reports(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": i,
                "as_of": day,
                "status": "",
                "capacity": capacity,
                "recovery_days": np.nan,
                "problem": "",
                "started": np.nan,
                "completed": np.nan,
                "workers": np.nan,
                "reporter": "",
                "seq": k + 1,
            }
            for k, (i, day, capacity) in enumerate(rows)
        ],
        columns=list(REPORT_COLUMNS),
    )


REPORTS = _reports([("E1", "2026-11-26", 80.0), ("E2", "2026-11-19", 90.0)])


@pytest.fixture
def snap(tmp_path: Path, canonical_dir: Path) -> Iterator[Snapshot]:
    settings = Settings(store=f"sqlite:///{tmp_path}/c.db")
    with SQLiteStore(settings.store, batch_size=SETTINGS.write_batch_size) as store:
        store.write(read_directory(canonical_dir, settings=SETTINGS).ledgers)
        yield Workspace(settings, store=store).snapshot()


def test_a_county_sees_the_city_line_and_its_own_rows(snap: Snapshot) -> None:
    ends = campaign.rounds(snap.settings, end=TODAY, count=2)
    assert ends == [dt.date(2026, 11, 20), dt.date(2026, 11, 27)]
    county = Visibility.of_county(HECHENG)
    city = campaign.series(snap, county, REPORTS, ends=ends, group="city")
    assert list(city["group"]) == ["city", "city"]  # the city's headline line, for everyone
    # 11-27: E1 at 80 % (30000), E2 at 90 % (5000, reported 11-19)
    assert city["recovery"].iloc[-1] == pytest.approx((30000 * 0.8 + 5000 * 0.9) / 35000)
    rows = campaign.series(snap, county, REPORTS, ends=ends, group="county")
    assert set(rows["group"]) == {HECHENG}
    assert set(rows["name"]) == {"鹤城区"}
    everyone = campaign.series(snap, Visibility.whole_city(), REPORTS, ends=ends, group="county")
    assert set(everyone["group"]) == {HECHENG, ZHIJIANG}  # the home city's counties only


def test_compliance_and_ranking_as_a_county_sees_them(snap: Snapshot) -> None:
    county = Visibility.of_county(ZHIJIANG)
    table = campaign.compliance(snap, county, REPORTS, end=dt.date(2026, 11, 27))
    assert list(table["county"]) == [ZHIJIANG]
    assert table["rank"].iloc[0] == 2  # 鹤城区 reported half, 芷江 nothing: 2nd of 2
    # E2 reported 11-19, before the round (11-21 … 11-27): missing, by name
    assert table["missing_names"].iloc[0] == ["芷江乙食品有限公司"]
    everyone = campaign.compliance(snap, Visibility.whole_city(), REPORTS, end=dt.date(2026, 11, 27))
    assert everyone.set_index("county").loc[HECHENG, "compliance"] == pytest.approx(0.5)  # E1 yes, P1 no
    ends = campaign.rounds(snap.settings, end=TODAY, count=2)
    ranks, counties = campaign.ranking(snap, county, REPORTS, ends=ends)
    assert counties == 2
    assert set(ranks["group"]) == {ZHIJIANG}
    # 11-20: 鹤城区 100 % (E1 as the base), 芷江 90 % → 2nd; 11-27: 鹤城区 80 %, 芷江 90 % → 1st
    assert list(ranks["rank"]) == [2, 1]
    assert ranks["rank_change"].iloc[-1] == 1


def test_targets_from_the_file(snap: Snapshot, tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text(
        "- {metric: recovery, value: 0.9, by: 2027-01-29}\n"
        f"- {{metric: recovery, value: 0.95, by: 2027-01-29, scope: '{HECHENG}'}}\n",
        encoding="utf-8",
    )
    settings = snap.settings.model_copy(update={"targets_file": str(path)})
    object.__setattr__(snap, "settings", settings)
    ends = campaign.rounds(settings, end=TODAY, count=2)
    seen = campaign.targets(snap, Visibility.of_county(ZHIJIANG), REPORTS, ends=ends)
    assert [t["scope"] for t in seen] == ["city"]  # 鹤城区's target is 鹤城区's and the city's
    everything = campaign.targets(snap, Visibility.whole_city(), REPORTS, ends=ends)
    # 鹤城区: 100 % (reached), then 80 %, under the line from 100 % to 95 % (behind)
    assert [r["state"] for r in everything[1]["rounds"]] == ["reached", "behind"]
    path.write_text("- {metric: recovery, value: 0.9}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="第 1 项 by"):
        campaign.targets(snap, Visibility.whole_city(), REPORTS, ends=ends)


def test_past_rounds_start_from_the_base_not_from_todays_state(tmp_path: Path, canonical_dir: Path) -> None:
    settings = Settings(store=f"sqlite:///{tmp_path}/r.db")
    with SQLiteStore(settings.store, batch_size=SETTINGS.write_batch_size) as store:
        store.write(read_directory(canonical_dir, settings=SETTINGS).ledgers)
        store.append_reports(REPORTS.drop(columns=["seq"]), by="鹤城区", at=dt.datetime(2026, 11, 26, 17))
        ws = Workspace(settings, store=store)
        snap = ws.snapshot()  # today's state: E1 at 80 %
        assert snap.ledgers.firms.set_index("id").loc["E1", "capacity"] == 80.0
        city = campaign.series(
            snap, Visibility.whole_city(), ws.reports(), ends=[dt.date(2026, 11, 20)], group="city"
        )
        # 11-20: E1 had not reported yet (100 % as the ledgers say); E2 at 90 % since 11-19
        assert city["recovery"].iloc[0] == pytest.approx((30000 * 1.0 + 5000 * 0.9) / 35000)
