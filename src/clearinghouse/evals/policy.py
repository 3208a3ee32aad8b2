"""The coverage policy: a versioned YAML document, its schema, and the rule it states.

A policy names capability domains with thresholds and a training-compute limit. The
rule (`lower-bound-any-domain-or-compute`): a model version is covered when, in any
domain measured on at least `min_items` items, the lower bound of the score's
confidence interval reaches the threshold, or when its declared training compute
reaches the limit. `determine` applies it to estimates and says why, in plain words.
It is a pure function: the database side lives in `determinations.py`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jsonschema_rs
import yaml

from clearinghouse.evals.errors import InvalidPolicy
from clearinghouse.evals.statistics import Estimate
from clearinghouse.formats.errors import schema_error

MAX_POLICY_BYTES = 64 * 1024
RULE = "lower-bound-any-domain-or-compute"

POLICY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Coverage policy",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "policy",
        "version",
        "effective",
        "title",
        "summary",
        "rule",
        "confidence",
        "min_items",
        "compute_limit_flop",
        "domains",
    ],
    "properties": {
        "policy": {"const": "covered-frontier-model"},
        "version": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
        "effective": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "summary": {"type": "string", "minLength": 1, "maxLength": 4000},
        "rule": {"enum": [RULE]},
        "confidence": {"type": "number", "exclusiveMinimum": 0.5, "exclusiveMaximum": 1},
        "min_items": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
        "compute_limit_flop": {"type": ["number", "null"], "exclusiveMinimum": 0},
        "domains": {
            "type": "array",
            "minItems": 1,
            "maxItems": 50,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "title", "threshold"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,63}$"},
                    "title": {"type": "string", "minLength": 1, "maxLength": 200},
                    "threshold": {"type": "number", "minimum": 0, "maximum": 1},
                },
            },
        },
    },
}
_VALIDATOR = jsonschema_rs.Draft202012Validator(POLICY_SCHEMA)


@dataclass(frozen=True)
class PolicyDomain:
    id: str
    title: str
    threshold: float


@dataclass(frozen=True)
class CoveragePolicy:
    version: int
    effective: str
    title: str
    summary: str
    rule: str
    confidence: float
    min_items: int
    compute_limit_flop: float | None
    domains: tuple[PolicyDomain, ...]
    text: str  # the YAML exactly as published
    sha256: str

    def threshold(self, domain: str) -> float | None:
        return next((d.threshold for d in self.domains if d.id == domain), None)


def parse_policy(text: str, *, source: str = "policy") -> CoveragePolicy:
    """A policy from its YAML text, or InvalidPolicy naming the line or the JSON path."""
    if len(text.encode()) > MAX_POLICY_BYTES:
        raise InvalidPolicy(f"{source}: a policy document may be at most 64 KiB")
    try:
        # Safe loading only: a policy is data, never Python objects.
        document = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InvalidPolicy(f"{source}:{where}: not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise InvalidPolicy(f"{source}: not valid YAML: {exc}") from None
    error = next(iter(_VALIDATOR.iter_errors(document)), None)
    if error is not None:
        raise InvalidPolicy(str(schema_error(error, source=source)))
    ids = [d["id"] for d in document["domains"]]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InvalidPolicy(f"{source}: $.domains: domain ids repeat: {', '.join(duplicates)}")
    limit = document["compute_limit_flop"]
    return CoveragePolicy(
        version=document["version"],
        effective=document["effective"],
        title=document["title"],
        summary=" ".join(document["summary"].split()),
        rule=document["rule"],
        confidence=float(document["confidence"]),
        min_items=document["min_items"],
        compute_limit_flop=float(limit) if limit is not None else None,
        domains=tuple(
            PolicyDomain(d["id"], d["title"], float(d["threshold"])) for d in document["domains"]
        ),
        text=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


_SHIPPED = re.compile(r"^coverage-v(\d+)\.yaml$")


def shipped_policies() -> list[CoveragePolicy]:
    """The policy versions this release ships (evals/policies/coverage-vN.yaml), oldest first."""
    folder = resources.files("clearinghouse.evals").joinpath("policies")
    found = []
    for entry in folder.iterdir():
        match = _SHIPPED.match(entry.name)
        if match is None:
            continue
        policy = parse_policy(entry.read_text(encoding="utf-8"), source=entry.name)
        if policy.version != int(match.group(1)):
            raise InvalidPolicy(f"{entry.name}: $.version: the file name says {match.group(1)}")
        found.append(policy)
    return sorted(found, key=lambda p: p.version)


# --- the rule ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainScore:
    """One policy domain in one determination: what was measured and whether it passed."""

    domain: str
    title: str
    threshold: float
    estimate: Estimate | None
    passes: bool
    note: str  # why it did not count, when it did not

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "title": self.title,
            "threshold": self.threshold,
            "passes": self.passes,
            "note": self.note,
            "estimate": self.estimate.as_dict() if self.estimate else None,
        }


@dataclass(frozen=True)
class Outcome:
    covered: bool
    rule_fired: str | None  # "domain:<id>" or "compute"; the first that fired
    fired: tuple[str, ...]  # every rule that fired
    scores: tuple[DomainScore, ...]
    explanation: str


def _fmt(value: float) -> str:
    return f"{value:.3f}"


def _domain_score(
    policy: CoveragePolicy, domain: PolicyDomain, found: Estimate | None
) -> DomainScore:
    if found is None:
        return DomainScore(domain.id, domain.title, domain.threshold, None, False, "not measured")
    if found.n < policy.min_items:
        note = f"too few items to count ({found.n} < {policy.min_items})"
        return DomainScore(domain.id, domain.title, domain.threshold, found, False, note)
    passes = found.lower >= domain.threshold
    return DomainScore(domain.id, domain.title, domain.threshold, found, passes, "")


def determine(
    policy: CoveragePolicy,
    estimates: Mapping[str, Estimate | None],
    declared_compute_flop: float | None,
) -> Outcome:
    """Apply the policy's rule to per-domain estimates (made at `policy.confidence`)."""
    scores = tuple(_domain_score(policy, d, estimates.get(d.id)) for d in policy.domains)
    fired = [f"domain:{s.domain}" for s in scores if s.passes]
    limit = policy.compute_limit_flop
    compute_fires = (
        limit is not None and declared_compute_flop is not None and declared_compute_flop >= limit
    )
    if compute_fires:
        fired.append("compute")
    covered = bool(fired)
    return Outcome(
        covered=covered,
        rule_fired=fired[0] if fired else None,
        fired=tuple(fired),
        scores=scores,
        explanation=_explain(policy, scores, declared_compute_flop, compute_fires),
    )


