"""Small generated 2-D data sets for demos and tests.

Every generator returns ``X`` (n_samples, 2) float64 and ``y`` (n_samples,) int64 labels,
shuffled, with the classes as balanced as ``n_samples`` allows (an odd example goes to the
lower label). ``noise`` is the standard deviation of Gaussian noise added to each coordinate.
Randomness comes only from ``np.random.default_rng(seed)``: the same ``seed`` (an integer, or
a ``np.random.Generator`` used as given) gives the same data.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from ..validation import is_integer

Seed = int | np.random.Generator | None


def _is_real(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, Real)


def _checked_rng(
    n_samples: int, noise: float, seed: Seed, *, n_classes: int = 2
) -> np.random.Generator:
    """Check the arguments every generator shares; return the generator to draw from."""
    if not is_integer(n_samples) or n_samples < max(2, n_classes):
        per_class = " (at least one per class)" if n_classes > 2 else ""
        raise ValueError(
            f"n_samples must be an integer >= {max(2, n_classes)}{per_class}; got {n_samples!r}"
        )
    if not _is_real(noise) or not 0 <= noise < np.inf:
        raise ValueError(f"noise must be a finite number >= 0; got {noise!r}")
    generator_or_none = seed is None or isinstance(seed, np.random.Generator)
    if not (generator_or_none or (is_integer(seed) and seed >= 0)):
        raise ValueError(
            f"seed must be None, an integer >= 0 or a np.random.Generator; got {seed!r}"
        )
    return np.random.default_rng(seed)


def _check_n_classes(n_classes: int) -> None:
    if not is_integer(n_classes) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2; got {n_classes!r}")


def _class_sizes(n_samples: int, n_groups: int) -> list[int]:
    """``n_samples`` split into ``n_groups`` sizes differing by at most one, larger ones first."""
    return [n_samples // n_groups + (k < n_samples % n_groups) for k in range(n_groups)]


def _labels(sizes: list[int]) -> np.ndarray:
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def _noisy_shuffled(
    X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    X = X + rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(len(y))
    return X[order], y[order]


def circles(
    n_samples: int = 300,
    *,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: Seed = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles in 2-D, the outer labelled 0 and the inner (radius ``factor``) 1.

    Returns ``X`` (n_samples, 2) and ``y`` (n_samples,) of 0/1 ints, shuffled. Gaussian noise
    of standard deviation ``noise`` is added to each coordinate. Not linearly separable: a
    network needs a hidden layer to tell the classes apart.
    """
    rng = _checked_rng(n_samples, noise, seed)
    if not _is_real(factor) or not 0 < factor < 1:
        raise ValueError(f"factor (inner radius / outer radius) must be in (0, 1); got {factor!r}")
    sizes = _class_sizes(n_samples, 2)
    angles = np.concatenate([np.linspace(0, 2 * np.pi, n, endpoint=False) for n in sizes])
    radius = np.repeat([1.0, factor], sizes)
    X = np.column_stack([radius * np.cos(angles), radius * np.sin(angles)])
    return _noisy_shuffled(X, _labels(sizes), noise, rng)


