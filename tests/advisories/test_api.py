"""The advisories API over HTTP on SQLite and PostgreSQL: roles, states, labels, refusals.

The app is the real one (httpx through Starlette's TestClient), publications are validated
by the real CSAF validator and signed by the real instance key (GnuPG).
"""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import func, select

from clearinghouse.advisories.models import AdvisoryVersion
from clearinghouse.audit import verify
from clearinghouse.audit.models import AuditEvent
from clearinghouse.formats.csaf import validate_csaf
from clearinghouse.review.models import Notification

from .conftest import PARTNERS_GROUP, World

CLEAR_SOURCE = "CVE-2016-10745"  # Jinja2's PYSEC-2019-220 (an alias finds the group)
KEV_SOURCE = "CVE-2022-33891"  # PySpark's PYSEC-2022-236, in the KEV catalog


def _recipients(world: World, advisory_id: int) -> set[int | None]:
    with world.db.read_session() as session:
        rows = session.scalars(
            select(Notification.organisation_id).where(
                Notification.kind == "advisory.published",
                Notification.dedupe_key.like(f"advisory:{advisory_id}:%"),
            )
        )
        return set(rows)


def test_draft_publish_interim_then_final_with_versions_and_signed_bytes(world: World) -> None:
    draft = world.ok("operator", "POST", "", {"vulnerability": CLEAR_SOURCE}, 201)
    advisory_id = draft["id"]
    assert draft["status"] == "draft" and draft["tlp"] == "CLEAR"
    assert draft["tracking_id"].startswith("CH-2026-")
    assert draft["draft"]["source_id"] == CLEAR_SOURCE
    # A draft is the analysts' business: nobody else learns it exists.
    assert world.call(None, "GET", f"/{advisory_id}").status_code == 404
    assert world.call("vendor", "GET", f"/{advisory_id}").status_code == 404
    assert world.call("vendor", "POST", "", {"vulnerability": CLEAR_SOURCE}).status_code == 403

    first = world.ok("operator", "POST", f"/{advisory_id}/publish", {"status": "interim"})
    assert first["created"] and first["version"]["version"] == "1"
    assert "BEGIN PGP SIGNATURE" in first["version"]["signature"]
    assert first["notified"] >= 1

    response = world.call(None, "GET", f"/{advisory_id}/csaf.json")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == first["version"]["sha256"]
    document = orjson.loads(response.content)
    assert validate_csaf(document).valid
    assert document["document"]["tracking"]["status"] == "interim"

    # A vendor now sees the published advisory, and still may not publish it.
    assert world.call("vendor", "GET", f"/{advisory_id}").status_code == 200
    refused = world.call("vendor", "POST", f"/{advisory_id}/publish", {"status": "final"})
    assert refused.status_code == 403

    world.clock.advance(timedelta(hours=2))
    final = world.ok(
        "analyst", "POST", f"/{advisory_id}/publish", {"status": "final", "summary": "Final"}
    )
    assert final["created"] and final["version"]["version"] == "2"
    again = world.ok(
        "analyst", "POST", f"/{advisory_id}/publish", {"status": "final", "summary": "Final"}
    )
    assert not again["created"] and again["version"]["sha256"] == final["version"]["sha256"]
    back = world.call("operator", "POST", f"/{advisory_id}/publish", {"status": "interim"})
    assert back.status_code == 409

    versions = world.ok(None, "GET", f"/{advisory_id}/versions")  # type: ignore[arg-type]
    assert [v["version"] for v in versions] == ["1", "2"]
    latest = orjson.loads(world.call(None, "GET", f"/{advisory_id}/csaf.json").content)
    history = latest["document"]["tracking"]["revision_history"]
    assert [(r["number"], r["summary"]) for r in history] == [
        ("1", "Initial version"),
        ("2", "Final"),
    ]
    first_bytes = world.call(None, "GET", f"/{advisory_id}/versions/1/csaf.json").content
    assert hashlib.sha256(first_bytes).hexdigest() == first["version"]["sha256"]
    with world.db.read_session() as session:
        assert verify(session).ok
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_type == "advisory")
        ).all()
    assert actions.count("advisory.publish") == 2 and "advisory.draft" in actions


