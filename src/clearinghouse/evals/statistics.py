"""Accuracy with clustered standard errors, 95% intervals, pass@k and paired comparisons.

The formulas are stated in docs/evals.md. They are computed here from stored result
rows rather than through Inspect's metrics because they must be recomputed at any time
(a new policy version re-determines past runs without rerunning them), for any slice
(one domain, the items two runs share) and for derived values (per-item pass@k, paired
differences), none of which exists as an Inspect `Score` list. The tests check the
results against Inspect's own `stderr(cluster=...)` and `pass_at` and against direct
computations.

Scores are in [0, 1]. An item run for several epochs counts once, with the mean of its
epochs: the item, not the attempt, is the unit of observation, and items of one group
(one program template, one CTF category) are correlated, hence the clustering.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

CONFIDENCE = 0.95


def z_value(level: float = CONFIDENCE) -> float:
    """The two-sided standard normal quantile: 1.959964 for a 95% interval."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"a confidence level lies strictly between 0 and 1, not {level}")
    return NormalDist().inv_cdf(0.5 + level / 2.0)


@dataclass(frozen=True)
class ScoredSample:
    """One sample of one epoch, as stored: which item, its domain and group, its score."""

    item_id: str
    domain: str
    group: str
    epoch: int
    score: float


@dataclass(frozen=True)
class ItemScore:
    """One item over all its epochs: n attempts, c of them correct, their mean score."""

    item_id: str
    domain: str
    group: str
    attempts: int
    correct: int
    mean: float


@dataclass(frozen=True)
class Estimate:
    """A mean over items with its clustered standard error and confidence interval.

    `standard_error` is None when fewer than two groups were observed: the clustered
    variance cannot be estimated, and the interval is then the whole range.
    """

    n: int
    clusters: int
    mean: float
    standard_error: float | None
    lower: float
    upper: float
    level: float = CONFIDENCE

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "n": self.n,
            "clusters": self.clusters,
            "mean": self.mean,
            "standard_error": self.standard_error,
            "lower": self.lower,
            "upper": self.upper,
            "level": self.level,
        }


def clustered_standard_error(values: Sequence[float], groups: Sequence[Hashable]) -> float | None:
    """CRSE of the mean: sqrt(G/(G-1) * sum_g (sum_{i in g} (x_i - mean))^2) / n.

    None for fewer than two groups (G/(G-1) is undefined).
    """
    if len(values) != len(groups):
        raise ValueError("every value needs its group")
    n = len(values)
    by_group: dict[Hashable, float] = defaultdict(float)
    if n == 0:
        return None
    mean = math.fsum(values) / n
    for value, group in zip(values, groups, strict=True):
        by_group[group] += value - mean
    clusters = len(by_group)
    if clusters < 2:
        return None
    variance_sum = math.fsum(total * total for total in by_group.values())
    return math.sqrt(clusters / (clusters - 1) * variance_sum) / n


def estimate(
    values: Sequence[float],
    groups: Sequence[Hashable],
    *,
    level: float = CONFIDENCE,
    bounds: tuple[float, float] = (0.0, 1.0),
) -> Estimate | None:
    """The mean, its clustered standard error and the normal interval mean +- z * SE.

    The interval is clipped to `bounds`, the range the values can take ([0, 1] for
    scores, [-1, 1] for paired differences). None when there are no values.
    """
    n = len(values)
    if n == 0:
        return None
    mean = math.fsum(values) / n
    se = clustered_standard_error(values, groups)
    low, high = bounds
    if se is None:
        lower, upper = low, high
    else:
        half = z_value(level) * se
        lower, upper = max(low, mean - half), min(high, mean + half)
    return Estimate(
        n=n,
        clusters=len(set(groups)),
        mean=mean,
        standard_error=se,
        lower=lower,
        upper=upper,
        level=level,
    )


