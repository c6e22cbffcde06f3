"""Lookups by object first (chain_graph.objects) give exactly pandas' results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain_graph import objects

_texts = st.sampled_from(["S1", "S2", "钢", "", "E1"])


def _fresh(text: str) -> str:
    """An equal text in a new object (``"".join`` of a copy builds a new string)."""
    return "".join(list(text)) if len(text) > 1 else text


_SHARED = {t: _fresh(t + "x")[:-1] for t in ["S1", "S2", "钢", "", "E1"]}
"""One object per text, that both cells and labels may hold (as the ingest layer gives them)."""


@st.composite
def _cells(draw: st.DrawFn) -> np.ndarray:
    """Cells that share objects, hold equal texts in other objects, and miss some values."""
    kinds = st.one_of(
        _texts.map(lambda t: _SHARED[t]),
        _texts.map(_fresh),
        st.sampled_from([None, float("nan"), np.nan]),
    )
    return np.array(draw(st.lists(kinds, max_size=40)), dtype=object)


@st.composite
def _labels(draw: st.DrawFn) -> np.ndarray:
    """Distinct labels, each the shared object of its text or another one."""
    texts = draw(st.lists(_texts, unique=True))
    return np.array([_SHARED[t] if draw(st.booleans()) else _fresh(t) for t in texts], dtype=object)


@given(_cells())
def test_factorize_is_pandas_factorize(cells: np.ndarray) -> None:
    codes, uniques = objects.factorize(cells)
    expected_codes, expected_uniques = pd.factorize(cells)
    assert codes.tolist() == expected_codes.tolist()
    assert uniques.tolist() == expected_uniques.tolist()


@given(_cells(), _labels())
def test_lookup_is_get_indexer(cells: np.ndarray, labels: np.ndarray) -> None:
    expected = pd.Index(labels, dtype=object).get_indexer(pd.Index(cells, dtype=object))
    assert objects.lookup(labels, cells).tolist() == expected.tolist()


def test_lookup_by_object_and_by_text() -> None:
    labels = np.array([_fresh(f"F{i}") for i in range(3000)], dtype=object)
    cells = np.concatenate([labels[::-1], np.array([_fresh("F7"), "X"], dtype=object)])  # shared, then not
    found = objects.lookup(labels, cells)
    assert found.tolist() == [*range(2999, -1, -1), 7, -1]


@pytest.mark.parametrize("step", [1, 2, -1, -3])
def test_strided_arrays_are_read_by_their_strides(step: int) -> None:
    cells = np.array([f"F{i % 7}" for i in range(50)], dtype=object)[::step]
    labels = np.array([f"F{i}" for i in range(5)], dtype=object)
    expected = pd.Index(labels, dtype=object).get_indexer(pd.Index(cells, dtype=object))
    assert objects.lookup(labels, cells).tolist() == expected.tolist()
    assert objects.factorize(cells)[0].tolist() == pd.factorize(cells)[0].tolist()


def test_a_column_of_a_frame_block() -> None:
    frame = pd.DataFrame({"a": ["x", "y", "x"], "b": ["y", "y", "z"]}, dtype=object)
    column = frame.to_numpy()[:, 1]  # a strided view into a two-dimensional block
    assert objects.factorize(column)[0].tolist() == [0, 0, 1]


def test_empty_and_not_one_dimensional() -> None:
    codes, uniques = objects.factorize(np.array([], dtype=object))
    assert codes.tolist() == []
    assert uniques.tolist() == []
    assert objects.lookup(np.array(["a"], dtype=object), np.array([], dtype=object)).tolist() == []
    with pytest.raises(ValueError, match="one-dimensional"):
        objects.factorize(np.array([["a"]], dtype=object))


@given(st.lists(st.integers(-1, 5), max_size=30))
def test_first_rows_of_factorised_codes(values: list[int]) -> None:
    codes, uniques = pd.factorize(np.array(values, dtype=np.int64))
    expected = [values.index(int(u)) for u in uniques]
    assert objects.first_rows(codes).tolist() == expected


_values = st.one_of(
    _texts.map(_fresh),
    st.text(max_size=3),
    st.sampled_from([None, float("nan"), 1, 2.0, True]),
)


@given(st.lists(st.text(max_size=3), unique=True), st.lists(_values, max_size=30))
def test_text_index_is_get_indexer(labels: list[str], values: list[object]) -> None:
    cells = np.array(values, dtype=object)
    labels_array = np.array([_fresh(t) for t in labels], dtype=object)
    expected = pd.Index(labels_array, dtype=object).get_indexer(pd.Index(cells, dtype=object))
    assert objects.TextIndex(labels_array).positions(cells).tolist() == expected.tolist()


@pytest.mark.parametrize(
    ("labels", "values"),
    [
        ([1, "1", 2.5], [1.0, "1", True, 2.5]),  # labels not all texts: pandas' own lookup
        (["a", "b"], [["a"], "b"]),  # a value that cannot be hashed
    ],
)
def test_text_index_falls_back_to_pandas(labels: list[object], values: list[object]) -> None:
    label_array = np.array(labels, dtype=object)
    cells = np.empty(len(values), dtype=object)
    cells[:] = values
    index = objects.TextIndex(label_array)
    if all(isinstance(v, str | int | float) for v in values):
        expected = pd.Index(label_array, dtype=object).get_indexer(pd.Index(cells, dtype=object)).tolist()
        assert index.positions(cells).tolist() == expected
    else:
        with pytest.raises(TypeError):
            index.positions(cells)


def test_text_index_with_two_labels_of_one_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two labels of one hash (not to be found among real strings): pandas decides."""
    monkeypatch.setattr(objects, "_hashes", lambda values: np.zeros(len(values), dtype=np.int64))
    index = objects.TextIndex(np.array(["a", "b"], dtype=object))
    assert index.positions(np.array(["b", "c", "a"], dtype=object)).tolist() == [1, -1, 0]


@pytest.mark.parametrize("missing", [np.nan, None])
def test_text_index_with_a_missing_label_is_pandas(missing: object) -> None:
    """Found in review: a NaN label is found by pandas (NaN matches NaN), not by its hash."""
    labels = np.array(["a", missing], dtype=object)
    cells = np.array([np.nan, "a", None], dtype=object)
    expected = pd.Index(labels, dtype=object).get_indexer(pd.Index(cells, dtype=object)).tolist()
    assert objects.TextIndex(labels).positions(cells).tolist() == expected
