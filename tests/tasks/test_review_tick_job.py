"""The periodic review tick, run through the real queue: closes a due review, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.principal import local_operator, principal_for
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.review.models import AccessKind, Notification, Review, ReviewStatus
from clearinghouse.review.service import add_version, register_model, submit_for_review
from clearinghouse.settings import Settings
from clearinghouse.storage import Database
from clearinghouse.tasks.jobs import run_review_tick
from clearinghouse.tasks.queue import make_huey

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _open_review(db: Database) -> int:
    with db.session() as session:
        operator = local_operator()
        create_organisation(
            session, slug="lab", name="Lab", kind=OrgKind.ai_developer, actor=operator.actor
        )
        user = create_user(
            session, email="dev@lab.example", org_slug="lab", role=Role.developer, actor="t"
        )
        developer = principal_for(user)
        model = register_model(session, developer, name="Atlas", now=START)
        version = add_version(
            session,
            developer,
            model_id=model.id,
            version="1.0",
            planned_release_at=START + timedelta(days=45),
            access_kind=AccessKind.weights,
            weights_location="s3://lab/atlas-1.0",
            now=START,
        )
        return submit_for_review(session, developer, model_version_id=version.id, now=START).id


def test_the_queued_tick_closes_a_due_review_once(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    review_id = _open_review(db)
    settings = Settings(database_url=db_url, queue_url=f"sqlite:///{tmp_path / 'queue.db'}")
    producer = make_huey(settings)
    tick = producer.task()(run_review_tick)
    worker = make_huey(settings)
    worker._registry = producer._registry

    results = []
    for _ in range(2):  # the second run must change nothing
        pending = tick(settings, now=START + timedelta(days=31))
        worker.execute(worker.dequeue())
        results.append(pending.get())

    with db.read_session() as session:
        review = session.get(Review, review_id)
        assert review is not None and review.status is ReviewStatus.closed
        assert review.closed_at == START + timedelta(days=30)
        notifications = session.scalar(select(func.count()).select_from(Notification))
    assert results[1] == 0
    assert notifications and notifications > 0
