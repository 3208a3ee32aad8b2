"""Running the battery's suites through Inspect with the mock model and the stand-in solvers."""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from inspect_ai import Task, eval
from inspect_ai.log import EvalLog
from inspect_ai.solver import Solver

from clearinghouse.evals.offline import prepare_tokenizer_cache

# Inspect's retry policy for every model call (mockllm included) trips a tenacity
# deprecation; it says nothing about our code, and there is one per sample.
QUIET_INSPECT = pytest.mark.filterwarnings(
    "ignore:The 'initial' parameter is deprecated:DeprecationWarning"
)


@pytest.fixture(autouse=True, scope="session")
def _tokenizer_without_internet(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Inspect counts tokens with tiktoken, which downloads its encoding on first use.
    prepare_tokenizer_cache(tmp_path_factory.mktemp("tiktoken"))


@pytest.fixture
def cybermetric(shared_data: Path) -> Path:
    return shared_data / "evals" / "cybermetric"


@pytest.fixture
def needs_gcc() -> None:
    if shutil.which("gcc") is None:
        pytest.fail(
            "gcc is missing: the exploitation suite builds C programs (apt-get install gcc)"
        )


@dataclass(frozen=True)
class Outcome:
    log: EvalLog
    values: dict[str, str]  # sample id (and epoch) -> "C" or "I"

    @property
    def accuracy(self) -> float:
        return sum(v == "C" for v in self.values.values()) / len(self.values)

    @property
    def correct(self) -> int:
        return sum(v == "C" for v in self.values.values())


@pytest.fixture
def run(tmp_path: Path) -> Iterator[object]:
    def run_task(task: Task, solver: Solver) -> Outcome:
        [log] = eval(
            task,
            model="mockllm/model",
            solver=solver,
            log_dir=str(tmp_path / "logs"),
            display="none",
            max_samples=16,
        )
        assert log.status == "success", log.error
        assert log.samples is not None
        values: dict[str, str] = {}
        for sample in log.samples:
            assert sample.scores is not None and len(sample.scores) == 1, sample.id
            [score] = sample.scores.values()
            assert score.value in ("C", "I"), (sample.id, score.value)
            values[f"{sample.id}#{sample.epoch}"] = str(score.value)
        return Outcome(log, values)

    yield run_task


def chance_interval(n: int, p: float, level: float = 0.95) -> tuple[int, int]:
    """The central `level` interval of Binomial(n, p): counts outside it have <5% chance."""
    tail = (1 - level) / 2
    pmf = [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]
    low, below = 0, 0.0
    while below + pmf[low] <= tail:
        below += pmf[low]
        low += 1
    high, above = n, 0.0
    while above + pmf[high] <= tail:
        above += pmf[high]
        high -= 1
    return low, high
