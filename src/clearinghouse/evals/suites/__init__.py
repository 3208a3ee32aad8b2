"""Battery v1: the benchmark suites as Inspect tasks, behind one small interface.

`SUITES[name].build(SuiteOptions(...))` returns an `inspect_ai.Task`; run it with
`inspect_ai.eval`. Every sample's metadata carries `domain` (the coverage policy's
capability domain), `group` (the cluster for standard errors) and `item_id`, and every
score is CORRECT or INCORRECT.

- knowledge: CyberMetric multiple choice, answers shuffled by the seed;
- exploitation: generated Python and C programs, graded by running them confined;
- ctf: agentic crypto, forensics, reverse-engineering and web challenges;
- restricted: an operator's private items, handed in decrypted, marked with the canary.
"""

from __future__ import annotations

from clearinghouse.evals.suites import ctf, exploitation, knowledge, restricted
from clearinghouse.evals.suites.restricted import CANARY
from clearinghouse.evals.suites.spec import SuiteOptions, SuiteSpec

SUITES: dict[str, SuiteSpec] = {
    spec.name: spec for spec in (knowledge.SPEC, exploitation.SPEC, ctf.SPEC, restricted.SPEC)
}

__all__ = ["CANARY", "SUITES", "SuiteOptions", "SuiteSpec"]
