"""Generated 2-D sets: moons, spiral, xor, blobs and noisy (circles has its own file)."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from dlrecipe.data.datasets import blobs, circles, moons, noisy, spiral, xor

GENERATORS = {"moons": moons, "spiral": spiral, "xor": xor, "blobs": blobs, "noisy": noisy}
N_CLASSES = {"moons": 2, "spiral": 3, "xor": 2, "blobs": 3, "noisy": 2}


@pytest.mark.parametrize("name", sorted(GENERATORS))
@pytest.mark.parametrize("n_samples", [3, 7, 300])
def test_shapes_dtypes_and_label_set(name, n_samples):
    X, y = GENERATORS[name](n_samples, seed=0)
    assert X.shape == (n_samples, 2)
    assert X.dtype == np.float64
    assert y.shape == (n_samples,)
    assert y.dtype == np.int64
    assert set(y.tolist()) <= set(range(N_CLASSES[name]))
    assert np.isfinite(X).all()


@pytest.mark.parametrize("name", ["moons", "spiral", "xor", "blobs"])
@pytest.mark.parametrize("n_samples", [6, 7, 301])
def test_classes_balanced_to_within_one(name, n_samples):
    _, y = GENERATORS[name](n_samples, seed=0)
    counts = np.bincount(y, minlength=N_CLASSES[name])
    assert counts.sum() == n_samples
    assert counts.max() - counts.min() <= 1
    assert counts[0] == counts.max()  # an extra example goes to the lower label


def test_noisy_is_balanced_before_flipping():
    _, y = noisy(301, flip=0.0, seed=0)
    assert np.bincount(y).tolist() == [151, 150]


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_same_seed_same_data_and_generator_accepted(name):
    make = GENERATORS[name]
    X1, y1 = make(60, seed=5)
    X2, y2 = make(60, seed=5)
    X3, y3 = make(60, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(X1, X3)
    np.testing.assert_array_equal(y1, y3)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_different_seeds_differ(name):
    X1, y1 = GENERATORS[name](60, seed=5)
    X2, y2 = GENERATORS[name](60, seed=6)
    assert not np.allclose(X1, X2)
    assert not np.array_equal(y1, y2)


@pytest.mark.parametrize("name", ["moons", "spiral", "xor", "blobs"])
def test_shuffled(name):
    _, y = GENERATORS[name](100, noise=0.0, seed=4)
    assert 0 < (y[:50] == 0).sum() < 50


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_no_seed_draws_fresh_data(name):
    X1, _ = GENERATORS[name](20)
    X2, _ = GENERATORS[name](20)
    assert not np.allclose(X1, X2)


def test_moons_lie_on_their_half_circles_without_noise():
    X, y = moons(101, noise=0.0, seed=1)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, rtol=1e-12)
    assert (upper[:, 1] >= -1e-12).all()
    assert (lower[:, 1] <= 0.5 + 1e-12).all()
    np.testing.assert_allclose(upper[:, 0].min(), -1.0)
    np.testing.assert_allclose(lower[:, 0].max(), 2.0)


def test_spiral_arms_turn_as_they_grow():
    X, y = spiral(300, n_classes=3, noise=0.0, seed=2)
    for k in range(3):
        arm = X[y == k]
        radius = np.hypot(*arm.T)
        angle = np.arctan2(arm[:, 0], arm[:, 1])  # x = r sin θ, y = r cos θ
        expected = 2 * np.pi * k / 3 + 4 * radius  # turns 4 radians from centre to edge
        np.testing.assert_allclose(np.angle(np.exp(1j * (angle - expected))), 0.0, atol=1e-9)
        np.testing.assert_allclose(radius.max(), 1.0)
        assert radius.min() > 0


def test_xor_labels_follow_the_sign_rule_at_small_noise():
    X, y = xor(400, noise=0.05, seed=3)
    np.testing.assert_array_equal(y, (X[:, 0] > 0) != (X[:, 1] > 0))
    X, _ = xor(400, noise=0.0, seed=3)
    assert {tuple(row) for row in X.tolist()} == {(1, 1), (-1, 1), (-1, -1), (1, -1)}


@pytest.mark.parametrize("n_classes", [2, 3, 7])
def test_blob_centres_are_well_separated_and_noise_is_the_cluster_std(n_classes):
    X, y = blobs(350 * n_classes, n_classes=n_classes, noise=0.5, seed=4)
    centres = np.array([X[y == k].mean(axis=0) for k in range(n_classes)])
    gaps = np.hypot(*(centres[:, None] - centres[None]).transpose(2, 0, 1))
    np.fill_diagonal(gaps, np.inf)
    np.testing.assert_allclose(gaps.min(), 4.0, atol=0.15)
    spread = np.concatenate([X[y == k] - centres[k] for k in range(n_classes)])
    np.testing.assert_allclose(spread.std(axis=0), 0.5, rtol=0.05)


def accuracies(make, **kwargs):
    """Linear and 5-NN accuracy on fresh data from another seed."""
    X, y = make(600, seed=10, **kwargs)
    X_test, y_test = make(600, seed=11, **kwargs)
    linear = LogisticRegression().fit(X, y).score(X_test, y_test)
    knn = KNeighborsClassifier(5).fit(X, y).score(X_test, y_test)
    return linear, knn


@pytest.mark.parametrize(("make", "linear_at_most"), [(xor, 0.6), (circles, 0.6), (spiral, 0.6)])
def test_not_linearly_separable_but_neighbours_separate(make, linear_at_most):
    # chance is 1/2 for xor and circles, 1/3 for the 3-arm spiral
    linear, knn = accuracies(make, noise=0.02)
    assert linear <= linear_at_most
    assert knn >= 0.97


def test_moons_bend_and_blobs_are_linearly_separable():
    linear, knn = accuracies(moons, noise=0.05)
    assert 0.8 < linear < 0.95
    assert knn >= 0.99
    linear, knn = accuracies(blobs)
    assert linear >= 0.99


@pytest.mark.parametrize("flip", [0.0, 0.1, 0.25])
def test_noisy_flips_exactly_the_requested_fraction(flip):
    X_clean, y_clean = noisy(500, flip=0.0, seed=6)
    X, y = noisy(500, flip=flip, seed=6)
    np.testing.assert_array_equal(X, X_clean)
    assert (y != y_clean).sum() == round(flip * 500)


def test_noisy_clean_labels_follow_the_sine_boundary():
    X, y = noisy(500, noise=0.0, flip=0.0, seed=7)
    np.testing.assert_array_equal(y, X[:, 1] > 0.5 * np.sin(np.pi * X[:, 0]))


def test_noisy_can_be_memorised_but_not_beaten():
    X, y = noisy(2000, seed=8)
    X_test, y_test = noisy(4000, seed=9)
    one_nn = KNeighborsClassifier(1).fit(X, y)
    assert one_nn.score(X, y) == 1.0  # memorises every flipped label …
    assert one_nn.score(X_test, y_test) < 0.85  # … and pays for it on new data
    bayes = np.mean((X_test[:, 1] > 0.5 * np.sin(np.pi * X_test[:, 0])) == y_test)
    assert 1 - 0.1 - 0.03 < bayes <= 1 - 0.1 + 0.01  # ≈ 1 - flip - noise / 2
    smooth = KNeighborsClassifier(75).fit(X, y).score(X_test, y_test)
    assert smooth <= bayes + 0.01


@pytest.mark.parametrize("name", sorted(GENERATORS))
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 1}, r"n_samples must be an integer >= \d.*; got 1"),
        ({"n_samples": 10.0}, r"n_samples must be an integer >= \d.*; got 10\.0"),
        ({"n_samples": True}, r"n_samples must be an integer >= \d.*; got True"),
        ({"noise": -0.1}, r"noise must be a finite number >= 0; got -0\.1"),
        ({"noise": float("inf")}, r"noise must be a finite number >= 0; got inf"),
        ({"noise": "0.1"}, r"noise must be a finite number >= 0; got '0\.1'"),
        ({"seed": -1}, r"seed must be None, an integer >= 0 or a np\.random\.Generator; got -1"),
        ({"seed": 1.5}, r"seed must be .*; got 1\.5"),
        ({"seed": "7"}, r"seed must be .*; got '7'"),
    ],
)
def test_bad_shared_arguments(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        GENERATORS[name](**kwargs)


@pytest.mark.parametrize(
    ("make", "kwargs", "match"),
    [
        (spiral, {"n_classes": 1}, r"n_classes must be an integer >= 2; got 1"),
        (blobs, {"n_classes": 2.0}, r"n_classes must be an integer >= 2; got 2\.0"),
        (
            spiral,
            {"n_samples": 4, "n_classes": 5},
            r"n_samples must be an integer >= 5 \(at least one per class\); got 4",
        ),
        (noisy, {"flip": 0.5}, r"flip \(the fraction of labels flipped\) must be in \[0, 0\.5\)"),
        (noisy, {"flip": -0.1}, r"must be in \[0, 0\.5\); got -0\.1"),
        (circles, {"seed": "x"}, r"seed must be .*; got 'x'"),
    ],
)
def test_bad_specific_arguments(make, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make(**kwargs)
