"""Property tests (Hypothesis): invariants that must hold for any input, not just the examples."""

from __future__ import annotations

import io
import string

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dlrecipe.data import Standardizer, split
from dlrecipe.data.tables import load_csv
from dlrecipe.nn import ParameterIndex, parameters_to_vector, vector_to_parameters
from dlrecipe.train.safe_files import load_arrays

FAST = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def labelled_data(draw):
    """n examples of k classes, each class 3 times or more (a stratified 3-way split needs 3)."""
    k = draw(st.integers(2, 5))
    counts = draw(st.lists(st.integers(3, 40), min_size=k, max_size=k))
    y = np.repeat(np.arange(k), counts)
    order = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).permutation(len(y))
    return y[order]


@FAST
@given(y=labelled_data(), seed=st.integers(0, 10_000))
def test_a_split_partitions_the_data_and_stratifies(y, seed):
    X = np.arange(len(y), dtype=float).reshape(-1, 1)
    result = split(X, y, seed=seed)
    rows = np.concatenate(list(result.indices.values()))
    assert np.array_equal(np.sort(rows), np.arange(len(y)))  # nothing lost, nothing twice
    for name, part in (("train", result.train), ("dev", result.dev), ("test", result.test)):
        assert part is not None
        assert np.array_equal(part.X[:, 0], result.indices[name])
        assert np.array_equal(part.y, y[result.indices[name]])
    shares = np.bincount(y) / len(y)
    for part in (result.dev, result.test):
        counts = np.bincount(part.y, minlength=len(shares))
        assert (counts >= 1).all()  # every class is measured
        # each class within about one example of its exact share (largest remainder, min 1)
        assert np.all(np.abs(counts - shares * len(part.y)) <= 1 + 1e-9 + (counts == 1))


@FAST
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(2, 30), st.integers(1, 6)),
        elements=st.floats(-1e6, 1e6, allow_nan=False),
    ),
)
def test_standardizer_round_trips(X):
    standardizer = Standardizer().fit(X)
    Z = standardizer.transform(X)
    assert np.isfinite(Z).all()
    back = standardizer.inverse_transform(Z)
    scale = np.maximum(np.abs(X).max(axis=0), 1.0)
    assert np.all(np.abs(back - X) <= 1e-9 * scale)


@FAST
@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5), seed=st.integers(0, 1000))
def test_parameters_and_theta_round_trip_for_any_architecture(sizes, seed):
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = rng.normal(size=(sizes[l], sizes[l - 1]))
        params[f"b{l}"] = rng.normal(size=(sizes[l], 1))
    index = ParameterIndex.of(params)
    theta = parameters_to_vector(params, index)
    assert theta.shape == (index.size,)
    again = vector_to_parameters(theta, index)
    assert all(np.array_equal(again[k], v) for k, v in params.items())
    i = int(rng.integers(index.size))
    name, row, column = index.locate(i)
    assert theta[i] == params[name][row, column]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(data=st.binary(max_size=400))
def test_the_model_file_loader_takes_any_bytes_and_only_raises_documented_errors(
    tmp_path_factory, data
):
    path = tmp_path_factory.mktemp("bytes") / "model.safetensors"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=str(path.name)):
        load_arrays(path, kind="model")


CELL = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet=string.ascii_letters + string.digits + ' .-,;"\t', max_size=6),
    st.just(""),
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(rows=st.lists(st.lists(CELL, min_size=1, max_size=4), min_size=0, max_size=6))
def test_the_csv_loader_returns_valid_arrays_or_a_documented_error(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("csv") / "data.csv"
    text = io.StringIO()
    for row in rows:
        text.write(",".join(row) + "\n")
    path.write_text(text.getvalue(), encoding="utf-8")
    try:
        dataset = load_csv(path)
    except ValueError as error:
        refusal = str(error)
    else:
        refusal = ""
        assert dataset.X.ndim == 2
        assert len(dataset.X) == len(dataset.y)
        assert np.isfinite(dataset.X).all()
    assert not refusal or "data.csv" in refusal  # every refusal names the file
