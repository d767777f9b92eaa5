"""dlrecipe.data.augment: label-preserving image transforms, checked on what they do to pictures.

Hand-drawn 7×7 arrows pin the direction of flips and rotations exactly. A horizontal ramp
(pixel value = column index) makes the warp readable: bilinear resampling of a linear image is
exact, so each output pixel holds the column it was taken from. Scikit-learn's 8×8 digits with
class-mean templates (nearest template by correlation) show that small rotations and elastic
distortions keep a digit recognizable while a 90° turn does not. Statistical checks use fixed
seeds and tolerances of 5 standard errors.
"""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest
from sklearn.datasets import load_digits

from dlrecipe.data.augment import (
    Augmenter,
    augmented_batches,
    crop_and_resize,
    elastic_distort,
    flip_horizontal,
    flip_vertical,
    rotate,
)


def picture(*rows: str) -> np.ndarray:
    """A float image (height, width) from rows of '#' (1.0) and '.' (0.0)."""
    return np.array([[1.0 if ch == "#" else 0.0 for ch in row] for row in rows])


RIGHT = picture(
    ".......",
    "....#..",
    ".....#.",
    "#######",
    ".....#.",
    "....#..",
    ".......",
)
LEFT = picture(
    ".......",
    "..#....",
    ".#.....",
    "#######",
    ".#.....",
    "..#....",
    ".......",
)
UP = picture(  # RIGHT turned a quarter counter-clockwise
    "...#...",
    "..###..",
    ".#.#.#.",
    "...#...",
    "...#...",
    "...#...",
    "...#...",
)
DOWN = UP[::-1].copy()


def batch(*images: np.ndarray) -> np.ndarray:
    return np.stack(images)


def ramp(n: int, size: int = 9) -> np.ndarray:
    """``n`` images (size, size) whose pixel value is the column index."""
    return np.broadcast_to(np.arange(size, dtype=np.float64), (n, size, size)).copy()


# --- flips -------------------------------------------------------------------------------------
def test_a_flipped_right_arrow_points_left():
    np.testing.assert_array_equal(flip_horizontal(batch(RIGHT)), batch(LEFT))
    np.testing.assert_array_equal(flip_horizontal(batch(LEFT)), batch(RIGHT))


def test_a_vertically_flipped_up_arrow_points_down():
    np.testing.assert_array_equal(flip_vertical(batch(UP)), batch(DOWN))
    # a left-right symmetric picture is its own mirror, but not upside down
    np.testing.assert_array_equal(flip_horizontal(batch(UP)), batch(UP))


@pytest.mark.parametrize("flip", [flip_horizontal, flip_vertical])
@pytest.mark.parametrize("shape", [(4, 5, 6), (4, 5, 6, 3)])
def test_flipping_twice_is_the_identity(flip, shape):
    images = np.random.default_rng(0).random(shape)
    once = flip(images)
    assert once.shape == images.shape
    assert not np.array_equal(once, images)
    np.testing.assert_array_equal(flip(once), images)


def test_augmenter_never_turns_images_upside_down_unless_asked():
    n = 2000
    images = np.broadcast_to(UP, (n, 7, 7))  # heavy at the top: its tip and arms
    augmenter = Augmenter(flip_horizontal=True, max_rotation=10.0, crop=0.1)
    out = augmenter(images, np.random.default_rng(1))
    assert (out[:, :3].sum(axis=(1, 2)) > out[:, 4:].sum(axis=(1, 2))).all()

    out = Augmenter(flip_vertical=True)(images, np.random.default_rng(2))
    upside_down = np.all(out == DOWN, axis=(1, 2))
    assert np.all(upside_down | np.all(out == UP, axis=(1, 2)))
    assert abs(upside_down.mean() - 0.5) < 5 * np.sqrt(0.25 / n)


