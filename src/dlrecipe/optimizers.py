"""Optimizers such as ``optimizers.Adam(beta1=0.9)``; see ``dlrecipe.nn.optimizers``."""

from .nn.optimizers import Adam, GradientDescent, Momentum, Optimizer, RMSprop, get_optimizer

__all__ = ["Adam", "GradientDescent", "Momentum", "Optimizer", "RMSprop", "get_optimizer"]
