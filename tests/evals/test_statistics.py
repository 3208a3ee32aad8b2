"""Statistics against independent computations: Inspect's own metrics and exact fractions.

scipy is not installed here (checked), so the references are Inspect's
`stderr(cluster=...)` metric and `pass_at` reducer, and direct computations with
`fractions.Fraction` and `math.comb` that share no code with the module.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inspect_ai.scorer import SampleScore, Score, stderr
from inspect_ai.scorer import pass_at as inspect_pass_at

from clearinghouse.evals.statistics import (
    ItemScore,
    ScoredSample,
    clustered_standard_error,
    estimate,
    item_scores,
    paired_difference,
    pass_at,
    pass_at_k,
    summarise,
    z_value,
)

scores = st.lists(
    st.tuples(st.sampled_from([0.0, 1.0]), st.integers(min_value=0, max_value=6)),
    min_size=2,
    max_size=60,
)


def _reference_crse(values: list[float], groups: list[int]) -> float | None:
    """sqrt(G/(G-1) * sum_g (sum_{i in g} (x_i - mean))^2) / n, in exact fractions."""
    exact = [Fraction(v) for v in values]
    n = len(exact)
    mean = sum(exact) / n
    totals: dict[int, Fraction] = {}
    for value, group in zip(exact, groups, strict=True):
        totals[group] = totals.get(group, Fraction(0)) + value - mean
    g = len(totals)
    if g < 2:
        return None
    return math.sqrt(Fraction(g, g - 1) * sum(t * t for t in totals.values())) / n


@settings(max_examples=200, deadline=None)
@given(scores)
def test_clustered_standard_error_matches_exact_fractions_and_inspect(
    data: list[tuple[float, int]],
) -> None:
    values = [v for v, _ in data]
    groups = [g for _, g in data]
    ours = clustered_standard_error(values, groups)
    reference = _reference_crse(values, groups)
    if reference is None:
        assert ours is None
        return
    assert ours is not None and math.isclose(ours, reference, rel_tol=1e-9, abs_tol=1e-12)
    sample_scores = [
        SampleScore(score=Score(value=v), sample_id=i, sample_metadata={"group": g})
        for i, (v, g) in enumerate(data)
    ]
    inspect_value = stderr(cluster="group")(sample_scores)
    assert math.isclose(ours, float(inspect_value), rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=30), st.data())
def test_pass_at_k_is_chen_et_als_estimator(n: int, data: st.DataObject) -> None:
    c = data.draw(st.integers(min_value=0, max_value=n))
    k = data.draw(st.integers(min_value=1, max_value=n))
    # Direct: the share of k-subsets of the n attempts that hold at least one success.
    expected = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
    assert math.isclose(pass_at_k(n, c, k), float(expected), abs_tol=1e-12)
    reduced = inspect_pass_at(k)([Score(value=1.0 if i < c else 0.0) for i in range(n)])
    assert math.isclose(pass_at_k(n, c, k), float(reduced.value), abs_tol=1e-9)  # type: ignore[arg-type]


def test_pass_at_k_by_enumeration() -> None:
    attempts = [1, 0, 0, 1, 0]
    for k in range(1, 6):
        subsets = list(itertools.combinations(attempts, k))
        share = sum(1 for s in subsets if any(s)) / len(subsets)
        assert math.isclose(pass_at_k(5, 2, k), share)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)


def test_estimate_interval_and_its_edges() -> None:
    assert math.isclose(z_value(), 1.959963984540054)
    found = estimate([1.0, 0.0, 1.0, 1.0], ["a", "a", "b", "b"])
    assert found is not None and found.mean == 0.75 and found.clusters == 2
    assert found.standard_error is not None
    assert math.isclose(found.lower, max(0.0, 0.75 - z_value() * found.standard_error))
    # One group: the clustered variance cannot be estimated; the interval is the whole range.
    alone = estimate([1.0, 1.0], ["a", "a"])
    assert alone is not None and alone.standard_error is None
    assert (alone.lower, alone.upper) == (0.0, 1.0)
    assert estimate([], []) is None


def test_epochs_collapse_into_items_and_give_pass_at_k() -> None:
    samples = [
        ScoredSample("a", "ctf", "web", 1, 1.0),
        ScoredSample("a", "ctf", "web", 2, 0.0),
        ScoredSample("b", "ctf", "crypto", 1, 0.0),
        ScoredSample("b", "ctf", "crypto", 2, 0.0),
        ScoredSample("c", "knowledge", "k1", 1, 1.0),
        ScoredSample("c", "knowledge", "k1", 2, 1.0),
    ]
    items = item_scores(samples)
    assert [(i.item_id, i.attempts, i.correct, i.mean) for i in items] == [
        ("a", 2, 1, 0.5),
        ("b", 2, 0, 0.0),
        ("c", 2, 2, 1.0),
    ]
    summary = summarise(samples)
    assert summary.epochs == 2 and set(summary.domains) == {"ctf", "knowledge"}
    assert summary.overall is not None and math.isclose(summary.overall.mean, 0.5)
    assert math.isclose(summary.pass_at[2].mean, (1.0 + 0.0 + 1.0) / 3)
    assert math.isclose(summary.pass_at[1].mean, summary.overall.mean)
    found = pass_at(items, 2)
    assert found is not None and found.n == 3


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 1), st.floats(0, 1), st.integers(0, 4)), min_size=2, max_size=40
    )
)
def test_paired_difference_is_the_clustered_mean_of_differences(
    rows: list[tuple[float, float, int]],
) -> None:
    a = [ItemScore(f"i{n}", "d", f"g{g}", 1, 0, x) for n, (x, _, g) in enumerate(rows)]
    b = [ItemScore(f"i{n}", "d", f"g{g}", 1, 0, y) for n, (_, y, g) in enumerate(rows)]
    b.append(ItemScore("only-b", "d", "g0", 1, 0, 1.0))
    result = paired_difference(a, b)
    assert (result.items, result.only_a, result.only_b) == (len(rows), 0, 1)
    differences = [x - y for x, y, _ in rows]
    assert result.difference is not None
    assert math.isclose(result.difference.mean, math.fsum(differences) / len(rows), abs_tol=1e-12)
    reference = _reference_crse(differences, [g for _, _, g in rows])
    if reference is None:
        assert result.difference.standard_error is None
    else:
        assert result.difference.standard_error is not None
        assert math.isclose(result.difference.standard_error, reference, abs_tol=1e-9)
    assert -1.0 <= result.difference.lower <= result.difference.mean <= result.difference.upper
