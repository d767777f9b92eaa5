"""The basic recipe, automated: bias first, then variance, then the test set — once.

1. Split by the size rule; check that dev and test look alike; normalize with training data.
2. Build a small He-initialized ReLU network and gradient-check it before any training.
3. Bias: while the avoidable bias is high, try a wider network, a deeper one, longer
   training and Adam; keep the one with the lowest training error, if it lowers the bias.
4. Variance: while the variance is high, try L2 (λ from a small grid), dropout (keep_prob),
   augmentation for images and early stopping; keep the lowest dev error among candidates
   that do not bring the bias back.
5. Evaluate on the test set exactly once (a :class:`SealedTestSet` refuses a second look).

Every decision is logged with its numbers. Candidates of a step are trained in parallel
processes; each is deterministic, so the decisions do not depend on how many. The time budget
is checked between steps: a step whose estimated time does not fit is skipped and logged.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..check.gradient_check import gradient_check
from ..data.distributions import DistributionComparison, compare_distributions
from ..data.normalize import Standardizer
from ..data.split import Part, split
from ..train.model import MLP
from .bias_variance import Diagnosis, Rule, diagnose
from .candidates import Candidate, Outcome, Problem, Trainer, build
from .decision_log import DecisionLog
from .estimate import Estimator
from .remedies import Judge, bias_remedies, lower_bias, lower_dev, note, variance_remedies

MAX_ROUNDS = 6  # per phase
START_UPDATES = 20_000  # optimizer steps of the first training (at most 300 epochs)
RESERVE_SECONDS = 2.0  # kept for the final evaluation and writing the results
Say = Callable[[str], None]


class RecipeError(RuntimeError):
    """The recipe cannot go on (e.g. the gradient check failed): fix the cause first."""


class SealedTestSet:
    """The test part, evaluated once: a second evaluation is an error, not a convention."""

    def __init__(self, part: Part) -> None:
        self._part: Part | None = part
        self.size = len(part.y)

    def evaluate_once(self, model: MLP) -> dict[str, float]:
        if self._part is None:
            raise RecipeError(
                "the test set was already used: it gives an unbiased estimate only once"
            )
        part, self._part = self._part, None
        return model.evaluate(part.X, part.y)


@dataclass
class RecipeResult:
    model: MLP
    outcome: Outcome
    diagnosis: Diagnosis
    test: dict[str, float]
    log: DecisionLog
    sizes: dict[str, int]
    split_seed: int
    distributions: DistributionComparison | None
    seconds: float

    def summary(self) -> str:
        """A table of the final numbers and what was done."""
        c = self.outcome.candidate
        rows = [
            ("train", self.outcome.train["error"]),
            ("dev", self.outcome.dev["error"]),
            ("test", self.test["error"]),
        ]
        lines = [
            f"final network: {c.describe()}",
            f"{'part':<6} {'examples':>9} {'error':>9}",
        ]
        lines += [f"{name:<6} {self.sizes[name]:>9,} {100 * err:>8.2f}%" for name, err in rows]
        lines.append(
            f"diagnosis: {self.diagnosis.verdict}; "
            f"{len(self.log.entries)} steps in {self.seconds:.1f} s"
        )
        return "\n".join(lines)


def run_recipe(
    X: np.ndarray,
    y: np.ndarray,
    *,
    output_activation: str,
    n_outputs: int,
    image_shape: tuple[int, ...] | None = None,
    bayes_error: float | None = None,
    budget: float = 300.0,
    seed: int = 0,
    jobs: int = 1,
    rule: Rule | None = None,
    say: Say | None = None,
) -> RecipeResult:
    """Apply the recipe to ``X`` (n, n_features) and ``y`` within ``budget`` seconds.

    ``output_activation`` and ``n_outputs`` describe the output layer the target needs;
    ``image_shape`` enables augmentation; ``bayes_error`` (default: assumed 0) is what the
    training error is compared with; ``jobs`` candidate trainings run in parallel processes;
    ``say`` receives a line after each step (for a live report).
    """
    recipe = _Recipe(budget, rule or Rule(), bayes_error, say or (lambda text: None))
    parts = split(X, y, seed=seed)
    assert parts.test is not None
    distributions = compare_distributions(
        parts.dev.X, parts.test.X, names=("dev", "test"), seed=seed
    )
    test = SealedTestSet(parts.test)  # from here on, only evaluate_once can see it
    warning = distributions.warning
    recipe.note(
        "data",
        "split by the size rule; compared dev with test; normalized with training statistics",
        f"{parts}".replace("\n", "; ")
        + (f"; WARNING: {warning}" if warning else "; dev and test look alike"),
    )
    problem = Problem(
        parts.train.X, parts.train.y, parts.dev.X, parts.dev.y,
        output_activation, n_outputs, image_shape, seed,
    )  # fmt: skip
    recipe.prepare(problem, parts.sizes())
    start = _starting_candidate(problem)
    recipe.gradient_check(start, problem)
    with Trainer(problem, jobs) as trainer:
        current = recipe.start(trainer, start)
        current = recipe.phase("bias", trainer, current, bias_remedies, lower_bias)
        current = recipe.phase("variance", trainer, current, variance_remedies, lower_dev)
    model = current.model(problem)
    test_metrics = test.evaluate_once(model)
    diagnosis = recipe.judge(current, test_metrics["error"])
    recipe.note(
        "test",
        "evaluated the chosen network on the test set, once",
        f"test error {100 * test_metrics['error'] / recipe.scale:.2f}%; {diagnosis.verdict}",
        diagnosis=diagnosis.to_dict(),
    )
    return RecipeResult(
        model, current, diagnosis, test_metrics, recipe.log, parts.sizes(), seed,
        distributions, recipe.elapsed(),
    )  # fmt: skip


Propose = Callable[[Candidate, Problem], list[Candidate]]
Choose = Callable[[Outcome, list[Outcome], Judge, float], Outcome | None]


class _Recipe:
    """The recipe's state between steps: the clock, the log, and how errors are judged."""

    def __init__(self, budget: float, rule: Rule, bayes_error: float | None, say: Say) -> None:
        self.began = time.time()
        self.budget = budget
        self.deadline = self.began + budget - RESERVE_SECONDS
        self.rule, self.bayes_error, self.say = rule, bayes_error, say
        self.log = DecisionLog()
        self.scale = 1.0
        self.sizes: dict[str, int] = {}
        self.classifier = True
        self.start_bias = 0.0  # the avoidable bias of the starting network

    def elapsed(self) -> float:
        return time.time() - self.began

    def note(self, phase: str, action: str, result: str, **details: Any) -> None:
        self.log.add(phase, action, result, self.elapsed(), **details)
        self.say(f"{action}: {result}" if phase != "data" else result)

    def prepare(self, problem: Problem, sizes: dict[str, int]) -> None:
        self.sizes = sizes
        self.classifier = problem.output_activation != "linear"
        self.scale = problem.error_scale

    def judge(self, outcome: Outcome, test_error: float | None = None) -> Diagnosis:
        """Bias and variance of a trained candidate (regression errors as 1 − R²)."""
        return diagnose(
            outcome.train["error"] / self.scale,
            outcome.dev["error"] / self.scale,
            bayes_error=self.bayes_error,
            test_error=None if test_error is None else test_error / self.scale,
            sizes=self.sizes if self.classifier else None,
            rule=self.rule,
        )

    def gradient_check(self, start: Candidate, problem: Problem) -> None:
        """Backprop checked on 64 examples before any training; a failure stops the recipe."""
        model = build(start, problem)
        model.standardizer = Standardizer().fit(problem.X_train)
        rows = np.random.default_rng(problem.seed).permutation(len(problem.y_train))[:64]
        n_params = sum(p.size for p in model.params.values())
        result = gradient_check(
            model, problem.X_train[rows], problem.y_train[rows],
            sample=None if n_params <= 3000 else 40,
        )  # fmt: skip
        self.note(
            "check",
            f"gradient-checked the starting network on {len(rows)} examples",
            f"difference {result.difference:.1e}: {result.verdict}",
        )
        if not result.passed:
            raise RecipeError(
                "the gradient check failed before training, so backprop cannot be "
                f"trusted:\n{result}"
            )

    def start(self, trainer: Trainer, start: Candidate) -> Outcome:
        """Train the starting network; its epochs follow from the data, not from the clock,
        so that the decisions are the same on any machine (the budget only cuts steps)."""
        self.estimate = Estimator(trainer)
        m = len(trainer.problem.y_train)
        batches = 1 if start.batch_size is None else math.ceil(m / start.batch_size)
        epochs = int(np.clip(math.ceil(START_UPDATES / batches), 10, 300))
        start = start.but("start", epochs=epochs)
        current = trainer.train([start], self.deadline)[0]
        if not current.ok:
            raise RecipeError(f"the first training failed: {current.failure}")
        diagnosis = self.judge(current)
        self.start_bias = diagnosis.avoidable_bias
        self.note(
            "bias", f"trained the starting network ({start.describe()})",
            f"{current.errors}: {diagnosis.verdict}",
            diagnosis=diagnosis.to_dict(), candidates=[current.log_row(chosen=True)],
        )  # fmt: skip
        return current

    def phase(
        self, phase: str, trainer: Trainer, current: Outcome, propose: Propose, choose: Choose
    ) -> Outcome:
        """Rounds of candidates while the phase's problem is high, the budget allows, and a
        candidate helps enough.

        ``bias_limit`` keeps the bias already won: a variance remedy may raise the avoidable
        bias above the phase's start by the bias gap's tolerance, or by half of what the bias
        phase won, whichever is larger — but not more (regularization has a price in training
        error; undoing the bigger network is not a price worth paying).
        """
        diagnosis = self.judge(current)
        won = max(0.0, self.start_bias - diagnosis.avoidable_bias)
        bias_limit = diagnosis.avoidable_bias + max(diagnosis.tolerance["bias"], won / 2)
        for _ in range(MAX_ROUNDS):
            if not (diagnosis.high_bias if phase == "bias" else diagnosis.high_variance):
                break
            candidates = propose(current.candidate, trainer.problem)
            fitting = self.estimate.fitting(candidates, self.deadline - time.time())
            if not fitting:
                left = max(0.0, self.deadline - time.time())
                self.note(
                    "budget", f"stopped before the next {phase} step",
                    f"it needs about {self.estimate.round(candidates):.0f} s; {left:.0f} s left",
                )  # fmt: skip
                break
            outcomes = trainer.train(fitting, self.deadline)
            self.estimate.learn(outcomes)
            if any(o.cut_by_budget for o in outcomes):  # cut trainings are not comparable
                self.note(
                    "budget", f"the budget ran out during a {phase} step",
                    f"its trainings were cut short and are not used; kept "
                    f"{current.candidate.describe()}",
                    candidates=[o.log_row(chosen=False, note="cut short") for o in outcomes],
                )  # fmt: skip
                break
            choice = choose(current, outcomes, self.judge, bias_limit)
            rows = [
                o.log_row(chosen=o is choice, note=note(o, self.judge, bias_limit, phase))
                for o in outcomes
            ]
            if choice is None:
                self.note(
                    phase, f"tried {len(outcomes)} {phase} remedies; none helped enough",
                    f"kept {current.candidate.describe()}",
                    diagnosis=diagnosis.to_dict(), candidates=rows,
                )  # fmt: skip
                break
            before, current = current.errors, choice
            diagnosis = self.judge(current)
            self.note(
                phase, choice.candidate.change,
                f"{before} → {current.errors}; {diagnosis.verdict}",
                diagnosis=diagnosis.to_dict(), candidates=rows,
            )  # fmt: skip
        return current


def _starting_candidate(problem: Problem) -> Candidate:
    n_features = problem.X_train.shape[1]
    width = int(np.clip(2 * n_features, 4, 32))
    m = len(problem.y_train)
    return Candidate(hidden=(width,), batch_size=64 if m > 128 else None, epochs=100)
