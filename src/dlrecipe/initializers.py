"""Weight initializers such as ``initializers.he(gain=1.5)``; see ``dlrecipe.nn.initializers``."""

from .nn.initializers import Initializer, from_config, glorot, he, random, xavier, zeros

__all__ = ["Initializer", "from_config", "glorot", "he", "random", "xavier", "zeros"]
