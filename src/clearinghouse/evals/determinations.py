"""Coverage determinations: published policy versions in the database, and `redetermine`.

A determination reads the stored per-sample scores of finished runs (never an Inspect
log, never an item's text), estimates each capability domain at the policy's
confidence level and applies the policy's rule. Because it needs nothing but stored
rows, a new policy version re-determines past runs without running them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse import audit
from clearinghouse.evals.errors import (
    EvalError,
    PolicyChanged,
    RunNotDone,
    UnknownDetermination,
    UnknownPolicy,
    UnknownRun,
)
from clearinghouse.evals.models import (
    CoverageDetermination,
    CoveragePolicyVersion,
    EvalRun,
    EvalSampleResult,
    RunStatus,
)
from clearinghouse.evals.policy import CoveragePolicy, determine, parse_policy, shipped_policies
from clearinghouse.evals.statistics import Estimate, ScoredSample, accuracy, item_scores
from clearinghouse.identity.policy import EvalAction, eval_view, require_eval
from clearinghouse.identity.principal import Principal
from clearinghouse.review.models import ModelVersion, Review
from clearinghouse.review.parties import review_parties

MAX_RUNS = 50


# --- policies -----------------------------------------------------------------------------


def _store_policy(session: Session, policy: CoveragePolicy, actor: str) -> CoveragePolicyVersion:
    stored = session.scalar(
        select(CoveragePolicyVersion).where(CoveragePolicyVersion.version == policy.version)
    )
    if stored is not None:
        if stored.sha256 != policy.sha256:
            raise PolicyChanged(
                f"coverage policy version {policy.version} is already published with other "
                "text; a change is a new version"
            )
        return stored
    row = CoveragePolicyVersion(
        version=policy.version, yaml_text=policy.text, sha256=policy.sha256, loaded_by=actor
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="coverage_policy.publish",
        subject_type="coverage_policy",
        subject_id=str(policy.version),
        after={"version": policy.version, "sha256": policy.sha256},
        details={"version": policy.version, "sha256": policy.sha256},
    )
    return row


def ensure_shipped_policies(session: Session) -> None:
    """Store the policy versions this release ships, once; a changed shipped text is refused."""
    known = {
        row.version: row.sha256 for row in session.scalars(select(CoveragePolicyVersion)).all()
    }
    for policy in shipped_policies():
        if known.get(policy.version) != policy.sha256:
            _store_policy(session, policy, "system")


def publish_policy(
    session: Session, principal: Principal, text: str, *, source: str
) -> CoveragePolicy:
    """A new policy version from an operator (its version must be new, or its text identical)."""
    require_eval(principal, EvalAction.policy_publish)
    policy = parse_policy(text, source=source)
    ensure_shipped_policies(session)
    _store_policy(session, policy, principal.actor)
    return policy


def list_policies(session: Session) -> list[CoveragePolicy]:
    ensure_shipped_policies(session)
    rows = session.scalars(select(CoveragePolicyVersion).order_by(CoveragePolicyVersion.version))
    return [parse_policy(row.yaml_text, source=f"version {row.version}") for row in rows]


def get_policy(
    session: Session, version: int | None = None
) -> tuple[CoveragePolicyVersion, CoveragePolicy]:
    """One version, or the newest when `version` is None."""
    ensure_shipped_policies(session)
    query = select(CoveragePolicyVersion)
    if version is None:
        query = query.order_by(CoveragePolicyVersion.version.desc()).limit(1)
    else:
        query = query.where(CoveragePolicyVersion.version == version)
    row = session.scalar(query)
    if row is None:
        raise UnknownPolicy(f"no coverage policy version {version}")
    return row, parse_policy(row.yaml_text, source=f"version {row.version}")


# --- determinations -----------------------------------------------------------------------


def run_samples(session: Session, run_ids: Sequence[int]) -> list[ScoredSample]:
    """Stored samples of the runs, item ids and groups prefixed by suite so sets never mix."""
    suites: dict[int, str] = {}
    for run_id, suite in session.execute(
        select(EvalRun.id, EvalRun.suite).where(EvalRun.id.in_(run_ids))
    ):
        suites[run_id] = suite
    rows = session.execute(
        select(
            EvalSampleResult.run_id,
            EvalSampleResult.item_id,
            EvalSampleResult.domain,
            EvalSampleResult.item_group,
            EvalSampleResult.epoch,
            EvalSampleResult.score,
        )
        .where(EvalSampleResult.run_id.in_(run_ids))
        .order_by(EvalSampleResult.run_id, EvalSampleResult.id)
    )
    return [
        ScoredSample(
            item_id=f"{suites[run_id]}:{item_id}",
            domain=domain,
            group=f"{suites[run_id]}:{group}",
            epoch=epoch,
            score=score,
        )
        for run_id, item_id, domain, group, epoch, score in rows
    ]


def domain_estimates(samples: Sequence[ScoredSample], level: float) -> dict[str, Estimate]:
    by_domain: dict[str, list[ScoredSample]] = {}
    for sample in samples:
        by_domain.setdefault(sample.domain, []).append(sample)
    found = {}
    for domain, members in by_domain.items():
        estimate = accuracy(item_scores(members), level=level)
        if estimate is not None:
            found[domain] = estimate
    return found


@dataclass(frozen=True)
class _RunSet:
    runs: list[EvalRun]
    model_version_id: int
    review_id: int | None


def _run_set(session: Session, run_ids: Sequence[int]) -> _RunSet:
    ids = sorted(set(run_ids))
    if not ids:
        raise EvalError("a determination needs at least one finished run")
    if len(ids) > MAX_RUNS:
        raise EvalError(f"at most {MAX_RUNS} runs per determination")
    runs = list(session.scalars(select(EvalRun).where(EvalRun.id.in_(ids))))
    missing = sorted(set(ids) - {r.id for r in runs})
    if missing:
        raise UnknownRun(f"no benchmark run {missing[0]}")
    versions = {r.model_version_id for r in runs}
    if len(versions) != 1:
        raise EvalError("the runs of one determination must be of one model version")
    reviews = {r.review_id for r in runs}
    unfinished = [r.id for r in runs if r.status is not RunStatus.done]
    if unfinished:
        raise RunNotDone(f"benchmark run {unfinished[0]} has not finished successfully")
    return _RunSet(runs, versions.pop(), reviews.pop() if len(reviews) == 1 else None)


def redetermine(
    session: Session,
    principal: Principal,
    *,
    run_ids: Sequence[int],
    policy_version: int | None = None,
    now: datetime,
) -> CoverageDetermination:
    """Determine coverage of the runs' model version under a policy version, from stored rows.

    Reviewers of the runs' review (and operators) may; the result is stored and audited.
    """
    run_set = _run_set(session, run_ids)
    parties = None
    if run_set.review_id is not None:
        review = session.get(Review, run_set.review_id)
        assert review is not None
        parties = review_parties(session, review, now=now)
        if eval_view(principal, parties) is None:
            raise UnknownRun(f"no benchmark run {run_set.runs[0].id}")
    require_eval(principal, EvalAction.determine, parties)
    policy_row, policy = get_policy(session, policy_version)
    version = session.get(ModelVersion, run_set.model_version_id)
    assert version is not None
    ids = [r.id for r in run_set.runs]
    estimates = domain_estimates(run_samples(session, ids), policy.confidence)
    outcome = determine(policy, estimates, version.declared_training_compute_flop)
    row = CoverageDetermination(
        review_id=run_set.review_id,
        model_version_id=version.id,
        policy_id=policy_row.id,
        policy_version=policy.version,
        run_ids=ids,
        scores={
            "domains": [s.as_dict() for s in outcome.scores],
            "fired": list(outcome.fired),
            "declared_training_compute_flop": version.declared_training_compute_flop,
            "compute_limit_flop": policy.compute_limit_flop,
        },
        covered=outcome.covered,
        rule_fired=outcome.rule_fired,
        explanation=outcome.explanation,
        determined_by=principal.actor,
        determined_at=now,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=principal.actor,
        action="coverage_determination.make",
        subject_type="coverage_determination",
        subject_id=str(row.id),
        after={
            "model_version_id": version.id,
            "policy_version": policy.version,
            "run_ids": ids,
            "covered": outcome.covered,
            "rule_fired": outcome.rule_fired,
        },
        details={"policy_version": policy.version, "covered": outcome.covered},
    )
    return row


def review_determinations(session: Session, review_id: int) -> list[CoverageDetermination]:
    """A review's determinations, newest first (the caller has checked who is asking)."""
    return list(
        session.scalars(
            select(CoverageDetermination)
            .where(CoverageDetermination.review_id == review_id)
            .order_by(CoverageDetermination.determined_at.desc(), CoverageDetermination.id.desc())
        )
    )


def get_determination(
    session: Session, principal: Principal, determination_id: int, *, now: datetime
) -> CoverageDetermination:
    row = session.get(CoverageDetermination, determination_id)
    if row is None:
        raise UnknownDetermination(f"no determination {determination_id}")
    parties = None
    if row.review_id is not None:
        review = session.get(Review, row.review_id)
        assert review is not None
        parties = review_parties(session, review, now=now)
    if eval_view(principal, parties) is None:
        if not principal.is_authenticated:
            require_eval(principal, EvalAction.run_read, parties)  # 401: log in first
        raise UnknownDetermination(f"no determination {determination_id}")
    return row
