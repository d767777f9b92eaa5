"""Train/dev/test splits sized by the data, stratified by class, optionally grouped.

The size rule
-------------
Unless told otherwise, dev and test each get 20% of the examples, capped at
``max_eval_size = 10_000``:

=============  ===========  =================
examples       dev / test   train / dev / test
=============  ===========  =================
3,000          600 each     60 / 20 / 20
50,000         10,000 each  60 / 20 / 20
1,000,000      10,000 each  98 / 1 / 1
10,000,000     10,000 each  99.8 / 0.1 / 0.1
=============  ===========  =================

Why 10,000: the dev set is there to tell models apart, the test set to measure the chosen one.
On 10,000 examples an error rate near 5% is measured with a standard error of 0.22 percentage
points, so two models whose errors differ by about 0.6 points (two standard errors of the
difference) can be told apart; more examples would only be taken from training, where they help
the model. With less data, 20% each (the classic 60/20/20) keeps dev and test as large as the
data allows without starving training. Explicit ``dev=``/``test=`` (fractions or counts)
override the rule; ``test=0`` makes a train/dev split, and the result notes that the dev
estimate is then optimistic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .partition import check_classes_present, grouped_rows, random_rows, stratified_rows

MAX_EVAL_SIZE = 10_000
EVAL_FRACTION = 0.2


class Part(NamedTuple):
    """One part of a split: ``X`` (m, …) and ``y`` (m,)."""

    X: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class Split:
    """The parts, which rows of the original data went where, and how the sizes were chosen."""

    train: Part
    dev: Part
    test: Part | None
    indices: dict[str, np.ndarray]  # part name -> rows of the original X, in the part's order
    rule: str
    stratified: bool
    grouped: bool
    notes: tuple[str, ...] = field(default=())

    def sizes(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.indices.items()}

    def __str__(self) -> str:
        sizes = self.sizes()
        total = sum(sizes.values())
        parts = ", ".join(f"{name} {n:,} ({100 * n / total:.3g}%)" for name, n in sizes.items())
        how = [
            s
            for s, on in (("stratified by class", self.stratified), ("grouped", self.grouped))
            if on
        ]
        lines = [f"split of {total:,} examples: {parts}", f"sizes: {self.rule}"]
        if how:
            lines.append(" and ".join(how))
        return "\n".join(lines + [f"note: {note}" for note in self.notes])


def split(
    X: ArrayLike,
    y: ArrayLike,
    *,
    dev: float | None = None,
    test: float | None = None,
    seed: int | np.random.Generator | None = None,
    stratify: bool | None = None,
    groups: ArrayLike | None = None,
    max_eval_size: int = MAX_EVAL_SIZE,
) -> Split:
    """Shuffle ``X`` (n, …) and ``y`` (n,) into train, dev and test parts.

    ``dev`` and ``test`` are fractions in (0, 1), counts >= 1, or None for the size rule
    (see the module documentation); ``test=0`` leaves out the test set. ``stratify`` keeps
    each class's share in every part (default: on when ``y`` holds class labels — integers,
    booleans or strings — and no ``groups`` are given). ``groups`` (n,) keeps all examples of a
    group in one part, so that near-duplicates (the same patient, photographer, session) cannot
    leak from train into dev or test.

    A part that would be empty, or a class missing from dev or test, is a ``ValueError`` —
    except that on tiny data the default rule raises dev and test to one example per class when
    that leaves as many for training (6 examples of 2 classes: 2/2/2, not 4/1/1).
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(
            "X must have one row per label in y, shapes (n, …) and (n,); "
            f"got {X.shape} and {y.shape}"
        )
    n = len(y)
    rng = np.random.default_rng(seed)
    classes = y.dtype.kind in "biuUSO"
    # On tiny data the default rule gives each part at least one example of every class.
    n_classes = len(np.unique(y)) if classes and groups is None and stratify is not False else 1
    n_dev, n_test, rule = _sizes(n, dev, test, max_eval_size, at_least=n_classes)
    if groups is not None:
        if stratify:
            raise ValueError(
                "stratify=True and groups cannot be combined: whole groups move between parts, "
                "so class shares cannot be set exactly; leave stratify unset with groups"
            )
        rows = grouped_rows(np.asarray(groups), n, n_dev, n_test, y if classes else None, rng)
        stratified = False
    else:
        stratified = classes if stratify is None else bool(stratify)
        if stratified:
            rows = stratified_rows(y, n_dev, n_test, rng)
        else:
            rows = random_rows(n, n_dev, n_test, rng)
    if classes:
        check_classes_present(y, rows)

    notes = []
    if n_test == 0:
        notes.append(
            "no test set: the dev error, used to choose among models, is an optimistic estimate "
            "of the error on new data; keep a test set to measure the final model"
        )
    parts = {name: Part(X[rows[name]], y[rows[name]]) for name in rows}
    return Split(
        train=parts["train"],
        dev=parts["dev"],
        test=parts.get("test"),
        indices=rows,
        rule=rule,
        stratified=stratified,
        grouped=groups is not None,
        notes=tuple(notes),
    )


def _sizes(
    n: int, dev: float | None, test: float | None, cap: int, *, at_least: int = 1
) -> tuple[int, int, str]:
    if isinstance(cap, bool) or not isinstance(cap, Integral) or cap < 1:
        raise ValueError(f"max_eval_size must be an integer >= 1; got {cap!r}")
    default = min(round(EVAL_FRACTION * n), int(cap))
    if default < at_least <= n // 3:  # a stratified part needs one example of each class
        default = at_least
    n_dev = default if dev is None else _size("dev", dev, n, allow_zero=False)
    n_test = default if test is None else _size("test", test, n, allow_zero=True)
    if dev is None and test is None:
        rule = f"20% each for dev and test, at most {cap:,} each (the default rule)"
    else:
        rule = "as requested" + (" (the rest by the default rule)" if None in (dev, test) else "")
    n_train = n - n_dev - n_test
    if n_dev < 1 or n_train < 1:
        raise ValueError(
            f"{n} examples are too few for this split: train would get {n_train}, dev {n_dev}, "
            f"test {n_test}; every part needs at least one example. Collect more data, or pass "
            "smaller dev=/test= (counts or fractions), or test=0 for a train/dev split"
        )
    if test is None and n_test < 1:
        raise ValueError(
            f"{n} examples leave no room for a test set by the default rule; "
            "pass test=0 for a train/dev split, or explicit sizes"
        )
    return n_dev, n_test, rule


def _size(name: str, value: float, n: int, *, allow_zero: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a fraction in (0, 1) or a count; got {name}={value!r}")
    if value == 0 and allow_zero:
        return 0
    if 0 < value < 1:
        return max(1, round(float(value) * n))
    if float(value).is_integer() and value >= 1:
        return int(value)
    accepted = "a fraction in (0, 1)" + (
        ", a count >= 1, or 0 for none" if allow_zero else " or a count >= 1"
    )
    raise ValueError(f"{name} must be {accepted}; got {name}={value!r}")
