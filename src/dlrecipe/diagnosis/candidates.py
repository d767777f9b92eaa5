"""Candidate trainings for the recipe: one setting each, trained alone or in parallel processes.

A candidate is a plain, hashable description of one training (architecture, optimizer,
epochs, regularization). Training it is a pure function of the candidate, the data and the
seed: every candidate is trained with BLAS limited to one thread, in the main process or in a
worker, so that its result — and every decision taken from it — is bit for bit the same
whatever the number of parallel jobs.
"""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data.augment import Augmenter
from ..data.normalize import Standardizer
from ..train.callbacks import Callback
from ..train.early_stopping import EarlyStopping
from ..train.guard import TrainingDiverged
from ..train.history import History
from ..train.model import MLP


@dataclass(frozen=True)
class Candidate:
    """One training setting; ``change`` says in words how it differs from the one before."""

    hidden: tuple[int, ...]
    optimizer: str = "momentum"
    learning_rate: float = 0.1
    epochs: int = 100
    batch_size: int | None = 64
    l2: float = 0.0
    keep_prob: float = 1.0
    augment: bool = False
    early_stopping: bool = False
    change: str = "start"

    def but(self, change: str, **values: Any) -> Candidate:
        return dataclasses.replace(self, change=change, **values)

    def describe(self) -> str:
        parts = [
            f"hidden {list(self.hidden) or 'none'}",
            f"{self.optimizer} α={self.learning_rate:g}",
            f"{self.epochs} epochs",
        ]
        if self.l2:
            parts.append(f"L2 λ={self.l2:g}")
        if self.keep_prob < 1:
            parts.append(f"keep_prob={self.keep_prob:g}")
        if self.augment:
            parts.append("augmentation")
        if self.early_stopping:
            parts.append("early stopping")
        return ", ".join(parts)

    def size(self, n_features: int, n_outputs: int) -> int:
        """The number of weights, for estimating how long training takes."""
        sizes = (n_features, *self.hidden, n_outputs)
        return sum(a * b for a, b in itertools.pairwise(sizes))


@dataclass(frozen=True)
class Problem:
    """What every candidate trains on: the training and dev parts, and the network's ends."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_dev: np.ndarray
    y_dev: np.ndarray
    output_activation: str
    n_outputs: int
    image_shape: tuple[int, ...] | None
    seed: int

    @property
    def error_scale(self) -> float:
        """What errors are judged against: 1, or for regression the targets' variance (the
        mean squared distance of y to its mean), so that an error reads as 1 − R²."""
        if self.output_activation != "linear":
            return 1.0
        Y = self.y_train.reshape(len(self.y_train), -1)
        variance = float(np.mean(np.sum((Y - Y.mean(axis=0)) ** 2, axis=1)))
        return variance if variance > 0 else 1.0


@dataclass
class Outcome:
    """A trained candidate: its errors, history and weights (or why it failed)."""

    candidate: Candidate
    train: dict[str, float]
    dev: dict[str, float]
    seconds: float
    epochs_run: int
    params: dict[str, np.ndarray]
    standardizer: dict[str, np.ndarray]
    history: dict[str, Any]
    failure: str | None = None
    cut_by_budget: bool = False

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def errors(self) -> str:
        """``"train 1.23%, dev 4.56%"``."""
        return f"train {100 * self.train['error']:.2f}%, dev {100 * self.dev['error']:.2f}%"

    def log_row(self, *, chosen: bool, note: str = "") -> dict[str, Any]:
        """The candidate's row in the decision log (``decisions.json``)."""
        return {
            "change": self.candidate.change,
            "setting": self.candidate.describe(),
            "hidden": list(self.candidate.hidden),
            "l2": self.candidate.l2,
            "keep_prob": self.candidate.keep_prob,
            "train_error": self.train["error"] if self.ok else None,
            "dev_error": self.dev["error"] if self.ok else None,
            "epochs_run": self.epochs_run,
            "seconds": round(self.seconds, 3),
            "chosen": chosen,
            "note": note,
        }

    def model(self, problem: Problem) -> MLP:
        """The trained network, rebuilt from the outcome's arrays."""
        model = build(self.candidate, problem)
        for name, p in self.params.items():
            model.params[name][...] = p
        model.standardizer = Standardizer.from_arrays(self.standardizer)
        return model