def item_scores(samples: Iterable[ScoredSample]) -> list[ItemScore]:
    """Collapse epochs: one ItemScore per item id, in first-seen order.

    A sample counts as correct when its score is 1 (CORRECT); partial scores still
    enter the item's mean.
    """
    found: dict[str, list[ScoredSample]] = {}
    for sample in samples:
        found.setdefault(sample.item_id, []).append(sample)
    items = []
    for item_id, attempts in found.items():
        first = attempts[0]
        items.append(
            ItemScore(
                item_id=item_id,
                domain=first.domain,
                group=first.group,
                attempts=len(attempts),
                correct=sum(1 for a in attempts if a.score >= 1.0),
                mean=math.fsum(a.score for a in attempts) / len(attempts),
            )
        )
    return items


def accuracy(items: Sequence[ItemScore], *, level: float = CONFIDENCE) -> Estimate | None:
    """Mean item score with the standard error clustered by item group."""
    return estimate([i.mean for i in items], [i.group for i in items], level=level)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chen et al. (2021)'s unbiased pass@k for one item: 1 - C(n-c, k) / C(n, k)."""
    if not 0 <= c <= n:
        raise ValueError(f"correct attempts ({c}) must lie between 0 and the attempts ({n})")
    if not 1 <= k <= n:
        raise ValueError(f"pass@{k} needs at least {k} attempts, not {n}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_at(items: Sequence[ItemScore], k: int, *, level: float = CONFIDENCE) -> Estimate | None:
    """Mean per-item pass@k, clustered by group; items with fewer than k attempts are left out."""
    usable = [i for i in items if i.attempts >= k]
    values = [pass_at_k(i.attempts, i.correct, k) for i in usable]
    return estimate(values, [i.group for i in usable], level=level)


@dataclass(frozen=True)
class PairedComparison:
    """Model A minus model B on the items both were scored on."""

    items: int
    only_a: int
    only_b: int
    difference: Estimate | None
    mean_a: float | None
    mean_b: float | None


def paired_difference(
    a: Sequence[ItemScore], b: Sequence[ItemScore], *, level: float = CONFIDENCE
) -> PairedComparison:
    """The mean of d_i = a_i - b_i over shared items, its clustered SE and interval.

    Pairing removes the variation between items that both models share, so the
    interval is narrower than the two intervals taken apart would suggest. Groups come
    from A's rows (the items are the same).
    """
    b_by_id = {item.item_id: item for item in b}
    shared = [item for item in a if item.item_id in b_by_id]
    differences = [item.mean - b_by_id[item.item_id].mean for item in shared]
    groups = [item.group for item in shared]
    shared_ids = {item.item_id for item in shared}
    return PairedComparison(
        items=len(shared),
        only_a=len(a) - len(shared),
        only_b=sum(1 for item in b if item.item_id not in shared_ids),
        difference=estimate(differences, groups, level=level, bounds=(-1.0, 1.0)),
        mean_a=math.fsum(i.mean for i in shared) / len(shared) if shared else None,
        mean_b=math.fsum(b_by_id[i.item_id].mean for i in shared) / len(shared) if shared else None,
    )


@dataclass(frozen=True)
class Summary:
    """One run's or one run set's aggregates: overall, per domain, and pass@k per k."""

    overall: Estimate | None
    domains: dict[str, Estimate]
    pass_at: dict[int, Estimate]
    epochs: int

    def as_dict(self) -> dict[str, object]:
        return {
            "overall": self.overall.as_dict() if self.overall else None,
            "domains": {name: e.as_dict() for name, e in sorted(self.domains.items())},
            "pass_at": {str(k): e.as_dict() for k, e in sorted(self.pass_at.items())},
            "epochs": self.epochs,
        }


def summarise(samples: Iterable[ScoredSample], *, level: float = CONFIDENCE) -> Summary:
    """Overall accuracy, accuracy per capability domain, and pass@k for k = 1..epochs."""
    items = item_scores(samples)
    epochs = min((i.attempts for i in items), default=0)
    by_domain: dict[str, list[ItemScore]] = defaultdict(list)
    for item in items:
        by_domain[item.domain].append(item)
    domains = {}
    for name, members in by_domain.items():
        found = accuracy(members, level=level)
        if found is not None:
            domains[name] = found
    passes = {}
    if epochs > 1:
        for k in range(1, epochs + 1):
            found = pass_at(items, k, level=level)
            if found is not None:
                passes[k] = found
    return Summary(
        overall=accuracy(items, level=level), domains=domains, pass_at=passes, epochs=epochs
    )
