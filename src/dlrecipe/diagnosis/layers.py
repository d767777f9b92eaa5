"""Per-layer health: vanishing and exploding gradients, dead ReLUs and the size of a step.

One forward pass (without dropout) and one backward pass on a batch give, for every layer
``l = 1 … L``, the statistics of ``Z[l]`` and ``A[l]``, the gradient norm ``||dW[l]||``, and
the *signal* ``||dZ[l]|| / √m``: the back-propagated error that reaches layer ``l``.

The verdict reads the signal, not ``||dW[l]||``. In a deep linear network with
``W[l] = 1.5·I`` the error grows 1.5× per layer towards the input while ``||dW[l]||`` stays
constant, because ``dW[l] = (1/m) dZ[l] A[l-1]ᵀ`` and ``A[l-1]`` shrinks exactly as fast
towards the input as ``dZ[l]`` grows. Fitting ``log ||dZ[l]||`` against ``l`` by least squares
gives the factor per layer towards the input, ``exp(-slope)``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..nn import network
from ..nn.spec import NetworkSpec
from ..train.callbacks import Callback
from ..validation import check_matrix, is_finite_number, is_integer

if TYPE_CHECKING:
    from ..train.history import History
    from ..train.model import MLP

FACTOR_THRESHOLD = 1.5  # a factor per layer of 1.5 or more (1/1.5 or less) is a trend…
SPAN = 10.0  # …when the signals of the first and the last layer differ more than 10×
SIGNAL_RATIO = 1e3  # a layer's signal 1000× below (above) the output's: vanishing (exploding)
DEAD_FRACTION = 0.5  # at least half of a ReLU layer's units output 0 for every example
STEP_TOO_LARGE, STEP_TOO_SMALL = 1e-1, 1e-6  # the healthy update ratio is about 1e-3
COLUMNS = ("layer", "units", "Z std", "A std", "dead %", "||dW||", "signal", "update", "note")


@dataclass(frozen=True)
class LayerStatistics:
    """One layer's numbers: Frobenius norms, means and stds over all entries (``inf`` if
    overflowed), and ``dead_fraction``, the fraction of units that output 0 for every example
    (ReLU hidden layers only, else None). ``update_ratio`` is a step relative to the weights,
    ``α ||dW[l]|| / ||W[l]||`` (None without α or when ``W[l] = 0``): about 1e-3 is healthy
    (Karpathy's rule of thumb), above 1e-1 the step is too large, below 1e-6 too small.
    """

    layer: int
    units: int
    Z_mean: float
    Z_std: float
    A_mean: float
    A_std: float
    dead_fraction: float | None
    gradient_norm: float  # ||dW[l]||, penalty included
    signal_norm: float  # ||dZ[l]|| / √m
    weight_norm: float  # ||W[l]||
    update_ratio: float | None


@dataclass(frozen=True)
class LayerHealth:
    """The statistics of layers ``1 … L``, the overall verdict and its one-line summary.

    ``verdict`` is ``"exploding"``, ``"vanishing"`` or ``"healthy"``; ``factor_per_layer`` is
    how much the signal grows per layer towards the input (None with fewer than two layers
    carrying a signal, or when it overflowed).
    """

    layers: tuple[LayerStatistics, ...]
    verdict: str
    factor_per_layer: float | None
    summary: str

    @property
    def notes(self) -> tuple[str, ...]:
        """Per layer, comma-separated (``""`` if none): ``"vanishing"`` / ``"exploding"`` when
        its signal is 1000× below / above the output layer's (or overflowed), ``"dead"`` when
        half its ReLU units or more are, ``"too large a step"`` / ``"too small a step"`` when
        its update ratio is above 1e-1 / below 1e-6."""
        reference = self.layers[-1].signal_norm
        notes = []
        for s in self.layers:
            ratio = s.signal_norm / reference if 0 < reference < math.inf else 1.0
            found = {
                "vanishing": ratio < 1 / SIGNAL_RATIO,
                "exploding": s.signal_norm == math.inf or ratio > SIGNAL_RATIO,
                "dead": (s.dead_fraction or 0.0) >= DEAD_FRACTION,
                "too large a step": (s.update_ratio or 0.0) > STEP_TOO_LARGE,
                "too small a step": s.update_ratio is not None and s.update_ratio < STEP_TOO_SMALL,
            }
            notes.append(", ".join(note for note, found_it in found.items() if found_it))
        return tuple(notes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable, with each layer's note (overflow is ``inf``, as json writes it)."""
        layers = [asdict(s) | {"note": n} for s, n in zip(self.layers, self.notes, strict=True)]
        return asdict(self) | {"layers": layers}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LayerHealth:
        """Rebuild what :meth:`to_dict` wrote."""
        fields = [f.name for f in dataclasses.fields(LayerStatistics)]
        layers = tuple(LayerStatistics(**{k: row[k] for k in fields}) for row in data["layers"])
        return cls(layers, data["verdict"], data["factor_per_layer"], data["summary"])

    def __str__(self) -> str:
        rows = [list(COLUMNS)]
        for s, note in zip(self.layers, self.notes, strict=True):
            dead = "" if s.dead_fraction is None else f"{100 * s.dead_fraction:.0f}"
            update = "" if s.update_ratio is None else f"{s.update_ratio:.2g}"
            stats = [f"{x:.3g}" for x in (s.Z_std, s.A_std, s.gradient_norm, s.signal_norm)]
            rows.append([str(s.layer), str(s.units), *stats[:2], dead, *stats[2:], update, note])
        widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
        lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
        return "\n".join(line.rstrip() for line in [*lines, self.summary])


def layer_health(
    model: MLP,
    X: ArrayLike,
    y: ArrayLike,
    *,
    learning_rate: float | None = None,
    factor_threshold: float = FACTOR_THRESHOLD,
) -> LayerHealth:
    """Per-layer statistics of ``model`` on ``X`` (n_samples, n_features), ``y`` (n_samples,).

    One forward pass without dropout and one backward pass; the model is not changed. With a
    ``learning_rate`` α each layer's ``update_ratio`` is ``α ||dW[l]|| / ||W[l]||``.

    The verdict is ``"exploding"`` when the signal grows by ``factor_threshold`` or more per
    layer towards the input (fitted by least squares on ``log ||dZ[l]||``) and the first
    layer's signal exceeds the last one's more than 10×, or when it overflows; ``"vanishing"``
    when it shrinks by ``1/factor_threshold`` or less and is over 10× smaller at the first
    layer, or is exactly 0 at some layer; ``"healthy"`` otherwise.
    """
    if learning_rate is not None and not (is_finite_number(learning_rate) and learning_rate > 0):
        raise ValueError(
            "learning_rate must be None or a finite number > 0; "
            f"got learning_rate={learning_rate!r}"
        )
    if not (is_finite_number(factor_threshold) and factor_threshold > 1):
        raise ValueError(
            "factor_threshold must be a finite number > 1; "
            f"got factor_threshold={factor_threshold!r}"
        )
    A0 = model.columns(X)
    Y = model.targets(y, A0.shape[1])
    layers = _measure(model.params, model.spec, A0, Y, learning_rate=learning_rate)
    return _health(layers, factor_threshold)


def _measure(
    params: Mapping[str, np.ndarray],
    spec: NetworkSpec,
    A0: np.ndarray,
    Y: np.ndarray,
    *,
    learning_rate: float | None = None,
    before: Mapping[str, np.ndarray] | None = None,
) -> list[LayerStatistics]:
    """The statistics of every layer. The step of ``update_ratio`` is ``α ||dW[l]||`` with a
    ``learning_rate``, ``||W[l] - before[l]||`` with the weights ``before``, else None."""
    L, m = spec.n_layers, A0.shape[1]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        caches = network.forward(params, A0, spec)
        grads = network.backward(params, caches, Y, spec)
        signals = [0.0] * L
        dZ = spec.output.gradient(caches[-1].A, Y)  # dZ[L]
        for l in range(L, 0, -1):
            signals[l - 1] = _norm(dZ) / math.sqrt(m)
            if l > 1:  # dZ[l-1] = dA[l-1] * g'(Z[l-1]), dA[l-1] = W[l]ᵀ dZ[l]
                below = caches[l - 2]
                dZ = spec.hidden.backward(params[f"W{l}"].T @ dZ, below.Z, below.A)
        layers = []
        for l, (Z, A) in enumerate(((c.Z, c.A) for c in caches), start=1):
            W = params[f"W{l}"]
            gradient_norm, weight_norm = _norm(grads[f"dW{l}"]), _norm(W)
            step = None if before is None else _norm(W - before[f"W{l}"])
            if learning_rate is not None:
                step = learning_rate * gradient_norm
            # A step relative to W[l] = 0 is undefined: None.
            ratio = None if step is None or weight_norm == 0 else _number(step / weight_norm)
            relu = spec.hidden.name == "relu" and l < L
            layers.append(
                LayerStatistics(
                    layer=l,
                    units=Z.shape[0],
                    Z_mean=_number(Z.mean()),
                    Z_std=_number(Z.std()),
                    A_mean=_number(A.mean()),
                    A_std=_number(A.std()),
                    dead_fraction=float(np.all(A == 0, axis=1).mean()) if relu else None,
                    gradient_norm=gradient_norm,
                    signal_norm=signals[l - 1],
                    weight_norm=weight_norm,
                    update_ratio=ratio,
                )
            )
    return layers


def _health(layers: list[LayerStatistics], threshold: float) -> LayerHealth:
    """The overall verdict from the signals of ``layers``."""
    signals = np.array([s.signal_norm for s in layers])
    finite, positive = bool(np.isfinite(signals).all()), signals > 0
    factor = None
    if finite and positive.sum() >= 2:
        slope = np.polyfit(np.flatnonzero(positive) + 1, np.log(signals[positive]), 1)[0]
        factor = float(np.exp(-slope))
    if not finite:
        verdict, summary = "exploding", "exploding: the signal overflowed (inf or NaN)"
    elif not positive.any():
        verdict, summary = "healthy", "healthy: no error to propagate (dZ[L] = 0)"
    elif not positive.all():
        last_zero = int(np.flatnonzero(~positive).max()) + 1
        verdict, summary = "vanishing", f"vanishing: the signal is exactly 0 at layer {last_zero}"
    elif factor is None:
        verdict, summary = "healthy", "healthy: one layer, no trend to fit"
    else:
        verdict, how = "healthy", "changes"
        if factor >= threshold and signals[0] > SPAN * signals[-1]:
            verdict, how = "exploding", "grows"
        elif factor <= 1 / threshold and signals[-1] > SPAN * signals[0]:
            verdict, how = "vanishing", "shrinks"
        summary = f"{verdict}: the signal {how} about {factor:.2f}× per layer towards the input"
    return LayerHealth(tuple(layers), verdict, factor, summary)


class LayerMonitor(Callback):
    """Records :func:`layer_health` on ``(X, y)`` every ``every`` epochs and at the last one.

    ``records`` holds ``(epoch, LayerHealth)``, epochs counted from 0: ``every-1``,
    ``2·every-1``, … and the last. Each record measures the weights the epoch ended with (even
    if early stopping restores others later), and its ``update_ratio`` is measured per epoch,
    ``||ΔW[l]|| / ||W[l]||``: the change during the epoch relative to the weights it ended
    with, whatever the optimizer, mini-batches and schedule. Training is unchanged (no random
    numbers, no writes; two copies of the weights are kept). The records are checkpointed
    (:meth:`state`) and restored on resume, so a resumed training records the same numbers.
    """

    def __init__(self, X: ArrayLike, y: ArrayLike, *, every: int = 10) -> None:
        if not is_integer(every) or every < 1:
            raise ValueError(f"every must be an integer >= 1; got every={every!r}")
        self.X, self.y, self.every = check_matrix(X), np.asarray(y), int(every)
        self.records: list[tuple[int, LayerHealth]] = []
        self._loaded = False

    def on_train_begin(self, model: MLP, history: History) -> None:
        if not self._loaded:
            self.records = []
        self._loaded = False
        self._spec = model.spec
        self._A0 = model.columns(self.X)  # the standardizer is fitted before this hook
        self._Y = model.targets(self.y, self._A0.shape[1])
        self._before: dict[str, np.ndarray] | None = None  # weights at the end of epoch - 1
        self._after = {name: p.copy() for name, p in model.params.items()}  # …and of epoch

    def on_epoch_end(self, model: MLP, epoch: int, logs: Mapping[str, float]) -> None:
        self._before = self._after
        self._after = {name: p.copy() for name, p in model.params.items()}
        if (epoch + 1) % self.every == 0:
            self._record(epoch)

    def on_train_end(self, model: MLP, history: History) -> None:
        last = [int(row["epoch"]) for row in history.rows[-1:]]
        if last and last != [epoch for epoch, _ in self.records[-1:]]:
            self._record(last[0])

    def _record(self, epoch: int) -> None:
        # _before is None only when resuming after the last epoch: no step to measure.
        layers = _measure(self._after, self._spec, self._A0, self._Y, before=self._before)
        self.records.append((epoch, _health(layers, FACTOR_THRESHOLD)))

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        records = [{"epoch": epoch, "health": h.to_dict()} for epoch, h in self.records]
        return {}, {"every": self.every, "records": records}

    def load_state(self, arrays: Mapping[str, np.ndarray], values: Mapping[str, Any]) -> None:
        """Take back the records; the next ``on_train_begin`` keeps them."""
        if values["every"] != self.every:
            raise ValueError(
                f"the checkpoint's LayerMonitor recorded every {values['every']} epochs, this "
                f"one every {self.every}; resume with LayerMonitor(X, y, every={values['every']})"
            )
        self.records = [(r["epoch"], LayerHealth.from_dict(r["health"])) for r in values["records"]]
        self._loaded = True


def _number(value: Any) -> float:
    value = float(value)
    return math.inf if math.isnan(value) else value  # NaN comes from overflowed values


def _norm(values: np.ndarray) -> float:
    return _number(np.linalg.norm(values))
