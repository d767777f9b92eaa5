"""Data: generated data sets for demos and tests."""

from .datasets import circles

__all__ = ["circles"]
