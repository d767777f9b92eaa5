"""Small generated data sets for demos and tests."""

from __future__ import annotations

from numbers import Real

import numpy as np


def circles(
    n_samples: int = 300,
    *,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles in 2-D, the outer labelled 0 and the inner (radius ``factor``) 1.

    Returns ``X`` (n_samples, 2) and ``y`` (n_samples,) of 0/1 ints, shuffled. Gaussian noise
    of standard deviation ``noise`` is added to each coordinate. Not linearly separable: a
    network needs a hidden layer to tell the classes apart.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer) or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2; got {n_samples!r}")
    if isinstance(factor, bool) or not isinstance(factor, Real) or not 0 < factor < 1:
        raise ValueError(f"factor (inner radius / outer radius) must be in (0, 1); got {factor!r}")
    if isinstance(noise, bool) or not isinstance(noise, Real) or not 0 <= noise < np.inf:
        raise ValueError(f"noise must be a finite number >= 0; got {noise!r}")
    rng = np.random.default_rng(seed)
    n_inner = n_samples // 2
    n_outer = n_samples - n_inner
    angles = np.concatenate(
        [
            np.linspace(0, 2 * np.pi, n_outer, endpoint=False),
            np.linspace(0, 2 * np.pi, n_inner, endpoint=False),
        ]
    )
    radius = np.concatenate([np.ones(n_outer), np.full(n_inner, factor)])
    X = np.column_stack([radius * np.cos(angles), radius * np.sin(angles)])
    X += rng.normal(scale=noise, size=X.shape)
    y = np.concatenate([np.zeros(n_outer, dtype=np.int64), np.ones(n_inner, dtype=np.int64)])
    order = rng.permutation(n_samples)
    return X[order], y[order]