def test_augmenter_flips_about_half_the_images_horizontally():
    n = 4000
    images = np.broadcast_to(RIGHT, (n, 7, 7))
    out = Augmenter()(images, np.random.default_rng(3))
    mirrored = np.all(out == LEFT, axis=(1, 2))
    assert np.all(mirrored | np.all(out == RIGHT, axis=(1, 2)))  # nothing else happens
    assert abs(mirrored.mean() - 0.5) < 5 * np.sqrt(0.25 / n)


# --- rotations ---------------------------------------------------------------------------------
def test_positive_degrees_rotate_counter_clockwise():
    np.testing.assert_allclose(rotate(batch(RIGHT), 90), batch(UP), atol=1e-12)
    np.testing.assert_allclose(rotate(batch(UP), 90), batch(LEFT), atol=1e-12)
    np.testing.assert_allclose(rotate(batch(RIGHT), -90), batch(DOWN), atol=1e-12)
    np.testing.assert_allclose(rotate(batch(RIGHT), 180), batch(LEFT), atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 6, 6), (3, 5, 5, 3)])
def test_rotate_90_is_rot90_and_0_is_the_identity(shape):
    images = np.random.default_rng(4).random(shape)
    np.testing.assert_allclose(rotate(images, 90), np.rot90(images, axes=(1, 2)), atol=1e-12)
    np.testing.assert_array_equal(rotate(images, 0), images)


def test_rotate_takes_one_angle_per_image():
    images = np.stack([RIGHT, RIGHT, RIGHT])
    out = rotate(images, np.array([0.0, 90.0, 180.0]))
    np.testing.assert_allclose(out, np.stack([RIGHT, np.rot90(RIGHT), LEFT]), atol=1e-12)
    with pytest.raises(
        ValueError, match=r"degrees must be a finite number or an array of shape \(3,\)"
    ):
        rotate(images, [0.0, 90.0])


def test_rotate_keeps_uint8_images_exact_on_the_integer_grid():
    images = np.random.default_rng(5).integers(0, 256, size=(2, 6, 6), dtype=np.uint8)
    out = rotate(images, 90)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, np.rot90(images, axes=(1, 2)))


def test_pixels_from_outside_the_image_copy_the_nearest_edge():
    # mode="nearest": a warp brings in no black corners, so a plain image stays plain
    gray = np.full((5, 8, 8), 0.5)
    np.testing.assert_allclose(rotate(gray, 30), gray)
    warped = Augmenter(max_rotation=45, crop=0.5, elastic_alpha=30, elastic_sigma=2)(
        gray, np.random.default_rng(8)
    )
    np.testing.assert_allclose(warped, gray)


@pytest.fixture(scope="module")
def digits():
    """Test half of the 8×8 digits and a nearest-template classifier built on the other half."""
    data = load_digits()
    train = np.arange(len(data.target)) % 2 == 0
    templates = np.stack([data.images[train & (data.target == k)].mean(axis=0) for k in range(10)])

    def unit_rows(images):
        rows = images.reshape(len(images), -1)
        rows = rows - rows.mean(axis=1, keepdims=True)
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)

    def accuracy(images, labels):
        predicted = (unit_rows(images) @ unit_rows(templates).T).argmax(axis=1)
        return float(np.mean(predicted == labels))

    return data.images[~train], data.target[~train], accuracy


def test_small_rotations_keep_digits_recognizable_and_90_degrees_does_not(digits):
    images, labels, accuracy = digits
    original = accuracy(images, labels)
    assert original > 0.85
    angles = np.random.default_rng(6).uniform(-10, 10, size=len(images))
    assert accuracy(rotate(images, angles), labels) > original - 0.03  # as the Augmenter draws
    for degrees in (-10, 10):  # the extreme angle costs a few points on 8×8 pixels
        assert accuracy(rotate(images, degrees), labels) > original - 0.08
    assert accuracy(rotate(images, 90), labels) < 0.3


