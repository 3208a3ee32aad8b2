"""Managing notification channels and reading the delivery log, for the API and the CLI.

Every function checks `identity.policy` (notifications section) first, answers outsiders
as if the thing did not exist, and audits its change in the same transaction. A webhook's
secret is returned once, at creation and rotation, and stored only encrypted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.audit.chain import append
from clearinghouse.errors import NotFound, Unauthenticated
from clearinghouse.identity.models import Organisation, Role
from clearinghouse.identity.policy import (
    NotificationAction,
    decide_notifications,
    notifications_filter,
    require_notifications,
)
from clearinghouse.identity.principal import Principal
from clearinghouse.notifications import email, webhooks
from clearinghouse.notifications.errors import (
    InvalidNotificationField,
    NotDeadLettered,
    UnknownDelivery,
    UnknownOrganisation,
    UnknownRecipient,
    UnknownSubscription,
)
from clearinghouse.notifications.models import (
    DeliveryStatus,
    EmailRecipient,
    NotificationDelivery,
    WebhookSubscription,
)
from clearinghouse.review.secrets import credential_cipher
from clearinghouse.settings import Settings

MAX_KINDS = 20
MAX_KIND_LENGTH = 64
MAX_LOG_ROWS = 500

MANAGE = NotificationAction.notifications_manage
READ = NotificationAction.deliveries_read


def normalise_kinds(kinds: Sequence[str]) -> str:
    """Kinds as stored: space-separated, each `word.word` or `word.*`; empty means all."""
    cleaned = list(dict.fromkeys(k.strip() for k in kinds if k.strip()))
    if len(cleaned) > MAX_KINDS:
        raise InvalidNotificationField("kinds", f"at most {MAX_KINDS} kinds")
    for kind in cleaned:
        body = kind.removesuffix(".*")
        if (
            len(kind) > MAX_KIND_LENGTH
            or not body
            or not all(part.replace("_", "").isalnum() for part in body.split("."))
        ):
            raise InvalidNotificationField(
                "kinds", f"{kind[:80]!r} is not a kind (e.g. finding.new, review.*)"
            )
    return " ".join(cleaned)


def _organisation_id(session: Session, principal: Principal, slug: str | None) -> int | None:
    """The organisation named by slug; else the principal's own, and for operators the
    operators' channel (None), where notifications addressed to the operators go."""
    if slug is None:
        return None if principal.role is Role.operator else principal.organisation_id
    org_id = session.scalar(select(Organisation.id).where(Organisation.slug == slug.strip()))
    if org_id is None:
        raise UnknownOrganisation(f"organisation: no organisation {slug[:64]!r}")
    return org_id


def _hidden_unless_allowed(
    principal: Principal, action: NotificationAction, org_id: int | None, missing: NotFound
) -> None:
    """Someone else's subscription or delivery reads as missing, not as forbidden."""
    decision = decide_notifications(principal, action, org_id)
    if decision:
        return
    if not principal.is_authenticated:
        raise Unauthenticated(decision.reason)
    raise missing


# --- webhook subscriptions ---------------------------------------------------------------


@dataclass(frozen=True)
class CreatedSubscription:
    subscription: WebhookSubscription
    secret: str  # shown once


def create_subscription(
    session: Session,
    principal: Principal,
    settings: Settings,
    *,
    url: str,
    kinds: Sequence[str] = (),
    organisation: str | None = None,
    now: datetime,
) -> CreatedSubscription:
    org_id = _organisation_id(session, principal, organisation)
    require_notifications(principal, MANAGE, org_id)
    checked = webhooks.validate_url(url, allow_http=settings.webhook_allow_http)
    secret = webhooks.new_secret()
    cipher = credential_cipher(settings.encryption_key, settings.database_url)
    sub = WebhookSubscription(
        organisation_id=org_id,
        url=checked,
        kinds=normalise_kinds(kinds),
        secret_ciphertext=cipher.encrypt(secret.encode()),
        active=True,
        created_at=now,
        created_by=principal.actor,
    )
    session.add(sub)
    session.flush()
    append(
        session,
        actor=principal.actor,
        action="webhook.created",
        subject_type="webhook_subscription",
        subject_id=str(sub.id),
        after={"url": sub.url, "kinds": sub.kinds, "organisation_id": org_id},
    )
    return CreatedSubscription(sub, secret)


def list_subscriptions(
    session: Session, principal: Principal, *, include_removed: bool = False
) -> list[WebhookSubscription]:
    require_notifications(principal, READ, principal.organisation_id)
    query = select(WebhookSubscription).where(
        notifications_filter(principal, organisation_column=WebhookSubscription.organisation_id)
    )
    if not include_removed:
        query = query.where(WebhookSubscription.active)
    return list(session.scalars(query.order_by(WebhookSubscription.id)))


def _subscription(session: Session, principal: Principal, sub_id: int) -> WebhookSubscription:
    sub = session.get(WebhookSubscription, sub_id)
    if sub is None or not sub.active:
        raise UnknownSubscription(f"no webhook subscription {sub_id}")
    _hidden_unless_allowed(
        principal,
        MANAGE,
        sub.organisation_id,
        UnknownSubscription(f"no webhook subscription {sub_id}"),
    )
    return sub


