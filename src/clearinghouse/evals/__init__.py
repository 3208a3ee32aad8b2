"""The benchmark battery on Inspect: runs, restricted item sets, statistics, coverage policy.

The suites themselves live in `evals.suites`; this package runs them as background jobs,
stores what they measured, and turns the scores into coverage determinations.
"""