def test_augmenter_rotation_angles_are_uniform_in_the_range():
    # on a ramp, the value one row below the centre minus the centre's is sin θ
    out = Augmenter(flip_horizontal=False, max_rotation=20.0)(ramp(500), np.random.default_rng(7))
    degrees = np.rad2deg(np.arcsin(out[:, 5, 4] - out[:, 4, 4]))
    assert -20 - 1e-9 <= degrees.min() < -18
    assert 18 < degrees.max() <= 20 + 1e-9
    assert abs(np.mean(degrees > 0) - 0.5) < 5 * np.sqrt(0.25 / 500)


# --- crop and resize ---------------------------------------------------------------------------
def test_cropping_the_whole_image_is_the_identity():
    images = np.random.default_rng(8).random((3, 6, 7, 2))
    out = crop_and_resize(images, top=0, left=0, height=6, width=7)
    np.testing.assert_array_equal(out, images)


def test_crop_of_the_black_half_is_all_black():
    half_and_half = np.zeros((1, 8, 8))
    half_and_half[:, :, 4:] = 1.0
    left_half = crop_and_resize(half_and_half, top=0, left=0, height=8, width=4)
    np.testing.assert_array_equal(left_half, np.zeros((1, 8, 8)))
    right_half = crop_and_resize(half_and_half, top=0, left=4, height=8, width=4)
    np.testing.assert_array_equal(right_half, np.ones((1, 8, 8)))


def test_a_centred_zoom_keeps_the_centre_pixel_and_stretches_the_rest():
    images = np.random.default_rng(9).random((4, 9, 9))
    out = crop_and_resize(images, top=2, left=2, height=5, width=5)
    np.testing.assert_array_equal(out[:, 4, 4], images[:, 4, 4])
    np.testing.assert_array_equal(out[:, ::2, ::2], images[:, 2:7, 2:7])  # twice the size
    zoomed_ramp = crop_and_resize(ramp(1), top=2, left=2, height=5, width=5)
    np.testing.assert_allclose(zoomed_ramp[0, 0], np.linspace(2, 6, 9))


def test_crop_windows_can_differ_per_image():
    images = ramp(3)
    out = crop_and_resize(images, top=0, left=np.array([0.0, 2.0, 4.0]), height=9, width=5)
    np.testing.assert_allclose(out[:, 0, 0], [0.0, 2.0, 4.0])
    np.testing.assert_allclose(out[:, 0, -1], [4.0, 6.0, 8.0])


@pytest.mark.parametrize(
    ("window", "match"),
    [
        ({"top": 0, "left": 5, "height": 8, "width": 4}, r"image 0 \(left=5, width=4\).*<= 8"),
        ({"top": -1, "left": 0, "height": 8, "width": 8}, r"image 0 \(top=-1, height=8\)"),
        ({"top": 0, "left": 0, "height": 0.5, "width": 8}, r"need top >= 0, height >= 1"),
        ({"top": 0, "left": [0, 9], "height": 8, "width": 8}, r"image 1 \(left=9"),
    ],
)
def test_crop_windows_outside_the_image_are_refused(window, match):
    with pytest.raises(ValueError, match=match):
        crop_and_resize(np.zeros((2, 8, 8)), **window)


def test_augmenter_crops_windows_of_70_to_100_percent_with_the_aspect_ratio_kept():
    # channel 0 holds the column index, channel 1 the row index: the output reads the window
    crop, size, n = 0.3, 9, 500
    rows, cols = np.indices((size, size), dtype=np.float64)
    images = np.broadcast_to(np.stack([cols, rows], axis=-1), (n, size, size, 2))
    out = Augmenter(flip_horizontal=False, crop=crop)(images, np.random.default_rng(10))
    left, top = out[:, 0, 0, 0], out[:, 0, 0, 1]
    scale = (out[:, 0, -1, 0] - left) / (size - 1)  # the window's side / the image's side
    np.testing.assert_allclose((out[:, -1, 0, 1] - top) / (size - 1), scale)  # same for rows
    assert (scale >= 1 - crop - 1e-12).all()
    assert (scale <= 1 + 1e-12).all()
    assert scale.min() < 1 - crop + 0.02
    assert scale.max() > 0.98
    for start in (left, top):  # the window lies inside the image, anywhere
        assert (start >= 0).all()
        assert (start + scale * (size - 1) <= size - 1 + 1e-12).all()
        assert abs(np.mean(start > (size - 1) * (1 - scale) / 2) - 0.5) < 5 * np.sqrt(0.25 / n)


