"""Demo: gradient checking — one-sided vs two-sided differences, then a network and a bug.

1. The notes' example: f(θ) = θ³ at θ = 1 with ε = 0.01. The one-sided difference
   (f(θ + ε) − f(θ)) / ε = 3.0301 is off by 0.03; the two-sided (f(θ + ε) − f(θ − ε)) / 2ε =
   3.0001 by 0.0001: its error is O(ε²), not O(ε). Over ε from 10⁻¹ to 10⁻¹³ on log-log axes the
   errors fall with slopes 1 and 2 until rounding (about u/ε, u = 2.2e-16) takes over.
2. The hand-written backward pass of a 2-10-5-1 ReLU network on circles, checked.
3. The same with a planted bug (dW2 doubled): the check fails and names W2.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

import numpy as np

from ..check import GradientCheckResult, gradient_check, gradient_check_function
from ..check.objective import ModelObjective
from ..data import circles
from ..nn import gradients_to_vector
from ..train import MLP
from .common import Folder, present, table

if TYPE_CHECKING:
    from ..report.page import Section

DESCRIPTION = (
    "θ³: one-sided vs two-sided differences against ε; check a 2-10-5-1 network, find a "
    "planted bug in dW2"
)
TITLE = "Gradient checking"
ONE_SIDED_FIT = (1e-6, 1e-2)  # where truncation dominates: the slopes are fitted in these ε
TWO_SIDED_FIT = (1e-4, 1e-1)


@dataclass(frozen=True, eq=False)
class DifferenceErrors:
    """f(θ) = θ³ at ``theta``: both difference quotients at ``epsilon`` and their errors over
    ``epsilons``, with the log-log slopes fitted in :data:`ONE_SIDED_FIT` / :data:`TWO_SIDED_FIT`.
    """

    theta: float
    epsilon: float
    exact: float
    one_sided: float
    two_sided: float
    epsilons: np.ndarray  # (k,), decreasing
    one_sided_errors: np.ndarray  # |one-sided(ε) − f'(θ)|, (k,)
    two_sided_errors: np.ndarray
    one_sided_slope: float
    two_sided_slope: float

    @property
    def best_epsilon(self) -> tuple[float, float]:
        """The ε with the smallest error: one-sided, two-sided (where rounding takes over)."""
        return (
            float(self.epsilons[np.argmin(self.one_sided_errors)]),
            float(self.epsilons[np.argmin(self.two_sided_errors)]),
        )


@dataclass(frozen=True, eq=False)
class GradcheckDemo:
    differences: DifferenceErrors
    correct: GradientCheckResult
    buggy: GradientCheckResult

    @property
    def bug_found(self) -> bool:
        return not self.buggy.passed and self.buggy.wrong_parameters() == ["W2"]


def difference_errors(*, theta: float = 1.0, epsilon: float = 0.01) -> DifferenceErrors:
    """One-sided and two-sided differences of f(θ) = θ³, whose derivative is 3θ²."""

    def f(t: float | np.ndarray) -> float | np.ndarray:
        return t**3

    exact = 3 * theta**2
    epsilons = np.logspace(-1, -13, 49)
    one_sided = (f(theta + epsilons) - f(theta)) / epsilons
    two_sided = (f(theta + epsilons) - f(theta - epsilons)) / (2 * epsilons)
    one_errors, two_errors = np.abs(one_sided - exact), np.abs(two_sided - exact)

    def slope(errors: np.ndarray, window: tuple[float, float]) -> float:
        inside = (epsilons >= window[0]) & (epsilons <= window[1])
        return float(np.polyfit(np.log10(epsilons[inside]), np.log10(errors[inside]), 1)[0])

    return DifferenceErrors(
        theta=theta,
        epsilon=epsilon,
        exact=exact,
        one_sided=float((f(theta + epsilon) - f(theta)) / epsilon),
        two_sided=float((f(theta + epsilon) - f(theta - epsilon)) / (2 * epsilon)),
        epsilons=epsilons,
        one_sided_errors=one_errors,
        two_sided_errors=two_errors,
        one_sided_slope=slope(one_errors, ONE_SIDED_FIT),
        two_sided_slope=slope(two_errors, TWO_SIDED_FIT),
    )


def network_checks(*, seed: int = 1) -> tuple[GradientCheckResult, GradientCheckResult]:
    """The correct backward pass and one with dW2 doubled, on a 2-10-5-1 network (λ = 0.7)."""
    X, y = circles(300, noise=0.1, seed=seed)
    model = MLP((2, 10, 5, 1), hidden_activation="relu", init="he", l2=0.7, seed=seed)
    correct = gradient_check(model, X, y)

    objective = ModelObjective(model, X, y)

    def buggy_gradient(theta: np.ndarray) -> np.ndarray:
        grads = objective.gradients(theta)
        grads["dW2"] = 2 * grads["dW2"]
        return gradients_to_vector(grads, objective.index)

    buggy = gradient_check_function(
        objective.cost, buggy_gradient, objective.theta, parameter_shapes=objective.shapes
    )
    return correct, buggy


def compute(*, seed: int = 1) -> GradcheckDemo:
    return GradcheckDemo(difference_errors(), *network_checks(seed=seed))


def difference_summary(d: DifferenceErrors) -> str:
    rows = [["ε", "one-sided error", "two-sided error"]]
    for k in range(0, len(d.epsilons), 8):
        rows.append(
            [f"{d.epsilons[k]:.0e}", f"{d.one_sided_errors[k]:.2e}", f"{d.two_sided_errors[k]:.2e}"]
        )
    best_one, best_two = d.best_epsilon
    return "\n".join(
        [
            f"f(θ) = θ³ at θ = {d.theta:g}, ε = {d.epsilon:g}; f'(θ) = {d.exact:g}:",
            f"  one-sided  (f(θ+ε) − f(θ)) / ε     = {d.one_sided:.4f}  "
            f"(error {abs(d.one_sided - d.exact):.4f})",
            f"  two-sided  (f(θ+ε) − f(θ−ε)) / 2ε  = {d.two_sided:.4f}  "
            f"(error {abs(d.two_sided - d.exact):.4f})",
            "",
            table(rows),
            "",
            f"Slopes on log-log axes: one-sided {d.one_sided_slope:.2f} (fitted for ε in "
            f"{ONE_SIDED_FIT[0]:g} … {ONE_SIDED_FIT[1]:g}), two-sided {d.two_sided_slope:.2f} "
            f"(ε in {TWO_SIDED_FIT[0]:g} … {TWO_SIDED_FIT[1]:g}). Below that, rounding error "
            f"grows as 1/ε: the smallest errors are at ε ≈ {best_one:.0e} (one-sided) and "
            f"{best_two:.0e} (two-sided).",
        ]
    )


def claims_hold(result: GradcheckDemo) -> bool:
    d = result.differences
    return (
        round(d.one_sided, 4) == 3.0301
        and round(d.two_sided, 4) == 3.0001
        and abs(d.one_sided_slope - 1) < 0.1
        and abs(d.two_sided_slope - 2) < 0.1
        and result.correct.passed
        and result.bug_found
    )


def sections(result: GradcheckDemo) -> list[Section]:
    from ..report import check_figures, figures
    from ..report.page import Section

    d = result.differences
    figure = figures.new_figure()
    axes = figure.axes[0]
    axes.loglog(d.epsilons, d.one_sided_errors, marker=".", label="one-sided, O(ε)")
    axes.loglog(d.epsilons, d.two_sided_errors, marker=".", label="two-sided, O(ε²)")
    axes.loglog(d.epsilons, 2.2e-16 / d.epsilons, color="0.5", linestyle=":", label="u / ε")
    axes.set(xlabel="ε", ylabel="|difference − f'(θ)|", title="f(θ) = θ³ at θ = 1")
    axes.invert_xaxis()
    axes.legend()
    return [
        Section("One-sided vs two-sided differences", difference_summary(d), preformatted=True),
        Section("Error against ε", figures=[figure]),
        Section(
            "The network's backward pass",
            str(result.correct),
            figures=[check_figures.gradient_check_plot(result.correct)],
            preformatted=True,
        ),
        Section(
            "A planted bug: dW2 doubled",
            str(result.buggy),
            figures=[check_figures.gradient_check_plot(result.buggy)],
            preformatted=True,
        ),
    ]


def summary(result: GradcheckDemo) -> str:
    """The three checks and a one-line summary (its last line)."""
    verdict = "passed" if result.correct.passed else "FAILED"
    located = "found in W2" if result.bug_found else "NOT located"
    return "\n".join(
        [
            "1. One-sided vs two-sided differences:\n",
            difference_summary(result.differences),
            "\n2. The hand-written backward pass of a 2-10-5-1 network on 300 examples of the "
            "circles data set:\n",
            str(result.correct),
            "\n3. The same network with a planted bug (dW2 doubled), checked:\n",
            str(result.buggy),
            f"\nSummary: correct backprop {verdict} (difference "
            f"{result.correct.difference:.1e}); planted bug {located} "
            f"(difference {result.buggy.difference:.1e}).",
        ]
    )


def run(out: TextIO, *, folder: Folder = None) -> int:
    """Print the summary, write the report when given a folder; 0 when the claims hold."""
    return present(sys.modules[__name__], out, folder)
