"""The delivery state machine: fan-out, a claim with a lease, attempts, retries, dead letters.

Every step is idempotent and safe with many workers on SQLite or PostgreSQL:
- `fan_out` turns outbox rows into one delivery per (notification, target); the unique
  (notification_id, target) pair and the `notification_fanouts` mark make a second run,
  or a concurrent one, add nothing;
- `claim` is one conditional UPDATE (pending and due, or claimed with an expired lease):
  of two workers only one gets the row, and a worker killed mid-attempt loses its claim
  when the lease expires;
- `deliver_once` claims, sends outside any transaction, then records the attempt and
  moves the delivery on, but only while it still holds the claim;
- `sweep` (a periodic job, and once when a worker starts) fans out, dead-letters claims
  lost on their last attempt, and says which deliveries need a job queued (again).
Guarantee: at-least-once; the stable `public_id` (`Webhook-Id`, the payload's `id`, the
e-mail's Message-ID) lets the receiver make it exactly-once.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clearinghouse.audit.chain import SYSTEM_ACTOR, append
from clearinghouse.clock import Clock
from clearinghouse.identity.models import Organisation
from clearinghouse.notifications import email, webhooks
from clearinghouse.notifications.models import (
    Channel,
    DeliveryAttempt,
    DeliveryStatus,
    EmailRecipient,
    NotificationDelivery,
    NotificationFanout,
    WebhookSubscription,
)
from clearinghouse.review.models import Notification
from clearinghouse.review.secrets import credential_cipher
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

log = logging.getLogger(__name__)

FANOUT_BATCH = 500
SWEEP_BATCH = 1000
# An outbox row older than this when first fanned out is not sent: a subscription made
# today should not receive last year's notifications.
FANOUT_MAX_AGE = timedelta(days=7)

D = NotificationDelivery


def kinds_match(kinds: str, kind: str) -> bool:
    """Empty means every kind; `review.*` matches every kind starting `review.`."""
    wanted = kinds.split()
    return not wanted or any(
        w == kind or w == "*" or (w.endswith(".*") and kind.startswith(w[:-1])) for w in wanted
    )


def backoff(settings: Settings, failed_attempts: int) -> timedelta:
    """Delay after the n-th failed attempt: base, 2 x base, 4 x base, ... up to the maximum."""
    seconds = settings.webhook_backoff_seconds * 2 ** max(failed_attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.webhook_backoff_max_seconds))


# --- fan-out ---------------------------------------------------------------------------------


def _new_delivery(notification: Notification, channel: Channel, target_id: int, now: datetime) -> D:
    return D(
        public_id=f"msg_{uuid.uuid4().hex}",
        notification_id=notification.id,
        organisation_id=notification.organisation_id,
        channel=channel,
        target=f"{channel.value}:{target_id}",
        subscription_id=target_id if channel is Channel.webhook else None,
        email_recipient_id=target_id if channel is Channel.email else None,
        status=DeliveryStatus.pending,
        attempts=0,
        next_attempt_at=now,
        enqueued_at=now,  # the sweep that made it queues its first job
        created_at=now,
    )


def fan_out(session: Session, *, now: datetime) -> list[int]:
    """Deliveries for outbox rows not fanned out yet; returns the new deliveries' ids."""
    done = exists().where(NotificationFanout.notification_id == Notification.id)
    batch = session.scalars(
        select(Notification).where(~done).order_by(Notification.id).limit(FANOUT_BATCH)
    ).all()
    if not batch:
        return []
    hooks: dict[int | None, list[WebhookSubscription]] = defaultdict(list)
    for sub in session.scalars(select(WebhookSubscription).where(WebhookSubscription.active)):
        hooks[sub.organisation_id].append(sub)
    mailboxes: dict[int | None, list[EmailRecipient]] = defaultdict(list)
    for rcpt in session.scalars(select(EmailRecipient).where(EmailRecipient.active)):
        mailboxes[rcpt.organisation_id].append(rcpt)
    created: list[int] = []
    for notification in batch:
        deliveries: list[D] = []
        if notification.created_at >= now - FANOUT_MAX_AGE:
            org = notification.organisation_id
            deliveries += [
                _new_delivery(notification, Channel.webhook, s.id, now)
                for s in hooks[org]
                if kinds_match(s.kinds, notification.kind)
            ]
            deliveries += [
                _new_delivery(notification, Channel.email, r.id, now)
                for r in mailboxes[org]
                if kinds_match(r.kinds, notification.kind)
            ]
        try:
            with session.begin_nested():
                session.add(
                    NotificationFanout(
                        notification_id=notification.id,
                        fanned_out_at=now,
                        deliveries=len(deliveries),
                    )
                )
                session.add_all(deliveries)
                session.flush()
        except IntegrityError:
            continue  # another sweeper fanned it out first
        created += [d.id for d in deliveries]
    return created


