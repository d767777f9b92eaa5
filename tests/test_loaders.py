"""Loaders: scikit-learn's bundled sets, CSV tables, .npz archives, image folders, load_data."""

import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dlrecipe.data.dataset import Dataset
from dlrecipe.data.datasets import moons, spiral
from dlrecipe.data.files import load_image_folder, load_npz
from dlrecipe.data.loaders import DATASET_NAMES, load_data
from dlrecipe.data.tables import load_csv


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


# --- built-in real data sets ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shape", "classes", "first_feature"),
    [
        ("digits", (1797, 64), tuple("0123456789"), "pixel_0_0"),
        ("breast_cancer", (569, 30), ("malignant", "benign"), "mean radius"),
        ("iris", (150, 4), ("setosa", "versicolor", "virginica"), "sepal length (cm)"),
        ("wine", (178, 13), ("class_0", "class_1", "class_2"), "alcohol"),
    ],
)
def test_builtin_sets(name, shape, classes, first_feature):
    data = load_data(name)
    assert isinstance(data, Dataset)
    assert data.name == name
    assert data.X.shape == shape
    assert data.X.dtype == np.float64
    assert data.y.shape == (shape[0],)
    assert data.y.dtype == np.int64
    assert data.classes == classes
    assert set(data.y.tolist()) == set(range(len(classes)))
    assert len(data.feature_names) == shape[1]
    assert data.feature_names[0] == first_feature


def test_digits_are_8x8_images_scaled_to_unit_interval():
    data = load_data("digits")
    assert data.image_shape == (8, 8)
    assert data.X.min() == 0.0
    assert data.X.max() == 1.0
    np.testing.assert_array_equal(data.X * 16, np.round(data.X * 16))  # gray levels 0 … 16
    X, y = data  # unpacks as two arrays
    assert X is data.X
    assert y is data.y


# --- CSV -------------------------------------------------------------------------------------


def test_csv_numeric_target_is_the_last_column_by_default(tmp_path):
    path = write(tmp_path / "train.csv", "a,b,label\n1,2,0\n3,4.5,1\n-1e3, 0 ,1\n")
    data = load_csv(path)
    np.testing.assert_array_equal(data.X, [[1, 2], [3, 4.5], [-1000, 0]])
    assert data.X.dtype == np.float64
    np.testing.assert_array_equal(data.y, [0, 1, 1])
    assert data.y.dtype == np.int64
    assert data.classes is None
    assert data.feature_names == ("a", "b")
    assert data.name == "train.csv"
    assert data.image_shape is None


def test_csv_real_valued_target_stays_float(tmp_path):
    data = load_csv(write(tmp_path / "r.csv", "x,price\n1,2.5\n2,3.0\n"))
    assert data.y.dtype == np.float64
    np.testing.assert_array_equal(data.y, [2.5, 3.0])


def test_csv_text_target_becomes_sorted_classes(tmp_path):
    text = 'species,w,h\ndog,1,2\ncat,3,4\n"cat, black",5,6\ndog,7,8\n'
    data = load_csv(write(tmp_path / "pets.csv", text), target="species")
    assert data.classes == ("cat", "cat, black", "dog")
    np.testing.assert_array_equal(data.y, [2, 0, 1, 2])
    assert data.feature_names == ("w", "h")
    np.testing.assert_array_equal(data.X, [[1, 2], [3, 4], [5, 6], [7, 8]])


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiter_is_guessed(tmp_path, delimiter):
    text = "\n".join(delimiter.join(row) for row in [["a", "b", "y"], ["1", "2", "0"]]) + "\n"
    data = load_csv(write(tmp_path / "d.csv", text))
    np.testing.assert_array_equal(data.X, [[1, 2]])
    assert data.feature_names == ("a", "b")


def test_csv_given_delimiter_bom_crlf_and_blank_lines(tmp_path):
    text = "\ufeffa;b\r\n\r\n1,5;0\r\n  \r\n2;1\r\n\r\n"
    path = write(tmp_path / "d.csv", text.replace("1,5", "1"))
    data = load_csv(path, delimiter=";")
    np.testing.assert_array_equal(data.X, [[1], [2]])
    np.testing.assert_array_equal(data.y, [0, 1])
    assert data.feature_names == ("a",)


