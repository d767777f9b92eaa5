"""Weight initializers: the variance of every scheme, statistically, and every way to choose one.

The statistical tests draw large weight matrices through ``MLP(...).params`` and compare the
sample mean and variance with the scheme's formula, with a tolerance of 5 standard errors:

* mean: SE = σ / √N;
* variance: SE = √((μ₄/σ⁴ − 1) / N) · σ², where the kurtosis μ₄/σ⁴ is 3 for a normal draw
  (Var(s²) ≈ 2σ⁴/N) and 9/5 for a uniform one (Var(s²) ≈ (9/5 − 1)σ⁴/N).
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from dlrecipe import MLP, initializers
from dlrecipe.nn.initializers import DISTRIBUTIONS, NAMES, Initializer

N_IN, N_HIDDEN, N_OUT = 300, 600, 400  # n[0], n[1], n[2]: fan-in ≠ fan-out tells formulas apart
KURTOSIS = {"normal": 3.0, "uniform": 9.0 / 5.0}

# scheme -> (preset taking gain/distribution keywords, Var(W[l]) before the gain)
SCHEMES = {
    "random": (initializers.random, lambda n_out, n_in: 0.01**2),
    "random(scale=10)": (
        lambda **kw: initializers.random(scale=10, **kw),
        lambda n_out, n_in: 10.0**2,
    ),
    "he": (initializers.he, lambda n_out, n_in: 2.0 / n_in),
    "xavier": (initializers.xavier, lambda n_out, n_in: 1.0 / n_in),
    "glorot": (initializers.glorot, lambda n_out, n_in: 2.0 / (n_in + n_out)),
}


def draw_weights(init, seed: int = 0) -> list[np.ndarray]:
    """W[1] (600, 300) and W[2] (400, 600) of a model built with ``init``."""
    model = MLP((N_IN, N_HIDDEN, N_OUT), init=init, seed=seed)
    return [model.params["W1"], model.params["W2"]]


def assert_moments(W: np.ndarray, variance: float, distribution: str) -> None:
    """Mean 0, variance and kurtosis as expected, each within 5 standard errors."""
    N = W.size
    sigma = math.sqrt(variance)
    assert abs(W.mean()) < 5 * sigma / math.sqrt(N)
    kurtosis = KURTOSIS[distribution]
    se_variance = math.sqrt((kurtosis - 1) / N) * variance
    assert abs(W.var() - variance) < 5 * se_variance, (W.var(), variance, se_variance)
    # The shape of the distribution: sample kurtosis 3 (normal) or 1.8 (uniform), far apart.
    sample_kurtosis = np.mean((W - W.mean()) ** 4) / W.var() ** 2
    assert sample_kurtosis == pytest.approx(kurtosis, abs=0.1)


@pytest.mark.parametrize("gain", [1.0, 2.5])
@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_variance_matches_the_formula(scheme, distribution, gain):
    preset, variance = SCHEMES[scheme]
    W1, W2 = draw_weights(preset(gain=gain, distribution=distribution), seed=1)
    # Each layer uses its own fan-in n[l-1] and fan-out n[l].
    assert_moments(W1, gain * variance(N_HIDDEN, N_IN), distribution)
    assert_moments(W2, gain * variance(N_OUT, N_HIDDEN), distribution)


@pytest.mark.parametrize("gain", [1.0, 2.5])
@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_uniform_draws_lie_within_the_limit(scheme, gain):
    preset, variance = SCHEMES[scheme]
    W1, W2 = draw_weights(preset(gain=gain, distribution="uniform"), seed=2)
    for W, (n_out, n_in) in [(W1, (N_HIDDEN, N_IN)), (W2, (N_OUT, N_HIDDEN))]:
        limit = math.sqrt(3 * gain * variance(n_out, n_in))
        assert np.abs(W).max() <= limit
        # ...and fill it: with 180 000 draws the extremes come within 0.1% of ±limit.
        assert W.max() > 0.999 * limit
        assert W.min() < -0.999 * limit


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_normal_draws_exceed_the_uniform_limit(scheme):
    # A normal draw is not truncated: about 8% of it lies beyond √3 σ.
    preset, variance = SCHEMES[scheme]
    W1 = draw_weights(preset(), seed=3)[0]
    beyond = np.mean(np.abs(W1) > math.sqrt(3 * variance(N_HIDDEN, N_IN)))
    assert beyond == pytest.approx(0.0833, abs=0.005)


@pytest.mark.parametrize(
    "init",
    ["zeros", initializers.zeros(), Initializer("zeros", gain=3.0, distribution="uniform")],
)
def test_zeros_gives_exact_zeros(init):
    model = MLP((3, 5, 4, 2), init=init, seed=0)
    for l in (1, 2, 3):
        W = model.params[f"W{l}"]
        assert W.shape == (model.layer_sizes[l], model.layer_sizes[l - 1])
        assert W.dtype == np.float64
        assert not W.any()


@pytest.mark.parametrize(
    "init",
    [
        "zeros",
        "random",
        "he",
        "glorot_uniform",
        initializers.random(scale=10),
        lambda s, r: -np.ones(s),
    ],
)
def test_biases_start_at_zero(init):
    model = MLP((3, 5, 4, 2), init=init, seed=0)
    assert list(model.params) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    for l in (1, 2, 3):
        b = model.params[f"b{l}"]
        assert b.shape == (model.layer_sizes[l], 1)
        assert b.dtype == np.float64
        assert not b.any()


def expected_weights(init: Initializer, sizes, seed: int) -> list[np.ndarray]:
    """The weights ``init`` draws for layers 1 … L from a fresh generator, in order."""
    rng = np.random.default_rng(seed)
    return [init((sizes[l], sizes[l - 1]), rng) for l in range(1, len(sizes))]


KERAS_NAMES = [f"{n}_{d}" for n in NAMES if n != "zeros" for d in DISTRIBUTIONS]


@pytest.mark.parametrize("name", NAMES + KERAS_NAMES)
def test_init_by_name_draws_the_named_scheme(name):
    scheme, _, distribution = name.partition("_")
    sizes = (4, 6, 3)
    model = MLP(sizes, init=name, seed=7)
    expected = expected_weights(
        Initializer(scheme, distribution=distribution or "normal"), sizes, 7
    )
    for l, W in enumerate(expected, start=1):
        np.testing.assert_array_equal(model.params[f"W{l}"], W)


@pytest.mark.parametrize(
    ("name", "distribution", "variance"),
    [
        ("he_uniform", "uniform", 2.0 / N_IN),
        ("he_normal", "normal", 2.0 / N_IN),
        ("glorot_normal", "normal", 2.0 / (N_IN + N_HIDDEN)),
        ("glorot_uniform", "uniform", 2.0 / (N_IN + N_HIDDEN)),
        ("xavier_uniform", "uniform", 1.0 / N_IN),
        ("random_uniform", "uniform", 0.01**2),
    ],
)
def test_keras_style_names_pick_the_distribution(name, distribution, variance):
    W1 = draw_weights(name, seed=4)[0]
    assert_moments(W1, variance, distribution)
    limit = math.sqrt(3 * variance)
    assert (np.abs(W1).max() <= limit) == (distribution == "uniform")


@pytest.mark.parametrize(
    "init",
    [
        initializers.he(gain=1.5),
        initializers.random(scale=10),
        initializers.glorot(distribution="uniform", gain=0.5),
        initializers.xavier(),
    ],
    ids=repr,
)
def test_init_by_initializer_object(init):
    sizes = (5, 8, 2)
    model = MLP(sizes, init=init, seed=11)
    for l, W in enumerate(expected_weights(init, sizes, 11), start=1):
        np.testing.assert_array_equal(model.params[f"W{l}"], W)


def test_initializer_objects_scale_the_variance():
    # Through MLP: he(gain=1.5) has Var = 1.5 · 2 / n[l-1]; random(scale=10) has std 10.
    assert_moments(draw_weights(initializers.he(gain=1.5), seed=5)[0], 3.0 / N_IN, "normal")
    W1 = draw_weights(initializers.random(scale=10), seed=6)[0]
    assert W1.std() == pytest.approx(10, rel=5 * math.sqrt(0.5 / W1.size))
    assert initializers.he(gain=1.5).variance(n_out=10, n_in=4) == pytest.approx(0.75)
    assert initializers.random(scale=10, gain=2).variance(n_out=10, n_in=4) == pytest.approx(200)


def test_init_by_callable():
    calls = []

    def constant(shape, rng):
        calls.append((shape, rng))
        return np.full(shape, 0.25 * len(calls))

    model = MLP((3, 5, 2), init=constant, seed=0)
    # Called once per layer with (n[l], n[l-1]) and a numpy Generator.
    assert [shape for shape, _ in calls] == [(5, 3), (2, 5)]
    assert all(isinstance(rng, np.random.Generator) for _, rng in calls)
    assert calls[0][1] is calls[1][1]
    np.testing.assert_array_equal(model.params["W1"], np.full((5, 3), 0.25))
    np.testing.assert_array_equal(model.params["W2"], np.full((2, 5), 0.5))


def test_init_by_callable_returning_a_list_or_ints_is_converted_to_the_dtype():
    model = MLP((2, 3, 1), init=lambda shape, rng: np.ones(shape, dtype=int).tolist(), seed=0)
    assert model.params["W1"].dtype == np.float64
    np.testing.assert_array_equal(model.params["W1"], np.ones((3, 2)))
    model32 = MLP((2, 3, 1), init=lambda shape, rng: np.ones(shape), dtype="float32", seed=0)
    assert model32.params["W1"].dtype == np.float32


def test_init_per_layer_as_a_sequence():
    sizes = (4, 6, 5, 3)
    he15 = initializers.he(gain=1.5)
    model = MLP(sizes, init=["zeros", he15, lambda shape, rng: np.full(shape, 2.0)], seed=9)
    assert not model.params["W1"].any()
    # zeros draws nothing, so he(gain=1.5) gets the generator's first numbers.
    np.testing.assert_array_equal(model.params["W2"], he15((5, 6), np.random.default_rng(9)))
    np.testing.assert_array_equal(model.params["W3"], np.full((3, 5), 2.0))


def test_init_per_layer_as_a_tuple_of_names():
    sizes = (4, 6, 5)
    model = MLP(sizes, init=("he_uniform", "glorot_normal"), seed=3)
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(
        model.params["W1"], initializers.he(distribution="uniform")((6, 4), rng)
    )
    np.testing.assert_array_equal(model.params["W2"], initializers.glorot()((5, 6), rng))


def test_same_seed_gives_identical_weights_and_different_seeds_differ():
    a, b, c = (MLP((4, 8, 3, 1), seed=s).params for s in (42, 42, 43))
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    for name in ("W1", "W2", "W3"):
        assert not np.array_equal(a[name], c[name])


def test_seed_may_be_a_generator():
    from_int = MLP((4, 8, 1), seed=5).params
    from_generator = MLP((4, 8, 1), seed=np.random.default_rng(5)).params
    for name in from_int:
        np.testing.assert_array_equal(from_int[name], from_generator[name])


@pytest.mark.parametrize("init", ["he", "glorot_uniform", initializers.random(scale=10)], ids=str)
def test_float32_and_float64_models_with_the_same_seed_share_their_weights(init):
    p64 = MLP((6, 10, 4, 2), init=init, seed=8).params
    p32 = MLP((6, 10, 4, 2), init=init, seed=8, dtype="float32").params
    for name in p64:
        assert p32[name].dtype == np.float32
        assert p64[name].dtype == np.float64
        # The float32 weights are the float64 draw, rounded once.
        np.testing.assert_array_equal(p32[name], p64[name].astype(np.float32))
        np.testing.assert_allclose(p32[name], p64[name], rtol=2.0**-24, atol=0)


@pytest.mark.parametrize(
    "init",
    [
        initializers.zeros(),
        initializers.random(),
        initializers.random(scale=10, gain=2.0, distribution="uniform"),
        initializers.he(gain=1.5),
        initializers.xavier(distribution="uniform"),
        initializers.glorot(gain=0.5),
    ],
    ids=repr,
)
def test_config_round_trip(init):
    config = init.to_config()
    assert json.loads(json.dumps(config)) == config  # plain JSON values
    rebuilt = initializers.from_config(config)
    assert rebuilt == init
    assert rebuilt.to_config() == config
    np.testing.assert_array_equal(
        rebuilt((7, 5), np.random.default_rng(0)), init((7, 5), np.random.default_rng(0))
    )


def test_config_names_scale_only_for_random():
    assert initializers.he(gain=1.5).to_config() == {
        "name": "he",
        "gain": 1.5,
        "distribution": "normal",
    }
    assert initializers.random(scale=10).to_config()["scale"] == 10


# --- bad inputs: a ValueError that names the bad value and what is accepted ------------------


@pytest.mark.parametrize("name", ["kaiming", "he_truncated", "zeros_uniform", "He", ""])
def test_unknown_name_is_rejected(name):
    with pytest.raises(
        ValueError, match=rf"unknown initializer {re.escape(repr(name))}.*he_uniform"
    ):
        MLP((2, 3, 1), init=name)


def test_unknown_name_of_an_initializer_object_is_rejected():
    with pytest.raises(ValueError, match=r"unknown initializer 'kaiming'.*'glorot', 'he'"):
        Initializer("kaiming")


@pytest.mark.parametrize("gain", [0, -1.5, math.nan, math.inf])
@pytest.mark.parametrize("preset", [initializers.he, initializers.glorot, initializers.random])
def test_gain_must_be_positive(preset, gain):
    with pytest.raises(ValueError, match=rf"gain must be a finite number > 0; got gain={gain!r}"):
        preset(gain=gain)


@pytest.mark.parametrize("distribution", ["gaussian", "truncated_normal", "Normal"])
def test_unknown_distribution_is_rejected(distribution):
    with pytest.raises(
        ValueError,
        match=rf"one of \['normal', 'uniform'\]; got distribution={re.escape(repr(distribution))}",
    ):
        initializers.xavier(distribution=distribution)


@pytest.mark.parametrize("scale", [0, -0.01])
def test_random_scale_must_be_positive(scale):
    with pytest.raises(
        ValueError, match=rf"scale must be a finite number > 0; got scale={scale!r}"
    ):
        initializers.random(scale=scale)


def test_random_scale_must_be_finite():
    with pytest.raises(ValueError, match=r"scale must be a finite number > 0; got scale=inf"):
        initializers.random(scale=math.inf)


def test_scale_belongs_to_random_only():
    with pytest.raises(ValueError, match=r"'he' takes its variance from the layer sizes.*gain="):
        initializers.Initializer("he", scale=5.0)
    assert initializers.random().scale == 0.01
    assert initializers.he().to_config() == {"name": "he", "gain": 1.0, "distribution": "normal"}


@pytest.mark.parametrize("n_entries", [2, 4])
def test_sequence_of_the_wrong_length_is_rejected(n_entries):
    with pytest.raises(ValueError, match=rf"one entry per layer 1 … L \(3\); got {n_entries}$"):
        MLP((2, 4, 3, 1), init=["he"] * n_entries)


@pytest.mark.parametrize(
    ("returned", "got"),
    [
        (lambda shape: np.zeros(shape[::-1]), r"\(2, 4\)"),
        (lambda shape: np.zeros(shape[0]), r"\(4,\)"),
        (lambda shape: np.zeros((1, *shape)), r"\(1, 4, 2\)"),
    ],
)
def test_callable_returning_the_wrong_shape_is_rejected(returned, got):
    with pytest.raises(
        ValueError,
        match=rf"init for layer 1 must return shape \(4, 2\); got {got}",
    ):
        MLP((2, 4, 1), init=lambda shape, rng: returned(shape))


def test_callable_returning_non_finite_values_is_rejected():
    with pytest.raises(ValueError, match=r"init for layer 2 returned NaN or infinite weights"):
        MLP((2, 4, 1), init=lambda shape, rng: np.full(shape, np.nan if shape[0] == 1 else 0.0))


def test_init_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match=r"init must be an initializer name.*got int"):
        MLP((2, 4, 1), init=3)


def test_gain_true_is_not_a_number():
    with pytest.raises(ValueError, match=r"gain must be a finite number > 0; got gain=True"):
        initializers.he(gain=True)
