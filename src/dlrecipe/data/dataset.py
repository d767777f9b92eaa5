"""Dataset: the arrays a loader returns, with what their numbers mean."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Dataset:
    """``X`` (n_samples, n_features) and ``y`` (n_samples,), named; unpacks as ``X, y``.

    ``classes[k]`` is what label ``k`` stands for (None for regression targets, or when the
    labels are plain numbers). ``image_shape`` is ``(height, width)`` or
    ``(height, width, channels)`` when each row of ``X`` is a flattened image.
    """

    X: np.ndarray
    y: np.ndarray
    name: str
    feature_names: tuple[str, ...]
    classes: tuple[str, ...] | None = None
    image_shape: tuple[int, ...] | None = None

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.X, self.y))