def remove_subscription(
    session: Session, principal: Principal, sub_id: int, *, now: datetime
) -> None:
    """Deactivate (kept for the delivery log); its undelivered deliveries die on their next try."""
    sub = _subscription(session, principal, sub_id)
    sub.active = False
    sub.removed_at = now
    append(
        session,
        actor=principal.actor,
        action="webhook.removed",
        subject_type="webhook_subscription",
        subject_id=str(sub.id),
        before={"active": True},
        after={"active": False},
    )


def rotate_secret(
    session: Session, principal: Principal, settings: Settings, sub_id: int, *, now: datetime
) -> CreatedSubscription:
    """A new secret, effective for every attempt from now on; the old one stops working."""
    sub = _subscription(session, principal, sub_id)
    secret = webhooks.new_secret()
    cipher = credential_cipher(settings.encryption_key, settings.database_url)
    sub.secret_ciphertext = cipher.encrypt(secret.encode())
    sub.secret_rotated_at = now
    append(
        session,
        actor=principal.actor,
        action="webhook.secret_rotated",
        subject_type="webhook_subscription",
        subject_id=str(sub.id),
    )
    return CreatedSubscription(sub, secret)


# --- e-mail recipients -------------------------------------------------------------------


def add_email_recipient(
    session: Session,
    principal: Principal,
    *,
    address: str,
    kinds: Sequence[str] = (),
    organisation: str | None = None,
    now: datetime,
) -> EmailRecipient:
    org_id = _organisation_id(session, principal, organisation)
    require_notifications(principal, MANAGE, org_id)
    rcpt = EmailRecipient(
        organisation_id=org_id,
        address=email.validate_address(address),
        kinds=normalise_kinds(kinds),
        active=True,
        created_at=now,
        created_by=principal.actor,
    )
    session.add(rcpt)
    session.flush()
    append(
        session,
        actor=principal.actor,
        action="email_recipient.created",
        subject_type="email_recipient",
        subject_id=str(rcpt.id),
        after={"address": rcpt.address, "kinds": rcpt.kinds, "organisation_id": org_id},
    )
    return rcpt


def list_email_recipients(session: Session, principal: Principal) -> list[EmailRecipient]:
    require_notifications(principal, READ, principal.organisation_id)
    query = select(EmailRecipient).where(
        EmailRecipient.active,
        notifications_filter(principal, organisation_column=EmailRecipient.organisation_id),
    )
    return list(session.scalars(query.order_by(EmailRecipient.id)))


def remove_email_recipient(
    session: Session, principal: Principal, rcpt_id: int, *, now: datetime
) -> None:
    rcpt = session.get(EmailRecipient, rcpt_id)
    missing = UnknownRecipient(f"no e-mail recipient {rcpt_id}")
    if rcpt is None or not rcpt.active:
        raise missing
    _hidden_unless_allowed(principal, MANAGE, rcpt.organisation_id, missing)
    rcpt.active = False
    rcpt.removed_at = now
    append(
        session,
        actor=principal.actor,
        action="email_recipient.removed",
        subject_type="email_recipient",
        subject_id=str(rcpt.id),
        before={"active": True},
        after={"active": False},
    )


# --- the delivery log --------------------------------------------------------------------


def list_deliveries(
    session: Session,
    principal: Principal,
    *,
    status: DeliveryStatus | None = None,
    limit: int = 100,
) -> list[NotificationDelivery]:
    """Newest first, each with its attempts."""
    require_notifications(principal, READ, principal.organisation_id)
    query = select(NotificationDelivery).where(
        notifications_filter(principal, organisation_column=NotificationDelivery.organisation_id)
    )
    if status is not None:
        query = query.where(NotificationDelivery.status == status)
    limit = max(1, min(limit, MAX_LOG_ROWS))
    return list(session.scalars(query.order_by(NotificationDelivery.id.desc()).limit(limit)))


def get_delivery(session: Session, principal: Principal, public_id: str) -> NotificationDelivery:
    missing = UnknownDelivery(f"no delivery {public_id[:60]!r}")
    delivery = session.scalar(
        select(NotificationDelivery).where(NotificationDelivery.public_id == public_id[:40])
    )
    if delivery is None:
        raise missing
    _hidden_unless_allowed(principal, READ, delivery.organisation_id, missing)
    return delivery


def redeliver(
    session: Session, principal: Principal, public_id: str, *, now: datetime
) -> NotificationDelivery:
    """A dead letter goes back to pending with a fresh round of attempts (same id).

    The worker's next sweep (within a minute) queues its job.
    """
    delivery = get_delivery(session, principal, public_id)
    require_notifications(principal, MANAGE, delivery.organisation_id)
    if delivery.status is not DeliveryStatus.dead:
        raise NotDeadLettered(
            f"delivery {delivery.public_id} is {delivery.status.value}: only dead letters "
            "are redelivered"
        )
    delivery.status = DeliveryStatus.pending
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.enqueued_at = None
    delivery.dead_at = None
    append(
        session,
        actor=principal.actor,
        action="notification.redelivered",
        subject_type="notification_delivery",
        subject_id=delivery.public_id,
        before={"status": "dead"},
        after={"status": "pending"},
    )
    return delivery
