"""Data: splits, distribution checks, normalization, augmentation, data sets and loaders."""

from .augment import (
    Augmenter,
    augmented_batches,
    crop_and_resize,
    elastic_distort,
    flip_horizontal,
    flip_vertical,
    rotate,
)
from .dataset import Dataset
from .datasets import blobs, circles, moons, noisy, spiral, xor
from .distributions import DistributionComparison, compare_distributions
from .files import load_image_folder, load_npz
from .loaders import DATASET_NAMES, load_data
from .normalize import Standardizer
from .split import Part, Split, split
from .tables import load_csv

__all__ = [
    "DATASET_NAMES",
    "Augmenter",
    "Dataset",
    "DistributionComparison",
    "Part",
    "Split",
    "Standardizer",
    "augmented_batches",
    "blobs",
    "circles",
    "compare_distributions",
    "crop_and_resize",
    "elastic_distort",
    "flip_horizontal",
    "flip_vertical",
    "load_csv",
    "load_data",
    "load_image_folder",
    "load_npz",
    "moons",
    "noisy",
    "rotate",
    "spiral",
    "split",
    "xor",
]
