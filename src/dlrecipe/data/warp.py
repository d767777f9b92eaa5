"""The warp under every augmentation: one affine map per image, one resampling per batch.

Maps are ``(n, 3, 3)`` in homogeneous coordinates, taking an output pixel ``(row, col, 1)``
to the source pixel it is read from, so composing transforms is a matrix product; an optional
displacement field ``(n, 2, h, w)`` moves the output pixels first (elastic distortions).
:func:`resample` then reads every image of the batch in a single call of
``scipy.ndimage.map_coordinates``: bilinear (a value never leaves the input's range), with the
nearest edge pixel where the source lies outside the image.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


# Maps are (n, 3, 3) in homogeneous coordinates, taking an output pixel (row, col, 1) to the
# source pixel it is read from; composing transforms is a matrix product.
def scale_shift(
    scale_rows: np.ndarray, scale_cols: np.ndarray, shift_rows: np.ndarray, shift_cols: np.ndarray
) -> np.ndarray:
    """``(row, col) -> (scale_rows · row + shift_rows, scale_cols · col + shift_cols)``."""
    A = np.zeros((len(scale_rows), 3, 3))
    A[:, 0, 0], A[:, 1, 1], A[:, 2, 2] = scale_rows, scale_cols, 1.0
    A[:, 0, 2], A[:, 1, 2] = shift_rows, shift_cols
    return A


def rotation(degrees: np.ndarray, h: int, w: int) -> np.ndarray:
    # Output pixel p reads source c + R (p - c) about the centre c. With rows pointing down,
    # R = [[cos, sin], [-sin, cos]] turns the picture counter-clockwise by θ (θ = 90°: np.rot90).
    theta = np.deg2rad(degrees)
    cos, sin = np.cos(theta), np.sin(theta)
    centre = np.array([(h - 1) / 2, (w - 1) / 2])
    A = np.zeros((len(theta), 3, 3))
    A[:, 0, 0], A[:, 0, 1], A[:, 1, 0], A[:, 1, 1], A[:, 2, 2] = cos, sin, -sin, cos, 1.0
    A[:, :2, 2] = centre - A[:, :2, :2] @ centre
    return A


def displacement_field(
    rng: np.random.Generator, n: int, h: int, w: int, alpha: float, sigma: float
) -> np.ndarray:
    """Simard et al.'s field ``(n, 2, h, w)``: uniform noise, Gaussian-smoothed per image."""
    from scipy import ndimage  # imported here, not at the top: it takes ~0.3 s to load

    noise = rng.uniform(-1.0, 1.0, size=(n, 2, h, w))
    return alpha * ndimage.gaussian_filter(noise, sigma=(0, 0, sigma, sigma))


def resample(
    images: np.ndarray, affine: np.ndarray, displacement: np.ndarray | None = None
) -> np.ndarray:
    """``output[i](p) = images[i](affine[i] @ (p + displacement[i](p)))``, bilinear, in one call.

    The images and their channels are stacked as planes ``(n * channels, h, w)``; the plane
    axis is sampled at integer coordinates, so no plane ever blends into the next.
    """
    from scipy import ndimage  # imported here, not at the top: it takes ~0.3 s to load

    n, h, w = images.shape[:3]
    channels = images.shape[3] if images.ndim == 4 else 1
    if n == 0:
        return images.copy()
    planes = np.moveaxis(images, 3, 1) if images.ndim == 4 else images  # (n, channels, h, w)
    if images.dtype.kind == "f" and not np.isfinite(images).all():
        i = int(np.argwhere(~np.isfinite(images))[0, 0])
        raise ValueError(
            f"image {i} contains NaN or infinite values; remove or impute them first "
            "(interpolation would spread them to neighbouring pixels and images)"
        )
    points = np.broadcast_to(np.indices((h, w), dtype=np.float64), (n, 2, h, w))
    if displacement is not None:
        points = points + displacement
    M, t = affine[:, :2, :2], affine[:, :2, 2]
    source = np.einsum("nij,njhw->nihw", M, points) + t[:, :, None, None]  # (n, 2, h, w)
    coordinates = np.empty((3, n, channels, h, w))
    coordinates[0] = np.arange(n * channels).reshape(n, channels, 1, 1)
    coordinates[1:] = np.moveaxis(source, 1, 0)[:, :, None]
    warped = ndimage.map_coordinates(
        np.asarray(planes, dtype=np.float64).reshape(n * channels, h, w),
        coordinates.reshape(3, n * channels, h, w),
        order=1,
        mode="nearest",
    ).reshape(n, channels, h, w)
    warped = np.moveaxis(warped, 1, 3) if images.ndim == 4 else warped[:, 0]
    if images.dtype.kind in "iu":
        info = np.iinfo(images.dtype)
        warped = np.clip(np.rint(warped), info.min, info.max)
    return np.ascontiguousarray(warped, dtype=images.dtype)


def check_images(images: ArrayLike) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim not in (3, 4) or 0 in images.shape[1:]:
        hint = (
            "; for rows of flattened images reshape to (n, height, width) first, or use "
            "Augmenter(image_shape=(height, width))"
            if images.ndim == 2
            else ""
        )
        raise ValueError(
            "images must have shape (n, height, width) or (n, height, width, channels) with "
            f"height, width, channels >= 1; got shape {images.shape}{hint}"
        )
    if images.dtype.kind not in "fiu":
        raise ValueError(f"images must hold numbers; got an array of dtype {images.dtype}")
    return images
