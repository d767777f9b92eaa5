"""Image augmentation for training batches: flips, crops (zooms), small rotations, elastic warps.

Every transform here moves pixels without changing what the image shows, so labels are kept as
they are. Each image's geometric transforms compose into one affine map from output pixel to
source pixel (plus, optionally, a smooth random displacement field: the elastic distortions of
Simard et al., 2003), and the whole batch is resampled by a single call of
``scipy.ndimage.map_coordinates``, with no Python loop over images.

Conventions shared by every function here:

* Images are ``(n, height, width)`` or ``(n, height, width, channels)``, row 0 at the top. The
  result is a new array of the same shape and dtype; the input is never modified. All channels
  of an image get the same warp.
* Resampling is bilinear (``order=1``): an output value is a weighted mean of input values, so it
  never leaves the input's range (integer dtypes are rounded back). A pixel whose source lies
  outside the image takes the value of the nearest edge pixel (``mode="nearest"``, as Keras'
  default ``fill_mode``): a rotation brings in no black corners the data does not have, and a
  digit on a black background stays on black.
* Augment training batches only (:func:`augmented_batches`). Dev and test sets are never
  augmented: they must keep measuring the distribution the model will meet.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from numbers import Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..validation import check_generator, is_integer
from .warp import check_images, displacement_field, resample, rotation, scale_shift


def flip_horizontal(images: ArrayLike) -> np.ndarray:
    """Mirror each image left-right: an arrow pointing right then points left."""
    return check_images(images)[:, :, ::-1].copy()


def flip_vertical(images: ArrayLike) -> np.ndarray:
    """Mirror each image top-bottom. Only where the label survives it: upside-down cats are not
    cats, and an upside-down 6 is a 9."""
    return check_images(images)[:, ::-1].copy()


def rotate(images: ArrayLike, degrees: ArrayLike) -> np.ndarray:
    """Rotate each image about its centre; positive ``degrees`` turn it counter-clockwise.

    ``degrees`` is a number or an array ``(n,)``, one angle per image. For square images
    ``rotate(x, 90)`` equals ``np.rot90(x, axes=(1, 2))`` up to floating-point rounding.
    """
    images = check_images(images)
    n, h, w = images.shape[:3]
    return resample(images, rotation(_per_image("degrees", degrees, n), h, w))


def crop_and_resize(
    images: ArrayLike, *, top: ArrayLike, left: ArrayLike, height: ArrayLike, width: ArrayLike
) -> np.ndarray:
    """Cut a ``height × width`` window at ``(top, left)`` out of each image and stretch it back to
    the image's size: a zoom-in with an offset.

    Each argument is in pixels, a number or an array ``(n,)`` per image; fractions are allowed.
    The window's first and last rows, ``top`` and ``top + height - 1``, land on the output's first
    and last rows (likewise the columns), so the window of the whole image is the identity and a
    centred window keeps the centre pixel. The window must lie inside the image.
    """
    images = check_images(images)
    n, h, w = images.shape[:3]
    values = {
        name: _per_image(name, value, n)
        for name, value in (("top", top), ("left", left), ("height", height), ("width", width))
    }
    for start, size, side in (("top", "height", h), ("left", "width", w)):
        low, extent = values[start], values[size]
        bad = (low < 0) | (extent < 1) | (low + extent > side)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                f"the crop window of image {i} ({start}={low[i]:g}, {size}={extent[i]:g}) does "
                f"not fit in the image's {size} of {side}; need {start} >= 0, {size} >= 1 and "
                f"{start} + {size} <= {side}"
            )
    scale_rows = (values["height"] - 1) / max(h - 1, 1)
    scale_cols = (values["width"] - 1) / max(w - 1, 1)
    return resample(images, scale_shift(scale_rows, scale_cols, values["top"], values["left"]))


def elastic_distort(
    images: ArrayLike, rng: np.random.Generator, *, alpha: float, sigma: float
) -> np.ndarray:
    """Elastic distortion (Simard et al., 2003): each pixel moves by its own small, smooth offset.

    Per image, a displacement field ``u`` of shape ``(2, height, width)`` is drawn uniform in
    [-1, 1], smoothed by a Gaussian of standard deviation ``sigma`` pixels and scaled by ``alpha``:
    ``output(p) = input(p + alpha · (G_sigma * u)(p))``. A large ``sigma`` gives a smooth field,
    close to a translation; a small one, noise. ``alpha=0`` is the identity. Simard et al. used
    ``alpha=34, sigma=4`` on 28×28 digits. The field comes from ``rng`` and nothing else.
    """
    images = check_images(images)
    alpha, sigma = _check_option("alpha", alpha), _check_option("sigma", sigma)
    n, h, w = images.shape[:3]
    displacement = displacement_field(check_generator(rng), n, h, w, alpha, sigma)
    return resample(images, np.tile(np.eye(3), (n, 1, 1)), displacement)


@dataclass(frozen=True, kw_only=True)
class Augmenter:
    """Random label-preserving transforms, drawn afresh for every image: ``augmenter(X, rng)``.

    Each image is cropped (zoomed), rotated, flipped and elastically distorted, in that order, in
    one resampling. The result has the shape and dtype of ``X``; ``X`` is never modified, and
    all randomness comes from ``rng``, a ``numpy.random.Generator``.

    Parameters
    ----------
    image_shape
        ``(height, width)`` or ``(height, width, channels)`` when each row of ``X``
        ``(n_samples, n_features)`` is a flattened image (C order, as ``image.reshape(-1)``);
        None when ``X`` is already ``(n, height, width)`` or ``(n, height, width, channels)``.
    flip_horizontal
        Mirror left-right with probability 1/2 (on by default: a cat facing left is a cat).
    flip_vertical
        Mirror top-bottom with probability 1/2; off by default (upside-down cats are not cats).
    max_rotation
        Rotate by an angle uniform in ``[-max_rotation, max_rotation]`` degrees; in [0, 45].
    crop
        The largest fraction cut away from each side length; in [0, 1). The window's sides are a
        fraction uniform in ``[1 - crop, 1]`` of the image's (one fraction for both, keeping the
        aspect ratio), the window is placed uniformly inside the image and stretched back to full
        size: 0.1 zooms in by up to 11% with a random offset.
    elastic_alpha, elastic_sigma
        The strength (>= 0; 0 turns it off) and smoothness in pixels (> 0) of the elastic
        distortion, as in :func:`elastic_distort`.
    """

    image_shape: tuple[int, ...] | None = None
    flip_horizontal: bool = True
    flip_vertical: bool = False
    max_rotation: float = 0.0
    crop: float = 0.0
    elastic_alpha: float = 0.0
    elastic_sigma: float = 4.0

    def __post_init__(self) -> None:
        shape = self.image_shape
        if shape is not None:
            if not (
                isinstance(shape, tuple | list)
                and len(shape) in (2, 3)
                and all(is_integer(size) and size >= 1 for size in shape)
            ):
                raise ValueError(
                    "image_shape must be (height, width) or (height, width, channels) of positive "
                    f"integers, or None for image-shaped X; got image_shape={shape!r}"
                )
            object.__setattr__(self, "image_shape", tuple(int(size) for size in shape))
        for name in ("flip_horizontal", "flip_vertical"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise ValueError(
                    f"{name} must be True or False; got {name}={getattr(self, name)!r}"
                )
            object.__setattr__(self, name, bool(getattr(self, name)))
        for name in ("max_rotation", "crop", "elastic_alpha", "elastic_sigma"):
            object.__setattr__(self, name, _check_option(name, getattr(self, name)))

    def __call__(self, X: ArrayLike, rng: np.random.Generator) -> np.ndarray:
        """A randomly transformed copy of ``X``, same shape and dtype (see the class docstring)."""
        X = np.asarray(X)
        images = self._as_images(X)
        rng = check_generator(rng)
        n, h, w = images.shape[:3]
        # Output pixel -> source pixel is crop(rotate(flip(p))): the picture is cropped first.
        affine = np.tile(np.eye(3), (n, 1, 1))
        if self.crop > 0:
            scale = rng.uniform(1 - self.crop, 1, size=(n,))
            top = rng.uniform(0, 1, size=(n,)) * (h - 1) * (1 - scale)
            left = rng.uniform(0, 1, size=(n,)) * (w - 1) * (1 - scale)
            affine = affine @ scale_shift(scale, scale, top, left)
        if self.max_rotation > 0:
            degrees = rng.uniform(-self.max_rotation, self.max_rotation, size=(n,))
            affine = affine @ rotation(degrees, h, w)
        if self.flip_horizontal or self.flip_vertical:
            flip_rows = self.flip_vertical & (rng.random((n,)) < 0.5)
            flip_cols = self.flip_horizontal & (rng.random((n,)) < 0.5)
            # a flip scales by -1 and shifts back across the image: col -> (w - 1) - col
            affine = affine @ scale_shift(
                1 - 2.0 * flip_rows,
                1 - 2.0 * flip_cols,
                flip_rows * (h - 1.0),
                flip_cols * (w - 1.0),
            )
        displacement = None
        if self.elastic_alpha > 0:
            displacement = displacement_field(rng, n, h, w, self.elastic_alpha, self.elastic_sigma)
        return resample(images, affine, displacement).reshape(X.shape)

    def _as_images(self, X: np.ndarray) -> np.ndarray:
        """``X`` as ``(n, height, width[, channels])``: a view, never a copy."""
        if self.image_shape is None:
            return check_images(X)
        size = math.prod(self.image_shape)
        if X.ndim != 2 or X.shape[1] != size:
            raise ValueError(
                f"with image_shape={self.image_shape}, X must be rows of flattened images of shape "
                f"(n_samples, {size}); got shape {X.shape}. For image-shaped X use image_shape=None"
            )
        return check_images(X.reshape(X.shape[0], *self.image_shape))

    def to_config(self) -> dict[str, Any]:
        """The options as a JSON-serializable dict; ``Augmenter.from_config`` rebuilds it."""
        config = {f.name: getattr(self, f.name) for f in fields(self)}
        config["image_shape"] = None if self.image_shape is None else list(self.image_shape)
        return config

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Augmenter:
        """The augmenter described by ``config`` (a dict from ``to_config``), validated."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(
                f"unknown Augmenter option(s) {unknown}; expected some of {sorted(known)}"
            )
        return cls(**config)


