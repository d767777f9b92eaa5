"""Which rows of the data go to train, dev and test: at random, stratified by class, or by
whole groups. Each function returns ``{"train": rows, "dev": rows[, "test": rows]}`` with the
parts' sizes chosen by :func:`dlrecipe.data.split.split`.
"""

from __future__ import annotations

import numpy as np

PARTS = ("train", "dev", "test")


def random_rows(n: int, n_dev: int, n_test: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A random ``n_dev`` rows for dev, ``n_test`` for test, the rest for train."""
    order = rng.permutation(n)
    return _cut(order, n_dev, n_test)


def _cut(order: np.ndarray, n_dev: int, n_test: int) -> dict[str, np.ndarray]:
    rows = {"train": order[n_dev + n_test :], "dev": order[:n_dev]}
    if n_test:
        rows["test"] = order[n_dev : n_dev + n_test]
    return rows


def stratified_rows(
    y: np.ndarray, n_dev: int, n_test: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Each class split in proportion, with the totals exactly ``n_dev`` and ``n_test``."""
    classes, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
    n_parts = 3 if n_test else 2
    rare = np.flatnonzero(counts < n_parts)
    if rare.size:
        c = rare[0]
        raise ValueError(
            f"class {classes[c].item()!r} has {counts[c]} example(s); a stratified split into "
            f"{n_parts} parts needs at least {n_parts} per class. Collect more examples of it, "
            "merge it with another class, or pass stratify=False"
        )
    dev_per_class = _apportion(n_dev, counts, limit=counts - (n_parts - 1))
    test_per_class = (
        _apportion(n_test, counts, limit=counts - dev_per_class - 1) if n_test else 0 * counts
    )
    rows: dict[str, list[np.ndarray]] = {name: [] for name in PARTS[:n_parts]}
    for c in range(len(classes)):
        members = rng.permutation(np.flatnonzero(codes == c))
        for name, part in _cut(members, dev_per_class[c], test_per_class[c]).items():
            rows[name].append(part)
    # Shuffle each part as a whole, so the classes do not come in blocks.
    return {name: rng.permutation(np.concatenate(parts)) for name, parts in rows.items()}


def _apportion(total: int, counts: np.ndarray, *, limit: np.ndarray) -> np.ndarray:
    """Split ``total`` across classes in proportion to ``counts``, 1 ≤ share ≤ limit each.

    The largest-remainder method: proportional floors, then one more to the classes with the
    largest remainders, until the shares add up to ``total``.
    """
    if total < len(counts):
        raise ValueError(
            f"a part of {total} example(s) cannot hold all {len(counts)} classes; make dev and "
            "test larger (dev=, test=) or pass stratify=False"
        )
    ideal = total * counts / counts.sum()
    share = np.clip(np.floor(ideal).astype(np.int64), 1, limit)
    while (missing := total - int(share.sum())) != 0:
        room = (share < limit) if missing > 0 else (share > 1)
        if not room.any():
            raise ValueError(f"cannot place {total} examples with at least one of each class")
        # Give to the most under-served class (or take from the most over-served one).
        gap = np.where(room, ideal - share, -np.inf if missing > 0 else np.inf)
        share[np.argmax(gap) if missing > 0 else np.argmin(gap)] += 1 if missing > 0 else -1
    return share


def grouped_rows(
    groups: np.ndarray,
    n: int,
    n_dev: int,
    n_test: int,
    y: np.ndarray | None,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Whole groups, in a random order, fill test, then dev; the rest is train.

    The parts' sizes are as close to the targets as whole groups allow. When ``y`` holds
    classes and one is missing from dev or test, up to 20 other random orders are tried
    before giving up (this fallback is deterministic for a given seed).
    """
    if groups.shape != (n,):
        raise ValueError(
            f"groups must have one entry per example, shape ({n},); got {groups.shape}"
        )
    _, group_of = np.unique(groups, return_inverse=True)
    n_groups = int(group_of.max()) + 1
    n_parts = 3 if n_test else 2
    if n_groups < n_parts:
        raise ValueError(f"{n_groups} group(s) cannot fill {n_parts} parts; each part needs one")
    group_sizes = np.bincount(group_of)
    for _attempt in range(20):
        order = rng.permutation(n_groups)
        covered = np.concatenate([[0], np.cumsum(group_sizes[order])])  # by the first k groups
        n_test_groups = _closest(covered, n_test, 1, n_groups - 2) if n_test else 0
        target = covered[n_test_groups] + n_dev
        n_dev_groups = _closest(covered, target, n_test_groups + 1, n_groups - 1) - n_test_groups
        part_of_group = np.zeros(n_groups, dtype=np.int64)  # 0 train, 1 dev, 2 test
        part_of_group[order[:n_test_groups]] = 2
        part_of_group[order[n_test_groups : n_test_groups + n_dev_groups]] = 1
        part = part_of_group[group_of]
        rows = {
            name: rng.permutation(np.flatnonzero(part == k))
            for k, name in enumerate(PARTS[:n_parts])
        }
        if y is None or _missing_classes(y, rows) is None:
            return rows
    return rows  # check_classes_present explains what is missing


def _closest(covered: np.ndarray, target: int, low: int, high: int) -> int:
    """The number k in [low, high] of leading groups whose examples come closest to ``target``."""
    k = np.arange(low, high + 1)
    return int(k[np.argmin(np.abs(covered[k] - target))])


def _missing_classes(y: np.ndarray, rows: dict[str, np.ndarray]) -> tuple[str, object] | None:
    everything = np.unique(y)
    for name in ("dev", "test"):
        if name in rows:
            absent = np.setdiff1d(everything, y[rows[name]])
            if absent.size:
                return name, absent[0].item()
    return None


def check_classes_present(y: np.ndarray, rows: dict[str, np.ndarray]) -> None:
    """A ``ValueError`` naming a class that dev or test has no example of."""
    missing = _missing_classes(y, rows)
    if missing is not None:
        name, label = missing
        raise ValueError(
            f"class {label!r} has no example in the {name} set, so {name} could not measure it; "
            f"make {name} larger, collect more examples of that class, or choose another seed"
        )
