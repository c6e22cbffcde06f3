"""Published analyses: the bytes give back every table and figure, and nothing else is read."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chain_graph.campaign import state_at
from chain_graph.gaps import analyze
from chain_graph.model import LedgerTables
from chain_graph.store.base import conform_reports
from chain_graph.store.results import decode, encode, result_key
from ingest.loader import read_directory
from tests.defaults import SETTINGS
from tests.fuzzing import examples


@pytest.fixture
def ledgers(canonical_dir: Path) -> LedgerTables:
    return read_directory(canonical_dir, settings=SETTINGS).ledgers


def _assert_same_tables(a: LedgerTables, b: LedgerTables) -> None:
    for table in dataclasses.fields(LedgerTables):
        pd.testing.assert_frame_equal(getattr(a, table.name), getattr(b, table.name), obj=table.name)


def test_a_result_gives_back_the_tables_and_every_figure(ledgers: LedgerTables) -> None:
    analysis = analyze(ledgers, settings=SETTINGS)
    found = decode(encode(ledgers, analysis), settings=SETTINGS)
    _assert_same_tables(found.base, ledgers)
    for name in ("blocked", "single_source", "restoration_order", "exposure"):
        pd.testing.assert_frame_equal(getattr(found.analysis, name), getattr(analysis, name), obj=name)
    assert found.analysis.to_json() == analysis.to_json()
    # Computed before publishing: kept, not computed again by the reader.
    again = decode(encode(ledgers, analysis), settings=SETTINGS).analysis
    assert again.known_restoration is not None
    assert again.known_exposure is not None
    assert again.known_substitutes is not None  # to_json computed them
    pd.testing.assert_frame_equal(again.substitutes, analysis.substitutes)
    pd.testing.assert_frame_equal(again.restoration_order, analysis.restoration_order)
    pd.testing.assert_frame_equal(again.exposure, analysis.exposure)
    assert found.analysis.graph.ids.tolist() == analysis.graph.ids.tolist()
    # What is computed on first use comes out the same from the rebuilt graph.
    pd.testing.assert_frame_equal(found.analysis.substitutes, analysis.substitutes)


def test_the_analysis_is_of_the_overlaid_tables(ledgers: LedgerTables) -> None:
    report = {"seq": [1], "id": ["S1"], "as_of": ["2026-11-20"], "status": ["正常生产"]}
    reports = conform_reports(pd.DataFrame(report))
    day = dt.date(2026, 11, 30)

    def overlay(base: LedgerTables) -> LedgerTables:
        return state_at(base, reports, as_of=day)

    analysis = analyze(overlay(ledgers), settings=SETTINGS)
    found = decode(encode(ledgers, analysis), settings=SETTINGS, overlay=overlay)
    _assert_same_tables(found.base, ledgers)  # the base is kept, not the overlaid state
    assert found.analysis.to_json() == analysis.to_json()
    assert "S1" not in set(found.analysis.blocked["id"])  # S1 reported back in production


def test_a_result_of_other_tables_is_refused(ledgers: LedgerTables) -> None:
    analysis = analyze(ledgers, settings=SETTINGS)
    payload = encode(ledgers, analysis)
    first = ledgers.firms.iloc[[0]].assign(id="A0", name="另一家企业")  # every node after it moves on
    more = dataclasses.replace(ledgers, firms=pd.concat([first, ledgers.firms], ignore_index=True))

    def other(base: LedgerTables) -> LedgerTables:
        return more

    with pytest.raises(ValueError, match="not the graph's"):
        decode(payload, settings=SETTINGS, overlay=other)


def test_nothing_in_a_result_runs_code() -> None:
    # A payload with a pickled object (what a tampered store could hold) is refused by numpy.
    buffer = io.BytesIO()
    np.savez(buffer, header=np.array([{"format": 1}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        decode(buffer.getvalue(), settings=SETTINGS)


def test_the_key_names_everything_a_result_depends_on() -> None:
    changsha = SETTINGS.model_copy(update={"home_adcode": "430100"})
    day = dt.date(2026, 12, 1)
    base = result_key(SETTINGS, version=3, reports_version=1, day=day)
    assert base == result_key(SETTINGS, version=3, reports_version=1, day=day)
    others = {
        result_key(SETTINGS, version=4, reports_version=1, day=day),
        result_key(SETTINGS, version=3, reports_version=2, day=day),
        result_key(SETTINGS, version=3, reports_version=1, day=day + dt.timedelta(days=1)),
        result_key(changsha, version=3, reports_version=1, day=day),
    }
    assert base not in others
    assert len(others) == 4


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6)


@st.composite
def _frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 6))

    def column(values: st.SearchStrategy[Any], dtype: Any) -> pd.Series:
        found: pd.Series = pd.Series(list(draw(st.lists(values, min_size=n, max_size=n))), dtype=dtype)
        return found

    return pd.DataFrame(
        {
            "text": column(st.none() | _TEXT, "str"),
            "count": column(st.none() | st.integers(-5, 5), "Int64"),
            "value": column(st.floats(allow_infinity=False), float),
            "flag": column(st.booleans(), bool),
            "lists": column(st.lists(_TEXT, max_size=3) | st.none() | st.integers(), object),
        }
    )


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_frames())
@example(pd.DataFrame({"text": pd.Series(["a\x00", None], dtype="str")}))  # NUL ends: kept too
def test_every_kind_of_column_comes_back_as_it_was(frame: pd.DataFrame) -> None:
    from chain_graph.store import results

    arrays: dict[str, np.ndarray] = {}
    header: dict[str, object] = {"frames": {}}
    results._put_frame(arrays, header, "t", frame)
    pd.testing.assert_frame_equal(results._get_frame(arrays, header, "t"), frame)
