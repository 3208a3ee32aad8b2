"""Knowledge suite: CyberMetric's multiple-choice cybersecurity questions, answer order shuffled.

CyberMetric (Tihanyi et al., IEEE CSR 2024) ships JSON `{"questions": [{"question",
"answers": {"A".."D"}, "solution"}]}`. Each question becomes an Inspect sample with four
choices; Inspect's `multiple_choice` solver asks and parses, its `choice` scorer grades.
Choices are shuffled by the run seed (`MemoryDataset.shuffle_choices`), so a model cannot
lean on a remembered letter and the same seed always shows the same order.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.solver import Solver, multiple_choice

from clearinghouse.evals.suites.errors import InvalidSuiteData, SuiteUnavailable
from clearinghouse.evals.suites.scoring import choice_answer
from clearinghouse.evals.suites.spec import SuiteOptions, SuiteSpec, sample_metadata

SUITE = "knowledge"
DOMAIN = "knowledge"
DEFAULT_FILE = "CyberMetric-500-v1.json"
LETTERS = ("A", "B", "C", "D")
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_TEXT_CHARS = 20_000


def default_cybermetric_folder() -> Path:
    """`../shared/data/evals/cybermetric` beside the checkout (or the working directory)."""
    relative = Path("shared") / "data" / "evals" / "cybermetric"
    checkout = Path(__file__).resolve().parents[4]  # src/clearinghouse/evals/suites -> repo
    candidates = [Path.cwd().parent / relative, checkout.parent / relative]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[-1]


def resolve_file(path: Path | None) -> Path:
    """A CyberMetric file: the one given, or the 500-question file of the folder given."""
    chosen = path if path is not None else default_cybermetric_folder()
    if chosen.is_dir():
        chosen = chosen / DEFAULT_FILE
    if not chosen.is_file():
        raise SuiteUnavailable(f"knowledge: CyberMetric file not found: {chosen}")
    return chosen


def read_questions(path: Path) -> list[dict[str, Any]]:
    """Parse and check a CyberMetric file; errors name the file and the question at fault."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidSuiteData(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    try:
        document = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidSuiteData(f"{path}: not JSON ({exc})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("questions"), list):
        raise InvalidSuiteData(f"{path}: expected an object with a 'questions' list")
    questions = document["questions"]
    for index, question in enumerate(questions):
        _check_question(question, f"{path}: $.questions[{index}]")
    return questions


def _check_question(question: Any, where: str) -> None:
    if not isinstance(question, dict):
        raise InvalidSuiteData(f"{where}: expected an object")
    text = question.get("question")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_CHARS:
        raise InvalidSuiteData(f"{where}.question: expected text of 1 to {MAX_TEXT_CHARS} chars")
    answers = question.get("answers")
    if not isinstance(answers, dict) or sorted(answers) != list(LETTERS):
        raise InvalidSuiteData(f"{where}.answers: expected exactly the keys A, B, C, D")
    for letter in LETTERS:
        value = answers[letter]
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT_CHARS:
            raise InvalidSuiteData(f"{where}.answers.{letter}: expected non-empty text")
    if question.get("solution") not in LETTERS:
        raise InvalidSuiteData(f"{where}.solution: expected one of A, B, C, D")


def question_id(text: str) -> str:
    """A content id: the same question has the same id in the 80- and the 500-question file."""
    return "cybermetric-" + hashlib.sha256(text.strip().encode()).hexdigest()[:12]


def to_sample(question: dict[str, Any]) -> Sample:
    item_id = question_id(question["question"])
    return Sample(
        id=item_id,
        input=question["question"].strip(),
        choices=[question["answers"][letter].strip() for letter in LETTERS],
        target=question["solution"],
        # No topic labels in CyberMetric: each question is its own cluster, so epochs of
        # one question are counted together, never as independent draws.
        metadata=sample_metadata(SUITE, DOMAIN, group=item_id, item_id=item_id),
    )


def knowledge_solver() -> Solver:
    return multiple_choice()


def build(options: SuiteOptions) -> Task:
    options.validate()
    path = resolve_file(options.cybermetric_path)
    questions = read_questions(path)
    samples: list[Sample] = []
    seen: set[str] = set()
    for question in questions:
        sample = to_sample(question)
        if sample.id in seen:
            continue  # a repeated question would count twice in the clusters
        seen.add(str(sample.id))
        samples.append(sample)
    if options.limit is not None:
        samples = samples[: options.limit]
    dataset = MemoryDataset(samples, name=f"cybermetric-{path.stem}")
    if options.shuffle_choices:
        dataset.shuffle_choices(seed=options.seed)
    return Task(
        dataset=dataset,
        solver=knowledge_solver(),
        scorer=choice_answer(),
        epochs=options.epochs,
        name=SUITE,
        version=1,
        metadata={"suite": SUITE, "seed": options.seed, "source": path.name},
    )


SPEC = SuiteSpec(
    name=SUITE,
    title="Cybersecurity knowledge (CyberMetric)",
    domain=DOMAIN,
    description="Multiple-choice cybersecurity questions from CyberMetric, with the order of "
    "the answers shuffled by the run seed.",
    build=build,
)
