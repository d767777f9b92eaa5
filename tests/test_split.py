"""dlrecipe.split: the size rule, stratification, groups, tiny data."""

from __future__ import annotations

import numpy as np
import pytest

from dlrecipe.data import split


def data(n: int, n_classes: int = 2, *, features: int = 1):
    """Cheap data whose rows remember their index: X[i, 0] == i."""
    X = np.arange(n, dtype=np.float64).reshape(-1, 1).repeat(features, axis=1)
    return X, np.arange(n) % n_classes


def assert_partition(result, n):
    rows = np.concatenate(list(result.indices.values()))
    assert np.array_equal(np.sort(rows), np.arange(n))  # nothing lost, nothing twice
    for name, part in (("train", result.train), ("dev", result.dev), ("test", result.test)):
        if part is not None:
            assert np.array_equal(part.X[:, 0], result.indices[name])  # X[i, 0] == i


# --- the textbook's examples ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "dev_and_test", "train_share"),
    [
        (3_000, 600, 0.60),  # "a few thousand examples": 60/20/20
        (10_000, 2_000, 0.60),
        (1_000_000, 10_000, 0.98),  # "a million": 98/1/1, 10,000 dev and 10,000 test
        (10_000_000, 10_000, 0.998),  # "beyond that": 99.5% or more training
    ],
)
def test_size_rule_reproduces_the_textbook(n, dev_and_test, train_share):
    X = np.broadcast_to(np.float32(0), (n, 1))  # no memory for ten million rows
    result = split(X, np.zeros(n, dtype=np.int8) + (np.arange(n) % 2).astype(np.int8), seed=0)
    sizes = result.sizes()
    assert sizes["dev"] == sizes["test"] == dev_and_test
    assert sizes["train"] / n == pytest.approx(train_share)
    if n >= 10_000_000:
        assert sizes["train"] / n >= 0.995
    assert "20% each for dev and test, at most 10,000 each" in str(result)


def test_explicit_sizes_override_the_rule():
    X, y = data(1000)
    assert split(X, y, dev=0.1, test=0.3, seed=0).sizes() == {"train": 600, "dev": 100, "test": 300}
    assert split(X, y, dev=50, test=25, seed=0).sizes() == {"train": 925, "dev": 50, "test": 25}
    assert split(X, y, dev=50, seed=0).sizes() == {"train": 750, "dev": 50, "test": 200}
    assert split(X, y, max_eval_size=100, seed=0).sizes() == {"train": 800, "dev": 100, "test": 100}


def test_train_dev_split_says_dev_is_optimistic():
    X, y = data(100)
    result = split(X, y, test=0, seed=0)
    assert result.test is None
    assert set(result.indices) == {"train", "dev"}
    assert result.sizes() == {"train": 80, "dev": 20}
    assert any("optimistic" in note for note in result.notes)
    assert "optimistic" in str(result)
    assert_partition(result, 100)
    assert not split(X, y, seed=0).notes


# --- shuffling, stratification, reproducibility ----------------------------------------------
def test_parts_partition_the_data_and_keep_x_with_y():
    X, y = data(997, n_classes=3)
    result = split(X, y, seed=4)
    assert_partition(result, 997)
    for part in (result.train, result.dev, result.test):
        assert np.array_equal(part.y, part.X[:, 0].astype(int) % 3)


def test_same_seed_same_split_and_different_seed_differs():
    X, y = data(500)
    one, two, other = split(X, y, seed=1), split(X, y, seed=1), split(X, y, seed=2)
    for name in one.indices:
        assert np.array_equal(one.indices[name], two.indices[name])
    assert not np.array_equal(one.indices["dev"], other.indices["dev"])
    generator = split(X, y, seed=np.random.default_rng(1))
    assert np.array_equal(generator.indices["test"], one.indices["test"])


def test_parts_are_shuffled():
    X, y = data(1000)
    rows = split(X, y, seed=0, stratify=False).indices["train"]
    assert not np.array_equal(rows, np.sort(rows))
    # neither the first nor the last rows of the input form the dev set
    assert abs(split(X, y, seed=0).indices["dev"].mean() - 500) < 100


def test_stratified_parts_keep_each_class_share():
    y = np.repeat([0, 1, 2], [700, 200, 100])  # imbalanced: 70/20/10
    X = np.arange(1000.0).reshape(-1, 1)
    result = split(X, y, seed=0)
    assert result.stratified
    for part in (result.dev, result.test):
        assert np.array_equal(np.bincount(part.y), [140, 40, 20])
    assert np.array_equal(np.bincount(result.train.y), [420, 120, 60])
    assert "stratified by class" in str(result)


def test_stratified_sizes_are_exact_when_shares_do_not_divide():
    y = np.repeat([0, 1, 2], [11, 13, 17])
    result = split(np.zeros((41, 2)), y, dev=9, test=7, seed=3)
    assert result.sizes() == {"train": 25, "dev": 9, "test": 7}
    for part in (result.dev, result.test):
        counts = np.bincount(part.y, minlength=3)
        expected = len(part.y) * np.array([11, 13, 17]) / 41
        assert np.all(np.abs(counts - expected) < 1 + 1e-9)  # within one of the exact share
        assert (counts >= 1).all()


def test_stratification_is_automatic_for_labels_and_off_for_real_targets():
    X = np.zeros((200, 1))
    assert split(X, np.arange(200) % 2, seed=0).stratified
    assert split(X, np.array(["cat", "dog"] * 100), seed=0).stratified
    assert split(X, (np.arange(200) % 2).astype(bool), seed=0).stratified
    assert not split(X, np.linspace(0, 1, 200), seed=0).stratified
    assert not split(X, np.arange(200) % 2, seed=0, stratify=False).stratified


