"""conform and typed: the canonical tables, new frames that share nothing with their input."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from chain_graph.model import conform, int_column, text_column, typed


@pytest.mark.parametrize("dtype", [None, object])
def test_a_conformed_frame_and_its_input_change_apart(dtype: type | None) -> None:
    """Found in review: without a copy, the result and its input shared one array of text."""
    source = pd.DataFrame({"id": ["F1", "F2"], "name": ["甲", None]}, dtype=dtype)
    table = conform(source, "firms")
    table.loc[0, "id"] = "X"
    assert source["id"].tolist() == ["F1", "F2"]
    source.loc[1, "id"] = "W"
    assert table["id"].tolist() == ["X", "F2"]
    again = conform(table, "firms")
    again.loc[1, "name"] = "丙"
    assert table["name"].tolist() == ["甲", ""]


def test_typed_columns_are_what_conform_makes() -> None:
    values = np.array(["甲", None, 7], dtype=object)
    codes = np.array([2, 0, 1, 0])
    made = pd.Series(text_column(values, codes))
    expected = conform(pd.DataFrame({"id": values[codes]}), "firms")["id"]
    pd.testing.assert_series_equal(made, expected, check_names=False)
    numbers = np.array([3.0, np.nan, 100000.0])
    pd.testing.assert_series_equal(
        pd.Series(int_column(numbers)),
        conform(pd.DataFrame({"stock_days": numbers}), "links")["stock_days"],
        check_names=False,
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.drop(columns="extra"),
        lambda f: f[[*f.columns[1:], f.columns[0]]],
        lambda f: f.assign(share=f["share"].astype(object)),
        lambda f: f.assign(material=f["material"].astype(object)),
        lambda f: f.assign(more=""),
        lambda f: f.set_axis([5]),
    ],
)
def test_typed_refuses_a_frame_that_is_not_canonical(change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    frame = conform(pd.DataFrame({"supplier_id": ["S1"], "buyer_id": ["E1"], "material": ["钢"]}), "links")
    assert typed(frame, "links") is frame
    with pytest.raises(ValueError, match="links"):
        typed(change(frame), "links")


@pytest.mark.parametrize("numbers", [[2.5], [float("inf")], [1e19]])
def test_int_column_refuses_what_is_not_a_whole_number(numbers: list[float]) -> None:
    with pytest.raises(ValueError, match="integers"):
        int_column(np.array(numbers))
