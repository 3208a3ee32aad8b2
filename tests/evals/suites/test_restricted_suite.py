"""Restricted suite: items handed in, each carrying the canary; scorer validity on both kinds."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.evals.errors import InvalidItemSet
from clearinghouse.evals.suites import CANARY, SUITES, SuiteOptions
from clearinghouse.evals.suites.solvers import null_solver, random_solver, reference_solver

from .conftest import QUIET_INSPECT

pytestmark = QUIET_INSPECT

RESTRICTED = SUITES["restricted"]
SECRET = "SECRET-ITEM-TEXT"


def items(count: int = 12) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = []
    for n in range(count):
        if n % 2:
            made.append(
                {
                    "id": f"mc-{n}",
                    "input": f"{SECRET} question {n}?",
                    "choices": [f"option {n}-{k}" for k in range(4)],
                    "target": "ABCD"[n % 4],
                    "domain": "exploitation",
                    "group": f"g{n % 3}",
                    "canary": CANARY,
                }
            )
        else:
            made.append(
                {
                    "id": n,
                    "input": f"{SECRET} name the port of service {n}",
                    "target": [str(8000 + n), f"port {8000 + n}"],
                    "metadata": {"canary": CANARY},
                }
            )
    return made


def test_reference_answers_every_item_of_both_kinds(run: Any) -> None:
    outcome = run(RESTRICTED.build(SuiteOptions(items=items(), seed=4)), reference_solver())
    assert len(outcome.values) == 12
    assert outcome.accuracy == 1.0


def test_silence_and_guesses(run: Any) -> None:
    assert run(RESTRICTED.build(SuiteOptions(items=items())), null_solver()).accuracy == 0.0
    guessed = run(RESTRICTED.build(SuiteOptions(items=items())), random_solver())
    free_text = [k for k in guessed.values if not k.startswith("mc-")]
    assert all(guessed.values[k] == "I" for k in free_text)


def test_samples_carry_domain_group_item_and_canary() -> None:
    task = RESTRICTED.build(SuiteOptions(items=items(), shuffle_choices=False))
    by_id = {sample.id: sample for sample in task.dataset}
    mc, free = by_id["mc-1"].metadata, by_id["0"].metadata
    assert (mc["domain"], mc["group"], mc["item_id"]) == ("exploitation", "g1", "mc-1")
    assert (free["domain"], free["group"], free["item_id"]) == ("restricted", "0", "0")
    assert mc["canary"] == free["canary"] == CANARY
    assert by_id["mc-1"].target == "B"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"canary": None}, "canary string is missing"),
        ({"canary": "another instance"}, "canary string is missing or different"),
        ({"input": ""}, r"items\[1\] \(id 'mc-1'\).input"),
        ({"choices": ["only one"]}, r"\.choices: expected a list of 2"),
        ({"target": "E"}, r"\.target: expected the letter"),
        ({"id": 2}, "'2' appears twice"),
        ({"group": ""}, r"\.group"),
    ],
)
def test_a_bad_item_is_refused_naming_it_never_quoting_it(
    change: dict[str, Any], message: str
) -> None:
    bad = items()
    bad[1] = {key: value for key, value in {**bad[1], **change}.items() if value is not None}
    with pytest.raises(InvalidItemSet, match=message) as caught:
        RESTRICTED.build(SuiteOptions(items=bad))
    assert SECRET not in str(caught.value)
    assert CANARY not in str(caught.value)


def test_no_items_no_task() -> None:
    with pytest.raises(InvalidItemSet, match="no items"):
        RESTRICTED.build(SuiteOptions())


def test_the_canary_looks_like_a_guid_marker() -> None:
    assert CANARY.startswith("CLEARINGHOUSE")
    guid = CANARY.rsplit(" ", 1)[1]
    assert [len(part) for part in guid.split("-")] == [8, 4, 4, 4, 12]
