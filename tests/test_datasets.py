"""dlrecipe.data.circles: two concentric circles, labelled 0 (outer) and 1 (inner)."""

import numpy as np
import pytest

from dlrecipe.data import circles


def radii(X):
    return np.hypot(X[:, 0], X[:, 1])


@pytest.mark.parametrize("n_samples", [2, 7, 300])
def test_shapes_and_balanced_labels(n_samples):
    X, y = circles(n_samples, seed=0)
    assert X.shape == (n_samples, 2)
    assert X.dtype == np.float64
    assert y.shape == (n_samples,)
    assert np.issubdtype(y.dtype, np.integer)
    assert set(y.tolist()) == {0, 1}
    n_inner, n_outer = int((y == 1).sum()), int((y == 0).sum())
    assert n_inner + n_outer == n_samples
    assert n_outer - n_inner == n_samples % 2  # an odd example goes to the outer circle


@pytest.mark.parametrize("factor", [0.5, 0.2, 0.9])
def test_radii_without_noise(factor):
    X, y = circles(101, noise=0.0, factor=factor, seed=1)
    np.testing.assert_allclose(radii(X[y == 0]), 1.0, rtol=1e-12)
    np.testing.assert_allclose(radii(X[y == 1]), factor, rtol=1e-12)


def test_points_go_round_the_circle():
    X, y = circles(40, noise=0.0, seed=2)
    outer = X[y == 0]
    # evenly spaced angles: the outer circle's points average to its centre
    np.testing.assert_allclose(outer.mean(axis=0), [0.0, 0.0], atol=1e-12)
    assert len(np.unique(np.round(np.arctan2(outer[:, 1], outer[:, 0]), 9))) == 20


def test_noise_has_the_requested_scale():
    noise, n = 0.05, 4000
    X, y = circles(n, noise=noise, seed=3)
    deviation = radii(X[y == 0]) - 1.0  # ≈ the radial component of N(0, noise²) per coordinate
    standard_error = noise / np.sqrt(2 * (n // 2))
    assert abs(deviation.std() - noise) < 5 * standard_error
    assert abs(deviation.mean()) < 0.01


def test_shuffled():
    _, y = circles(100, noise=0.0, seed=4)
    assert 0 < y[:50].sum() < 50


def test_same_seed_same_data():
    X1, y1 = circles(50, seed=5)
    X2, y2 = circles(50, seed=5)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, y3 = circles(50, seed=np.random.default_rng(5))  # a Generator is used as given
    np.testing.assert_array_equal(X1, X3)
    np.testing.assert_array_equal(y1, y3)


def test_different_seeds_differ():
    X1, y1 = circles(50, seed=5)
    X2, y2 = circles(50, seed=6)
    assert not np.allclose(X1, X2)
    assert not np.array_equal(y1, y2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 1}, r"n_samples must be an integer >= 2; got 1"),
        ({"n_samples": 0}, r"n_samples must be an integer >= 2; got 0"),
        ({"n_samples": 10.0}, r"n_samples must be an integer >= 2; got 10\.0"),
        ({"n_samples": True}, r"n_samples must be an integer >= 2; got True"),
        ({"n_samples": "10"}, r"n_samples must be an integer >= 2; got '10'"),
        ({"factor": 0.0}, r"factor .* must be in \(0, 1\); got 0\.0"),
        ({"factor": 1.0}, r"factor .* must be in \(0, 1\); got 1\.0"),
        ({"factor": -0.5}, r"factor .* must be in \(0, 1\); got -0\.5"),
        ({"factor": float("nan")}, r"factor .* must be in \(0, 1\); got nan"),
        ({"noise": -0.1}, r"noise must be a finite number >= 0; got -0\.1"),
        ({"noise": float("nan")}, r"noise must be a finite number >= 0; got nan"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        circles(**kwargs)
