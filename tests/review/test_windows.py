"""Issue 6, acceptance 2: the window follows the release date, and closing touches no release."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from clearinghouse.review import service
from clearinghouse.review.errors import ReleaseAlreadyPast
from clearinghouse.review.models import (
    AccessKind,
    CloseReason,
    FrontierModel,
    ModelVersion,
    Notification,
    ReviewStatus,
)
from clearinghouse.review.windows import (
    WINDOW_LENGTH,
    check_submission,
    close_reason,
    window_closes_at,
)

from .conftest import START, World

DAY = timedelta(days=1)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(submitted=moments, release=moments)
def test_the_window_is_the_release_date_or_thirty_days_whichever_is_first(
    submitted: datetime, release: datetime
) -> None:
    closes = window_closes_at(submitted, release)
    assert closes == min(submitted + WINDOW_LENGTH, release)
    assert closes <= release and closes <= submitted + timedelta(days=30)
    reason = close_reason(closes, release)
    assert (reason is CloseReason.release_date_reached) == (closes == release)


@given(submitted=moments, release=moments)
def test_only_a_release_already_past_is_refused(submitted: datetime, release: datetime) -> None:
    if release <= submitted:
        with pytest.raises(ReleaseAlreadyPast, match="nothing before the release to review"):
            check_submission(submitted, release)
    else:
        check_submission(submitted, release)  # however near, however far


def _version(world: World, release_at: datetime, name: str = "1.0") -> int:
    developer = world.principal("developer")
    with world.db.session() as session:
        model_id = session.scalar(select(func.min(FrontierModel.id)))
        if model_id is None:
            model_id = service.register_model(
                session, developer, name="Frontier-W", now=world.clock.now()
            ).id
        version = service.add_version(
            session,
            developer,
            model_id=model_id,
            version=name,
            planned_release_at=release_at,
            access_kind=AccessKind.weights,
            weights_location="s3://frontierlab/weights/1.0",
            now=world.clock.now(),
        )
        return version.id


def _submit(world: World, version_id: int) -> int:
    with world.db.session() as session:
        return service.submit_for_review(
            session,
            world.principal("developer"),
            model_version_id=version_id,
            now=world.clock.now(),
        ).id


def _closes(world: World, review_id: int) -> datetime:
    body = world.ok("developer", "GET", f"/reviews/{review_id}")
    return datetime.fromisoformat(body["window_closes_at"])


def test_ten_days_before_release_closes_at_the_release_and_follows_it(world: World) -> None:
    version_id = _version(world, START + 10 * DAY)
    review_id = _submit(world, version_id)
    assert _closes(world, review_id) == START + 10 * DAY
    moves = [(15, 15), (45, 30), (3, 3)]  # a later release is capped at 30 days
    for release_day, close_day in moves:
        body = world.ok(
            "developer",
            "PATCH",
            f"/models/{_model_id(world)}/versions/{version_id}",
            {"planned_release_at": (START + release_day * DAY).isoformat()},
        )
        assert datetime.fromisoformat(body["window_closes_at"]) == START + close_day * DAY
        assert _closes(world, review_id) == START + close_day * DAY
    # Only the developer moves its release; others get a 403 or, if no party, a 404.
    path = f"/models/{_model_id(world)}/versions/{version_id}"
    later = {"planned_release_at": (START + 20 * DAY).isoformat()}
    assert world.call("operator", "PATCH", path, later).status_code == 403
    assert world.call("outsider_developer", "PATCH", path, later).status_code == 404


def _model_id(world: World) -> int:
    return int(world.ok("developer", "GET", "/models")[0]["id"])


def test_a_release_date_that_passes_closes_the_review_and_nothing_else(world: World) -> None:
    release = START + 10 * DAY
    version_id = _version(world, release)
    review_id = _submit(world, version_id)
    with world.db.session() as session:
        agency_assignment = service.assign(
            session, world.principal("operator"), review_id=review_id,
            organisation_slug="cisa", now=world.clock.now(),
        )  # fmt: skip
        assert agency_assignment.organisation_id == world.org_ids["cisa"]

    # The reminders: 7 days and 1 day before the close, once each however often it ticks.
    world.clock.set(release - 7 * DAY)
    with world.db.session() as session:
        assert service.tick(session, now=world.clock.now()) == 2  # developer + agency
        assert service.tick(session, now=world.clock.now() + DAY) == 0
    world.clock.set(release - DAY + timedelta(minutes=1))
    with world.db.session() as session:
        assert service.tick(session, now=world.clock.now()) == 2

    # The release date passes with no tick at all: the next read closes the review.
    world.clock.set(release + timedelta(hours=3))
    body = world.ok("developer", "GET", f"/reviews/{review_id}")
    assert body["status"] == "closed"
    assert body["close_reason"] == "release_date_reached"
    assert datetime.fromisoformat(body["closed_at"]) == release
    with world.db.session() as session:
        assert service.close_due_reviews(session, now=world.clock.now()) == []
        version = session.get(ModelVersion, version_id)
        assert version is not None and version.planned_release_at == release
        kinds = dict(
            session.execute(
                select(Notification.kind, func.count()).group_by(Notification.kind)
            ).all()
        )
    assert kinds == {
        "review.submitted": 2,
        "review.closes_in_7d": 2,
        "review.closes_in_1d": 2,
        "review.closed": 3,  # developer, agency, operators
    }


def test_the_scheduler_closes_reviews_without_anyone_looking(world: World) -> None:
    short = _submit(world, _version(world, START + 5 * DAY, "short"))
    long = _submit(world, _version(world, START + 90 * DAY, "long"))
    with world.db.session() as session:
        closed = service.close_due_reviews(session, now=START + 5 * DAY)
        assert [r.id for r in closed] == [short]
        assert closed[0].close_reason is CloseReason.release_date_reached
        closed = service.close_due_reviews(session, now=START + 30 * DAY)
        assert [(r.id, r.close_reason) for r in closed] == [(long, CloseReason.window_elapsed)]
        assert all(r.status is ReviewStatus.closed for r in closed)


def test_submitting_after_the_release_is_refused_clearly_and_far_ahead_is_fine(
    world: World,
) -> None:
    past = _version(world, START - DAY, "past")
    refused = world.call("developer", "POST", "/reviews", {"model_version_id": past})
    assert refused.status_code == 422
    assert "nothing before the release to review" in refused.json()["detail"]
    far = _version(world, START + 200 * DAY, "far")
    body = world.ok("developer", "POST", "/reviews", {"model_version_id": far}, 201)
    assert datetime.fromisoformat(body["window_closes_at"]) == START + 30 * DAY
    again = world.call("developer", "POST", "/reviews", {"model_version_id": far})
    assert again.status_code == 409


def test_withdraw_and_resubmit_leave_the_release_alone(world: World) -> None:
    first = _version(world, START + 40 * DAY, "1.0")
    second = _version(world, START + 50 * DAY, "1.1")
    review_id = _submit(world, first)
    world.clock.advance(2 * DAY)
    new = world.ok("developer", "POST", f"/reviews/{review_id}/resubmit",
                   {"model_version_id": second}, 201)  # fmt: skip
    assert datetime.fromisoformat(new["window_closes_at"]) == START + 32 * DAY
    old = world.ok("developer", "GET", f"/reviews/{review_id}")
    assert (old["status"], old["close_reason"]) == ("closed", "superseded")
    assert old["superseded_by_review_id"] == new["id"]
    withdrawn = world.ok("developer", "POST", f"/reviews/{new['id']}/withdraw")
    assert (withdrawn["status"], withdrawn["close_reason"]) == ("withdrawn", "withdrawn")
    assert world.call("developer", "POST", f"/reviews/{new['id']}/withdraw").status_code == 409
    for version_id, day in ((first, 40), (second, 50)):
        with world.db.read_session() as session:
            version = session.get(ModelVersion, version_id)
            assert version is not None and version.planned_release_at == START + day * DAY