def test_unstratified_split_of_rare_classes_may_miss_a_class_and_says_so():
    y = np.zeros(100, dtype=int)
    y[:3] = 1  # 3 examples of class 1: stratified, one goes to each part
    result = split(np.zeros((100, 1)), y, seed=0)
    assert all((part.y == 1).sum() == 1 for part in (result.train, result.dev, result.test))


# --- groups -------------------------------------------------------------------------------
def test_groups_never_straddle_parts():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 60, size=600)  # 60 patients with about 10 images each
    X, y = np.arange(600.0).reshape(-1, 1), np.arange(600) % 2
    result = split(X, y, groups=groups, seed=1)
    assert result.grouped
    assert not result.stratified
    owners = {name: set(groups[rows]) for name, rows in result.indices.items()}
    assert not owners["train"] & owners["dev"]
    assert not owners["train"] & owners["test"]
    assert not owners["dev"] & owners["test"]
    assert_partition(result, 600)
    sizes = result.sizes()
    assert abs(sizes["dev"] - 120) <= 20
    assert abs(sizes["test"] - 120) <= 20


def test_groups_reject_explicit_stratification_and_bad_shapes():
    X, y = data(100)
    with pytest.raises(ValueError, match="stratify=True and groups cannot be combined"):
        split(X, y, groups=np.arange(100) // 10, stratify=True)
    with pytest.raises(ValueError, match=r"groups must have one entry per example, shape \(100,\)"):
        split(X, y, groups=np.arange(50))
    with pytest.raises(ValueError, match="2 group"):
        split(X, y, groups=np.arange(100) // 50)


def test_grouped_split_missing_a_class_in_dev_is_an_error():
    y = np.zeros(100, dtype=int)
    y[:5] = 1  # class 1 lives in a single group
    groups = np.concatenate([np.zeros(5, int), np.arange(95) // 5 + 1])
    with pytest.raises(ValueError, match=r"class 1 has no example in the (dev|test) set"):
        split(np.zeros((100, 1)), y, groups=groups, seed=0)


# --- tiny data and bad arguments -------------------------------------------------------------
def test_too_few_examples_per_class_is_an_error_naming_the_class():
    y = np.array([0, 0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match=r"class 1 has 2 example\(s\).*at least 3 per class"):
        split(np.zeros((6, 1)), y, dev=1, test=1)
    result = split(np.zeros((6, 1)), y, dev=2, test=0, seed=0)  # two parts: two per class suffice
    assert sorted(result.dev.y) == [0, 1]


def test_a_part_too_small_for_all_classes_is_an_error():
    X, y = data(100, n_classes=10)
    with pytest.raises(ValueError, match=r"a part of 5 example\(s\) cannot hold all 10 classes"):
        split(X, y, dev=5)


def test_tiny_data_never_gives_an_empty_part():
    with pytest.raises(ValueError, match=r"2 examples are too few.*every part needs at least one"):
        split(np.zeros((2, 1)), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="too few"):
        split(np.zeros((10, 1)), np.linspace(0, 1, 10), dev=5, test=5)
    with pytest.raises(ValueError, match="no room for a test set"):
        split(np.zeros((2, 1)), np.array([0.1, 0.2]), dev=1)
    result = split(np.zeros((3, 1)), np.array([0.1, 0.2, 0.3]), dev=1, test=1, seed=0)
    assert result.sizes() == {"train": 1, "dev": 1, "test": 1}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dev": 1.5}, r"dev must be a fraction in \(0, 1\) or a count >= 1; got dev=1.5"),
        ({"dev": 0}, r"dev must be a fraction in \(0, 1\) or a count >= 1; got dev=0"),
        ({"dev": -3}, r"got dev=-3"),
        ({"test": -0.2}, r"test must be a fraction in \(0, 1\), a count >= 1, or 0 for none"),
        ({"dev": True}, r"got dev=True"),
        ({"dev": float("nan")}, r"got dev=nan"),
        ({"max_eval_size": 0}, r"max_eval_size must be an integer >= 1; got 0"),
    ],
)
def test_bad_sizes(kwargs, message):
    X, y = data(100)
    with pytest.raises(ValueError, match=message):
        split(X, y, **kwargs)


def test_x_and_y_must_match():
    with pytest.raises(ValueError, match=r"one row per label in y.*got \(10, 2\) and \(9,\)"):
        split(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(ValueError, match="one row per label"):
        split(np.zeros((10, 2)), np.zeros((10, 1)))


def test_images_split_like_rows():
    images = np.arange(100 * 4 * 4, dtype=np.float32).reshape(100, 4, 4)
    result = split(images, np.arange(100) % 2, seed=0)
    assert result.train.X.shape == (60, 4, 4)
    assert result.train.X.dtype == np.float32
    assert np.array_equal(result.dev.X, images[result.indices["dev"]])


def test_tiny_stratified_data_gets_one_example_of_each_class_per_part():
    y = np.array([0, 1, 0, 1, 0, 1])
    result = split(np.zeros((6, 1)), y, seed=0)
    assert result.sizes() == {"train": 2, "dev": 2, "test": 2}  # not 4/1/1, which loses a class
    assert all(sorted(part.y) == [0, 1] for part in (result.train, result.dev, result.test))
