"""The one exception dlrecipe adds to Python's own."""


class NotFittedError(ValueError):
    """An object was used before ``fit`` gave it what it needs (e.g. a Standardizer's μ and σ)."""
