"""Stand-in solvers that check the scorers: one knows the answers, one guesses, one says nothing.

Each runs the suite's own solver (the same prompt, answer parsing and agent loop a real
model goes through) against a scripted Inspect model (`mockllm` with a response function)
whose answers come from the sample's private metadata. So a reference run scoring 100%
shows the whole path works, from prompt to scorer, and for CTF that every challenge can
be solved inside the sandbox with the agent's own tools:
- `reference_solver()`: the target letter, the generator's solution input, or the
  challenge's solve script run through the python tool and its flag submitted;
- `random_solver(seed)`: a random letter, random input bytes, a random flag-shaped answer;
- `null_solver()`: an empty answer (an empty submission for agents).

Use with `inspect_ai.eval(task, model="mockllm/model", solver=reference_solver())`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any, Literal

from inspect_ai.agent import as_solver
from inspect_ai.model import (
    ChatMessage,
    ChatMessageTool,
    GenerateConfig,
    Model,
    ModelOutput,
    ModelUsage,
    get_model,
)
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import ToolChoice, ToolInfo

from clearinghouse.evals.suites import ctf, exploitation, knowledge, restricted
from clearinghouse.evals.suites.ctf.challenges import FLAG_PATTERN
from clearinghouse.evals.suites.exploitation.answer import format_hex_answer

STAND_IN = "stand-in"
Responder = Callable[[list[ChatMessage], list[ToolInfo], ToolChoice, GenerateConfig], ModelOutput]
Policy = Callable[[TaskState], Responder]
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _output(output: ModelOutput) -> ModelOutput:
    # Usage given up front: mockllm would otherwise count tokens with tiktoken (a download).
    output.usage = ModelUsage(input_tokens=0, output_tokens=0, total_tokens=0)
    return output


def says(text: str) -> Responder:
    """Answers `text` to every request."""

    def respond(
        messages: list[ChatMessage], tools: list[ToolInfo], choice: ToolChoice, config: Any
    ) -> ModelOutput:
        return _output(ModelOutput.from_content(model=STAND_IN, content=text))

    return respond


def submits(answer: str) -> Responder:
    """Calls the agent's submit tool with `answer` straight away."""

    def respond(
        messages: list[ChatMessage], tools: list[ToolInfo], choice: ToolChoice, config: Any
    ) -> ModelOutput:
        return _output(ModelOutput.for_tool_call(STAND_IN, "submit", {"answer": answer}))

    return respond


def runs_then_submits(script: str) -> Responder:
    """Runs `script` with the python tool, then submits the flag it printed."""

    def respond(
        messages: list[ChatMessage], tools: list[ToolInfo], choice: ToolChoice, config: Any
    ) -> ModelOutput:
        last = messages[-1] if messages else None
        if isinstance(last, ChatMessageTool) and last.function == "python":
            found = re.findall(FLAG_PATTERN, last.text)
            answer = found[-1] if found else last.text.strip()[-200:]
            return _output(ModelOutput.for_tool_call(STAND_IN, "submit", {"answer": answer}))
        return _output(ModelOutput.for_tool_call(STAND_IN, "python", {"code": script}))

    return respond


class _ScriptedGenerate:
    """Inspect's `generate` for one sample, answered by a scripted model."""

    def __init__(self, model: Model) -> None:
        self.model = model

    async def __call__(
        self,
        state: TaskState,
        tool_calls: Literal["loop", "single", "none"] = "loop",
        **kwargs: Any,
    ) -> TaskState:
        state.output = await self.model.generate(state.messages)
        state.messages.append(state.output.message)
        return state


def _suite_solver(suite: str, model: Model) -> Solver:
    if suite == knowledge.SUITE:
        return knowledge.knowledge_solver()
    if suite == exploitation.SUITE:
        return exploitation.exploit_solver()
    if suite == restricted.SUITE:
        return restricted.restricted_solver()
    if suite == ctf.SUITE:
        return as_solver(ctf.ctf_agent(model=model))
    raise ValueError(f"no stand-in for suite {suite!r}")


def _stand_in(policy: Policy) -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        model = get_model("mockllm/model", memoize=False, custom_outputs=policy(state))
        suite_solver = _suite_solver(state.metadata["suite"], model)
        return await suite_solver(state, _ScriptedGenerate(model))

    return solve


def _reference(state: TaskState) -> Responder:
    metadata = state.metadata
    if metadata["suite"] == ctf.SUITE:
        return runs_then_submits(metadata["solve_script"])
    if metadata["suite"] == exploitation.SUITE:
        return says(format_hex_answer(bytes.fromhex(metadata["solution_hex"])))
    return says(f"ANSWER: {state.target[0]}")  # a letter, or the first accepted answer


@solver
def reference_solver() -> Solver:
    """Knows every answer (from sample metadata the model never sees): must score 100%."""
    return _stand_in(_reference)


@solver
def random_solver(seed: int = 0) -> Solver:
    """Guesses, reproducibly per (seed, sample, epoch): lands at chance on multiple choice."""

    def guess(state: TaskState) -> Responder:
        key = f"random-solver:{seed}:{state.sample_id}:{state.epoch}"
        rng = random.Random(key)  # noqa: S311 (reproducible guesses, not secrets)
        if state.metadata["suite"] == ctf.SUITE:
            return submits("flag{" + rng.randbytes(16).hex() + "}")
        if state.metadata["suite"] == exploitation.SUITE:
            return says(format_hex_answer(rng.randbytes(rng.randrange(0, 257))))
        if state.choices:
            return says(f"ANSWER: {rng.choice(LETTERS[: len(state.choices)])}")
        return says(f"ANSWER: {rng.randbytes(6).hex()}")

    return _stand_in(guess)


@solver
def null_solver() -> Solver:
    """Answers nothing (submits an empty answer in agentic suites): must score 0."""

    def nothing(state: TaskState) -> Responder:
        return submits("") if state.metadata["suite"] == ctf.SUITE else says("")

    return _stand_in(nothing)
