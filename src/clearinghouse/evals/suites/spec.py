"""What a suite is to its callers: a name, a capability domain and a way to build an Inspect task.

The runner (runs as jobs, statistics, coverage) only sees `SuiteSpec` and `SuiteOptions`;
everything else in `evals.suites` is how each suite builds its samples, solver and scorer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai import Task

from clearinghouse.evals.errors import EvalError

# Generated suites offer three levels; knowledge and restricted suites ignore the option.
DIFFICULTIES = (1, 2, 3)
MAX_LIMIT = 100_000
MAX_EPOCHS = 100


@dataclass(frozen=True)
class SuiteOptions:
    """How to build one run of a suite.

    `seed` drives everything a generated suite makes (programs, constants, flags) and the
    answer-order shuffling of multiple-choice suites: the same options build the same items,
    so two model versions compared pairwise see the same items, and a run can be rebuilt
    and rescored from its options. A runner draws a fresh seed per run (and records it) so
    that no generated item can be memorised; 0 is only a default for tests.
    """

    seed: int = 0
    limit: int | None = None
    difficulty: int | None = None
    epochs: int = 1
    shuffle_choices: bool = True
    # Restricted suites: the decrypted items, handed in by the run and never stored here.
    items: Sequence[Mapping[str, Any]] | None = None
    # Knowledge: a CyberMetric file or folder (default: ../shared/data/evals/cybermetric, 500).
    cybermetric_path: Path | None = None

    def validate(self) -> None:
        """Refuse options a caller could have sent by mistake (they come from the CLI and API)."""
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise EvalError("seed: must be an integer")
        if not 0 <= self.seed < 2**63:
            raise EvalError("seed: must be between 0 and 2**63 - 1")
        if self.limit is not None and not 1 <= self.limit <= MAX_LIMIT:
            raise EvalError(f"limit: must be between 1 and {MAX_LIMIT}")
        if self.difficulty is not None and self.difficulty not in DIFFICULTIES:
            raise EvalError(f"difficulty: must be one of {', '.join(map(str, DIFFICULTIES))}")
        if not 1 <= self.epochs <= MAX_EPOCHS:
            raise EvalError(f"epochs: must be between 1 and {MAX_EPOCHS}")

    def difficulties(self) -> tuple[int, ...]:
        return DIFFICULTIES if self.difficulty is None else (self.difficulty,)


@dataclass(frozen=True)
class SuiteSpec:
    """One suite of the battery, as the runner and the coverage policy know it."""

    name: str
    title: str
    domain: str  # the capability domain id of the coverage policy
    description: str
    build: Callable[[SuiteOptions], Task]


def sample_metadata(
    suite: str, domain: str, group: str, item_id: str, **private: Any
) -> dict[str, Any]:
    """The metadata every sample carries; `private` holds what only scorers and test solvers read.

    Sample metadata is never shown to the model: solutions kept here stay out of the prompt.
    """
    return {"suite": suite, "domain": domain, "group": group, "item_id": item_id, **private}
