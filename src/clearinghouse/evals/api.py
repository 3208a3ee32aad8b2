"""REST API of the benchmark battery under /api/v1: runs, results, determinations, policies.

Routes translate only: who asks (bearer token), now (the app's clock), and the service
that decides. A developer's answers carry aggregates only; per-item results, Inspect
logs and restricted items answer reviewers and operators alone.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.responses import Response

from clearinghouse.api.deps import current_principal, get_clock, get_db, get_settings
from clearinghouse.api.problems import PROBLEM_JSON
from clearinghouse.clock import Clock
from clearinghouse.evals import determinations, runs
from clearinghouse.evals.errors import UnknownRun
from clearinghouse.evals.models import EvalRun, EvalSampleResult
from clearinghouse.evals.restricted import list_item_sets, read_items
from clearinghouse.evals.statistics import item_scores, paired_difference
from clearinghouse.evals.views import determination_card, run_card
from clearinghouse.identity.policy import EvalAction
from clearinghouse.identity.principal import Principal
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

router = APIRouter(tags=["benchmark battery"])

_PROBLEM = {"content": {PROBLEM_JSON: {}}, "description": "An RFC 9457 problem"}
_ERRORS: dict[int | str, dict[str, Any]] = {code: _PROBLEM for code in (401, 403, 404, 409, 422)}

Who = Annotated[Principal, Depends(current_principal)]
Db = Annotated[Database, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suite: str = Field(min_length=1, max_length=64)
    model_version_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    limit: int | None = Field(default=None, ge=1, le=runs.MAX_LIMIT)
    epochs: int = Field(default=1, ge=1, le=runs.MAX_EPOCHS)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    target: str | None = Field(
        default=None,
        max_length=250,
        description="An Inspect model name (e.g. mockllm/model); default: the version's API",
    )
    served_model: str | None = Field(default=None, max_length=200)
    item_set: str | None = Field(default=None, max_length=200)


class DeterminationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_ids: list[int] = Field(min_length=1, max_length=determinations.MAX_RUNS)
    policy_version: int | None = Field(default=None, ge=1, le=1_000_000)


def _queue(
    body: RunIn, principal: Principal, db: Database, clock: Clock, review_id: int | None
) -> int:
    with db.session() as session:
        run = runs.queue_run(
            session,
            principal,
            model_version_id=body.model_version_id,
            review_id=review_id,
            suite=body.suite,
            limit=body.limit,
            epochs=body.epochs,
            seed=body.seed,
            target=body.target,
            served_model=body.served_model,
            item_set_name=body.item_set,
            now=clock.now(),
        )
        return run.id


def _card(db: Database, principal: Principal, run_id: int, clock: Clock) -> dict[str, Any]:
    with db.read_session() as session:
        run, view = runs.visible_run(
            session, principal, run_id, now=clock.now(), action=EvalAction.run_read
        )
        return run_card(session, run, view).as_dict()


@router.get("/evals/suites", responses=_ERRORS)
def list_suites() -> list[dict[str, str]]:
    """The suites this instance can run."""
    return [
        {
            "name": name,
            "title": str(getattr(spec, "title", name)),
            "domain": spec.domain,
            "description": str(getattr(spec, "description", "")),
        }
        for name, spec in sorted(runs.available_suites().items())
    ]


@router.post("/reviews/{review_id}/runs", status_code=202, responses=_ERRORS)
def start_review_run(
    review_id: Id, body: RunIn, principal: Who, db: Db, clock: Now, settings: AppSettings
) -> dict[str, Any]:
    """Queue a benchmark run of the review's model version; a worker runs it."""
    run_id = _queue(body, principal, db, clock, review_id)
    runs.enqueue_run(settings, run_id)
    return _card(db, principal, run_id, clock)


@router.get("/reviews/{review_id}/runs", responses=_ERRORS)
def list_review_runs(review_id: Id, principal: Who, db: Db, clock: Now) -> list[dict[str, Any]]:
    """The review's runs with their progress and aggregate scores."""
    with db.read_session() as session:
        found, view = runs.review_runs(session, principal, review_id, now=clock.now())
        return [run_card(session, run, view).as_dict() for run in found]


@router.post("/runs", status_code=202, responses=_ERRORS)
def start_run(
    body: RunIn, principal: Who, db: Db, clock: Now, settings: AppSettings
) -> dict[str, Any]:
    """Queue a run outside any review (operators)."""
    run_id = _queue(body, principal, db, clock, None)
    runs.enqueue_run(settings, run_id)
    return _card(db, principal, run_id, clock)


@router.get("/runs", responses=_ERRORS)
def list_runs(principal: Who, db: Db) -> list[dict[str, Any]]:
    """Every run (operators)."""
    with db.read_session() as session:
        return [
            run_card(session, r, "reviewer").as_dict() for r in runs.all_runs(session, principal)
        ]


@router.get("/runs/compare", responses=_ERRORS)
def compare_runs(
    principal: Who,
    db: Db,
    clock: Now,
    a: Annotated[int, Query(ge=1, le=2**31 - 1)],
    b: Annotated[int, Query(ge=1, le=2**31 - 1)],
) -> dict[str, Any]:
    """Paired comparison of two finished runs on the items they share: A minus B."""
    with db.read_session() as session:
        scored = []
        for run_id in (a, b):
            run, _ = runs.visible_run(
                session, principal, run_id, now=clock.now(), action=EvalAction.run_read
            )
            samples = determinations.run_samples(session, [run.id])
            scored.append(item_scores(samples))
        comparison = paired_difference(scored[0], scored[1])
    return {
        "a": a,
        "b": b,
        "items": comparison.items,
        "only_a": comparison.only_a,
        "only_b": comparison.only_b,
        "mean_a": comparison.mean_a,
        "mean_b": comparison.mean_b,
        "difference": comparison.difference.as_dict() if comparison.difference else None,
    }