# --- claim, attempt, record ----------------------------------------------------------------


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100000}"


def claim(
    session: Session, delivery_id: int, *, now: datetime, settings: Settings, token: str
) -> bool:
    """Take the delivery for one attempt, if it is due and nobody holds it; one UPDATE."""
    due = and_(D.status == DeliveryStatus.pending, D.next_attempt_at <= now)
    abandoned = and_(D.status == DeliveryStatus.claimed, D.claimed_until < now)
    result = session.execute(
        update(D)
        .where(D.id == delivery_id, D.attempts < settings.webhook_max_attempts, or_(due, abandoned))
        .values(
            status=DeliveryStatus.claimed,
            claimed_by=token,
            claimed_until=now + timedelta(seconds=settings.notification_lease_seconds),
            attempts=D.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


@dataclass(frozen=True)
class Prepared:
    """What one attempt sends, read inside the claiming transaction and sent outside it."""

    send: Callable[[], webhooks.AttemptResult] | None  # None: the target is gone
    reason: str = ""


def _payload(session: Session, delivery: D, notification: Notification) -> bytes:
    org = (
        session.get(Organisation, notification.organisation_id)
        if notification.organisation_id is not None
        else None
    )
    document = {
        "id": delivery.public_id,
        "kind": notification.kind,
        "subject_type": notification.subject_type,
        "subject_id": notification.subject_id,
        "body": notification.body,
        "created_at": notification.created_at.isoformat(),
        "organisation": org.slug if org is not None else None,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def _prepare(
    session: Session, settings: Settings, delivery: D, notification: Notification, clock: Clock
) -> Prepared:
    if delivery.channel is Channel.webhook:
        sub = session.get(WebhookSubscription, delivery.subscription_id)
        if sub is None or not sub.active:
            return Prepared(None, "the webhook subscription was removed")
        cipher = credential_cipher(settings.encryption_key, settings.database_url)
        secret = cipher.decrypt(sub.secret_ciphertext).decode()
        body = _payload(session, delivery, notification)
        url, message_id = sub.url, delivery.public_id

        def send_webhook() -> webhooks.AttemptResult:
            # Signed at send time: receivers check that the timestamp is recent.
            stamp = int(clock.now().timestamp())
            headers = webhooks.signed_headers(
                secret, message_id=message_id, body=body, timestamp=stamp
            )
            return webhooks.post(
                url, body=body, headers=headers, timeout=settings.webhook_timeout_seconds
            )

        return Prepared(send_webhook)
    rcpt = session.get(EmailRecipient, delivery.email_recipient_id)
    if rcpt is None or not rcpt.active:
        return Prepared(None, "the e-mail recipient was removed")
    message = email.build_message(
        settings,
        to=rcpt.address,
        subject=f"[clearinghouse] {notification.kind}: {notification.subject_type} "
        f"{notification.subject_id}",
        text=f"{notification.body}\n\nNotification id: {delivery.public_id}\n",
        message_id=delivery.public_id,
    )
    return Prepared(lambda: email.send(settings, message))


@dataclass(frozen=True)
class Outcome:
    """What one call of `deliver_once` did; `status` None: it did not get the claim."""

    status: DeliveryStatus | None
    retry_at: datetime | None = None
    attempt: webhooks.AttemptResult | None = None


def deliver_once(
    db: Database, settings: Settings, delivery_id: int, *, clock: Clock, worker: str
) -> Outcome:
    """Claim the delivery, make one attempt, record it; a no-op when it is not ours to try."""
    token = f"{worker}:{secrets.token_hex(4)}"[:100]
    with db.session() as session:
        if not claim(session, delivery_id, now=clock.now(), settings=settings, token=token):
            return Outcome(None)
        delivery = session.get(D, delivery_id)
        assert delivery is not None
        notification = session.get(Notification, delivery.notification_id)
        assert notification is not None
        prepared = _prepare(session, settings, delivery, notification, clock)
    started = clock.now()
    if prepared.send is None:
        result = webhooks.AttemptResult(False, None, prepared.reason, 0.0)
    else:
        result = prepared.send()
    with db.session() as session:
        return _record(
            session,
            settings,
            delivery_id,
            token=token,
            started=started,
            result=result,
            give_up=prepared.send is None,
            now=clock.now(),
        )


def _record(
    session: Session,
    settings: Settings,
    delivery_id: int,
    *,
    token: str,
    started: datetime,
    result: webhooks.AttemptResult,
    give_up: bool,
    now: datetime,
) -> Outcome:
    number = (
        session.scalar(
            select(func.count())
            .select_from(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == delivery_id)
        )
        or 0
    ) + 1
    session.add(
        DeliveryAttempt(
            delivery_id=delivery_id,
            number=number,
            started_at=started,
            duration_ms=round(result.duration_ms, 1),
            status_code=result.status_code,
            ok=result.ok,
            error=result.error,
            worker=token,
        )
    )
    delivery = session.get(D, delivery_id, with_for_update=True)
    assert delivery is not None
    if delivery.status is not DeliveryStatus.claimed or delivery.claimed_by != token:
        # Our lease ran out and another worker took over: it decides what happens next.
        log.warning("delivery %s: lease lost during attempt %d", delivery.public_id, number)
        return Outcome(None, attempt=result)
    delivery.claimed_by = None
    delivery.claimed_until = None
    if result.ok:
        delivery.status = DeliveryStatus.delivered
        delivery.delivered_at = now
        delivery.last_error = None
        session.flush()
        _mark_notification_if_done(session, delivery.notification_id, now)
        return Outcome(DeliveryStatus.delivered, attempt=result)
    delivery.last_error = (result.error or "failed")[:500]
    if give_up or delivery.attempts >= settings.webhook_max_attempts:
        dead_letter(session, delivery, now=now)
        return Outcome(DeliveryStatus.dead, attempt=result)
    delivery.status = DeliveryStatus.pending
    delivery.next_attempt_at = now + backoff(settings, delivery.attempts)
    delivery.enqueued_at = now  # the caller queues the retry's job
    return Outcome(DeliveryStatus.pending, retry_at=delivery.next_attempt_at, attempt=result)


def dead_letter(session: Session, delivery: D, *, now: datetime) -> None:
    delivery.status = DeliveryStatus.dead
    delivery.dead_at = now
    delivery.claimed_by = None
    delivery.claimed_until = None
    append(
        session,
        actor=SYSTEM_ACTOR,
        action="notification.dead_lettered",
        subject_type="notification_delivery",
        subject_id=delivery.public_id,
        after={"status": "dead", "attempts": delivery.attempts},
        details={"channel": delivery.channel.value, "last_error": delivery.last_error},
    )


def _mark_notification_if_done(session: Session, notification_id: int, now: datetime) -> None:
    """The outbox row is delivered once every delivery of it is."""
    left = session.scalar(
        select(func.count())
        .select_from(D)
        .where(D.notification_id == notification_id, D.status != DeliveryStatus.delivered)
    )
    if not left:
        session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.delivered_at.is_(None))
            .values(delivered_at=now)
            .execution_options(synchronize_session=False)
        )


# --- the sweeper -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    fanned_out: int
    dead_lettered: int
    jobs: list[tuple[int, datetime]]  # (delivery id, when its job should run)
    more: bool = False  # outbox rows are left for another sweep (more than one batch)


def sweep(db: Database, settings: Settings, *, now: datetime) -> SweepResult:
    """Fan out, dead-letter lost last attempts, and list the jobs to queue (again).

    Queued: new deliveries; pending ones that are overdue by the grace period or were
    never queued (redelivered); every claimed one at the end of its lease, because its
    worker may have died with the job (Huey's dequeued job is gone with its process). A
    job for a delivery someone else holds does nothing, so queuing too many is harmless.
    """
    grace = timedelta(seconds=settings.notification_sweep_grace_seconds)
    with db.session() as session:
        lost = session.scalars(
            select(D)
            .where(
                D.status == DeliveryStatus.claimed,
                D.claimed_until < now,
                D.attempts >= settings.webhook_max_attempts,
            )
            .limit(SWEEP_BATCH)
        ).all()
        for delivery in lost:
            delivery.last_error = "the worker stopped during the last attempt"
            dead_letter(session, delivery, now=now)
        claimed = session.execute(
            select(D.id, D.claimed_until)
            .where(D.status == DeliveryStatus.claimed)
            .order_by(D.claimed_until)
            .limit(SWEEP_BATCH)
        ).all()
        overdue = list(
            session.scalars(
                select(D.id)
                .where(
                    D.status == DeliveryStatus.pending,
                    D.next_attempt_at <= now,
                    or_(D.enqueued_at.is_(None), D.next_attempt_at <= now - grace),
                )
                .order_by(D.next_attempt_at)
                .limit(SWEEP_BATCH)
            )
        )
        # After the overdue query: a delivery made now is queued once, as new.
        created = fan_out(session, now=now)
        left = exists().where(NotificationFanout.notification_id == Notification.id)
        more = session.scalar(select(Notification.id).where(~left).limit(1)) is not None
        if overdue:
            session.execute(
                update(D)
                .where(D.id.in_(overdue))
                .values(enqueued_at=now)
                .execution_options(synchronize_session=False)
            )
    jobs = [(i, now) for i in [*created, *overdue]]
    jobs += [(i, max(until or now, now)) for i, until in claimed]
    return SweepResult(len(created), len(lost), jobs, more=more)