def build(candidate: Candidate, problem: Problem) -> MLP:
    sizes = (problem.X_train.shape[1], *candidate.hidden, problem.n_outputs)
    keep = (1.0, *(candidate.keep_prob,) * len(candidate.hidden))
    return MLP(
        sizes,
        hidden_activation="relu",
        output_activation=problem.output_activation,
        init="he",
        l2=candidate.l2,
        keep_prob=keep,
        seed=problem.seed,
    )


class _Deadline(Callback):
    """Stops training when the budget's wall-clock deadline passes (a safety net)."""

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline
        self.hit = False

    def on_epoch_end(self, model: MLP, epoch: int, logs: Any) -> None:
        if self.deadline is not None and time.time() > self.deadline:
            model.stop_training = self.hit = True


def train(candidate: Candidate, problem: Problem, deadline: float | None = None) -> Outcome:
    """Train one candidate with BLAS on one thread; a diverged training is an outcome too."""
    from threadpoolctl import threadpool_limits

    began = time.perf_counter()
    model = build(candidate, problem)
    stop = _Deadline(deadline)
    callbacks: list[Callback] = [stop]
    if candidate.early_stopping:
        callbacks.insert(
            0, EarlyStopping(monitor="dev_loss", patience=max(10, candidate.epochs // 10))
        )
    augment = (
        Augmenter(image_shape=problem.image_shape, flip_horizontal=False, max_rotation=10, crop=0.1)
        if candidate.augment
        else None
    )
    failure = None
    history = History()
    with threadpool_limits(1):
        try:
            history = model.fit(
                problem.X_train,
                problem.y_train,
                epochs=candidate.epochs,
                learning_rate=candidate.learning_rate,
                optimizer=candidate.optimizer,
                batch_size=candidate.batch_size,
                dev=(problem.X_dev, problem.y_dev),
                callbacks=callbacks,
                augment=augment,
                progress=False,
            )
        except TrainingDiverged as error:
            failure, history = str(error), error.history
        train_metrics = model.evaluate(problem.X_train, problem.y_train)
        dev_metrics = model.evaluate(problem.X_dev, problem.y_dev)
    assert model.standardizer is not None
    return Outcome(
        candidate=candidate,
        train=train_metrics,
        dev=dev_metrics,
        seconds=time.perf_counter() - began,
        epochs_run=len(history),
        params={name: p.copy() for name, p in model.params.items()},
        standardizer=model.standardizer.to_arrays(),
        history=history.to_state(),
        failure=failure,
        cut_by_budget=stop.hit,
    )


# --- parallel trainings ---------------------------------------------------------------------
_PROBLEM: Problem | None = None  # a worker's copy of the data, set once by its initializer


def _init_worker(problem: Problem) -> None:
    global _PROBLEM
    _PROBLEM = problem


def _train_in_worker(candidate: Candidate, deadline: float | None) -> Outcome:
    assert _PROBLEM is not None, "the worker was not initialized"
    return train(candidate, _PROBLEM, deadline)


class Trainer:
    """Trains lists of candidates, in ``jobs`` worker processes when ``jobs > 1``.

    Results come back in the order of the candidates, whatever order the workers finish in.
    """

    def __init__(self, problem: Problem, jobs: int) -> None:
        self.problem = problem
        self.jobs = max(1, int(jobs))
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Trainer:
        if self.jobs > 1:
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=multiprocessing.get_context(method),
                initializer=_init_worker,
                initargs=(self.problem,),
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def train(
        self, candidates: Sequence[Candidate], deadline: float | None = None
    ) -> list[Outcome]:
        if self._pool is None or len(candidates) == 1:
            return [train(c, self.problem, deadline) for c in candidates]
        futures = [self._pool.submit(_train_in_worker, c, deadline) for c in candidates]
        return [future.result() for future in futures]


def default_jobs() -> int:
    """The machine's cores available to this process."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


Estimate = Callable[[Candidate], float]
