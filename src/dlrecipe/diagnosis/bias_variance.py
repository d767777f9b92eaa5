"""Bias and variance against Bayes error: the basic recipe's first question.

The gaps between the errors name the problem (Bayes error, the best any model can do, is often
estimated by human-level error): avoidable bias = train − Bayes; variance = train-dev − train
with a train-dev set (training distribution, not trained on), else dev − train; data mismatch =
dev − train-dev; over-fitting to the dev set = test − dev (each only when its errors are given).

The rule. A gap g is *high* when both hold:

1. g > tolerance, where tolerance = max(``absolute``, ``relative_to_bayes`` × Bayes error,
   ``noise`` × SE) — SE only when the parts' sizes are given: the standard error of the
   difference of two error rates p1 (on n1 examples) and p2 (on n2),
   SE = sqrt(p1(1 − p1)/n1 + p2(1 − p2)/n2) (Bayes error counts as exact);
2. g ≥ ``dominance`` × the largest gap: gaps are compared with each other, and one much smaller
   than the largest is not the problem to work on.

With the defaults (2 points, 10% of Bayes error, a quarter of the largest gap, 2 standard
errors) and Bayes error ≈ 0, the textbook's cases come out as in the lectures: train 1% / dev 11%
is high variance; 15% / 16% high bias; 15% / 30% high bias and high variance; 0.5% / 1% fine;
15% / 16% with Bayes error 15% fine (no avoidable bias is left). Train 3% / dev 20% is high
variance only: the 3-point bias is above 2 points, but under a quarter of the 17-point variance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from numbers import Integral, Real
from typing import Any

# problem -> (its verdict, the gap's name and formula in the report)
PROBLEMS = {
    "bias": ("high bias", "avoidable bias (train − Bayes)"),
    "variance": ("high variance", "variance (dev − train)"),
    "data mismatch": ("data mismatch", "data mismatch (dev − train-dev)"),
    "dev overfitting": ("over-fitting to the dev set", "over-fitting to dev (test − dev)"),
}
PARTS = ("train", "train_dev", "dev", "test")
ANOTHER_ARCHITECTURE = "try another architecture (or search the hyperparameters) suited to the task"
NEXT_STEPS = {
    "bias": (
        "a bigger network: more hidden units or more layers",
        "train longer",
        "a better optimization algorithm (e.g. Adam, or momentum / RMSprop)",
        ANOTHER_ARCHITECTURE,
    ),
    "variance": (
        "more training data",
        "regularization: L2 (λ), dropout (keep_prob < 1), or early stopping",
        "data augmentation (flips, crops, distortions) when more data cannot be had",
        ANOTHER_ARCHITECTURE,
    ),
    "data mismatch": (
        "error analysis: compare the dev examples the model gets wrong with train-dev examples "
        "to see how the distributions differ",
        "make the training data more like the dev data: collect more of it, or synthesize it "
        "(artificial data synthesis; beware of synthesizing from a small subset)",
    ),
    "dev overfitting": ("a bigger dev set: the choices made on this dev set are tuned to it",),
}
FINE_STEPS = (
    "nothing to fix: the gaps are within tolerance",
    "if the errors are still too high for the task, a better estimate of Bayes error "
    "(the best human-level performance) shows how much avoidable bias is left",
    "if the model does well on dev and test but not in use, change the dev/test set or the metric",
)


@dataclass(frozen=True)
class Rule:
    """When a gap counts as high; see the module's docstring."""

    absolute: float = 0.02  # a gap can be "high" only above 2 percentage points …
    relative_to_bayes: float = 0.1  # … or above 10% of the Bayes error, whichever is larger
    dominance: float = 0.25  # a gap under a quarter of the largest gap is not the problem
    noise: float = 2.0  # with sizes given: a gap within 2 standard errors is noise

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            number = isinstance(value, Real) and not isinstance(value, bool)
            if not (number and math.isfinite(value) and value >= 0):
                raise ValueError(f"Rule.{name} must be a finite number >= 0; got {value!r}")
        if self.dominance > 1:
            message = f"Rule.dominance must be in [0, 1]; got {self.dominance!r}"
            raise ValueError(message + ". Use 0 to judge each gap on its own.")


