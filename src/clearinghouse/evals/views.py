"""What one viewer sees of benchmark runs: view models redacted before any edge renders them.

The API, the pages and the review report all read these. A developer's `RunCard`
holds aggregates only (status, progress, scores with intervals), never per-item rows,
the log, the error text or the restricted item set's name; a partner gets no section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from clearinghouse.evals.determinations import (
    domain_estimates,
    get_policy,
    review_determinations,
    run_samples,
)
from clearinghouse.evals.models import (
    CoverageDetermination,
    EvalRun,
    EvalRunLog,
    RestrictedItemSet,
    RunStatus,
)
from clearinghouse.evals.plot import ProfileRow, capability_profile_svg
from clearinghouse.evals.statistics import Summary, summarise
from clearinghouse.identity.policy import EvalView, eval_view
from clearinghouse.identity.principal import Principal
from clearinghouse.review.models import Review
from clearinghouse.review.parties import review_parties


@dataclass(frozen=True)
class RunCard:
    id: int
    review_id: int | None
    model_version_id: int
    suite: str
    status: str
    samples_done: int
    samples_total: int
    seed: int
    epochs: int
    sample_limit: int | None
    target: str
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    summary: Summary | None
    view: EvalView
    # Reviewers only; None in the developer's view.
    item_set: str | None = None
    error: str | None = None
    log_available: bool = False

    @property
    def percent(self) -> int:
        if self.samples_total <= 0:
            return 100 if self.status == RunStatus.done.value else 0
        return min(100, round(100 * self.samples_done / self.samples_total))

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "review_id": self.review_id,
            "model_version_id": self.model_version_id,
            "suite": self.suite,
            "status": self.status,
            "progress": {"samples_done": self.samples_done, "samples_total": self.samples_total},
            "seed": self.seed,
            "epochs": self.epochs,
            "limit": self.sample_limit,
            "target": self.target,
            "queued_at": self.queued_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "summary": self.summary.as_dict() if self.summary else None,
            "item_set": self.item_set,
            "error": self.error,
            "log_available": self.log_available,
        }


def run_card(session: Session, run: EvalRun, view: EvalView) -> RunCard:
    summary = None
    if run.status is RunStatus.done:
        summary = summarise(run_samples(session, [run.id]))
    reviewer = view == "reviewer"
    item_set = None
    if reviewer and run.item_set_id is not None:
        row = session.get(RestrictedItemSet, run.item_set_id)
        item_set = row.name if row is not None else None
    return RunCard(
        id=run.id,
        review_id=run.review_id,
        model_version_id=run.model_version_id,
        suite=run.suite,
        status=run.status.value,
        samples_done=run.samples_done,
        samples_total=run.samples_total,
        seed=run.seed,
        epochs=run.epochs,
        sample_limit=run.sample_limit,
        target=run.target,
        queued_at=run.queued_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        summary=summary,
        view=view,
        item_set=item_set,
        error=run.error if reviewer else None,
        log_available=reviewer and session.get(EvalRunLog, run.id) is not None,
    )


@dataclass(frozen=True)
class DeterminationCard:
    id: int
    policy_version: int
    covered: bool
    rule_fired: str | None
    explanation: str
    run_ids: list[int]
    scores: dict[str, Any]
    determined_by: str
    determined_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "policy_version": self.policy_version,
            "covered": self.covered,
            "rule_fired": self.rule_fired,
            "explanation": self.explanation,
            "run_ids": self.run_ids,
            "scores": self.scores,
            "determined_by": self.determined_by,
            "determined_at": self.determined_at.isoformat(),
        }


def determination_card(row: CoverageDetermination) -> DeterminationCard:
    return DeterminationCard(
        id=row.id,
        policy_version=row.policy_version,
        covered=row.covered,
        rule_fired=row.rule_fired,
        explanation=row.explanation,
        run_ids=list(row.run_ids),
        scores=dict(row.scores),
        determined_by=row.determined_by,
        determined_at=row.determined_at,
    )


@dataclass(frozen=True)
class BenchmarkSection:
    """The benchmark part of a review page and report, for one viewer."""

    view: EvalView
    runs: tuple[RunCard, ...]
    determinations: tuple[DeterminationCard, ...]
    profile_svg: str | None
    policy_version: int | None
    lines: tuple[str, ...] = field(default=())  # plain text, for the PDF


def _profile(session: Session, runs: list[EvalRun]) -> tuple[str | None, int | None]:
    done = [r.id for r in runs if r.status is RunStatus.done]
    if not done:
        return None, None
    _, policy = get_policy(session)
    estimates = domain_estimates(run_samples(session, done), policy.confidence)
    rows = []
    for domain, found in sorted(estimates.items()):
        threshold = policy.threshold(domain)
        rows.append(
            ProfileRow(
                label=domain,
                mean=found.mean,
                lower=found.lower,
                upper=found.upper,
                threshold=threshold,
                passes=threshold is not None and found.lower >= threshold,
            )
        )
    title = f"Capability profile (thresholds of coverage policy v{policy.version})"
    return capability_profile_svg(rows, title=title), policy.version


def _line(card: RunCard) -> str:
    text = f"Run {card.id}: {card.suite}, {card.status} ({card.samples_done}/{card.samples_total})"
    if card.summary and card.summary.overall:
        o = card.summary.overall
        text += f", accuracy {o.mean:.3f} [{o.lower:.3f}, {o.upper:.3f}] over {o.n} items"
    return text


def benchmark_section(
    session: Session, principal: Principal, review: Review, *, now: datetime
) -> BenchmarkSection | None:
    """The review's runs and determinations as `principal` may see them; None for partners."""
    from sqlalchemy import select

    view = eval_view(principal, review_parties(session, review, now=now))
    if view is None:
        return None
    runs = list(
        session.scalars(
            select(EvalRun)
            .where(EvalRun.review_id == review.id)
            .order_by(EvalRun.queued_at.desc(), EvalRun.id.desc())
        )
    )
    cards = tuple(run_card(session, run, view) for run in runs)
    determinations = tuple(
        determination_card(row) for row in review_determinations(session, review.id)
    )
    svg, version = _profile(session, runs)
    lines = [_line(card) for card in cards]
    lines += [
        f"Determination {d.id} (policy v{d.policy_version}): "
        f"{'covered' if d.covered else 'not covered'}. {d.explanation}"
        for d in determinations
    ]
    return BenchmarkSection(
        view=view,
        runs=cards,
        determinations=determinations,
        profile_svg=svg,
        policy_version=version,
        lines=tuple(lines),
    )