def test_amber_advisory_reaches_its_sharing_group_and_nobody_else(world: World) -> None:
    body = {"vulnerability": KEV_SOURCE, "tlp": "amber", "sharing_group": PARTNERS_GROUP}
    draft = world.ok("analyst", "POST", "", body, 201)
    advisory_id = draft["id"]
    assert draft["tlp"] == "AMBER"
    world.ok("analyst", "POST", f"/{advisory_id}/publish", {"status": "final"})

    for outsider in (None, "outsider", "vendor"):
        assert world.call(outsider, "GET", f"/{advisory_id}").status_code == 404
        assert world.call(outsider, "GET", f"/{advisory_id}/csaf.json").status_code == 404
        listed = world.call(outsider, "GET", "").json()
        assert advisory_id not in [a["id"] for a in listed]
    seen = world.ok("partner", "GET", f"/{advisory_id}")
    assert seen["tlp"] == "AMBER" and seen["draft"] is None
    assert advisory_id in [a["id"] for a in world.ok("partner", "GET", "")]
    document = orjson.loads(world.call("partner", "GET", f"/{advisory_id}/csaf.json").content)
    assert document["document"]["distribution"]["tlp"]["label"] == "AMBER"
    threats = document["vulnerabilities"][0]["threats"]
    assert any(t["category"] == "exploit_status" and "BOD 22-01" in t["details"] for t in threats)
    assert _recipients(world, advisory_id) == {
        None,
        world.org_ids["cisa"],
        world.org_ids["gridco"],
    }


def test_an_embargoed_advisory_is_told_to_its_designated_partners_only(world: World) -> None:
    ends = (world.clock.now() + timedelta(days=10)).isoformat()
    body = {"vulnerability": CLEAR_SOURCE, "sharing_group": PARTNERS_GROUP, "embargo_ends_at": ends}
    advisory_id = world.ok("operator", "POST", "", body, 201)["id"]
    world.ok("operator", "POST", f"/{advisory_id}/publish", {"status": "interim"})
    assert _recipients(world, advisory_id) == {world.org_ids["gridco"]}
    assert world.call(None, "GET", f"/{advisory_id}").status_code == 404
    assert world.call("outsider", "GET", f"/{advisory_id}").status_code == 404
    assert world.call("partner", "GET", f"/{advisory_id}").status_code == 200


def test_an_invalid_document_is_refused_with_its_failures_and_nothing_is_stored(
    world: World,
) -> None:
    advisory_id = world.ok("operator", "POST", "", {"vulnerability": CLEAR_SOURCE}, 201)["id"]
    world.ok("operator", "PATCH", f"/{advisory_id}", {"lang": "EZ"})
    with world.db.read_session() as session:
        events_before = session.scalar(select(func.count()).select_from(AuditEvent))
    refused = world.call("operator", "POST", f"/{advisory_id}/publish", {"status": "final"})
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert any(f["test"] == "6.1.12" and f["path"] == "/document/lang" for f in problem["failures"])
    with world.db.read_session() as session:
        stored = session.scalar(
            select(func.count())
            .select_from(AdvisoryVersion)
            .where(AdvisoryVersion.advisory_id == advisory_id)
        )
        events_after = session.scalar(select(func.count()).select_from(AuditEvent))
    assert stored == 0 and events_after == events_before
    assert _recipients(world, advisory_id) == set()
    assert world.ok("operator", "GET", f"/{advisory_id}")["status"] == "draft"
    bad_tlp = world.call("operator", "PATCH", f"/{advisory_id}", {"tlp": "PURPLE"})
    assert bad_tlp.status_code == 422 and "tlp" in bad_tlp.json()["detail"]


def test_concurrent_identical_publications_make_one_version(world: World) -> None:
    advisory_id = world.ok("operator", "POST", "", {"vulnerability": CLEAR_SOURCE}, 201)["id"]
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def publish() -> None:
        barrier.wait()
        response = world.call("operator", "POST", f"/{advisory_id}/publish", {"status": "final"})
        results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=publish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(code for code, _ in results) == [200, 200], results
    assert sorted(body["created"] for _, body in results) == [False, True]
    assert {body["version"]["version"] for _, body in results} == {"1"}
    with world.db.read_session() as session:
        count = session.scalar(
            select(func.count())
            .select_from(AdvisoryVersion)
            .where(AdvisoryVersion.advisory_id == advisory_id)
        )
    assert count == 1
