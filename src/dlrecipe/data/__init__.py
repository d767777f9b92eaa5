"""Data: splits, distribution checks, normalization, augmentation, data sets and loaders."""

from .datasets import circles
from .distributions import DistributionComparison, compare_distributions
from .normalize import Standardizer
from .split import Part, Split, split

__all__ = [
    "DistributionComparison",
    "Part",
    "Split",
    "Standardizer",
    "circles",
    "compare_distributions",
    "split",
]
