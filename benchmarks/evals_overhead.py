"""Harness overhead over bare Inspect, on the mock model, for a 1,000-sample suite.

Ours: `SUITES["knowledge"].build(...)` (CyberMetric's 500 questions, answers shuffled,
2 epochs: 1,000 samples) then `inspect_ai.eval` with its multiple-choice solver and 0/1
choice scorer. Bare: a plain `Task` with the same 500 samples and 2 epochs, Inspect's
`generate()` and a trivial `includes()` scorer. Both on `mockllm/model`, which answers at
once, so the figures are framework time only; a warm-up eval runs first, then the two
alternate --repeat times and the best of each is kept. Wall time and this process's CPU
time are both printed: on a shared machine the CPU time is the steadier measure. Issue 7,
acceptance 4.

    python benchmarks/evals_overhead.py [--shared-data ../shared/data] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from inspect_ai import Task, eval
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import includes
from inspect_ai.solver import generate

from clearinghouse.evals.offline import prepare_tokenizer_cache
from clearinghouse.evals.suites import SUITES, SuiteOptions

EPOCHS = 2


def _eval(task: Task, log_dir: str) -> int:
    [log] = eval(task, model="mockllm/model", log_dir=log_dir, display="none")
    assert log.status == "success", log.error
    assert log.results is not None
    return log.results.total_samples


Timing = tuple[float, float, int]  # wall seconds, CPU seconds, samples


def _timed(make: Callable[[], Task], log_dir: str) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    count = _eval(make(), log_dir)  # building the task is part of the harness
    return time.perf_counter() - wall, time.process_time() - cpu, count


def ours(cybermetric: Path, log_dir: str) -> Timing:
    options = SuiteOptions(cybermetric_path=cybermetric, epochs=EPOCHS)
    return _timed(lambda: SUITES["knowledge"].build(options), log_dir)


def bare(cybermetric: Path, log_dir: str) -> Timing:
    template = SUITES["knowledge"].build(SuiteOptions(cybermetric_path=cybermetric))
    samples = [
        Sample(id=s.id, input=s.input, choices=s.choices, target=s.target, metadata=s.metadata)
        for s in template.dataset
    ]

    def make() -> Task:
        dataset = MemoryDataset(list(samples))
        return Task(dataset=dataset, solver=generate(), scorer=includes(), epochs=EPOCHS)

    return _timed(make, log_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared-data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cybermetric = args.shared_data / "evals" / "cybermetric" / "CyberMetric-500-v1.json"
    prepare_tokenizer_cache()
    with tempfile.TemporaryDirectory() as log_dir:
        warm = SUITES["knowledge"].build(SuiteOptions(cybermetric_path=cybermetric, limit=20))
        _eval(warm, log_dir)  # imports, registry, first log: paid once by any harness
        runs: dict[str, list[Timing]] = {"ours": [], "bare": []}
        contenders: dict[str, Callable[[Path, str], Timing]] = {"ours": ours, "bare": bare}
        for round_ in range(args.repeat):
            for name, contender in contenders.items():
                wall, cpu, count = contender(cybermetric, log_dir)
                runs[name].append((wall, cpu, count))
                print(f"round {round_ + 1} {name}: wall {wall:.2f} s, CPU {cpu:.2f} s")
    best_wall = {name: min(r[0] for r in results) for name, results in runs.items()}
    best_cpu = {name: min(r[1] for r in results) for name, results in runs.items()}
    count = runs["ours"][0][2]
    print()
    print("| harness | samples | wall s (best) | CPU s (best) | CPU ms/sample |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name in runs:
        print(
            f"| {name} | {count} | {best_wall[name]:.2f} | {best_cpu[name]:.2f} | "
            f"{1000 * best_cpu[name] / count:.1f} |"
        )
    for measure, best in (("wall", best_wall), ("CPU", best_cpu)):
        overhead = 100 * (best["ours"] / best["bare"] - 1)
        print(f"overhead of the harness over bare Inspect ({measure} time): {overhead:+.1f}%")


if __name__ == "__main__":
    main()
