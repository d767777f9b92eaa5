"""NetClassifier and NetRegressor as scikit-learn estimators: the estimator checks and the
tools they must work with (Pipeline, GridSearchCV, cross-validation, curves, displays)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import (
    GridSearchCV,
    cross_val_score,
    learning_curve,
    validation_curve,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from dlrecipe.data import blobs, moons, noisy
from dlrecipe.sklearn import NetClassifier, NetRegressor

# Few epochs keep the checks fast; a larger step still reaches the accuracy they demand.
FAST = {"epochs": 20, "learning_rate": 0.03, "random_state": 0}


@parametrize_with_checks([NetClassifier(**FAST), NetRegressor(**FAST)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_classifier_learns_string_labels_with_proba_in_classes_order():
    X, y = blobs(240, n_classes=3, seed=0)
    names = np.array(["cat", "dog", "eel"])[y]
    clf = NetClassifier(epochs=50, random_state=0).fit(X, names)
    assert list(clf.classes_) == ["cat", "dog", "eel"]
    assert clf.model_.output_activation == "softmax"
    proba = clf.predict_proba(X)
    assert proba.shape == (240, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    assert clf.score(X, names) > 0.95
    assert clf.n_iter_ == 50 == len(clf.history_)


def test_binary_classifier_has_one_sigmoid_unit_and_signed_decision():
    X, y = moons(200, seed=0)
    labels = np.where(y == 1, 7, -3)
    clf = NetClassifier(epochs=30, random_state=0).fit(X, labels)
    assert clf.model_.layer_sizes[-1] == 1
    assert clf.model_.output_activation == "sigmoid"
    decision = clf.decision_function(X)
    np.testing.assert_array_equal(np.where(decision > 0, 7, -3), clf.predict(X))


def test_regressor_fits_two_targets():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    Y = np.column_stack([X @ [1.0, -2.0, 0.5], X[:, 0] - X[:, 2]])
    reg = NetRegressor(epochs=100, random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (200, 2)
    assert reg.score(X, Y) > 0.95


def test_works_in_a_pipeline_with_standard_scaler():
    X, y = moons(200, seed=1)
    pipe = make_pipeline(StandardScaler(), NetClassifier(epochs=50, normalize=False))
    assert pipe.fit(X, y).score(X, y) > 0.9


def test_grid_search_prefers_regularization_on_noisy_data():
    # A wide net fit for long on data with 10% flipped labels learns the noise; GridSearchCV
    # must pick the regularized setting (the strong L2 or the dropout), not the bare one.
    X, y = noisy(300, flip=0.1, seed=0)
    net = NetClassifier(hidden_layer_sizes=(64, 64), epochs=300, learning_rate=0.01, random_state=0)
    grid = {"l2": [0.0, 1.0], "keep_prob": [1.0, 0.6]}
    search = GridSearchCV(net, grid, cv=3).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    bare = scores[[p == {"l2": 0.0, "keep_prob": 1.0} for p in search.cv_results_["params"]]]
    assert search.best_params_ != {"l2": 0.0, "keep_prob": 1.0}
    assert search.best_score_ > bare[0]


def test_cross_val_score():
    X, y = moons(150, seed=2)
    scores = cross_val_score(NetClassifier(epochs=40, random_state=0), X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.mean() > 0.85


def test_clone_is_unfitted_and_equal():
    clf = NetClassifier(hidden_layer_sizes=(8, 4), l2=0.1, random_state=3).fit(*moons(60, seed=0))
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "model_")
    assert not hasattr(copy, "classes_")


def test_same_random_state_gives_the_same_predictions():
    X, y = noisy(150, seed=1)
    options = {"epochs": 20, "keep_prob": 0.8, "early_stopping": True, "random_state": 5}
    first = NetClassifier(**options).fit(X, y).predict_proba(X)
    second = NetClassifier(**options).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    other = NetClassifier(**{**options, "random_state": 6}).fit(X, y).predict_proba(X)
    assert not np.array_equal(first, other)


def test_generator_random_state_is_used_not_global_state():
    X, y = moons(80, seed=0)
    # The legacy global state is read only to show that fitting never touches it.
    state = np.random.get_state()  # noqa: NPY002
    a = NetClassifier(epochs=5, random_state=np.random.default_rng(4)).fit(X, y)
    b = NetClassifier(epochs=5, random_state=np.random.default_rng(4)).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert np.random.get_state()[1].tolist() == state[1].tolist()  # noqa: NPY002


def test_early_stopping_stops_and_holds_out_a_stratified_share():
    X, y = noisy(300, seed=0)
    clf = NetClassifier(
        hidden_layer_sizes=(64, 64),
        epochs=500,
        early_stopping=True,
        patience=5,
        validation_fraction=0.2,
        random_state=0,
    ).fit(X, y)
    assert clf.n_iter_ < 500
    assert clf.history_.stopped_epoch == clf.n_iter_ - 1
    assert not np.isnan(clf.history_.dev_loss).any()


def test_feature_names_are_kept_from_a_dataframe():
    # scikit-learn reads column names only from real data frames (through narwhals).
    pd = pytest.importorskip("pandas", reason="feature_names_in_ needs a data-frame library")
    X, y = moons(60, seed=0)
    frame = pd.DataFrame(X, columns=["x1", "x2"])
    clf = NetClassifier(epochs=5, random_state=0).fit(frame, y)
    assert list(clf.feature_names_in_) == ["x1", "x2"]
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(frame.rename(columns={"x1": "a"}))
    assert not hasattr(NetClassifier(epochs=5).fit(X, y), "feature_names_in_")


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"hidden_layer_sizes": (16, 0)}, "hidden_layer_sizes must hold integers >= 1"),
        ({"batch_size": 0}, "batch_size must be None"),
        ({"early_stopping": True, "validation_fraction": 1.5}, "validation_fraction"),
        ({"random_state": "seed"}, "random_state must be None, an int"),
        ({"keep_prob": 0.0}, "keep_prob"),
        ({"dtype": "int8"}, "dtype must be 'float64' or 'float32'"),
        ({"epochs": 0}, "epochs must be an integer >= 1"),
    ],
)
def test_options_are_checked_in_fit(options, match):
    X, y = moons(40, seed=0)
    clf = NetClassifier(**options)  # storing never fails
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)


def test_decision_boundary_display():
    pytest.importorskip("matplotlib", reason="DecisionBoundaryDisplay draws with matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.inspection import DecisionBoundaryDisplay

    X, y = moons(100, seed=0)
    clf = NetClassifier(epochs=30, random_state=0).fit(X, y)
    display = DecisionBoundaryDisplay.from_estimator(clf, X, response_method="predict_proba")
    assert display.response.shape == display.xx0.shape
    plt.close("all")


def test_learning_curve():
    X, y = moons(150, seed=3)
    sizes, train, test = learning_curve(
        NetClassifier(epochs=20, random_state=0), X, y, train_sizes=[0.3, 1.0], cv=3
    )
    assert list(sizes) == [30, 100]
    assert train.shape == test.shape == (2, 3)


def test_validation_curve():
    X, y = noisy(150, seed=0)
    train, test = validation_curve(
        NetClassifier(epochs=20, random_state=0), X, y, param_name="l2", param_range=[0, 3], cv=3
    )
    assert train.shape == test.shape == (2, 3)
    assert train[0].mean() >= train[1].mean()  # a stronger penalty fits the training set less