def test_csv_line_numbers_count_blank_and_multiline_rows(tmp_path):
    text = 'a,b,y\n\n1,2,"two\nlines"\n3,,x\n'  # the empty cell is on line 5
    with pytest.raises(ValueError, match=r"d\.csv, line 5, column 'b': the cell is empty"):
        load_csv(write(tmp_path / "d.csv", text))


@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        ("a,b,y\n1,2,0\n3,,1\n", {}, r"bad\.csv, line 3, column 'b': the cell is empty"),
        (
            "a,b,y\n1,abc,0\n",
            {},
            r"line 2, column 'b': 'abc' is not a number; features must be numbers.*target='b'",
        ),
        ("a;b;y\n1;2,5;0\n", {}, r"line 2, column 'b': '2,5' is not a number; write decimals"),
        ("a,b,y\n1,2,0\nNaN,2,1\n", {}, r"line 3, column 'a': 'NaN' is not a finite number"),
        ("a,b,y\n1,inf,0\n", {}, r"line 2, column 'b': 'inf' is not a finite number"),
        ("a,b,y\n1,-Infinity,0\n", {}, r"column 'b': '-Infinity' is not a finite number"),
        ("a,b,y\n1,2,nan\n", {}, r"line 2, column 'y': 'nan' is not a finite number"),
        ("a,b,y\n1,2,cat\n3,4,nan\n", {}, r"line 3, column 'y': 'nan' is not a finite"),
        ("a,b,y\n1,2,cat\n3,4,\n", {}, r"line 3, column 'y': the cell is empty"),
        ("a,b,y\n1,2,0\n", {"target": "label"}, r"no column 'label'.*\['a', 'b', 'y'\]"),
        ("a,b,a\n1,2,0\n", {}, r"line 1: the header names column 'a' twice \(columns 1 and 3\)"),
        ("a,,y\n1,2,0\n", {}, r"line 1: column 2 of the header has no name"),
        ("a,b,y\n1,2,0\n1;2;0\n", {}, r"line 3: 1 cell but the header has 3 columns.*delim"),
        ("a,b,y\n1,2,0,4\n", {}, r"line 2: 4 cells but the header has 3 columns"),
        ("a,b,y\n", {}, r"bad\.csv has a header \(line 1\) but no data rows"),
        ("\n\n  \n", {}, r"bad\.csv holds only blank lines"),
        ("abc\n1\n", {}, r"cannot guess the delimiter, the header 'abc' has none of"),
        ("a,b;y\n1,2;0\n", {}, r"cannot guess the delimiter.*as many of each of ',' ';'"),
        ("y\n1\n", {"delimiter": ","}, r"has a single column, 'y', so no features.*delimiter ','"),
        ("a,b\n1,2\n", {"delimiter": ", "}, r"delimiter must be a single character"),
    ],
)
def test_csv_errors_name_file_line_column_and_value(tmp_path, text, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_csv(write(tmp_path / "bad.csv", text), **kwargs)


def test_csv_wrong_delimiter_says_which_was_used(tmp_path):
    path = write(tmp_path / "d.csv", "a,b,y\n1;2;0\n")
    with pytest.raises(ValueError, match=r"read with delimiter ',' \(guessed from the header\)"):
        load_csv(path)
    with pytest.raises(ValueError, match=r"read with delimiter ','[^(]*$"):
        load_csv(path, delimiter=",")


def test_csv_empty_file(tmp_path):
    with pytest.raises(ValueError, match=r"empty\.csv is empty \(0 bytes\)"):
        load_csv(write(tmp_path / "empty.csv", ""))


def test_csv_not_utf8_names_the_byte_offset(tmp_path):
    path = write(tmp_path / "latin.csv", "a,b,y\n1,2,café\n", encoding="latin-1")
    with pytest.raises(
        ValueError, match=r"latin\.csv is not UTF-8.*0xe9 at byte offset 13 \(line 2\)"
    ):
        load_csv(path)


def test_csv_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        load_csv(tmp_path / "nope.csv")


# --- .npz -----------------------------------------------------------------------------------


def test_npz_round_trip(tmp_path):
    X = np.arange(12).reshape(4, 3)
    np.savez(tmp_path / "a.npz", X=X, y=np.array([0, 1, 1, 0], dtype=np.int32), extra=np.ones(2))
    data = load_npz(tmp_path / "a.npz")
    np.testing.assert_array_equal(data.X, X)
    assert data.X.dtype == np.float64
    np.testing.assert_array_equal(data.y, [0, 1, 1, 0])
    assert data.y.dtype == np.int64
    assert data.feature_names == ("x1", "x2", "x3")
    assert data.name == "a.npz"
    assert data.classes is None
    assert data.image_shape is None


def test_npz_float_and_string_targets(tmp_path):
    np.savez(tmp_path / "f.npz", X=np.ones((2, 1)), y=np.array([0.5, 1.5]))
    assert load_npz(tmp_path / "f.npz").y.dtype == np.float64
    np.savez(tmp_path / "s.npz", X=np.ones((3, 1)), y=np.array(["dog", "cat", "dog"]))
    data = load_npz(tmp_path / "s.npz")
    assert data.classes == ("cat", "dog")
    np.testing.assert_array_equal(data.y, [1, 0, 1])


@pytest.mark.parametrize(
    ("shape", "image_shape", "last_name"),
    [((5, 4, 3), (4, 3), "pixel_3_2"), ((5, 2, 3, 3), (2, 3, 3), "pixel_1_2_2")],
)
def test_npz_images_are_flattened(tmp_path, shape, image_shape, last_name):
    images = np.random.default_rng(0).random(shape)
    np.savez(tmp_path / "im.npz", X=images, y=np.arange(5))
    data = load_npz(tmp_path / "im.npz")
    assert data.image_shape == image_shape
    np.testing.assert_array_equal(data.X, images.reshape(5, -1))
    np.testing.assert_array_equal(data.X[1].reshape(image_shape), images[1])
    assert data.feature_names[-1] == last_name
    assert len(data.feature_names) == data.X.shape[1]


@pytest.mark.parametrize(("missing", "present"), [("X", "y"), ("y", "X")])
def test_npz_missing_array_is_named(tmp_path, missing, present):
    np.savez(tmp_path / "m.npz", **{present: np.ones((2, 2)) if present == "X" else np.ones(2)})
    with pytest.raises(
        ValueError, match=rf"m\.npz has no array '{missing}'; it holds \['{present}'\]"
    ):
        load_npz(tmp_path / "m.npz")


class Trap:
    """Unpickling this creates the file ``marker``: proof that a loader ran pickle."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("key", ["X", "y"])
def test_npz_object_arrays_are_refused_without_unpickling(tmp_path, key):
    marker = tmp_path / "unpickled"
    pickle.loads(pickle.dumps(Trap(marker)))  # the trap works …
    assert marker.exists()
    marker.unlink()
    trap = np.array([Trap(marker), Trap(marker)], dtype=object)
    arrays = {"X": np.ones((2, 2)), "y": np.array([0, 1]), key: trap}
    np.savez(tmp_path / "o.npz", **arrays)
    with pytest.raises(ValueError, match=rf"o\.npz: array '{key}' holds Python objects.*never"):
        load_npz(tmp_path / "o.npz")
    assert not marker.exists()  # … and loading never sprang it


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (
            np.ones(3),
            np.ones(3),
            r"X must be numbers of shape .*got dtype float64 and shape \(3,\)",
        ),
        (np.array([["a"]]), np.ones(1), r"X must be numbers .*got dtype <U1"),
        (np.ones((0, 2)), np.ones(0), r"X has no rows \(shape \(0, 2\)\)"),
        (np.ones((3, 2)), np.ones(2), r"y must have shape \(3,\).*got shape \(2,\)"),
        (np.ones((3, 2)), np.ones((3, 1)), r"y must have shape \(3,\).*got shape \(3, 1\)"),
        (np.array([[1.0, np.nan]]), np.ones(1), r"X\[0, 1\] is nan; X must be finite"),
        (np.ones((2, 1)), np.array([0, np.inf]), r"y must be finite numbers or class names"),
    ],
)
def test_npz_bad_arrays(tmp_path, X, y, match):
    np.savez(tmp_path / "b.npz", X=X, y=y)
    with pytest.raises(ValueError, match=match):
        load_npz(tmp_path / "b.npz")


def test_npz_that_is_not_a_zip(tmp_path):
    with pytest.raises(ValueError, match=r"t\.npz is not an \.npz file \(not a zip archive\)"):
        load_npz(write(tmp_path / "t.npz", "X,y\n1,2\n"))
    np.save(tmp_path / "single.npy", np.ones(3))
    (tmp_path / "single.npy").rename(tmp_path / "single.npz")
    with pytest.raises(ValueError, match=r"single\.npz is not an \.npz file \(a single \.npy"):
        load_npz(tmp_path / "single.npz")


# --- image folders --------------------------------------------------------------------------


def save_image(path, pixels):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(path)


def gray(value, shape=(4, 3)):
    return np.full(shape, value)


@pytest.fixture
def pets(tmp_path):
    """dog/ holds two 4×3 gray images, cat/ one; a hidden file and a loose README."""
    root = tmp_path / "pets"
    save_image(root / "dog" / "b.png", gray(255))
    save_image(root / "dog" / "a.png", np.arange(12).reshape(4, 3) * 20)
    save_image(root / "cat" / "1.png", gray(51))
    (root / "dog" / ".DS_Store").write_bytes(b"\0junk")
    (root / "README.txt").write_text("not a class")
    return root


def test_image_folder_grayscale(pets):
    data = load_image_folder(pets)
    assert data.name == "pets"
    assert data.classes == ("cat", "dog")
    np.testing.assert_array_equal(data.y, [0, 1, 1])
    assert data.image_shape == (4, 3)
    assert data.X.shape == (3, 12)
    assert data.X.dtype == np.float64
    np.testing.assert_allclose(data.X[0], 0.2)
    np.testing.assert_allclose(data.X[1], np.arange(12) * 20 / 255)  # a.png before b.png
    np.testing.assert_allclose(data.X[2], 1.0)
    assert data.feature_names[:2] == ("pixel_0_0", "pixel_0_1")


def test_image_folder_rgb(tmp_path):
    red = np.zeros((2, 5, 3))
    red[..., 0] = 255
    save_image(tmp_path / "im" / "red" / "r.png", red)
    save_image(tmp_path / "im" / "gray" / "g.png", gray(0, (2, 5)))  # an "L" image, made RGB
    data = load_image_folder(tmp_path / "im", color="rgb")
    assert data.image_shape == (2, 5, 3)
    assert data.X.shape == (2, 30)
    np.testing.assert_array_equal(data.X[1].reshape(2, 5, 3), red / 255)
    np.testing.assert_array_equal(data.X[0], 0.0)
    assert data.feature_names[-1] == "pixel_1_4_2"
    grayscale = load_image_folder(tmp_path / "im")
    assert grayscale.image_shape == (2, 5)
    assert 0 < grayscale.X[1, 0] < 1  # red has a luminance between black and white


def test_image_folder_sizes_must_match_unless_resized(pets):
    save_image(pets / "cat" / "2.png", gray(51, (6, 7)))
    with pytest.raises(
        ValueError, match=r"2\.png is 6×7 \(height×width\) but .*1\.png is 4×3.*size=\(4, 3\)"
    ):
        load_image_folder(pets)
    data = load_image_folder(pets, size=(2, 5))
    assert data.image_shape == (2, 5)
    assert data.X.shape == (4, 10)
    np.testing.assert_allclose(data.X[0], 0.2)  # a flat image stays flat when resized


@pytest.mark.parametrize(
    ("arrange", "error", "match"),
    [
        (
            lambda root: (root / "cat" / "notes.txt").write_text("hi"),
            ValueError,
            r"notes\.txt is not an image",
        ),
        (
            lambda root: (root / "cat" / "sub").mkdir(),
            ValueError,
            r"sub is a folder; class folders",
        ),
        (lambda root: (root / "fish").mkdir(), ValueError, r"class folder .*fish holds no images"),
    ],
)
def test_image_folder_bad_contents(pets, arrange, error, match):
    arrange(pets)
    with pytest.raises(error, match=match):
        load_image_folder(pets)


def test_image_folder_needs_sub_folders(tmp_path):
    save_image(tmp_path / "flat" / "a.png", gray(0))
    with pytest.raises(ValueError, match=r"flat has no sub-folders"):
        load_image_folder(tmp_path / "flat")
    with pytest.raises(FileNotFoundError, match=r"no such folder: .*absent"):
        load_image_folder(tmp_path / "absent")
    with pytest.raises(ValueError, match=r"a\.png is not a folder"):
        load_image_folder(tmp_path / "flat" / "a.png")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"color": "RGBA"}, r"color must be 'grayscale' or 'rgb'; got color='RGBA'"),
        ({"size": 8}, r"size must be \(height, width\), two positive integers; got 8"),
        ({"size": (8, 0)}, r"size must be .*; got \(8, 0\)"),
    ],
)
def test_image_folder_bad_options(pets, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_image_folder(pets, **kwargs)


# --- load_data ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["blobs", "circles", "moons", "noisy", "spiral", "xor"])
def test_load_data_generated_sets(name):
    data = load_data(name, n_samples=40, noise=0.01, seed=3)
    assert data.name == name
    assert data.X.shape == (40, 2)
    assert data.feature_names == ("x1", "x2")
    assert data.classes is None


def test_load_data_passes_options_through():
    X, y = moons(50, noise=0.2, seed=1)
    data = load_data("moons", n_samples=50, noise=0.2, seed=1)
    np.testing.assert_array_equal(data.X, X)
    np.testing.assert_array_equal(data.y, y)
    X, y = spiral(40, n_classes=4, seed=2)
    np.testing.assert_array_equal(load_data("spiral", n_samples=40, n_classes=4, seed=2).y, y)
    with pytest.raises(ValueError, match=r"n_samples must be an integer"):
        load_data("xor", n_samples=0)


def test_dataset_names():
    assert DATASET_NAMES == (
        *("blobs", "breast_cancer", "circles", "digits", "iris"),
        *("moons", "noisy", "spiral", "wine", "xor"),
    )


def test_load_data_paths(tmp_path, pets):
    write(tmp_path / "train.CSV", "label,a\nyes,1\nno,2\n")
    data = load_data(str(tmp_path / "train.CSV"), target="label")
    assert data.classes == ("no", "yes")
    assert data.name == "train.CSV"
    write(tmp_path / "t.csv", "a;b\n1;2.5\n")
    assert load_data(tmp_path / "t.csv", delimiter=";").feature_names == ("a",)
    np.savez(tmp_path / "a.npz", X=np.ones((2, 3)), y=np.arange(2))
    assert load_data(tmp_path / "a.npz").X.shape == (2, 3)
    assert load_data(pets, size=(2, 2), color="rgb").image_shape == (2, 2, 3)


def test_a_name_wins_over_a_file_of_that_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "moons", "not data")
    assert load_data("moons").X.shape == (300, 2)


@pytest.mark.parametrize(
    ("source", "kwargs", "error", "match"),
    [
        ("moon", {}, ValueError, r"unknown data set 'moon'; expected one of \['blobs', .*existing"),
        ("missing.csv", {}, FileNotFoundError, r"no such file or folder: missing\.csv"),
        ("data/train", {}, FileNotFoundError, r"no such file or folder: data/train"),
        (Path("moon"), {}, FileNotFoundError, r"no such file or folder: moon"),
        (
            "notes.txt",
            {},
            ValueError,
            r"unknown suffix '\.txt'; expected one of \['\.csv', '\.npz'\]",
        ),
        (
            "moons",
            {"size": 3},
            ValueError,
            r"'moons' does not take \['size'\]; it takes only \['n_samples'",
        ),
        ("moons", {"target": "y"}, ValueError, r"'moons' does not take \['target'\]"),
        (
            "digits",
            {"seed": 0},
            ValueError,
            r"'digits' does not take \['seed'\]; it takes no options",
        ),
        ("a.npz", {"target": "y"}, ValueError, r"an \.npz file does not take \['target'\]"),
        (
            "a.csv",
            {"size": 2},
            ValueError,
            r"a \.csv file does not take \['size'\]; .*\['delimiter'\]",
        ),
        ("pets", {"seed": 1}, ValueError, r"a folder of images does not take \['seed'\]"),
        (3, {}, TypeError, r"source must be a data-set name or a path; got 3"),
    ],
)
def test_load_data_errors(tmp_path, monkeypatch, pets, source, kwargs, error, match):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "notes.txt", "x")
    write(tmp_path / "a.csv", "a,y\n1,0\n")
    np.savez(tmp_path / "a.npz", X=np.ones((2, 3)), y=np.arange(2))
    with pytest.raises(error, match=match):
        load_data(source, **kwargs)
