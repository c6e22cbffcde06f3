"""Material identities (chain_graph/materials.py) of values that are not texts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from chain_graph.materials import identities


def test_codes_given_as_numbers_are_read_as_they_are_written() -> None:
    # 1 and 1.0 are equal numbers but two codes as written; a missing code is no code.
    codes = np.array([1, 1.0, None, np.nan], dtype=object)  # a column read as numbers
    found = identities(["甲", "乙", "丙", "丁"], codes)
    assert found.tolist() == ["#1", "#1.0", "丙", "丁"]


def test_names_given_as_numbers_are_read_as_they_are_written() -> None:
    names = np.array([1, 1.0, True, "1"], dtype=object)
    assert identities(names).tolist() == ["1", "1.0", "true", "1"]


def test_texts_with_missing_codes_are_one_pass() -> None:
    names = pd.Series(["钢板", "钢 板", "铝锭"], dtype=object)
    codes = pd.Series(["", None, "7601"], dtype=object)
    assert identities(names, codes).tolist() == ["钢板", "钢板", "#7601"]
