"""The result of a gradient check: the difference, a verdict, where the error sits, and what to
try next."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# The textbook's bands for difference = ||dθ_approx − dθ||₂ / (||dθ_approx||₂ + ||dθ||₂).
CORRECT_BELOW = 1e-7  # "great": the backward pass is right
LOOK_CLOSER_UP_TO = 1e-5  # "look closer": often right, sometimes a small bug
BUG_ABOVE = 1e-3  # "almost certainly a bug"
# A difference in (1e-7, 1e-5] within this factor of the measured noise floor is what a correct
# backward pass gives when rounding noise dominates (the floor tracks a pure-noise difference to
# within about 20% on the textbook's example, at every ε from 1e-8 to 1e-5).
NOISE_FACTOR = 3.0

VERDICTS = {
    "correct": "the backward pass agrees with the numerical gradient",
    "correct (at the noise floor)": (
        "the difference is at the rounding-noise floor of the two-sided difference for this ε; "
        "the backward pass is right to the precision the check can see"
    ),
    "look closer": (
        "probably right, but above both 1e-7 and the noise floor: look at the per-parameter "
        "table and the worst components"
    ),
    "suspicious": (
        "between 1e-5 and 1e-3: typically one small part is wrong (a bias, a regularization "
        "term) or perturbations cross ReLU kinks"
    ),
    "bug": "above 1e-3: almost certainly a bug in the backward pass",
}


def relative_difference(numerical: np.ndarray, analytic: np.ndarray) -> float:
    """||a − b||₂ / (||a||₂ + ||b||₂), and 0 when both are zero."""
    denominator = np.linalg.norm(numerical) + np.linalg.norm(analytic)
    return float(np.linalg.norm(numerical - analytic) / denominator) if denominator else 0.0


def classify(difference: float, noise_floor: float) -> str:
    """The verdict for a difference, given the rounding-noise floor of the check."""
    if difference < CORRECT_BELOW:
        return "correct"
    if difference <= LOOK_CLOSER_UP_TO:
        return (
            "correct (at the noise floor)"
            if difference <= NOISE_FACTOR * noise_floor
            else "look closer"
        )
    return "suspicious" if difference <= BUG_ABOVE else "bug"


@dataclass(frozen=True)
class Component:
    """One component of θ, located as ``name[row, column]``, with both gradients."""

    name: str
    row: int
    column: int
    analytic: float  # from the backward pass
    numerical: float  # from the two-sided difference
    crosses_kink: bool | None = None  # ±ε changed which side of a ReLU kink a unit is on

    @property
    def error(self) -> float:
        return abs(self.numerical - self.analytic)

    def __str__(self) -> str:
        kink = "  (±ε crosses a ReLU kink)" if self.crosses_kink else ""
        return (
            f"{self.name}[{self.row}, {self.column}]: backprop {self.analytic: .6e}, "
            f"numerical {self.numerical: .6e}, |error| {self.error:.2e}{kink}"
        )


def advice(
    verdict: str, epsilon: float, noise_floor: float, worst: list[Component]
) -> tuple[str, ...]:
    """What to try next, given the verdict, ε, the noise floor and the worst components."""
    tips = []
    if noise_floor > 1e-7:
        tips.append(
            f"ε = {epsilon:g} is small for this cost: rounding noise alone gives a difference "
            f"of about {noise_floor:.1e}. Try ε = 1e-6 or 1e-5"
        )
    if epsilon > 1e-4:
        tips.append(
            f"ε = {epsilon:g} is large: the two-sided difference errs by about ε² times the "
            "third derivative. Use ε = 1e-7 (the default) to 1e-5"
        )
    if verdict == "correct (at the noise floor)":
        tips.append(
            "this difference is rounding noise, which grows as 1/ε: with epsilon="
            f"{epsilon * 10:g} it should fall to about {noise_floor / 10:.0e}"
        )
    if not verdict.startswith("correct"):
        if worst and worst[0].crosses_kink:
            tips.append(
                f"the largest error, at {worst[0].name}[{worst[0].row}, {worst[0].column}], comes "
                "from a perturbation that moves a ReLU input across 0, where J has a kink and the "
                "numerical gradient is wrong: check on fewer examples, with a smaller ε, or with "
                "a smooth activation such as tanh"
            )
        elif worst:
            tips.append(
                f"start with the gradient of {worst[0].name} (d{worst[0].name} in the backward "
                "pass): it holds the largest error"
            )
    return tuple(tips)


@dataclass(frozen=True)
class GradientCheckResult:
    """What a gradient check found.

    ``difference`` is the textbook's relative difference over the components checked;
    ``verdict`` one of :data:`VERDICTS`; ``passed`` is true when the verdict says the backward
    pass is right. ``per_parameter`` maps each parameter name to the difference of its slice of
    θ, and ``worst`` lists the components with the largest absolute error.
    """

    difference: float
    verdict: str
    passed: bool
    per_parameter: dict[str, float]
    worst: tuple[Component, ...]
    epsilon: float
    noise_floor: float
    cost: float
    n_checked: int
    n_total: int
    shapes: dict[str, tuple[int, ...]]
    tips: tuple[str, ...] = ()
    # the raw material, for plots: the indices of θ checked and both gradients there
    components: np.ndarray = field(default_factory=lambda: np.empty(0, np.intp), repr=False)
    numerical: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    analytic: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    per_parameter_floor: dict[str, float] = field(default_factory=dict, repr=False)

    def worst_parameters(self) -> list[str]:
        """Parameter names, the largest difference first."""
        return sorted(self.per_parameter, key=self.per_parameter.__getitem__, reverse=True)

    def wrong_parameters(self) -> list[str]:
        """The parameters whose own verdict is not correct, the largest difference first."""
        return [
            name
            for name in self.worst_parameters()
            if not classify(
                self.per_parameter[name], self.per_parameter_floor.get(name, 0.0)
            ).startswith("correct")
        ]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable summary (without the raw gradient vectors)."""
        return {
            "difference": self.difference,
            "verdict": self.verdict,
            "passed": self.passed,
            "epsilon": self.epsilon,
            "noise_floor": self.noise_floor,
            "cost": self.cost,
            "n_checked": self.n_checked,
            "n_total": self.n_total,
            "per_parameter": dict(self.per_parameter),
            "wrong_parameters": self.wrong_parameters(),
            "worst": [
                {
                    "name": c.name,
                    "row": c.row,
                    "column": c.column,
                    "analytic": c.analytic,
                    "numerical": c.numerical,
                    "error": c.error,
                    "crosses_kink": c.crosses_kink,
                }
                for c in self.worst
            ],
            "tips": list(self.tips),
        }

    def __str__(self) -> str:
        scope = "all" if self.n_checked == self.n_total else "a random sample of"
        lines = [
            f"Gradient check: {scope} {self.n_checked} of {self.n_total} components, "
            f"two-sided differences with ε = {self.epsilon:g} in float64, J = {self.cost:.6g}",
            f"difference = ||dθ_approx − dθ|| / (||dθ_approx|| + ||dθ||) = {self.difference:.4e}",
            f"rounding-noise floor for this ε ≈ {self.noise_floor:.1e}",
            f"verdict: {self.verdict.upper()} — {VERDICTS[self.verdict]}",
            "",
            f"{'parameter':<10} {'shape':<12} {'difference':>11}  status",
        ]
        wrong = set(self.wrong_parameters())
        for name, difference in self.per_parameter.items():
            shape = str(self.shapes[name])
            status = "WRONG?" if name in wrong else "ok"
            lines.append(f"{name:<10} {shape:<12} {difference:>11.3e}  {status}")
        if self.worst:
            lines += ["", "largest errors:"] + [f"  {c}" for c in self.worst]
        if self.tips:
            lines += ["", "tips:"] + [f"  - {tip}" for tip in self.tips]
        return "\n".join(lines)