def _explain(
    policy: CoveragePolicy,
    scores: tuple[DomainScore, ...],
    compute: float | None,
    compute_fires: bool,
) -> str:
    level = f"{policy.confidence:.0%}"
    parts = []
    for s in scores:
        if s.estimate is None:
            parts.append(f"{s.title}: not measured")
            continue
        e = s.estimate
        measured = (
            f"mean {_fmt(e.mean)} over {e.n} items in {e.clusters} groups, "
            f"lower {level} bound {_fmt(e.lower)}"
        )
        if s.note:
            parts.append(f"{s.title}: {measured}; {s.note}")
        elif s.passes:
            parts.append(f"{s.title}: {measured}, reaches the threshold {_fmt(s.threshold)}")
        else:
            parts.append(f"{s.title}: {measured}, below the threshold {_fmt(s.threshold)}")
    limit = policy.compute_limit_flop
    if compute is None:
        compute_text = "no training compute was declared"
    elif limit is None:
        compute_text = "this policy sets no compute limit"
    else:
        relation = "reaches" if compute_fires else "is below"
        compute_text = (
            f"the declared training compute, {compute:.2e} FLOP, {relation} "
            f"the limit of {limit:.2e} FLOP"
        )
    passed = [s.title for s in scores if s.passes]
    if passed or compute_fires:
        reasons = [f"the lower {level} bound in {t} reaches its threshold" for t in passed]
        if compute_fires:
            reasons.append("the declared training compute reaches the limit")
        head = (
            f"Covered frontier model under coverage policy version {policy.version}: "
            + "; ".join(reasons)
            + "."
        )
    else:
        head = (
            f"Not a covered frontier model under coverage policy version {policy.version}: "
            f"no domain's lower {level} bound reaches its threshold and the compute rule "
            "does not apply."
        )
    detail = "; ".join(parts)
    return (
        f"{head} Domains: {detail}. Compute: {compute_text}. "
        "This determination is advice under a voluntary framework; the developer alone "
        "decides when to release."
    )