# --- elastic distortion ------------------------------------------------------------------------
def test_elastic_with_alpha_zero_is_the_identity():
    images = np.random.default_rng(11).random((3, 8, 8))
    out = elastic_distort(images, np.random.default_rng(0), alpha=0.0, sigma=3.0)
    np.testing.assert_array_equal(out, images)


def test_elastic_is_reproducible_and_differs_between_seeds():
    images = np.random.default_rng(12).random((3, 8, 8))
    first = elastic_distort(images, np.random.default_rng(1), alpha=4.0, sigma=3.0)
    again = elastic_distort(images, np.random.default_rng(1), alpha=4.0, sigma=3.0)
    other = elastic_distort(images, np.random.default_rng(2), alpha=4.0, sigma=3.0)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_elastic_displacement_is_proportional_to_alpha():
    # on a ramp, output - input is the horizontal displacement (away from the clamped edges)
    images = ramp(20, size=32)
    moved = {
        alpha: (elastic_distort(images, np.random.default_rng(3), alpha=alpha, sigma=4.0) - images)
        for alpha in (1.0, 2.0, 8.0)
    }
    interior = np.s_[:, :, 4:-4]
    assert np.abs(moved[1.0][interior]).max() < 1  # within the interior, nothing is clamped
    assert np.abs(moved[1.0][interior]).mean() > 0.01
    for alpha in (2.0, 8.0):
        np.testing.assert_allclose(moved[alpha][interior], alpha * moved[1.0][interior], atol=1e-9)


def test_elastic_output_stays_in_the_input_range():
    images = np.random.default_rng(13).uniform(-3.0, 5.0, size=(10, 12, 12))
    out = elastic_distort(images, np.random.default_rng(4), alpha=30.0, sigma=2.0)
    assert out.min() >= images.min()
    assert out.max() <= images.max()
    assert not np.allclose(out, images)


def test_moderate_elastic_distortion_keeps_digits_recognizable(digits):
    images, labels, accuracy = digits
    # alpha=4, sigma=3 moves 8×8 pixels by ~0.4 px (rms), as alpha=34, sigma=4 does on 28×28
    out = elastic_distort(images, np.random.default_rng(5), alpha=4.0, sigma=3.0)
    assert accuracy(out, labels) > accuracy(images, labels) - 0.1
    assert accuracy(out, labels) > 0.75


# --- Augmenter ---------------------------------------------------------------------------------
FULL = {"flip_vertical": True, "max_rotation": 15.0, "crop": 0.2, "elastic_alpha": 4.0}