@dataclass(frozen=True)
class Diagnosis:
    """The errors, their gaps (None when unknown), the threshold each known gap was compared
    with (``tolerance``), which gaps are high, and what to do next."""

    train_error: float
    dev_error: float
    bayes_error: float
    bayes_assumed: bool
    train_dev_error: float | None
    test_error: float | None
    sizes: dict[str, int] | None
    avoidable_bias: float
    variance: float
    data_mismatch: float | None
    dev_overfitting: float | None
    tolerance: dict[str, float]
    high: dict[str, bool]
    next_steps: tuple[str, ...]
    notes: tuple[str, ...]
    rule: Rule

    @property
    def high_bias(self) -> bool:
        return self.high["bias"]

    @property
    def high_variance(self) -> bool:
        return self.high["variance"]

    @property
    def problems(self) -> tuple[str, ...]:
        """The high gaps' names, in the order bias, variance, data mismatch, dev overfitting."""
        return tuple(name for name in PROBLEMS if self.high[name])

    @property
    def verdict(self) -> str:
        return " and ".join(PROBLEMS[name][0] for name in self.problems) or "fine"

    def gaps(self) -> dict[str, float]:
        """The known gaps by problem name."""
        values = (self.avoidable_bias, self.variance, self.data_mismatch, self.dev_overfitting)
        return {name: g for name, g in zip(PROBLEMS, values, strict=True) if g is not None}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable summary."""
        fields = {key: value for key, value in asdict(self).items() if key != "rule"}
        lists = {"next_steps": list(self.next_steps), "notes": list(self.notes)}
        return {**fields, **lists, "verdict": self.verdict, "rule": asdict(self.rule)}

    def __str__(self) -> str:
        rates = all(e <= 1 for e in [*self._errors().values(), self.bayes_error])
        show = (lambda v: f"{100 * v:.2f}%") if rates else (lambda v: f"{v:.4g}")
        assumed = ", assumed" if self.bayes_assumed else ""
        lines = [f"Bias and variance (Bayes error {show(self.bayes_error)}{assumed})", ""]
        for name, value in self._errors().items():
            n = (self.sizes or {}).get(name.replace("-", "_"))
            examples = f"  ({n:,} examples)" if n else ""
            lines.append(f"  {name + ' error':<16}{show(value):>9}{examples}")
        lines += ["", f"  {'gap':<34}{'value':>9}{'tolerance':>11}"]
        for name, gap in self.gaps().items():
            label = PROBLEMS[name][1]
            if name == "variance" and self.train_dev_error is not None:
                label = "variance (train-dev − train)"
            mark = "  HIGH" if self.high[name] else ""
            if not self.high[name] and gap > self.tolerance[name]:
                mark = f"  minor (< {self.rule.dominance:.0%} of the largest gap)"
            lines.append(f"  {label:<34}{show(gap):>9}{show(self.tolerance[name]):>11}{mark}")
        lines += ["", f"verdict: {self.verdict.upper()}", "next steps:"]
        lines += [f"  {k}. {step}" for k, step in enumerate(self.next_steps, 1)]
        if self.notes:
            lines += ["notes:"] + [f"  - {note}" for note in self.notes]
        return "\n".join(lines)

    def _errors(self) -> dict[str, float]:
        errors = {"train": self.train_error, "train-dev": self.train_dev_error}
        errors |= {"dev": self.dev_error, "test": self.test_error}
        return {name: e for name, e in errors.items() if e is not None}


def diagnose(
    train_error: float,
    dev_error: float,
    *,
    bayes_error: float | None = None,
    train_dev_error: float | None = None,
    test_error: float | None = None,
    sizes: Mapping[str, int] | None = None,
    rule: Rule = Rule(),
) -> Diagnosis:
    """Which of bias, variance, data mismatch and over-fitting to dev is the problem.

    Errors are fractions (0.11 for 11%); values above 1 are read as regression errors.
    ``sizes`` gives the examples behind each error (keys ``"train"``, ``"train_dev"``,
    ``"dev"``, ``"test"``), so that a gap within ``rule.noise`` standard errors is noise.
    """
    if not isinstance(rule, Rule):
        raise TypeError(f"rule must be a Rule; got {type(rule).__name__}")
    given = {"train": train_error, "train_dev": train_dev_error, "dev": dev_error}
    given["test"] = test_error
    errors = {name: _checked(f"{name}_error", e) for name, e in given.items() if e is not None}
    bayes = 0.0 if bayes_error is None else _checked("bayes_error", bayes_error)
    counts = _check_sizes(sizes, errors)
    notes = _notes(errors, bayes, bayes_error is None, rule)
    pairs = {  # gap name -> (the error it starts from, the one it ends at)
        "bias": ("bayes", "train"),
        "variance": ("train", "train_dev" if "train_dev" in errors else "dev"),
        "data mismatch": ("train_dev", "dev"),
        "dev overfitting": ("dev", "test"),
    }
    values = errors | {"bayes": bayes}
    gaps = {
        name: values[end] - values[start]
        for name, (start, end) in pairs.items()
        if start in values and end in values
    }
    largest, n = max(gaps.values()), counts or {}
    tolerance, high = {}, dict.fromkeys(PROBLEMS, False)
    for name, gap in gaps.items():
        # SE of the difference of two error rates: sqrt(p1(1 − p1)/n1 + p2(1 − p2)/n2), with
        # Bayes error counted as exact
        variances = [values[p] * (1 - values[p]) / n[p] for p in pairs[name] if p in n]
        se = math.sqrt(sum(variances))
        tolerance[name] = max(rule.absolute, rule.relative_to_bayes * bayes, rule.noise * se)
        high[name] = gap > tolerance[name] and gap >= rule.dominance * largest
    if gaps["variance"] < -tolerance["variance"]:
        notes.append(
            f"the {pairs['variance'][1].replace('_', '-')} error is below the training error: "
            "that part may be easier than the training data, or too small to tell"
        )
    steps = [step for name in PROBLEMS if high[name] for step in NEXT_STEPS[name]]
    if high["bias"]:
        notes.append("more training data will not help with high bias: fix the bias first")
    return Diagnosis(
        train_error=errors["train"],
        dev_error=errors["dev"],
        bayes_error=bayes,
        bayes_assumed=bayes_error is None,
        train_dev_error=errors.get("train_dev"),
        test_error=errors.get("test"),
        sizes=counts,
        avoidable_bias=gaps["bias"],
        variance=gaps["variance"],
        data_mismatch=gaps.get("data mismatch"),
        dev_overfitting=gaps.get("dev overfitting"),
        tolerance=tolerance,
        high=high,
        next_steps=tuple(dict.fromkeys(steps)) or FINE_STEPS,
        notes=tuple(notes),
        rule=rule,
    )


def _notes(errors: Mapping[str, float], bayes: float, assumed: bool, rule: Rule) -> list[str]:
    """Notes on the inputs: an assumed or too-high Bayes error, errors that are not rates."""
    notes = []
    if assumed:
        notes.append(
            "Bayes error assumed 0: the avoidable bias is the whole training error; pass "
            "bayes_error= (human-level error is a proxy; --bayes-error on the command line) when "
            "the task is hard even for people"
        )
    elif bayes > errors["train"]:
        notes.append(
            f"train error below Bayes error ({errors['train']:.4g} < {bayes:.4g}): the estimate "
            "of Bayes error is too high or the training set is memorized"
        )
    if any(e > 1 for e in [*errors.values(), bayes]):
        notes.append(
            "errors above 1 are read as regression errors (e.g. mean squared), and the rule's "
            f"absolute tolerance {rule.absolute:g} is in their units; write error rates as "
            "fractions (0.11 for 11%)"
        )
    return notes


def _checked(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number; got {value!r}")
    number = float(value)
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(
            f"{name} must be a finite number >= 0 (a fraction such as 0.11 for 11%); "
            f"got {name}={value!r}"
        )
    return number


def _check_sizes(
    sizes: Mapping[str, int] | None, errors: Mapping[str, float]
) -> dict[str, int] | None:
    """The sizes as a plain dict, checked to cover every error given, and rates only."""
    if sizes is None:
        return None
    for part, n in sizes.items():
        if part not in PARTS:
            raise ValueError(f"unknown part {part!r} in sizes; expected keys among {PARTS}")
        if isinstance(n, bool) or not isinstance(n, Integral) or int(n) < 1:
            raise ValueError(f"sizes[{part!r}] must be a whole number >= 1; got {n!r}")
    for part, error in errors.items():
        if part not in sizes:
            raise ValueError(
                f"sizes has no {part!r}, but its error is given; give the number of examples "
                "behind every error, or no sizes"
            )
        if error > 1:
            raise ValueError(
                f"sizes give standard errors of error rates, but the {part} error {error:g} is "
                "above 1; leave sizes out for regression errors"
            )
    return {part: int(n) for part, n in sizes.items()}
