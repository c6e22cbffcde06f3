"""conform: the canonical tables, new frames that share nothing with their input."""

from __future__ import annotations

import pandas as pd
import pytest

from chain_graph.model import conform


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
