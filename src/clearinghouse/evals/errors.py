"""Errors of the benchmark battery: unknown things, requests that do not fit, bad inputs.

Messages never carry a credential, a restricted item's text or the canary: they reach
API problems, CLI lines and stored run errors.
"""

from __future__ import annotations

from clearinghouse.errors import ClearinghouseError, Conflict, NotFound


class EvalError(ClearinghouseError):
    """A benchmark request the caller can correct."""

    status_code = 422
    title = "Invalid benchmark request"


class UnknownRun(EvalError, NotFound):
    """No such run, or none the asker may see: the two read the same."""

    status_code = 404
    title = "Not found"


class UnknownSuite(EvalError, NotFound):
    status_code = 404
    title = "Unknown suite"


class UnknownItemSet(EvalError, NotFound):
    status_code = 404
    title = "Unknown restricted item set"


class UnknownPolicy(EvalError, NotFound):
    status_code = 404
    title = "Unknown coverage policy version"


class UnknownDetermination(EvalError, NotFound):
    status_code = 404
    title = "Not found"


class InvalidPolicy(EvalError):
    """A coverage policy document that does not follow the schema; names the place at fault."""

    title = "Invalid coverage policy"


class PolicyChanged(EvalError, Conflict):
    """A published policy version is immutable: a changed text needs a new version."""

    status_code = 409
    title = "Coverage policy version already published"


class InvalidItemSet(EvalError):
    """A restricted item file that cannot be loaded; names the file and the item at fault."""

    title = "Invalid restricted item set"


class DuplicateItemSet(EvalError, Conflict):
    status_code = 409
    title = "Restricted item set already loaded"


class TargetUnavailable(EvalError):
    """The model version gives no way for Inspect to reach it."""

    title = "Model version cannot be reached for a benchmark run"


class RunNotDone(EvalError, Conflict):
    status_code = 409
    title = "Benchmark run not finished"


class RunBusy(EvalError, Conflict):
    status_code = 409
    title = "Benchmark run already running"
