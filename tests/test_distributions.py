"""compare_distributions: silent on matching parts (at the stated rate), loud on shifted ones."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dlrecipe.data import compare_distributions, split


def test_matching_parts_raise_few_false_alarms():
    """Over 200 pairs truly drawn from one distribution, warnings stay near alpha = 1%."""
    rng = np.random.default_rng(0)
    alarms = 0
    for seed in range(200):
        a, b = rng.normal(size=(300, 4)), rng.normal(size=(250, 4))
        alarms += compare_distributions(a, b, seed=seed).warning is not None
    # Binomial(200, 0.01): P(more than 8 alarms) < 1e-3 if the rate is really at most 1%.
    assert alarms <= 8


def test_dev_and_test_from_one_split_match():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5000, 6)) * [1, 10, 100, 1, 1, 1]
    parts = split(X, rng.integers(0, 3, 5000), seed=0)
    result = compare_distributions(parts.dev.X, parts.test.X, names=("dev", "test"))
    assert result.same_distribution
    assert result.warning is None
    assert "no difference found" in str(result)


def test_a_shifted_feature_is_found_and_named():
    rng = np.random.default_rng(2)
    dev, test = rng.normal(size=(1000, 4)), rng.normal(size=(1000, 4))
    test[:, 2] += 0.3
    result = compare_distributions(
        dev, test, names=("dev", "test"), feature_names=["age", "height", "income", "weight"]
    )
    assert not result.same_distribution
    assert result.shifted_features == ["income"]
    assert "make sure dev and test sets come from the same distribution" in result.warning.lower()
    assert "income" in result.warning


def test_a_change_no_single_feature_shows_is_found_by_the_classifier():
    rng = np.random.default_rng(3)
    train = rng.normal(size=(1500, 3))
    dev = rng.normal(size=(1500, 3))
    z = rng.normal(size=1500)
    dev[:, 0], dev[:, 1] = z, 0.9 * z + np.sqrt(1 - 0.81) * rng.normal(size=1500)  # correlated
    result = compare_distributions(train, dev, names=("train", "dev"))
    assert result.shifted_features == []  # every marginal is still N(0, 1)
    assert result.classifier_separates
    assert result.classifier_auc > 0.6
    assert "train-dev" in result.warning  # the data-mismatch advice, not the dev/test one


def test_images_from_another_source_are_found():
    rng = np.random.default_rng(4)
    web = rng.uniform(0, 1, size=(400, 16))
    phone = np.clip(rng.uniform(0, 1, size=(400, 16)) * 0.8 + 0.15, 0, 1)  # blurrier, dimmer
    assert not compare_distributions(web, phone).same_distribution


def test_large_parts_are_subsampled():
    rng = np.random.default_rng(5)
    result = compare_distributions(rng.normal(size=(20_000, 2)), rng.normal(size=(300, 2)))
    assert result.sizes == (5000, 300)


def test_result_serializes():
    rng = np.random.default_rng(6)
    data = compare_distributions(
        rng.normal(size=(100, 2)), rng.normal(1, 1, size=(100, 2))
    ).to_dict()
    assert json.loads(json.dumps(data))["same_distribution"] is False


@pytest.mark.parametrize(
    ("a", "b", "kwargs", "message"),
    [
        (np.zeros((20, 2)), np.zeros((20, 3)), {}, "a has 2 features but b has 3"),
        (np.zeros((5, 2)), np.zeros((20, 2)), {}, "a has 5 examples; comparing needs at least 10"),
        (np.zeros((20, 2)), np.zeros((20, 2)), {"alpha": 0}, r"alpha.*\(0, 1\); got 0"),
        (np.zeros((20, 2)), np.zeros((20, 2)), {"feature_names": ["x"]}, "1 names for 2"),
        (np.full((20, 2), np.nan), np.zeros((20, 2)), {}, "non-finite value: nan"),
    ],
)
def test_bad_input(a, b, kwargs, message):
    with pytest.raises(ValueError, match=message):
        compare_distributions(a, b, **kwargs)


def test_discrete_features_with_ties_give_no_warning():
    rng = np.random.default_rng(7)
    pixels_a = rng.integers(0, 17, size=(300, 8)).astype(float)  # 8×8 digits take 17 levels
    pixels_b = rng.integers(0, 17, size=(300, 8)).astype(float)
    assert compare_distributions(pixels_a, pixels_b).same_distribution  # filterwarnings=error