@pytest.mark.parametrize(
    ("shape", "image_shape"),
    [((6, 8, 10), None), ((6, 8, 10, 3), None), ((6, 80), (8, 10)), ((6, 240), (8, 10, 3))],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
def test_augmenter_keeps_shape_and_dtype_and_never_writes_to_x(shape, image_shape, dtype):
    X = (np.random.default_rng(14).random(shape) * 255).astype(dtype)
    X.setflags(write=False)
    before = X.copy()
    augmenter = Augmenter(image_shape=image_shape, **FULL)
    out = augmenter(X, np.random.default_rng(0))
    assert out.shape == X.shape
    assert out.dtype == X.dtype
    assert out.flags.writeable
    assert not np.shares_memory(out, X)
    np.testing.assert_array_equal(X, before)
    assert not np.array_equal(out, X)
    np.testing.assert_array_equal(out, augmenter(X, np.random.default_rng(0)))  # same seed
    assert not np.array_equal(out, augmenter(X, np.random.default_rng(1)))


def test_flattened_rows_are_warped_as_their_images():
    images = np.random.default_rng(15).random((5, 8, 10, 3))
    rows = images.reshape(5, -1)
    augmenter = Augmenter(image_shape=(8, 10, 3), **FULL)
    as_rows = augmenter(rows, np.random.default_rng(2))
    as_images = Augmenter(**FULL)(images, np.random.default_rng(2))
    np.testing.assert_array_equal(as_rows, as_images.reshape(5, -1))


def test_every_channel_gets_the_same_warp():
    gray = np.random.default_rng(16).random((20, 9, 9))
    rgb = np.repeat(gray[..., None], 3, axis=3)
    out = Augmenter(**FULL)(rgb, np.random.default_rng(3))
    np.testing.assert_array_equal(out[..., 0], out[..., 1])
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    np.testing.assert_array_equal(out[..., 0], Augmenter(**FULL)(gray, np.random.default_rng(3)))


def test_randomness_comes_only_from_the_generator_passed_in():
    X = np.random.default_rng(17).random((4, 8, 8))
    outputs = []
    saved = np.random.get_state()  # noqa: NPY002 - the global state must not matter
    try:
        for global_seed in (0, 1):
            np.random.seed(global_seed)  # noqa: NPY002
            outputs.append(Augmenter(**FULL)(X, np.random.default_rng(5)))
    finally:
        np.random.set_state(saved)  # noqa: NPY002
    np.testing.assert_array_equal(outputs[0], outputs[1])
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        Augmenter()(X, 0)


def test_config_round_trips_through_json():
    augmenter = Augmenter(image_shape=(28, 28), max_rotation=10, crop=0.1, elastic_alpha=34)
    config = json.loads(json.dumps(augmenter.to_config()))
    assert Augmenter.from_config(config) == augmenter
    assert config["max_rotation"] == 10.0
    assert config["image_shape"] == [28, 28]
    with pytest.raises(ValueError, match=r"unknown Augmenter option\(s\) \['rotation'\]"):
        Augmenter.from_config({"rotation": 10})


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"crop": 1.0}, r"crop must be a number in \[0, 1\); got crop=1.0"),
        ({"crop": -0.1}, r"crop must be a number in \[0, 1\)"),
        ({"max_rotation": 90}, r"max_rotation must be a number in \[0, 45\] degrees; got .*=90"),
        ({"max_rotation": float("nan")}, r"max_rotation must be a number"),
        ({"elastic_alpha": -1.0}, r"elastic_alpha must be a number in \[0, ∞\)"),
        ({"elastic_sigma": 0.0}, r"elastic_sigma must be a number in \(0, ∞\)"),
        ({"elastic_sigma": "4"}, r"elastic_sigma must be a number"),
        ({"flip_horizontal": 1}, r"flip_horizontal must be True or False; got flip_horizontal=1"),
        ({"image_shape": (28,)}, r"image_shape must be \(height, width\) or"),
        ({"image_shape": (28, 0)}, r"positive integers.*got image_shape=\(28, 0\)"),
        ({"image_shape": (2, 2, 2, 2)}, r"image_shape must be"),
    ],
)
def test_bad_augmenter_options_are_refused(options, match):
    with pytest.raises(ValueError, match=match):
        Augmenter(**options)


