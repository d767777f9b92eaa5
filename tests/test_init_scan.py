"""The initialization scan: the textbook's claims about He, Xavier, small, large and zero weights.

pytest runs with ``filterwarnings = error``: a diverging scan that warned on overflow would fail.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from dlrecipe.diagnosis.init_scan import SCHEMES, InitScan, initialization_scan


@pytest.fixture(scope="module")
def relu_scan() -> InitScan:
    return initialization_scan(depth=50, width=100, activation="relu")


def test_he_keeps_relu_activations_of_order_one_at_depth_50(relu_scan):
    assert list(relu_scan.variances) == list(SCHEMES)
    he = relu_scan.variances["he"]
    assert he.shape == (50,)
    assert np.all((0.1 < he) & (he < 10))
    assert relu_scan.verdicts["he"] == "stable"
    # Var(Z[1]) = n[0] · Var(W) · Var(x) = 100 · (2/100) · 1 = 2, up to sampling.
    assert relu_scan.z_variances["he"][0] == pytest.approx(2.0, rel=0.05)
    assert relu_scan.input_variance == pytest.approx(1.0, rel=0.01)


def test_small_random_weights_vanish_and_large_ones_explode(relu_scan):
    small = relu_scan.variances["random"]
    assert relu_scan.verdicts["random"] == "vanishes"
    assert small[-1] < 1e-100
    large = initialization_scan(scale=10.0, schemes=("random",))
    assert large.verdicts["random"] == "explodes"
    assert large.variances["random"][-1] > 1e100


@pytest.mark.parametrize("scale", [0.01, 10.0])
def test_relu_stacks_scale_like_a_power_of_depth(relu_scan, scale):
    # Every scheme draws the same standard normals; with zero biases a ReLU stack is positively
    # homogeneous, so weights c times He's give A[l] = c^l A_he[l]: Var(A[l]) = c^(2l) Var_he.
    c = scale / math.sqrt(2 / 100)
    scan = relu_scan if scale == 0.01 else initialization_scan(scale=scale, schemes=("random",))
    layers = np.arange(1, 51)
    np.testing.assert_allclose(
        scan.variances["random"], relu_scan.variances["he"] * c ** (2 * layers), rtol=1e-9
    )


def test_xavier_keeps_tanh_stable():
    scan = initialization_scan(activation="tanh", schemes=("xavier", "random"))
    assert scan.verdicts["xavier"] == "stable"
    assert scan.variances["xavier"][-1] > 1e-3
    assert scan.verdicts["random"] == "vanishes"


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_zero_initialization_gives_zero_variance(activation):
    scan = initialization_scan(depth=5, activation=activation, schemes=("zeros",))
    assert np.all(scan.variances["zeros"] == 0)
    assert np.all(scan.z_variances["zeros"] == 0)
    assert scan.verdicts["zeros"] == "zero: symmetric, no signal"


def test_overflow_shows_as_inf_without_warnings():
    scan = initialization_scan(depth=200, scale=10.0, schemes=("random",))
    variance = scan.variances["random"]
    assert np.all(np.isfinite(variance[:50]))
    assert np.isinf(variance[-1])
    assert not np.isnan(variance).any()
    assert scan.verdicts["random"] == "explodes"


def test_to_dict_round_trips_through_json():
    scan = initialization_scan(depth=120, width=20, n_samples=50, scale=10.0)
    document = scan.to_dict()
    assert math.isinf(document["variances"]["random"][-1])
    assert json.loads(json.dumps(document)) == document
    assert document["verdicts"] == scan.verdicts
    assert len(document["z_variances"]["he"]) == 120


def test_str_is_a_compact_table(relu_scan):
    lines = str(relu_scan).splitlines()
    assert lines[0] == "relu, 50 layers of 100 units, input variance 1"
    header = [cell.strip() for cell in lines[1].split("  ") if cell.strip()]
    assert header == ["scheme", *(f"Var A[{l}]" for l in (1, 2, 5, 10, 20, 50)), "verdict"]
    assert [line.split()[0] for line in lines[2:]] == list(SCHEMES)
    assert lines[2].endswith("zero: symmetric, no signal")
    assert lines[4].split()[-2:] == [f"{relu_scan.variances['he'][-1]:.3g}", "stable"]
    assert "Var A[7]" in str(initialization_scan(depth=7, width=5, n_samples=10))


def test_same_seed_same_scan_and_schemes_are_independent():
    one = initialization_scan(depth=5, width=10, n_samples=20, schemes=("he",), seed=3)
    both = initialization_scan(depth=5, width=10, n_samples=20, schemes=("xavier", "he"), seed=3)
    assert np.array_equal(one.variances["he"], both.variances["he"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"depth": 0}, "depth=0"),
        ({"depth": 2.5}, "depth=2.5"),
        ({"depth": True}, "depth=True"),
        ({"width": 0}, "width=0"),
        ({"n_samples": 1}, "n_samples=1"),
        ({"schemes": ("he", "orthogonal")}, "'orthogonal'"),
        ({"schemes": ()}, r"schemes=\(\)"),
        ({"activation": "swish"}, "'swish'"),
        ({"scale": 0.0}, "scale=0.0"),
        ({"scale": math.inf}, "scale=inf"),
    ],
)
def test_bad_arguments_are_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        initialization_scan(**kwargs)