def augmented_batches(
    X: ArrayLike,
    y: ArrayLike,
    *,
    batch_size: int,
    augmenter: Augmenter,
    rng: np.random.Generator,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of shuffled mini-batches ``(X_batch, y_batch)``, each ``X_batch`` augmented afresh.

    For training batches only: dev and test sets are never augmented. Every example appears once;
    the last batch is smaller when ``batch_size`` does not divide ``n_samples``. A batch is
    augmented as it is drawn, so no augmented copy of the data set is ever stored: the only new
    array of data-set length is the permutation of the indices. ``y_batch`` holds the examples'
    own labels, which every transform here preserves. Arguments are checked at the call, before
    the first batch.
    """
    X, y = np.asarray(X), np.asarray(y)
    if not isinstance(augmenter, Augmenter):
        raise TypeError(f"augmenter must be an Augmenter; got {type(augmenter).__name__}")
    augmenter._as_images(X)
    if y.ndim == 0 or y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has shape {y.shape}; they must match")
    if not is_integer(batch_size) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1; got batch_size={batch_size!r}")
    return _batches(X, y, int(batch_size), augmenter, check_generator(rng))


def _batches(
    X: np.ndarray, y: np.ndarray, batch_size: int, augmenter: Augmenter, rng: np.random.Generator
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    order = rng.permutation(X.shape[0])
    for start in range(0, X.shape[0], batch_size):
        batch = order[start : start + batch_size]
        yield augmenter(X[batch], rng), y[batch]


# --- validation -----------------------------------------------------------------------------
# The accepted values of each numeric option: as error messages write them, and as a test.
_RANGES: dict[str, tuple[str, Callable[[float], bool]]] = {
    "max_rotation": ("[0, 45] degrees", lambda degrees: 0 <= degrees <= 45),
    "crop": ("[0, 1)", lambda fraction: 0 <= fraction < 1),
    "alpha": ("[0, ∞)", lambda alpha: 0 <= alpha < math.inf),
    "sigma": ("(0, ∞)", lambda sigma: 0 < sigma < math.inf),
}


def _check_option(name: str, value: object) -> float:
    accepted, within = _RANGES[name.removeprefix("elastic_")]
    number = float(value) if isinstance(value, Real) and not isinstance(value, bool) else math.nan
    if not within(number):  # NaN fails every comparison
        raise ValueError(f"{name} must be a number in {accepted}; got {name}={value!r}")
    return number


def _per_image(name: str, value: ArrayLike, n: int) -> np.ndarray:
    """A number or an array ``(n,)`` as a float array ``(n,)``."""
    array = np.asarray(value)
    if (
        array.dtype.kind not in "fiu"
        or array.shape not in ((), (n,))
        or not np.isfinite(array).all()
    ):
        got = f"{value!r}" if array.ndim == 0 else f"an array of shape {array.shape}"
        raise ValueError(
            f"{name} must be a finite number or an array of shape ({n},), one per image; got {got}"
        )
    return np.broadcast_to(array.astype(np.float64), (n,))