def moons(
    n_samples: int = 300, *, noise: float = 0.1, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles of radius 1, as scikit-learn's ``make_moons``.

    Class 0 is the upper half of the circle centred at (0, 0); class 1 the lower half of the
    circle centred at (1, 0.5). Points are evenly spaced along each half circle before the
    noise is added. Returns ``X`` (n_samples, 2) and ``y`` (n_samples,) of 0/1 ints, shuffled.
    """
    rng = _checked_rng(n_samples, noise, seed)
    sizes = _class_sizes(n_samples, 2)
    upper, lower = (np.linspace(0, np.pi, n) for n in sizes)
    X = np.concatenate(
        [
            np.column_stack([np.cos(upper), np.sin(upper)]),
            np.column_stack([1 - np.cos(lower), 0.5 - np.sin(lower)]),
        ]
    )
    return _noisy_shuffled(X, _labels(sizes), noise, rng)


def spiral(
    n_samples: int = 300, *, n_classes: int = 3, noise: float = 0.05, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms, the CS231n "spiral" data set.

    Arm ``k`` runs from the centre out to radius 1 while its angle turns by 4 radians, as in
    CS231n's notes. The arms start at evenly spaced angles ``2πk / n_classes`` (CS231n starts
    them at ``4k``), and the noise is added to the coordinates rather than the angle. A
    linear classifier does little better than chance; a small network separates the arms.
    Returns ``X`` (n_samples, 2) and ``y`` (n_samples,) of labels 0 … n_classes-1, shuffled.
    """
    _check_n_classes(n_classes)
    rng = _checked_rng(n_samples, noise, seed, n_classes=n_classes)
    sizes = _class_sizes(n_samples, n_classes)
    radius = np.concatenate([np.linspace(0, 1, n + 1)[1:] for n in sizes])  # 0 < r <= 1
    start = np.repeat(2 * np.pi * np.arange(n_classes) / n_classes, sizes)
    angle = start + 4 * radius
    X = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    return _noisy_shuffled(X, _labels(sizes), noise, rng)


def xor(
    n_samples: int = 300, *, noise: float = 0.3, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian clusters at the corners (±1, ±1) of a square, labelled by XOR of the signs.

    Clusters at (1, 1) and (-1, -1) are class 0; at (-1, 1) and (1, -1) class 1, so
    ``y == (x1 > 0) != (x2 > 0)`` while ``noise`` (the clusters' standard deviation) is small
    against 1. No straight line separates the classes.
    Returns ``X`` (n_samples, 2) and ``y`` (n_samples,) of 0/1 ints, shuffled.
    """
    rng = _checked_rng(n_samples, noise, seed)
    sizes = _class_sizes(n_samples, 4)
    corners = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    X = np.repeat(corners, sizes, axis=0)
    y = _labels(sizes) % 2  # corners alternate 0, 1, 0, 1 going round the square
    return _noisy_shuffled(X, y, noise, rng)


def blobs(
    n_samples: int = 300, *, n_classes: int = 3, noise: float = 0.5, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` isotropic Gaussian clusters of standard deviation ``noise``.

    The centres are evenly spaced on a circle around the origin, neighbours 4 apart, so at
    the default ``noise=0.5`` the clusters are 8 standard deviations apart and separable by
    straight lines. Returns ``X`` (n_samples, 2) and ``y`` (n_samples,) of labels
    0 … n_classes-1, shuffled.
    """
    _check_n_classes(n_classes)
    rng = _checked_rng(n_samples, noise, seed, n_classes=n_classes)
    sizes = _class_sizes(n_samples, n_classes)
    angle = 2 * np.pi * np.arange(n_classes) / n_classes
    radius = 2 / np.sin(np.pi / n_classes)  # chord between neighbours = 2 r sin(π/K) = 4
    centres = radius * np.column_stack([np.cos(angle), np.sin(angle)])
    return _noisy_shuffled(np.repeat(centres, sizes, axis=0), _labels(sizes), noise, rng)


def noisy(
    n_samples: int = 300,
    *,
    noise: float = 0.03,
    flip: float = 0.1,
    seed: Seed = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two classes split by a sine curve, with a fraction ``flip`` of labels flipped.

    The data set on which an unregularized network visibly over-fits: it bends its boundary
    around the flipped points, while the true boundary is the smooth curve
    ``x2 = 0.5 sin(π x1)``. Class 1 lies uniformly in the band of height 1 above the curve and
    class 0 in the band below, for ``x1`` uniform in [-1, 1]; then Gaussian noise of standard
    deviation ``noise`` is added to each coordinate, and exactly ``round(flip * n_samples)``
    labels, chosen at random, are flipped (default ``flip=0.1``: one label in ten is wrong).

    The Bayes error — the best any classifier can reach on new data — is about ``flip``
    (about ``flip + noise / 2`` here, as the noise blurs the curve), so a training accuracy
    well above ``1 - flip`` means the model has learned the noise. The same ``seed`` gives the
    same points and the same clean labels for every ``flip``, so the flipped labels can be
    found by comparing with ``flip=0``. Returns ``X`` (n_samples, 2) and ``y`` (n_samples,) of
    0/1 ints.
    """
    rng = _checked_rng(n_samples, noise, seed)
    if not _is_real(flip) or not 0 <= flip < 0.5:
        raise ValueError(
            f"flip (the fraction of labels flipped) must be in [0, 0.5); got {flip!r}. "
            "At 0.5 the labels would be pure noise"
        )
    y = rng.permutation(_labels(_class_sizes(n_samples, 2)))
    x1 = rng.uniform(-1, 1, size=n_samples)
    offset = rng.uniform(0, 1, size=n_samples)
    x2 = 0.5 * np.sin(np.pi * x1) + np.where(y == 1, offset, -offset)
    X = np.column_stack([x1, x2]) + rng.normal(scale=noise, size=(n_samples, 2))
    flipped = rng.permutation(n_samples)[: round(flip * n_samples)]
    y[flipped] = 1 - y[flipped]
    return X, y
