"""The recipe's remedies: the candidates each phase tries, and how it picks among them.

Bias: a wider network, a deeper one, twice the epochs, Adam, and one larger leap (four times
wider, one layer deeper, Adam, twice the epochs) — the candidate with the lowest training error
is kept if it cuts the avoidable bias by at least 10%. Variance: L2 with λ from a grid scaled by
m (then ×3 and ÷3 around the choice), dropout, augmentation for images and early stopping —
the candidate with the lowest dev error is kept if it lowers the dev error and keeps the bias
already won (see ``bias_limit`` in the recipe).
"""

from __future__ import annotations

from collections.abc import Callable

from .bias_variance import Diagnosis
from .candidates import Candidate, Outcome, Problem

Judge = Callable[[Outcome], Diagnosis]


def bias_remedies(c: Candidate, problem: Problem) -> list[Candidate]:
    wider = tuple(min(2 * n, 1024) for n in c.hidden)
    options = []
    if wider != c.hidden:
        options.append(
            c.but(f"bigger network: hidden {list(c.hidden)} → {list(wider)}", hidden=wider)
        )
    if len(c.hidden) < 6:
        deeper = (*c.hidden, c.hidden[-1])
        options.append(
            c.but(f"deeper network: hidden {list(c.hidden)} → {list(deeper)}", hidden=deeper)
        )
    options.append(c.but(f"train longer: {c.epochs} → {2 * c.epochs} epochs", epochs=2 * c.epochs))
    if c.optimizer != "adam":
        options.append(c.but("Adam instead of momentum", optimizer="adam", learning_rate=0.01))
    # A larger leap as well: when the bias is far above Bayes error, one doubling may not show.
    leap = tuple(min(4 * n, 1024) for n in c.hidden)
    leap = (*leap, leap[-1]) if len(leap) < 6 else leap
    options.append(
        c.but(
            f"much bigger and longer: hidden {list(c.hidden)} → {list(leap)}, Adam, "
            f"{2 * c.epochs} epochs",
            hidden=leap,
            optimizer="adam",
            learning_rate=0.01 if c.optimizer != "adam" else c.learning_rate,
            epochs=2 * c.epochs,
        )
    )
    return options


def variance_remedies(c: Candidate, problem: Problem) -> list[Candidate]:
    m = len(problem.y_train)
    options = []
    lambdas = [m * f for f in (3e-4, 3e-3, 3e-2)] if c.l2 == 0 else [c.l2 / 3, c.l2 * 3]
    options += [c.but(f"L2 regularization λ={lam:.3g}", l2=float(f"{lam:.3g}")) for lam in lambdas]
    keeps = (
        [0.9, 0.7]
        if c.keep_prob == 1
        else [k for k in (c.keep_prob - 0.1, c.keep_prob + 0.1) if 0.5 <= k < 1]
    )
    options += [c.but(f"dropout keep_prob={k:.2g}", keep_prob=round(k, 2)) for k in keeps]
    if problem.image_shape is not None and not c.augment:
        options.append(c.but("data augmentation (rotations, crops)", augment=True))
    if not c.early_stopping:
        options.append(c.but("early stopping on the dev loss", early_stopping=True))
    return options


def lower_bias(
    current: Outcome, outcomes: list[Outcome], judge: Judge, bias_limit: float
) -> Outcome | None:
    """The candidate with the lowest training error, if it cuts the avoidable bias by 10%."""
    ok = [o for o in outcomes if o.ok]
    if not ok:
        return None
    best = min(ok, key=lambda o: (o.train["error"], o.dev["error"]))
    now, then = judge(best).avoidable_bias, judge(current).avoidable_bias
    return best if now <= 0.9 * then and then - now > 1e-3 else None


def lower_dev(
    current: Outcome, outcomes: list[Outcome], judge: Judge, bias_limit: float
) -> Outcome | None:
    """The candidate with the lowest dev error, among those keeping the bias already won."""
    ok = [o for o in outcomes if o.ok and judge(o).avoidable_bias <= bias_limit]
    if not ok:
        return None
    best = min(ok, key=lambda o: (o.dev["error"], o.dev["loss"]))
    return best if best.dev["error"] < current.dev["error"] - 1e-9 else None


def note(outcome: Outcome, judge: Judge, bias_limit: float, phase: str) -> str:
    if not outcome.ok:
        return "diverged"
    if phase == "variance" and judge(outcome).avoidable_bias > bias_limit:
        return "rejected: gives back the bias already won"
    return ""
