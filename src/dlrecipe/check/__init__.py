"""Checking: gradient checks of a model or of any cost/gradient pair.

* :func:`gradient_check` — the full check: every component of θ (or ``sample`` of each
  parameter), two-sided differences, a per-parameter table and the worst components. For a
  model it evaluates the J(θ ± εe_i) in batches (:mod:`.fast`, :mod:`.pieces`), each equal to a
  forward pass's to rounding: a 64-64-32-10 ReLU network on 300 examples takes ~0.1 s where
  the plain loop over its 13,140 forward passes takes ~2 s.
* :func:`gradient_check_directions` — the cheap check: the directional derivative along a few
  random unit vectors d, (J(θ + εd) − J(θ − εd)) / 2ε against dθ·d. About four forward passes
  per direction and one backward pass; it sees a bug anywhere but cannot say where.
* :class:`GradientCheckCallback` — the directional check every few epochs of ``model.fit``;
  on a failure it names the wrong parameters (a sampled full check), warns, and can stop.
* :func:`gradient_check_function` — the generic loop, for any ``cost(θ)`` / ``gradient(θ)``.
"""

from .callback import GradientCheckCallback, GradientCheckRecord, GradientCheckWarning
from .directional import DirectionalCheckResult, gradient_check_directions
from .gradient_check import gradient_check, gradient_check_function
from .result import Component, GradientCheckResult

__all__ = [
    "Component",
    "DirectionalCheckResult",
    "GradientCheckCallback",
    "GradientCheckRecord",
    "GradientCheckResult",
    "GradientCheckWarning",
    "gradient_check",
    "gradient_check_directions",
    "gradient_check_function",
]
