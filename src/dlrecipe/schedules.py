"""Learning-rate schedules such as ``schedules.InverseTime(decay_rate=1)`` (see nn.schedules)."""

from .nn.schedules import Constant, Exponential, InverseSqrt, InverseTime, Schedule, get_schedule

__all__ = ["Constant", "Exponential", "InverseSqrt", "InverseTime", "Schedule", "get_schedule"]
