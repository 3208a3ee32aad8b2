"""Real peers for delivery tests: an HTTP webhook receiver on a loopback port, organisations.

The receiver is a plain `http.server` in a thread. It verifies every request's signature
with its own few lines of HMAC (not the code under test), de-duplicates by `Webhook-Id`
as a real receiver would, and can fail the first K attempts of each id, always fail, or
take its time answering.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.fernet import Fernet

from clearinghouse.clock import SystemClock
from clearinghouse.identity.models import OrgKind
from clearinghouse.identity.principal import local_operator
from clearinghouse.identity.service import create_organisation
from clearinghouse.notifications import service
from clearinghouse.notifications.delivery import Outcome, deliver_once, sweep
from clearinghouse.review.notifications import queue
from clearinghouse.settings import Settings
from clearinghouse.storage import Database


def verify_signature(secret: str, headers: Any, body: bytes) -> bool:
    """Standard Webhooks verification, written from the spec, independent of our signer."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = b".".join(
        [headers["Webhook-Id"].encode(), headers["Webhook-Timestamp"].encode(), body]
    )
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in headers["Webhook-Signature"].split() if "," in s]
    return any(hmac.compare_digest(expected, o) for o in offered)


@dataclass
class Receiver:
    """A webhook endpoint: fails the first `fail_first` tries of each id (or all of them)."""

    secret: str = ""
    fail_first: int = 0
    always_fail: bool = False
    sleep_seconds: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def handle(self, headers: Any, body: bytes) -> int:
        message_id = headers.get("Webhook-Id", "")
        with self.lock:
            if not verify_signature(self.secret, headers, body):
                self.bad_signatures += 1
                return 401
            tries = sum(1 for r in self.requests if r["id"] == message_id)
            entry = {"id": message_id, "at": time.monotonic(), "payload": json.loads(body)}
            self.requests.append(entry)
        if self.sleep_seconds:
            time.sleep(self.sleep_seconds)
        if self.always_fail or tries < self.fail_first:
            return 500
        with self.lock:
            entry["accepted"] = True
        return 204

    def accepted_ids(self) -> Counter[str]:
        with self.lock:
            return Counter(r["id"] for r in self.requests if r.get("accepted"))

    def tries(self) -> Counter[str]:
        with self.lock:
            return Counter(r["id"] for r in self.requests)


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            code = state.handle(self.headers, body)
            try:
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender went away (a killed worker); what it sent still counts

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as state:
        yield state


@pytest.fixture
def other_receiver() -> Iterator[Receiver]:
    with running_receiver() as state:
        yield state


@pytest.fixture(scope="session")
def encryption_key() -> str:
    return Fernet.generate_key().decode()


def fast_settings(db_url: str, encryption_key: str, **overrides: Any) -> Settings:
    """Tiny delays, so that eight attempts take a second, not hours."""
    values: dict[str, Any] = {
        "database_url": db_url,
        "encryption_key": encryption_key,
        "webhook_max_attempts": 4,
        "webhook_timeout_seconds": 2.0,
        "webhook_backoff_seconds": 0.05,
        "webhook_backoff_max_seconds": 0.4,
        "notification_lease_seconds": 3.0,
        "notification_sweep_grace_seconds": 0.0,
    }
    values.update(overrides)
    return Settings(**values)


def make_org(db: Database, slug: str, kind: OrgKind = OrgKind.critical_infrastructure) -> int:
    with db.session() as session:
        return create_organisation(
            session, slug=slug, name=slug.title(), kind=kind, actor="test"
        ).id


def subscribe(db: Database, settings: Settings, org_slug: str, url: str, *kinds: str) -> str:
    with db.session() as session:
        created = service.create_subscription(
            session,
            local_operator("test"),
            settings,
            url=url,
            kinds=kinds,
            organisation=org_slug,
            now=datetime.now(UTC),
        )
        return created.secret


def notify(
    db: Database, org_ids: list[int | None], count: int, *, kind: str = "finding.new"
) -> int:
    """`count` outbox rows per organisation, as the other areas write them."""
    queued = 0
    with db.session() as session:
        for n in range(count):
            queued += queue(
                session,
                recipients=org_ids,
                kind=kind,
                subject_type="inventory",
                subject_id=str(n),
                body=f"finding {n}",
                event_key=f"test:{kind}:{n}",
                now=datetime.now(UTC),
            )
    return queued


def drain(db: Database, settings: Settings, *, limit_seconds: float = 30.0) -> list[Outcome]:
    """The worker's loop in this process: sweep, then each job at its time, retries included."""
    clock = SystemClock()
    pending = [(at, i) for i, at in sweep(db, settings, now=clock.now()).jobs]
    heapq.heapify(pending)
    outcomes: list[Outcome] = []
    deadline = time.monotonic() + limit_seconds
    while pending:
        assert time.monotonic() < deadline, "deliveries still pending after the time limit"
        at, delivery_id = heapq.heappop(pending)
        wait = (at - clock.now()).total_seconds()
        if wait > 0:
            time.sleep(wait)
        outcome = deliver_once(db, settings, delivery_id, clock=clock, worker="test")
        outcomes.append(outcome)
        if outcome.retry_at is not None:
            heapq.heappush(pending, (outcome.retry_at, delivery_id))
    return outcomes
