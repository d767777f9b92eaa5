"""Do two parts of the data look drawn from one distribution?

Two tests, each with half the false-alarm budget ``alpha``, so that two parts drawn from one
distribution are flagged with probability at most ``alpha`` (1% by default):

* per feature, a two-sample Kolmogorov–Smirnov test (SciPy), Bonferroni-corrected over the
  features — it sees a shifted mean, spread or shape of any one feature;
* as a whole, a classifier two-sample test: a k-nearest-neighbour classifier learns on half of
  the pooled examples to tell part ``a`` from part ``b``, and its scores on the other half are
  compared by a Mann–Whitney test (equivalently: is its AUC above the chance level 0.5?) — it
  also sees changes no single feature shows, such as a correlation between features. Scoring
  on examples the classifier never saw keeps the p-value exact.

Used to warn when dev and test differ ("dev and test sets must come from the same
distribution") and to detect a mismatch between the training data and dev.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..validation import check_matrix

ALPHA = 0.01
MAX_SAMPLES = 5000


@dataclass(frozen=True)
class FeatureShift:
    """The Kolmogorov–Smirnov test of one feature: D (largest gap between the CDFs), p-value."""

    name: str
    statistic: float
    p_value: float
    shifted: bool


@dataclass(frozen=True)
class DistributionComparison:
    """The verdict of :func:`compare_distributions`; ``warning`` is None when nothing differs."""

    names: tuple[str, str]
    sizes: tuple[int, int]
    features: tuple[FeatureShift, ...]
    classifier_auc: float
    classifier_p_value: float
    alpha: float

    @property
    def shifted_features(self) -> list[str]:
        return [f.name for f in self.features if f.shifted]

    @property
    def classifier_separates(self) -> bool:
        return self.classifier_p_value < self.alpha / 2

    @property
    def same_distribution(self) -> bool:
        """True when neither test finds a difference at the false-alarm rate ``alpha``."""
        return not (self.shifted_features or self.classifier_separates)

    @property
    def warning(self) -> str | None:
        if self.same_distribution:
            return None
        a, b = self.names
        evidence = []
        if self.shifted_features:
            evidence.append(f"features that differ: {', '.join(self.shifted_features[:10])}")
            if len(self.shifted_features) > 10:
                evidence[-1] += f" and {len(self.shifted_features) - 10} more"
        if self.classifier_separates:
            evidence.append(
                f"a classifier tells {a} from {b} with AUC {self.classifier_auc:.2f} "
                f"(chance 0.5, p = {self.classifier_p_value:.1e})"
            )
        if {a, b} == {"dev", "test"}:
            advice = (
                "Make sure dev and test sets come from the same distribution: the target you "
                "aim at on dev is then the one test measures. Shuffle them together and split "
                "again, or move data so both reflect the data you expect in the future"
            )
        else:
            advice = (
                f"Errors on {b} will mix the model's generalization with this data mismatch; "
                f"hold out a slice of {a} (a train-dev set) to tell the two apart"
            )
        found = "; ".join(evidence)
        return f"{a} and {b} look drawn from different distributions ({found}). {advice}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "names": list(self.names),
            "sizes": list(self.sizes),
            "alpha": self.alpha,
            "same_distribution": self.same_distribution,
            "classifier_auc": self.classifier_auc,
            "classifier_p_value": self.classifier_p_value,
            "features": [f.__dict__ for f in self.features],
            "warning": self.warning,
        }

    def __str__(self) -> str:
        a, b = self.names
        lines = [
            f"{a} ({self.sizes[0]:,} examples) vs {b} ({self.sizes[1]:,} examples), "
            f"false-alarm rate {self.alpha:g}",
            f"classifier two-sample test: AUC {self.classifier_auc:.3f}, "
            f"p = {self.classifier_p_value:.2e}",
            f"features shifted (KS, Bonferroni): {len(self.shifted_features)} "
            f"of {len(self.features)}",
        ]
        worst = sorted(self.features, key=lambda f: f.p_value)[:5]
        lines += [f"  {f.name}: D = {f.statistic:.3f}, p = {f.p_value:.2e}" for f in worst]
        lines.append(self.warning or "verdict: no difference found")
        return "\n".join(lines)


def compare_distributions(
    a: ArrayLike,
    b: ArrayLike,
    *,
    names: tuple[str, str] = ("a", "b"),
    feature_names: Sequence[str] | None = None,
    alpha: float = ALPHA,
    max_samples: int = MAX_SAMPLES,
    seed: int | np.random.Generator | None = 0,
) -> DistributionComparison:
    """Test whether ``a`` (m_a, n_features) and ``b`` (m_b, n_features) share a distribution.

    ``names`` label the parts in the verdict (``("dev", "test")`` gives the textbook's advice);
    ``alpha`` is the false-alarm rate (the probability of a warning when both parts truly come
    from one distribution); each part is randomly subsampled to at most ``max_samples``
    examples, which keeps the check fast on large data.
    """
    a, b = check_matrix(a), check_matrix(b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"{names[0]} has {a.shape[1]} features but {names[1]} has {b.shape[1]}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha (the false-alarm rate) must be in (0, 1); got {alpha!r}")
    for name, part in zip(names, (a, b), strict=True):
        if len(part) < 10:
            raise ValueError(
                f"{name} has {len(part)} examples; comparing needs at least 10 per part"
            )
    n_features = a.shape[1]
    if feature_names is None:
        feature_names = [f"x{j + 1}" for j in range(n_features)]  # as the loaders name them
    elif len(feature_names) != n_features:
        raise ValueError(f"feature_names has {len(feature_names)} names for {n_features} features")
    from scipy.stats import ks_2samp  # imported here: SciPy's stats take ~0.5 s to load

    rng = np.random.default_rng(seed)
    a, b = _subsample(a, max_samples, rng), _subsample(b, max_samples, rng)

    per_feature_alpha = alpha / 2 / n_features
    features = []
    for j, name in enumerate(feature_names):
        with warnings.catch_warnings():
            # With ties (pixels, counts) SciPy's exact p-value fails and it falls back to the
            # asymptotic one, which is conservative for discrete data: fine, and not news.
            warnings.filterwarnings("ignore", "ks_2samp: Exact calculation unsuccessful")
            result = ks_2samp(a[:, j], b[:, j])
        p_value = float(result.pvalue)
        features.append(
            FeatureShift(str(name), float(result.statistic), p_value, p_value < per_feature_alpha)
        )
    auc, p_value = _classifier_test(a, b, rng)
    return DistributionComparison(
        names=(str(names[0]), str(names[1])),
        sizes=(len(a), len(b)),
        features=tuple(features),
        classifier_auc=auc,
        classifier_p_value=p_value,
        alpha=float(alpha),
    )


def _subsample(part: np.ndarray, max_samples: int, rng: np.random.Generator) -> np.ndarray:
    if len(part) <= max_samples:
        return part
    return part[rng.choice(len(part), size=max_samples, replace=False)]


def _classifier_test(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """AUC and one-sided p-value of a k-NN classifier telling ``a`` from ``b``, held out."""
    from scipy.stats import mannwhitneyu
    from sklearn.neighbors import KNeighborsClassifier

    X = np.vstack([a, b]).astype(np.float64)
    label = np.concatenate([np.zeros(len(a)), np.ones(len(b))])
    order = rng.permutation(len(X))
    fit, score = order[: len(X) // 2], order[len(X) // 2 :]
    # Standardize with the fitting half's statistics, so no feature dominates the distances.
    mean, std = X[fit].mean(axis=0), X[fit].std(axis=0)
    X = (X - mean) / np.where(std > 0, std, 1.0)
    k = int(np.clip(np.sqrt(len(fit)), 5, 50))
    classifier = KNeighborsClassifier(n_neighbors=k).fit(X[fit], label[fit])
    held_out = label[score]
    if held_out.min() == held_out.max():  # one part is so small that it missed the scoring half
        return 0.5, 1.0
    p = classifier.predict_proba(X[score])[:, 1]
    test = mannwhitneyu(p[held_out == 1], p[held_out == 0], alternative="greater")
    auc = float(test.statistic) / ((held_out == 1).sum() * (held_out == 0).sum())
    return auc, float(test.pvalue)
