"""/api/v1/webhooks through the real ASGI app, on both databases: who manages what; the log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from clearinghouse.api.app import create_app
from clearinghouse.audit.models import AuditEvent
from clearinghouse.clock import ManualClock
from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.service import create_user
from clearinghouse.identity.tokens import create_token
from clearinghouse.storage import Database

from .conftest import Receiver, drain, fast_settings, make_org, notify

PEOPLE = {
    "operator": ("ops@ops.example", "ops", Role.operator),
    "grid": ("analyst@gridco.example", "gridco", Role.partner),
    "water": ("analyst@waterco.example", "waterco", Role.partner),
}


@dataclass
class Api:
    client: TestClient
    db: Database
    tokens: dict[str, str]
    org_ids: dict[str, int]

    def call(self, who: str | None, method: str, path: str, **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.request(method, "/api/v1" + path, headers=headers, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def api(db: Database, db_url: str, encryption_key: str) -> Iterator[Api]:
    org_ids = {slug: make_org(db, slug) for slug in ("gridco", "waterco")}
    org_ids["ops"] = make_org(db, "ops", OrgKind.operator)
    tokens: dict[str, str] = {}
    with db.session() as session:
        for key, (email, org, role) in PEOPLE.items():
            user = create_user(session, email=email, org_slug=org, role=role, actor="test")
            _, tokens[key] = create_token(session, user=user, name="tests", actor="test")
    settings = fast_settings(db_url, encryption_key, webhook_max_attempts=1)
    app = create_app(settings, db, ManualClock(datetime.now(UTC)))
    with TestClient(app) as client:
        yield Api(client, db, tokens, org_ids)


def test_an_organisation_manages_its_own_webhooks_and_nobody_else_sees_them(api: Api) -> None:
    created = api.call(
        "grid",
        "POST",
        "/webhooks",
        json={"url": "https://grid.example/hook", "kinds": ["finding.new"]},
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["secret"].startswith("whsec_") and hook["organisation_id"] == api.org_ids["gridco"]

    listed = api.call("grid", "GET", "/webhooks").json()
    assert [h["url"] for h in listed] == ["https://grid.example/hook"]
    assert "secret" not in listed[0]  # shown once, at creation
    assert api.call("water", "GET", "/webhooks").json() == []
    assert len(api.call("operator", "GET", "/webhooks").json()) == 1
    # An operator without --organisation subscribes the operators' channel.
    ops_hook = api.call("operator", "POST", "/webhooks", json={"url": "https://ops.example/h"})
    assert ops_hook.status_code == 201 and ops_hook.json()["organisation_id"] is None
    assert api.call("grid", "DELETE", f"/webhooks/{ops_hook.json()['id']}").status_code == 404
    # Another organisation's subscription reads as missing.
    assert api.call("water", "DELETE", f"/webhooks/{hook['id']}").status_code == 404
    assert api.call("water", "POST", f"/webhooks/{hook['id']}/rotate-secret").status_code == 404
    assert api.call(None, "GET", "/webhooks").status_code == 401
    # A partner cannot subscribe for another organisation.
    other = api.call(
        "grid", "POST", "/webhooks", json={"url": "https://x.example/", "organisation": "waterco"}
    )
    assert other.status_code == 403

    rotated = api.call("grid", "POST", f"/webhooks/{hook['id']}/rotate-secret")
    assert rotated.status_code == 200 and rotated.json()["secret"] != hook["secret"]
    assert api.call("grid", "DELETE", f"/webhooks/{hook['id']}").status_code == 204
    assert api.call("grid", "GET", "/webhooks").json() == []

    with api.db.read_session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_type == "webhook_subscription")
        ).all()
    assert actions == [
        "webhook.created",
        "webhook.created",
        "webhook.secret_rotated",
        "webhook.removed",
    ]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"url": "http://grid.example/hook"}, "url"),
        ({"url": "https://grid.example/hook", "kinds": ["not a kind!"]}, "kinds"),
        ({"url": "https://grid.example/hook", "secret": "mine"}, "secret"),
    ],
)
def test_a_bad_subscription_is_a_problem_naming_the_field(
    api: Api, body: dict[str, object], where: str
) -> None:
    response = api.call("grid", "POST", "/webhooks", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert where in response.text


def test_the_delivery_log_shows_dead_letters_to_their_organisation_and_redelivers(
    api: Api, db_url: str, encryption_key: str, receiver: Receiver
) -> None:
    created = api.call("grid", "POST", "/webhooks", json={"url": receiver.url}).json()
    receiver.secret = created["secret"]
    receiver.always_fail = True
    notify(api.db, [api.org_ids["gridco"]], 1)
    drain(api.db, fast_settings(db_url, encryption_key, webhook_max_attempts=1))

    (dead,) = api.call("grid", "GET", "/webhooks/deliveries", params={"status": "dead"}).json()
    assert dead["status"] == "dead" and dead["last_error"] == "HTTP 500"
    assert [(a["number"], a["status_code"], a["ok"]) for a in dead["attempt_log"]] == [
        (1, 500, False)
    ]
    assert api.call("water", "GET", "/webhooks/deliveries").json() == []
    assert api.call("water", "GET", f"/webhooks/deliveries/{dead['id']}").status_code == 404
    assert (
        api.call("water", "POST", f"/webhooks/deliveries/{dead['id']}/redeliver").status_code == 404
    )

    again = api.call("grid", "POST", f"/webhooks/deliveries/{dead['id']}/redeliver")
    assert again.status_code == 202 and again.json()["status"] == "pending"
    assert (
        api.call("grid", "POST", f"/webhooks/deliveries/{dead['id']}/redeliver").status_code == 409
    )

    receiver.always_fail = False
    drain(api.db, fast_settings(db_url, encryption_key))
    shown = api.call("grid", "GET", f"/webhooks/deliveries/{dead['id']}").json()
    assert shown["status"] == "delivered" and len(shown["attempt_log"]) == 2
    (payload,) = [r["payload"] for r in receiver.requests if r.get("accepted")]
    assert payload["id"] == dead["id"] and payload["organisation"] == "gridco"
    assert set(payload) == {
        "id",
        "kind",
        "subject_type",
        "subject_id",
        "body",
        "created_at",
        "organisation",
    }
    assert receiver.bad_signatures == 0  # every request's signature checked by the receiver


def test_email_recipients_are_managed_like_webhooks(api: Api) -> None:
    added = api.call(
        "water", "POST", "/webhooks/email-recipients", json={"address": "soc@waterco.example"}
    )
    assert added.status_code == 201, added.text
    rcpt = added.json()
    assert [
        r["address"] for r in api.call("water", "GET", "/webhooks/email-recipients").json()
    ] == ["soc@waterco.example"]
    assert api.call("grid", "GET", "/webhooks/email-recipients").json() == []
    assert api.call("grid", "DELETE", f"/webhooks/email-recipients/{rcpt['id']}").status_code == 404
    bad = api.call("water", "POST", "/webhooks/email-recipients", json={"address": "a@b"})
    assert bad.status_code == 422 and "address" in bad.json()["detail"]
    assert (
        api.call("water", "DELETE", f"/webhooks/email-recipients/{rcpt['id']}").status_code == 204
    )
    assert api.call("water", "GET", "/webhooks/email-recipients").json() == []
