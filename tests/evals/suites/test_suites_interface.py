"""The interface the runner calls: SUITES, SuiteSpec, SuiteOptions, sample metadata."""

from __future__ import annotations

from typing import Any

import pytest
from inspect_ai import Task

from clearinghouse.evals.errors import EvalError
from clearinghouse.evals.suites import CANARY, SUITES, SuiteOptions

ITEMS = [{"id": "r1", "input": "q", "target": "a", "canary": CANARY}]


def test_the_battery_has_four_suites_in_the_policy_domains() -> None:
    assert sorted(SUITES) == ["ctf", "exploitation", "knowledge", "restricted"]
    assert {name: spec.domain for name, spec in SUITES.items()} == {
        "knowledge": "knowledge",
        "exploitation": "exploitation",
        "ctf": "ctf",
        "restricted": "restricted",
    }
    for name, spec in SUITES.items():
        assert spec.name == name and spec.title and spec.description


@pytest.mark.usefixtures("needs_gcc")
@pytest.mark.parametrize("name", ["knowledge", "exploitation", "ctf", "restricted"])
def test_every_sample_carries_domain_group_and_item_id(name: str) -> None:
    task = SUITES[name].build(SuiteOptions(limit=30, items=ITEMS, epochs=2))
    assert isinstance(task, Task)
    assert task.epochs == 2
    ids = set()
    for sample in task.dataset:
        metadata: dict[str, Any] = sample.metadata or {}
        assert metadata["domain"] and metadata["group"] and metadata["item_id"] == sample.id
        assert metadata["suite"] == name
        ids.add(sample.id)
    assert len(ids) == len(task.dataset)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (SuiteOptions(limit=0), "limit"),
        (SuiteOptions(epochs=0), "epochs"),
        (SuiteOptions(difficulty=4), "difficulty"),
        (SuiteOptions(seed=-1), "seed"),
    ],
)
@pytest.mark.parametrize("name", sorted(SUITES))
def test_options_a_caller_got_wrong_are_refused(
    name: str, options: SuiteOptions, message: str
) -> None:
    with pytest.raises(EvalError, match=message):
        SUITES[name].build(options)


@pytest.mark.usefixtures("needs_gcc")
def test_the_same_options_build_the_same_items() -> None:
    for name in ("exploitation", "ctf"):
        first = SUITES[name].build(SuiteOptions(seed=42))
        again = SUITES[name].build(SuiteOptions(seed=42))
        other = SUITES[name].build(SuiteOptions(seed=43))
        assert [s.input for s in first.dataset] == [s.input for s in again.dataset]
        assert [s.target for s in first.dataset] == [s.target for s in again.dataset]
        assert [s.id for s in first.dataset] == [s.id for s in other.dataset]
        for a, b in zip(first.dataset, other.dataset, strict=True):
            # a new seed: new programs (exploitation) or new flags and files (ctf)
            assert (a.input, a.target, a.files) != (b.input, b.target, b.files), a.id
