"""Learning-rate decay: the learning rate α of each epoch from the initial one, α₀.

A schedule is called as ``schedule(learning_rate0, epoch)``, with epochs counted from 0::

    constant       α = α₀
    inverse_time   α = α₀ / (1 + decay_rate · ⌊epoch / interval⌋)
    exponential    α = base^epoch · α₀
    inverse_sqrt   α = k / √(epoch + 1) · α₀

``inverse_time`` with ``interval=1`` is the textbook's ``α = α₀ / (1 + decay_rate ·
epoch_num)``; a larger ``interval`` is its scheduled variant, which lowers α in steps, once every
``interval`` epochs (a staircase). Every schedule starts at α₀ for epoch 0 (``inverse_sqrt``
at k · α₀).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral
from typing import Any, ClassVar

from ..validation import is_finite_number


@dataclass(frozen=True)
class Schedule:
    """What every schedule shares; use Constant, InverseTime, Exponential or InverseSqrt."""

    name: ClassVar[str]

    def __call__(self, learning_rate0: float, epoch: int) -> float:
        """The learning rate of ``epoch`` (0, 1, 2, …) for the initial one ``learning_rate0``."""
        if isinstance(epoch, bool) or not isinstance(epoch, Integral) or epoch < 0:
            raise ValueError(f"epoch must be an int >= 0 (counted from 0); got epoch={epoch!r}")
        return float(learning_rate0 * self.factor(int(epoch)))

    def factor(self, epoch: int) -> float:
        """α / α₀ at ``epoch``."""
        raise NotImplementedError

    def to_config(self) -> dict[str, Any]:
        """The arguments, JSON-serializable: ``{"name": "inverse_time", "decay_rate": 1.0, …}``."""
        return {"name": self.name, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class Constant(Schedule):
    """α = α₀ at every epoch."""

    name: ClassVar[str] = "constant"

    def factor(self, epoch: int) -> float:
        return 1.0


@dataclass(frozen=True)
class InverseTime(Schedule):
    """α = α₀ / (1 + decay_rate · ⌊epoch / interval⌋), lowered once every ``interval`` epochs."""

    decay_rate: float = 1.0
    interval: int = 1
    name: ClassVar[str] = "inverse_time"

    def __post_init__(self) -> None:
        if not is_finite_number(self.decay_rate) or self.decay_rate < 0:
            raise ValueError(
                f"decay_rate must be a finite number >= 0; got decay_rate={self.decay_rate!r}. "
                "0 keeps α constant; the textbook's example uses 1"
            )
        object.__setattr__(self, "decay_rate", float(self.decay_rate))
        if isinstance(self.interval, bool) or not isinstance(self.interval, Integral):
            raise ValueError(
                f"interval must be a whole number of epochs >= 1; got interval={self.interval!r}"
            )
        if self.interval < 1:
            raise ValueError(
                f"interval must be a whole number of epochs >= 1; got interval={self.interval!r}. "
                "Use interval=1 to decay at every epoch"
            )
        object.__setattr__(self, "interval", int(self.interval))

    def factor(self, epoch: int) -> float:
        return 1.0 / (1.0 + self.decay_rate * (epoch // self.interval))


@dataclass(frozen=True)
class Exponential(Schedule):
    """α = base^epoch · α₀ (0.95 halves α about every 13.5 epochs)."""

    base: float = 0.95
    name: ClassVar[str] = "exponential"

    def __post_init__(self) -> None:
        if not is_finite_number(self.base) or not 0 < self.base <= 1:
            raise ValueError(
                f"base must be a number in (0, 1]; got base={self.base!r}. "
                "1 keeps α constant; the usual value is 0.95"
            )
        object.__setattr__(self, "base", float(self.base))

    def factor(self, epoch: int) -> float:
        return self.base**epoch


@dataclass(frozen=True)
class InverseSqrt(Schedule):
    """α = k / √(epoch + 1) · α₀."""

    k: float = 1.0
    name: ClassVar[str] = "inverse_sqrt"

    def __post_init__(self) -> None:
        if not is_finite_number(self.k) or not self.k > 0:
            raise ValueError(f"k must be a finite number > 0; got k={self.k!r}. Usually k = 1")
        object.__setattr__(self, "k", float(self.k))

    def factor(self, epoch: int) -> float:
        return self.k / math.sqrt(epoch + 1)


SCHEDULES: dict[str, type[Schedule]] = {
    cls.name: cls for cls in (Constant, InverseTime, Exponential, InverseSqrt)
}


def from_config(config: Mapping[str, Any]) -> Schedule:
    """Rebuild a schedule from :meth:`Schedule.to_config`."""
    config = dict(config)
    name = config.pop("name", None)
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; expected one of {sorted(SCHEDULES)}")
    cls = SCHEDULES[name]
    accepted = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(config) - set(accepted))
    if unknown:
        raise ValueError(f"schedule {name!r} has no argument {unknown}; it takes {accepted}")
    return cls(**config)


def get_schedule(spec: str | Schedule | Mapping[str, Any] | None) -> Schedule:
    """A schedule from None (constant), a name (default arguments), an instance or a config."""
    if spec is None:
        return Constant()
    if isinstance(spec, Schedule):
        return spec
    if isinstance(spec, str):
        return from_config({"name": spec})
    if isinstance(spec, Mapping):
        return from_config(spec)
    raise TypeError(
        f"schedule must be None, a name {sorted(SCHEDULES)}, a Schedule or a config dict; "
        f"got {type(spec).__name__}"
    )