@pytest.mark.parametrize(
    ("X", "image_shape", "match"),
    [
        (np.zeros((4, 64)), None, r"got shape \(4, 64\); for rows of flattened images"),
        (np.zeros((4, 8, 8, 1, 1)), None, r"\(n, height, width\) or \(n, height, width, channels"),
        (np.zeros((4, 63)), (8, 8), r"image_shape=\(8, 8\).*\(n_samples, 64\); got shape \(4, 63"),
        (np.zeros((4, 8, 8)), (8, 8), r"got shape \(4, 8, 8\)"),
        (np.zeros((4, 8, 8), dtype=bool), None, r"images must hold numbers; got .* dtype bool"),
    ],
)
def test_bad_images_are_refused(X, image_shape, match):
    with pytest.raises(ValueError, match=match):
        Augmenter(image_shape=image_shape)(X, np.random.default_rng(0))


def test_non_finite_pixels_are_refused_rather_than_spread():
    images = np.zeros((3, 6, 6))
    images[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match="image 1 contains NaN or infinite values"):
        rotate(images, 10)
    np.testing.assert_array_equal(flip_horizontal(images)[1, 2, 2], np.nan)  # flips move pixels


# --- augmented_batches -------------------------------------------------------------------------
def test_batches_cover_every_example_once_with_its_own_label():
    n, batch_size = 103, 10
    X = np.random.default_rng(18).random((n, 6, 6))
    y = np.arange(n)  # the label is the example's index
    batches = list(
        augmented_batches(
            X, y, batch_size=batch_size, augmenter=Augmenter(), rng=np.random.default_rng(6)
        )
    )
    assert [len(y_batch) for _, y_batch in batches] == [10] * 10 + [3]
    labels = np.concatenate([y_batch for _, y_batch in batches])
    assert sorted(labels.tolist()) == list(range(n))
    assert not np.array_equal(labels, np.arange(n))  # shuffled
    flipped = 0
    for X_batch, y_batch in batches:
        assert X_batch.shape == (len(y_batch), 6, 6)
        for image, label in zip(X_batch, y_batch, strict=True):
            mirror = np.array_equal(image, X[label, :, ::-1])
            assert mirror or np.array_equal(image, X[label])
            flipped += mirror
    assert 0 < flipped < n


def test_batches_of_rows_keep_multi_column_labels():
    X = np.random.default_rng(19).random((9, 16))
    y = np.arange(18).reshape(9, 2)
    augmenter = Augmenter(image_shape=(4, 4), max_rotation=5.0)
    batches = list(
        augmented_batches(X, y, batch_size=4, augmenter=augmenter, rng=np.random.default_rng(0))
    )
    assert [X_batch.shape for X_batch, _ in batches] == [(4, 16), (4, 16), (1, 16)]
    labels = np.concatenate([y_batch for _, y_batch in batches])
    assert sorted(map(tuple, labels.tolist())) == [tuple(row) for row in y.tolist()]


def test_no_augmented_copy_of_the_data_set_is_made():
    X = np.random.default_rng(20).random((4000, 16, 16))  # 8 MB
    y = np.zeros(4000)
    augmenter = Augmenter(max_rotation=10.0, crop=0.1, elastic_alpha=4.0)
    tracemalloc.start()
    try:
        batches = augmented_batches(
            X, y, batch_size=32, augmenter=augmenter, rng=np.random.default_rng(0)
        )
        X_batch, _ = next(batches)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 10
    assert X_batch.base is None or X_batch.base.nbytes < X.nbytes / 10


def test_batch_arguments_are_checked_at_the_call():
    X, y = np.zeros((10, 8, 8)), np.zeros(10)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"X has 10 rows but y has shape \(9,\)"):
        augmented_batches(X, y[:9], batch_size=4, augmenter=Augmenter(), rng=rng)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1; got batch_size=0"):
        augmented_batches(X, y, batch_size=0, augmenter=Augmenter(), rng=rng)
    with pytest.raises(ValueError, match="for rows of flattened images"):
        augmented_batches(X.reshape(10, 64), y, batch_size=4, augmenter=Augmenter(), rng=rng)
    with pytest.raises(TypeError, match="augmenter must be an Augmenter"):
        augmented_batches(X, y, batch_size=4, augmenter=None, rng=rng)
