"""The shared input checks: ``all_finite`` answers as ``np.isfinite(values).all()`` does,
for every way a sum of the values could mislead it."""

from __future__ import annotations

import numpy as np
import pytest

from dlrecipe import MLP
from dlrecipe.validation import all_finite, check_matrix

FLOATS = [np.float16, np.float32, np.float64, np.longdouble]


def reference(values):
    return bool(np.isfinite(values).all())


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    "planted",
    [[], [np.nan], [np.inf], [-np.inf], [np.inf, -np.inf], [np.nan, np.inf]],
    ids=["finite", "nan", "+inf", "-inf", "+inf and -inf", "nan and inf"],
)
def test_agrees_with_isfinite(dtype, planted):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(50, 7)).astype(dtype)
    for k, value in enumerate(planted):
        values[rng.integers(50), k] = value
    assert all_finite(values) is reference(values) is (not planted)


@pytest.mark.parametrize("dtype", FLOATS)
def test_finite_values_whose_sum_overflows_are_finite(dtype):
    big = np.finfo(dtype).max
    values = np.full((4, 3), big, dtype)
    with np.errstate(over="ignore"):
        assert not np.isfinite(np.add.reduce(values, axis=None))  # the sum alone would say no
    assert all_finite(values)
    values[2, 1] = np.nan  # and an overflowing sum still finds the NaN
    assert not all_finite(values)
    values[2, 1] = -big  # +max and -max: no overflow, no NaN
    assert all_finite(values)


def test_views_integers_booleans_and_empty_arrays():
    values = np.ones((6, 8))
    values[3, 5] = np.nan
    assert not all_finite(values.T)
    assert not all_finite(values[::3, 1:])  # a strided view holding the NaN
    assert all_finite(values[::2])  # … and one that does not
    assert all_finite(np.arange(12).reshape(3, 4))
    assert all_finite(np.ones((2, 2), bool))
    assert all_finite(np.empty((0, 3)))


def test_no_warning_from_the_sum(recwarn):
    with np.errstate(all="raise"):  # overflow and inf - inf would raise here if not silenced
        assert not all_finite(np.array([[np.inf, -np.inf], [1.0, 2.0]]))
        assert all_finite(np.full((2, 2), np.finfo(np.float32).max))
    assert not recwarn


def test_check_matrix_and_fit_refuse_a_nan_even_when_the_sum_overflows():
    X = np.full((5, 2), 1e300)
    X[4, 1] = np.nan
    with pytest.raises(ValueError, match=r"non-finite value: .*nan\)? at row 4, column 1"):
        check_matrix(X)
    X32 = np.ones((5, 2))
    X32[1, 0] = 1e300  # finite in float64, +inf once cast to float32
    with pytest.raises(ValueError, match=r"non-finite value: .*inf\)? at row 1, column 0"):
        check_matrix(X32, dtype=np.float32)
    with pytest.raises(ValueError, match=r"non-finite value"):
        MLP((2, 3, 1), seed=0, dtype="float32").fit(
            X32, np.array([0, 1, 0, 1, 0]), epochs=1, learning_rate=0.1, normalize=False
        )