@router.get("/runs/{run_id}", responses=_ERRORS)
def get_run(run_id: Id, principal: Who, db: Db, clock: Now) -> dict[str, Any]:
    """One run: status, progress and aggregate scores (per domain, pass@k)."""
    return _card(db, principal, run_id, clock)


@router.get("/runs/{run_id}/results", responses=_ERRORS)
def get_run_results(run_id: Id, principal: Who, db: Db, clock: Now) -> list[dict[str, Any]]:
    """Per-sample scores (reviewers and operators only)."""
    with db.read_session() as session:
        run, _ = runs.visible_run(
            session, principal, run_id, now=clock.now(), action=EvalAction.run_read_items
        )
        rows = session.scalars(
            select(EvalSampleResult)
            .where(EvalSampleResult.run_id == run.id)
            .order_by(EvalSampleResult.id)
        )
        return [
            {
                "item_id": r.item_id,
                "domain": r.domain,
                "group": r.item_group,
                "epoch": r.epoch,
                "score": r.score,
            }
            for r in rows
        ]


@router.get("/runs/{run_id}/log", responses=_ERRORS)
def get_run_log(run_id: Id, principal: Who, db: Db, clock: Now, settings: AppSettings) -> Response:
    """The run's Inspect eval log (.eval), decrypted (reviewers and operators only)."""
    with db.read_session() as session:
        name, content = runs.run_log(
            session, principal, run_id, now=clock.now(), encryption_key=settings.encryption_key
        )
    headers = {
        "content-disposition": f'attachment; filename="{name}"',
        "cache-control": "private, no-store",
    }
    return Response(content, media_type="application/zip", headers=headers)


@router.post("/reviews/{review_id}/determinations", status_code=201, responses=_ERRORS)
def make_determination(
    review_id: Id, body: DeterminationIn, principal: Who, db: Db, clock: Now
) -> dict[str, Any]:
    """Determine coverage from finished runs of the review under a policy version (newest
    by default). Past runs are re-determined from stored scores, never rerun."""
    with db.session() as session:
        found = session.scalars(select(EvalRun).where(EvalRun.id.in_(body.run_ids))).all()
        if any(run.review_id != review_id for run in found):
            raise UnknownRun(f"a run of {body.run_ids} is not of review {review_id}")
        row = determinations.redetermine(
            session,
            principal,
            run_ids=body.run_ids,
            policy_version=body.policy_version,
            now=clock.now(),
        )
        return determination_card(row).as_dict()


@router.get("/reviews/{review_id}/determinations", responses=_ERRORS)
def list_determinations(review_id: Id, principal: Who, db: Db, clock: Now) -> list[dict[str, Any]]:
    with db.read_session() as session:
        runs.review_runs(session, principal, review_id, now=clock.now())  # who may ask
        return [
            determination_card(row).as_dict()
            for row in determinations.review_determinations(session, review_id)
        ]


@router.get("/determinations/{determination_id}", responses=_ERRORS)
def get_determination(determination_id: Id, principal: Who, db: Db, clock: Now) -> dict[str, Any]:
    with db.read_session() as session:
        row = determinations.get_determination(
            session, principal, determination_id, now=clock.now()
        )
        return determination_card(row).as_dict()


def _policy_out(policy: determinations.CoveragePolicy) -> dict[str, Any]:
    return {
        "version": policy.version,
        "effective": policy.effective,
        "title": policy.title,
        "summary": policy.summary,
        "rule": policy.rule,
        "confidence": policy.confidence,
        "min_items": policy.min_items,
        "compute_limit_flop": policy.compute_limit_flop,
        "domains": [
            {"id": d.id, "title": d.title, "threshold": d.threshold} for d in policy.domains
        ],
        "sha256": policy.sha256,
        "yaml": policy.text,
    }


@router.get("/policies", responses=_ERRORS)
def list_policies(db: Db) -> list[dict[str, Any]]:
    """The published coverage policy versions, oldest first (public)."""
    # A writing session: the shipped versions are stored on first use.
    with db.session() as session:
        return [_policy_out(p) for p in determinations.list_policies(session)]


@router.get("/policies/{version}", responses=_ERRORS)
def get_policy(version: Annotated[int, Path(ge=1, le=1_000_000)], db: Db) -> dict[str, Any]:
    with db.session() as session:
        _, policy = determinations.get_policy(session, version)
        return _policy_out(policy)


@router.get("/item-sets", responses=_ERRORS)
def item_sets(principal: Who, db: Db) -> list[dict[str, Any]]:
    """Restricted item sets by name and size (reviewers and operators)."""
    with db.read_session() as session:
        return [
            {
                "id": info.id,
                "name": info.name,
                "item_count": info.item_count,
                "loaded_by": info.loaded_by,
                "created_at": info.created_at.isoformat(),
            }
            for info in list_item_sets(session, principal)
        ]


@router.get("/item-sets/{item_set_id}/items", responses=_ERRORS)
def item_set_items(
    item_set_id: Id, principal: Who, db: Db, settings: AppSettings
) -> dict[str, Any]:
    """A restricted set's items and canary: reviewers and operators only."""
    with db.read_session() as session:
        row, items = read_items(
            session, principal, item_set_id, encryption_key=settings.encryption_key
        )
        return {"id": row.id, "name": row.name, "canary": row.canary, "items": items}
