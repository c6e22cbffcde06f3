"""lexsort_codes sorts as np.lexsort does, combined or not."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain_graph import ordering
from chain_graph.ordering import lexsort_codes, text_order


@st.composite
def _keys(draw: st.DrawFn) -> list[np.ndarray]:
    n = draw(st.integers(0, 30))
    count = draw(st.integers(1, 4))
    top = draw(st.sampled_from([1, 3, 2**20, 2**40]))  # 2**40: the product overflows, lexsort
    low = draw(st.sampled_from([0, 0, -1]))  # -1: a missing code, lexsort
    return [
        np.array(draw(st.lists(st.integers(low, top), min_size=n, max_size=n)), dtype=np.int64)
        for _ in range(count)
    ]


@given(_keys())
def test_the_order_of_np_lexsort(keys: list[np.ndarray]) -> None:
    assert lexsort_codes(keys).tolist() == np.lexsort(keys).tolist()


def test_no_keys() -> None:
    assert lexsort_codes([]).tolist() == []


def test_unsigned_keys_past_2_53_keep_their_order() -> None:
    """Found in review: an int64 key beside a uint64 one combined in float64."""
    keys = [np.array([1, 0], dtype=np.int64), np.array([2**55, 2**55], dtype=np.uint64)]
    assert lexsort_codes(keys).tolist() == np.lexsort(keys).tolist()


@given(st.lists(st.sampled_from(["A", "A\x00", "a", "b\x00\x00", "", "\x00", "钢", "钢\x00"]), max_size=12))
def test_text_order_is_pythons(texts: list[str]) -> None:
    order = text_order(np.array(texts, dtype=object)).tolist()
    assert order == sorted(range(len(texts)), key=texts.__getitem__)


_KEYS = st.one_of(
    st.lists(st.integers(0, 5), max_size=60),
    st.lists(st.integers(-3, 3), max_size=20),  # below 0: numpy's argsort
    st.lists(st.integers(0, 2**63 - 1), max_size=20),  # too wide to pack: numpy's argsort
)


@given(_KEYS)
def test_stable_order_is_a_stable_argsort(keys: list[int]) -> None:
    array = np.array(keys, dtype=np.int64)
    assert ordering.stable_order(array).tolist() == np.argsort(array, kind="stable").tolist()


@given(st.lists(st.integers(0, 2**64 - 1), max_size=20))
def test_stable_order_of_unsigned_keys(keys: list[int]) -> None:
    array = np.array(keys, dtype=np.uint64)
    assert ordering.stable_order(array).tolist() == np.argsort(array, kind="stable").tolist()


@given(st.lists(st.integers(-5, 5), max_size=40))
def test_repeated_is_duplicated_keep_false(keys: list[int]) -> None:
    array = np.array(keys, dtype=np.int64)
    assert ordering.repeated(array).tolist() == pd.Series(array).duplicated(keep=False).tolist()


@pytest.mark.parametrize("keys", [np.array([np.nan, np.nan, 1.0]), np.array([None, None, "a"], dtype=object)])
def test_repeated_leaves_other_keys_to_pandas(keys: np.ndarray) -> None:
    assert ordering.repeated(keys).tolist() == pd.Series(keys).duplicated(keep=False).tolist()


@pytest.mark.parametrize("function", [ordering.stable_order, ordering.repeated])
def test_keys_must_be_one_dimensional(function: Callable[[np.ndarray], np.ndarray]) -> None:
    with pytest.raises(ValueError, match="one-dimensional"):
        function(np.array([[3], [1], [2]]))


@given(_KEYS)
def test_runs_are_the_distinct_keys_and_their_first_positions(keys: list[int]) -> None:
    array = np.array(keys, dtype=np.int64)
    order, starts = ordering.runs(array)
    distinct, first = np.unique(array, return_index=True)
    assert order.tolist() == np.argsort(array, kind="stable").tolist()
    assert array[order[starts]].tolist() == distinct.tolist()
    assert order[starts].tolist() == first.tolist()
