"""Errors of building a suite: missing data or tools, or data that does not follow its format.

Like every benchmark error, messages never carry a restricted item's text or the canary.
"""

from __future__ import annotations

from clearinghouse.evals.errors import EvalError


class SuiteUnavailable(EvalError):
    """This machine lacks what the suite needs (a data file, gcc, a sandbox tool)."""

    status_code = 503
    title = "Benchmark suite unavailable on this machine"


class InvalidSuiteData(EvalError):
    """A suite's data file does not follow its format; names the file and the place at fault."""

    title = "Invalid benchmark data"
