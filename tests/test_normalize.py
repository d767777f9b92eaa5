"""Standardizer: μ and σ from the training part only, and why normalizing matters."""

from __future__ import annotations

import numpy as np
import pytest

from dlrecipe.data import Standardizer, split
from dlrecipe.demos import normalization
from dlrecipe.errors import NotFittedError


def test_fit_uses_the_textbook_mean_and_variance():
    rng = np.random.default_rng(0)
    X = rng.normal([5.0, -3.0, 100.0], [2.0, 0.1, 30.0], size=(500, 3))
    standardizer = Standardizer().fit(X)
    m = len(X)
    mu = X.sum(axis=0) / m
    sigma2 = ((X - mu) ** 2).sum(axis=0) / m  # 1/m, not 1/(m-1)
    np.testing.assert_allclose(standardizer.mean, mu, rtol=1e-13)
    np.testing.assert_allclose(standardizer.std**2, sigma2, rtol=1e-12)
    Z = standardizer.transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1, rtol=1e-12)


def test_dev_and_test_are_transformed_with_the_training_statistics():
    rng = np.random.default_rng(1)
    X, y = rng.normal(10, 3, size=(1000, 2)), rng.integers(0, 2, 1000)
    parts = split(X, y, seed=0)
    standardizer = Standardizer().fit(parts.train.X)
    dev = standardizer.transform(parts.dev.X)
    np.testing.assert_allclose(dev, (parts.dev.X - parts.train.X.mean(0)) / parts.train.X.std(0))
    # ... which is not the same as normalizing dev with its own statistics
    own = Standardizer().fit_transform(parts.dev.X)
    assert not np.allclose(dev, own)
    assert abs(dev.mean()) > 1e-6


def test_constant_features_become_zero_and_are_reported():
    X = np.column_stack([np.arange(10.0), np.full(10, 7.0), np.full(10, 0.1)])
    standardizer = Standardizer().fit(X)
    assert standardizer.constant_features == [1, 2]
    Z = standardizer.transform(X)
    assert np.isfinite(Z).all()
    np.testing.assert_allclose(Z[:, 1:], 0, atol=1e-15)  # centred; μ of 0.1s has rounding
    assert "constant features [1, 2]" in repr(standardizer)
    new = standardizer.transform(np.array([[3.0, 8.0, 0.1]]))
    assert new[0, 1] == 1.0  # centred by μ = 7, not divided by σ = 0


def test_dtype_inverse_and_round_trip():
    rng = np.random.default_rng(2)
    X = rng.normal(3, 2, size=(50, 4)).astype(np.float32)
    standardizer = Standardizer().fit(X)
    Z = standardizer.transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(standardizer.inverse_transform(Z), X, rtol=1e-5, atol=1e-5)
    assert Standardizer().fit_transform(np.arange(12).reshape(6, 2)).dtype == np.float64
    again = Standardizer.from_arrays(standardizer.to_arrays())
    assert np.array_equal(again.transform(X), Z)
    X_before = X.copy()
    standardizer.transform(X)
    assert np.array_equal(X, X_before)  # never modifies its input


def test_misuse_is_a_clear_error():
    with pytest.raises(NotFittedError, match=r"not fitted yet; call fit\(X_train\) first"):
        Standardizer().transform(np.ones((3, 2)))
    standardizer = Standardizer().fit(np.random.default_rng(0).normal(size=(5, 3)))
    with pytest.raises(ValueError, match="X has 2 features, but the Standardizer was fitted on 3"):
        standardizer.transform(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"non-finite value: nan at row 1, column 0"):
        Standardizer().fit(np.array([[1.0, 2.0], [np.nan, 1.0], [3.0, 3.0]]))
    with pytest.raises(ValueError, match="at least 2 examples"):
        Standardizer().fit(np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"2-D array.*got shape \(4,\)"):
        Standardizer().fit(np.ones(4))
    with pytest.raises(ValueError, match="std >= 0"):
        Standardizer.from_arrays({"mean": np.zeros(2), "std": np.array([1.0, -1.0])})
    assert repr(Standardizer()) == "Standardizer(not fitted)"


def test_normalizing_makes_gradient_descent_many_times_faster(capsys):
    """Features of scale 1–1000 and 0–1: iterations to reach J <= 0.6, best learning rate each."""
    result = normalization.compare(targets=(0.6,), max_iterations=3000)
    normalized, raw = result.normalized[0.6][0], result.raw[0.6][0]
    assert normalized is not None
    assert normalized <= 10
    ratio, _ = result.ratio(0.6)
    with capsys.disabled():
        print(f"\nnormalization: {normalized} vs {raw or '> 3000'} iterations, ratio {ratio:,.0f}")
    assert ratio >= 100
