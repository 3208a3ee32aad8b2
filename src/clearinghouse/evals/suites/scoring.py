"""Scores the battery's statistics can count: every sample ends CORRECT or INCORRECT.

Inspect's `choice()` scorer marks an empty completion NOANSWER; accuracy already counts that
as 0, but clustered standard errors and pass@k read values as 0/1, so "no answer" is folded
into INCORRECT here, with the reason kept in the score's metadata.
"""

from __future__ import annotations

import re

from inspect_ai.scorer import (
    CORRECT,
    INCORRECT,
    Score,
    Scorer,
    Target,
    accuracy,
    choice,
    scorer,
    stderr,
)
from inspect_ai.solver import TaskState

_ANSWER_LINE = re.compile(r"^[ \t*]*ANSWER\s*:\s*(.*?)\s*$", re.IGNORECASE | re.MULTILINE)


def as_binary(score: Score | None) -> Score:
    """CORRECT stays; anything else (INCORRECT, NOANSWER, partial credit) becomes INCORRECT."""
    if score is None:
        return Score(value=INCORRECT, answer="", explanation="no score")
    if score.value == CORRECT:
        return score
    metadata = dict(score.metadata or {})
    if score.value != INCORRECT:
        metadata["original_value"] = score.value
    return Score(
        value=INCORRECT,
        answer=score.answer,
        explanation=score.explanation,
        metadata=metadata or None,
    )


@scorer(metrics=[accuracy(), stderr()])
def choice_answer() -> Scorer:
    """Inspect's `choice()` scorer (needs the `multiple_choice` solver), on a 0/1 scale."""
    inner = choice()

    async def score(state: TaskState, target: Target) -> Score:
        return as_binary(await inner(state, target))

    return score


@scorer(metrics=[accuracy(), stderr()])
def mixed_answer() -> Scorer:
    """Multiple-choice samples by `choice()`, the rest by the last 'ANSWER: ...' line.

    Restricted item sets mix both kinds; the line answer is compared to the target whole
    (case-insensitive), so listing several candidates does not win.
    """
    by_choice = choice()

    async def score(state: TaskState, target: Target) -> Score:
        if state.choices:
            return as_binary(await by_choice(state, target))
        given = answer_line(state.output.completion)
        if given is None:
            return Score(value=INCORRECT, answer="", explanation="no 'ANSWER:' line")
        wanted = {_normalise(text) for text in target}
        value = CORRECT if _normalise(given) in wanted else INCORRECT
        return Score(value=value, answer=given)

    return score


def answer_line(completion: str) -> str | None:
    """The text after the last 'ANSWER:' at the start of a line, or None."""
    found = _ANSWER_LINE.findall(completion or "")
    return found[-1] if found else None


def _normalise(text: str) -> str:
    return " ".join(text.split()).casefold()
