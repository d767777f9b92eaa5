"""The divergence guard, always on: a training whose cost explodes stops with a diagnosis.

It stops when J becomes NaN or infinite (checked after every mini-batch's forward pass, before
its update), when the weights are not finite before they are saved or returned, or when an
epoch ends with J more than ``factor`` times the first epoch's J. The error names the epoch,
shows the per-layer gradient norms — exploding gradients grow layer by layer towards the
input — suggests the likely fixes, and leaves the model with the weights that gave the lowest
cost so far.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..nn.parameters import packed, packed_vector
from .callbacks import Callback

if TYPE_CHECKING:
    from .history import History
    from .model import MLP

GROWTH_FACTOR = 100.0
# A fresh classifier's cross-entropy is about ln 2 per output; 100 means saturated outputs.
FIRST_COST_LIMIT = 100.0

# The last step's gradients, or a function that computes them: training that takes its steps
# inside backward (gradient descent) never writes them, and computes them only to report them.
Gradients = Mapping[str, np.ndarray] | Callable[[], Mapping[str, np.ndarray]]


class TrainingDiverged(FloatingPointError):
    """Raised when the cost diverges; ``epoch`` (0-based), ``gradient_norms`` and ``history``."""

    def __init__(
        self, message: str, *, epoch: int, gradient_norms: dict[str, float], history: History
    ):
        super().__init__(message)
        self.epoch = epoch
        self.gradient_norms = gradient_norms
        self.history = history


class DivergenceGuard(Callback):
    """Keeps the best weights (lowest J) and raises :class:`TrainingDiverged` on divergence.

    ``learning_rate``, ``init`` and ``normalized`` only shape the advice in the message.
    """

    def __init__(
        self,
        *,
        learning_rate: float,
        init: object = None,
        normalized: bool = True,
        factor: float = GROWTH_FACTOR,
    ) -> None:
        self.learning_rate = learning_rate
        self.init = init
        self.normalized = normalized
        self.factor = factor
        self.first_cost: float | None = None
        self.best_cost = math.inf
        self.best_epoch: int | None = None
        self.best_params: dict[str, np.ndarray] = {}
        self.start_params: dict[str, np.ndarray] = {}  # the weights the current epoch began with
        self._live: tuple[tuple[np.ndarray, ...], np.ndarray | None] = ((), None)
        self.history: History | None = None

    def on_train_begin(self, model: MLP, history: History) -> None:
        self.history = history
        self.start_params = packed(model.params)
        # Training keeps θ in one vector (see parameters.packed): then each epoch's copy of it
        # is one call, as long as the model keeps these arrays. Both buffers must lay θ out in
        # the model's order for that, best weights loaded from a checkpoint included.
        self._live = (tuple(model.params.values()), packed_vector(model.params))
        if self.best_params.keys() == model.params.keys():
            self.best_params = packed({name: self.best_params[name] for name in model.params})

    def check_batch(self, model: MLP, epoch: int, cost: float, grads: Gradients) -> None:
        """After a mini-batch's forward pass: a non-finite J stops before any update."""
        if not math.isfinite(cost):
            self._stop(model, epoch, f"the cost J became {cost}", grads)

    def check_weights(self, model: MLP, epoch: int, grads: Gradients) -> None:
        """Before weights are saved or returned: NaN or infinite weights stop training."""
        if not all(np.isfinite(p).all() for p in model.params.values()):
            self._stop(model, epoch, "the weights became NaN or infinite", grads)

    def check_epoch(self, model: MLP, epoch: int, cost: float, grads: Gradients) -> None:
        """After an epoch: remember the best weights, or stop if J grew by orders of magnitude."""
        if self.first_cost is None:
            self.first_cost = cost
        if self.first_cost > 0 and cost > self.factor * self.first_cost:
            self._stop(
                model,
                epoch,
                f"the cost J grew to {cost:.4g}, over {self.factor:g} times its first value "
                f"({self.first_cost:.4g})",
                grads,
            )
        # An epoch's cost was measured with the weights it began with: those are the best
        # weights when the cost is the lowest yet. The two buffers swap instead of copying.
        if cost < self.best_cost:
            self.best_cost, self.best_epoch = cost, epoch
            self.best_params, self.start_params = self.start_params, self.best_params
        self._remember_start(model.params)

    def _remember_start(self, params: Mapping[str, np.ndarray]) -> None:
        """Copy the weights the next epoch begins with into ``start_params``."""
        if not self.start_params:
            self.start_params = packed(params)
            return
        # start_params came from packed() (here, on_train_begin or load_state; the swap with
        # best_params only exchanges two of them), so its θ is the base of its arrays.
        arrays, theta = self._live
        start = next(iter(self.start_params.values())).base
        if (
            theta is not None
            and all(map(operator.is_, params.values(), arrays))
            and isinstance(start, np.ndarray)
            and start.shape == theta.shape
            and start.dtype == theta.dtype
        ):
            np.copyto(start, theta)
        else:
            for name, p in params.items():
                np.copyto(self.start_params[name], p)

    def _stop(self, model: MLP, epoch: int, what: str, grads: Gradients) -> None:
        if callable(grads):
            grads = grads()
        norms = {
            name[1:]: float(np.linalg.norm(g)) for name, g in grads.items() if name.startswith("dW")
        }
        lines = [f"training diverged in epoch {epoch + 1}: {what}."]
        if norms:
            shown = ", ".join(f"||d{name}|| = {value:.3g}" for name, value in norms.items())
            lines.append(f"Per-layer gradient norms at the last step: {shown}.")
            trend = _trend(list(norms.values()))
            if trend:
                lines.append(trend)
        cause = self._start_too_large(model, epoch, what)
        if cause:
            lines.append(cause)
        if self.best_epoch is not None:
            for name, p in self.best_params.items():
                model.params[name][...] = p
            lines.append(
                f"The model keeps the weights epoch {self.best_epoch + 1} began with, which gave "
                f"the lowest cost (J = {self.best_cost:.4g})."
            )
        step = f"lower the learning rate (now {self.learning_rate:g}; try a tenth)"
        fixes = [] if cause else [step]
        if not _is_scaled_init(self.init):
            fixes.append("use He initialization for ReLU or Xavier for tanh (init='he')")
        if not self.normalized:
            fixes.append("normalize the inputs (normalize=True)")
        if cause:
            fixes.append(step)
        lines.append("Likely fixes: " + "; ".join(fixes) + ".")
        assert self.history is not None, "on_train_begin was not called"
        raise TrainingDiverged(
            " ".join(lines), epoch=epoch, gradient_norms=norms, history=self.history
        )

    def _start_too_large(self, model: MLP, epoch: int, what: str) -> str | None:
        """Why the very start failed, when it did: the weights or inputs, not the step size."""
        if self.first_cost is None and epoch == 0 and "cost" in what:
            return (
                "It happened in the first epoch, before the step size could matter much: the "
                "forward pass overflows, so the initial weights or the inputs are far too large."
            )
        first = self.first_cost
        if model.is_classifier and first is not None and first > FIRST_COST_LIMIT:
            return (
                f"The cost was already {first:.4g} in the first epoch (a fresh classifier's is "
                "about 0.7): the outputs saturate from the start, so the initial weights or the "
                "inputs are far too large."
            )
        return None

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        values = {
            "first_cost": self.first_cost,
            "best_cost": self.best_cost,
            "best_epoch": self.best_epoch,
        }
        return dict(self.best_params), values

    def load_state(self, arrays: Mapping[str, np.ndarray], values: Mapping[str, Any]) -> None:
        self.first_cost = values["first_cost"]
        self.best_cost = values["best_cost"]
        self.best_epoch = values["best_epoch"]
        self.best_params = packed(arrays)  # copies


def _trend(norms: list[float]) -> str | None:
    """Name a geometric growth or decay of the gradient norms towards the input layer."""
    if len(norms) < 3 or not all(math.isfinite(n) and n > 0 for n in norms):
        return None
    ratios = [norms[l] / norms[l + 1] for l in range(len(norms) - 1)]  # layer l vs the next
    factor = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    if all(r > 1.5 for r in ratios):
        return f"They grow about {factor:.2g}× per layer towards the input: exploding gradients."
    if all(r < 1 / 1.5 for r in ratios):
        return f"They shrink about {factor:.2g}× per layer towards the input: vanishing gradients."
    return None


def _is_scaled_init(init: object) -> bool:
    name = init if isinstance(init, str) else getattr(init, "name", None)
    return isinstance(name, str) and name.split("_")[0] in ("he", "xavier", "glorot")
