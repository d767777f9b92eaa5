"""How long a step of the recipe will take: measured per setting, never guessed from sizes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .candidates import Candidate, Outcome, Trainer


class Estimator:
    """Seconds a round of candidates will take, from each setting's measured time per epoch.

    A setting not seen before is probed: two epochs, timed by the training loop itself. The pace
    is the median epoch (of a probe: the faster one), so that a one-off inside an epoch — the
    optimizer's update being compiled once a process has run it long enough, see
    :mod:`dlrecipe.nn.fused_updates` — is not multiplied into every epoch of an estimate.
    """

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.per_epoch: dict[tuple[Any, ...], float] = {}

    @staticmethod
    def _key(c: Candidate) -> tuple[Any, ...]:
        return (c.hidden, c.optimizer, c.batch_size, c.keep_prob < 1, c.augment)

    def epoch_seconds(self, c: Candidate) -> float:
        key = self._key(c)
        if key not in self.per_epoch:
            probe = self.trainer.train([c.but("probe", epochs=2, early_stopping=False)])[0]
            seconds = [row["seconds"] for row in probe.history["rows"]]
            self.per_epoch[key] = float(np.min(seconds)) if seconds else probe.seconds
        return self.per_epoch[key]

    def seconds(self, c: Candidate) -> float:
        """A training's estimated time: its epochs at the measured pace, plus set-up."""
        return 1.2 * self.epoch_seconds(c) * c.epochs + 0.1

    def round(self, candidates: list[Candidate]) -> float:
        waves = math.ceil(len(candidates) / self.trainer.jobs)
        return waves * max(self.seconds(c) for c in candidates)

    def fitting(self, candidates: list[Candidate], left: float) -> list[Candidate]:
        """The candidates, or the cheapest that fit in ``left`` seconds (none: skip the step)."""
        chosen = list(candidates)
        while chosen and self.round(chosen) > left:
            chosen.remove(max(chosen, key=self.seconds))
        return chosen

    def learn(self, outcomes: list[Outcome]) -> None:
        """Replace estimates by what the trainings measured."""
        for o in outcomes:
            seconds = [row["seconds"] for row in o.history["rows"]]
            if seconds:
                self.per_epoch[self._key(o.candidate)] = float(np.median(seconds))
