"""Knowledge suite: CyberMetric as multiple choice; scorer validity with the stand-in solvers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.evals.suites import SUITES, SuiteOptions
from clearinghouse.evals.suites.errors import InvalidSuiteData, SuiteUnavailable
from clearinghouse.evals.suites.knowledge import read_questions
from clearinghouse.evals.suites.solvers import null_solver, random_solver, reference_solver

from .conftest import QUIET_INSPECT, chance_interval

pytestmark = QUIET_INSPECT

KNOWLEDGE = SUITES["knowledge"]


def options(cybermetric: Path, name: str = "CyberMetric-80-v1.json", **kw: Any) -> SuiteOptions:
    return SuiteOptions(cybermetric_path=cybermetric / name, **kw)


def test_the_binomial_interval_is_the_textbook_one() -> None:
    assert chance_interval(80, 0.25) == (13, 28)  # P(X<=12)=.022, P(X>=29)=.017
    assert chance_interval(500, 0.25) == (106, 144)  # P(X<=105)=.021, P(X>=145)=.023


def test_reference_scores_every_question(cybermetric: Path, run: Any) -> None:
    outcome = run(KNOWLEDGE.build(options(cybermetric)), reference_solver())
    assert len(outcome.values) == 80
    assert outcome.accuracy == 1.0


def test_silence_scores_nothing(cybermetric: Path, run: Any) -> None:
    outcome = run(KNOWLEDGE.build(options(cybermetric)), null_solver())
    assert outcome.accuracy == 0.0


def test_guessing_lands_in_the_chance_interval(cybermetric: Path, run: Any) -> None:
    outcome = run(KNOWLEDGE.build(options(cybermetric)), random_solver(seed=1))
    low, high = chance_interval(80, 0.25)
    assert low <= outcome.correct <= high, outcome.correct


@pytest.mark.slow
def test_guessing_on_all_500_questions_lands_in_the_chance_interval(
    cybermetric: Path, run: Any
) -> None:
    outcome = run(KNOWLEDGE.build(options(cybermetric, "CyberMetric-500-v1.json")), random_solver())
    low, high = chance_interval(500, 0.25)
    assert len(outcome.values) == 500
    assert low <= outcome.correct <= high, outcome.correct


def _order(task: Any) -> list[tuple[str, list[str], str]]:
    return [(s.id, list(s.choices), s.target) for s in task.dataset]


def test_answer_order_follows_the_seed(cybermetric: Path) -> None:
    questions = {
        q["question"].strip(): q for q in read_questions(cybermetric / "CyberMetric-80-v1.json")
    }
    first = KNOWLEDGE.build(options(cybermetric, seed=7))
    assert _order(first) == _order(KNOWLEDGE.build(options(cybermetric, seed=7)))
    assert _order(first) != _order(KNOWLEDGE.build(options(cybermetric, seed=8)))
    moved = 0
    for sample in first.dataset:
        question = questions[str(sample.input)]
        correct_text = question["answers"][question["solution"]].strip()
        letter = str(sample.target)
        assert sample.choices is not None
        assert sample.choices["ABCD".index(letter)] == correct_text  # the target follows
        moved += letter != question["solution"]
    assert moved > 40  # about three in four letters move


def test_unshuffled_keeps_the_published_letters(cybermetric: Path) -> None:
    task = KNOWLEDGE.build(options(cybermetric, shuffle_choices=False, limit=5))
    published = read_questions(cybermetric / "CyberMetric-80-v1.json")[:5]
    assert [s.target for s in task.dataset] == [q["solution"] for q in published]


def test_items_carry_domain_group_and_a_content_id(cybermetric: Path) -> None:
    small = KNOWLEDGE.build(options(cybermetric))
    large = KNOWLEDGE.build(options(cybermetric, "CyberMetric-500-v1.json"))
    assert len(large.dataset) == 500
    for sample in small.dataset:
        assert sample.metadata is not None
        assert sample.metadata["domain"] == "knowledge"
        assert sample.metadata["item_id"] == sample.id == sample.metadata["group"]
    # the 80 questions are among the 500, under the same ids
    assert {s.id for s in small.dataset} <= {s.id for s in large.dataset}


def test_the_default_file_is_the_500_question_set() -> None:
    task = KNOWLEDGE.build(SuiteOptions(limit=3))
    assert task.dataset.name == "cybermetric-CyberMetric-500-v1"
    assert len(task.dataset) == 3


@pytest.mark.parametrize(
    ("document", "place"),
    [
        ("[]", "expected an object with a 'questions' list"),
        ('{"questions": [1]}', r"\$.questions\[0\]: expected an object"),
        ('{"questions": [{"question": "q", "answers": {"A": "a"}}]}', r"\[0\].answers"),
        (
            '{"questions": [{"question": "q", "answers": {"A": "a", "B": "b", "C": "c", '
            '"D": "d"}, "solution": "E"}]}',
            r"\[0\].solution",
        ),
        ("{not json", "not JSON"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_place(
    tmp_path: Path, document: str, place: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(document)
    with pytest.raises(InvalidSuiteData, match=place) as caught:
        KNOWLEDGE.build(SuiteOptions(cybermetric_path=path))
    assert str(path) in str(caught.value)


def test_a_missing_file_says_which(tmp_path: Path) -> None:
    with pytest.raises(SuiteUnavailable, match="not found"):
        KNOWLEDGE.build(SuiteOptions(cybermetric_path=tmp_path / "nowhere.json"))


def test_a_repeated_question_counts_once(tmp_path: Path) -> None:
    question = {"question": "q?", "answers": dict(zip("ABCD", "abcd", strict=True))}
    path = tmp_path / "twice.json"
    path.write_text(json.dumps({"questions": [{**question, "solution": "A"}] * 2}))
    assert len(KNOWLEDGE.build(SuiteOptions(cybermetric_path=path)).dataset) == 1
