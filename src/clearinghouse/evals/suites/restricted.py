"""Restricted suites: an operator's private items, handed in decrypted for one run only.

The run decrypts a stored item set and passes its items in `SuiteOptions.items`; this
module only turns them into an Inspect task and never stores or prints them. Every item
must carry this instance's canary string (the item set's file puts it in each item, at
`canary` or `metadata.canary`): if items leak into a training corpus, a model that can
complete the canary gives the leak away. Items without it are refused, so an item set
that was never marked cannot be run.

Item shape: {id, input, target, choices?, domain?, group?, canary | metadata.canary}.
With `choices`, the target is the letter of the correct choice (A, B, ...) and the item is
multiple choice (shuffled by the run seed); without, the model ends with a line
"ANSWER: ..." compared whole to the target (or to any of a list of accepted answers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.solver import Generate, Solver, TaskState, multiple_choice, solver

from clearinghouse.evals.errors import InvalidItemSet
from clearinghouse.evals.suites.scoring import mixed_answer
from clearinghouse.evals.suites.spec import SuiteOptions, SuiteSpec, sample_metadata

SUITE = "restricted"
DOMAIN = "restricted"
# The instance's canary: constant, GUID-shaped, and meaningless outside this purpose.
CANARY = "CLEARINGHOUSE-RESTRICTED-CANARY 5b0c9f4e-7d2a-4e31-9a86-c3f1d27e04b8"

MAX_ITEMS = 100_000
MAX_ID_CHARS = 200
MAX_TEXT_CHARS = 200_000
MAX_TARGETS = 100
MAX_CHOICES = 26
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

FREE_TEXT_TEMPLATE = (
    "{prompt}\n\nEnd your response with a line of the form 'ANSWER: <your answer>'."
)


def item_canary(item: Mapping[str, Any]) -> Any:
    metadata = item.get("metadata")
    if "canary" in item:
        return item["canary"]
    if isinstance(metadata, Mapping):
        return metadata.get("canary")
    return None


def _checked_text(value: Any, where: str, *, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidItemSet(f"{where}: expected text of 1 to {limit} characters")
    return value


def _text(item: Mapping[str, Any], key: str, where: str, *, limit: int) -> str:
    return _checked_text(item.get(key), f"{where}.{key}", limit=limit)


def _target(item: Mapping[str, Any], where: str) -> str | list[str]:
    value = item.get("target")
    if isinstance(value, list):
        if not 1 <= len(value) <= MAX_TARGETS:
            raise InvalidItemSet(f"{where}.target: expected 1 to {MAX_TARGETS} accepted answers")
        return [
            _checked_text(answer, f"{where}.target[{index}]", limit=MAX_TEXT_CHARS)
            for index, answer in enumerate(value)
        ]
    return _text(item, "target", where, limit=MAX_TEXT_CHARS)


def to_sample(item: Mapping[str, Any], where: str) -> Sample:
    """Check one item and make its sample; errors name the item, never quote its text."""
    if not isinstance(item, Mapping):
        raise InvalidItemSet(f"{where}: expected an object")
    if item_canary(item) != CANARY:
        raise InvalidItemSet(f"{where}: the instance's canary string is missing or different")
    raw_id = item.get("id")
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)  # JSON item files may number their items
    item_id = _checked_text(raw_id, f"{where}.id", limit=MAX_ID_CHARS)
    where = f"{where} (id {item_id!r})"
    text = _text(item, "input", where, limit=MAX_TEXT_CHARS)
    target = _target(item, where)
    choices = item.get("choices")
    if choices is not None:
        if not isinstance(choices, list) or not 2 <= len(choices) <= MAX_CHOICES:
            raise InvalidItemSet(f"{where}.choices: expected a list of 2 to {MAX_CHOICES} texts")
        for index, choice in enumerate(choices):
            if not isinstance(choice, str) or not choice.strip() or len(choice) > MAX_TEXT_CHARS:
                raise InvalidItemSet(f"{where}.choices[{index}]: expected non-empty text")
        letter = target[0] if isinstance(target, list) and len(target) == 1 else target
        if not isinstance(letter, str) or letter.strip().upper() not in LETTERS[: len(choices)]:
            raise InvalidItemSet(f"{where}.target: expected the letter of one of the choices")
        target = letter.strip().upper()
    domain = item.get("domain", DOMAIN)
    group = item.get("group", item_id)
    for key, value in (("domain", domain), ("group", group)):
        if not isinstance(value, str) or not value or len(value) > MAX_ID_CHARS:
            raise InvalidItemSet(f"{where}.{key}: expected a short text")
    return Sample(
        id=item_id,
        input=text,
        choices=choices,
        target=target,
        metadata=sample_metadata(SUITE, domain, group=group, item_id=item_id, canary=CANARY),
    )


def to_samples(items: Sequence[Mapping[str, Any]]) -> list[Sample]:
    if len(items) > MAX_ITEMS:
        raise InvalidItemSet(f"items: more than {MAX_ITEMS}")
    samples, seen = [], set()
    for index, item in enumerate(items):
        sample = to_sample(item, f"items[{index}]")
        if sample.id in seen:
            raise InvalidItemSet(f"items[{index}].id: {sample.id!r} appears twice")
        seen.add(sample.id)
        samples.append(sample)
    return samples


@solver
def restricted_solver() -> Solver:
    """Multiple choice through Inspect's solver; free text asks for a final 'ANSWER:' line."""
    choose = multiple_choice()

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if state.choices:
            return await choose(state, generate)
        state.user_prompt.text = FREE_TEXT_TEMPLATE.format(prompt=state.user_prompt.text)
        return await generate(state)

    return solve


def build(options: SuiteOptions) -> Task:
    options.validate()
    if not options.items:
        raise InvalidItemSet("restricted: no items handed in (options.items is empty)")
    samples = to_samples(options.items)
    if options.limit is not None:
        samples = samples[: options.limit]
    dataset = MemoryDataset(samples, name="restricted")
    if options.shuffle_choices:
        dataset.shuffle_choices(seed=options.seed)
    return Task(
        dataset=dataset,
        solver=restricted_solver(),
        scorer=mixed_answer(),
        epochs=options.epochs,
        name=SUITE,
        version=1,
        metadata={"suite": SUITE, "seed": options.seed},
    )


SPEC = SuiteSpec(
    name=SUITE,
    title="Restricted item sets",
    domain=DOMAIN,
    description="An operator's private items (multiple choice or short answer), stored "
    "encrypted, decrypted only inside a run, each marked with the instance's canary string.",
    build=build,
)
