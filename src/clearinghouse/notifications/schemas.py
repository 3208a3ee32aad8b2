"""The JSON shapes of the notification API: subscriptions, e-mail recipients, the delivery log."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from clearinghouse.notifications.models import (
    DeliveryAttempt,
    EmailRecipient,
    NotificationDelivery,
    WebhookSubscription,
)

Kinds = list[str]
KIND_HELP = "Notification kinds (finding.new, advisory.published, review.*); empty: every kind"


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000, description="https:// (http:// to loopback)")
    kinds: Kinds = Field(default_factory=list, max_length=20, description=KIND_HELP)
    organisation: str | None = Field(
        default=None, max_length=64, description="Organisation slug (operators only; default yours)"
    )


class SubscriptionOut(BaseModel):
    id: int
    organisation_id: int | None
    url: str
    kinds: Kinds
    active: bool
    created_at: datetime
    created_by: str
    secret_rotated_at: datetime | None

    @classmethod
    def of(cls, sub: WebhookSubscription) -> SubscriptionOut:
        return cls(
            id=sub.id,
            organisation_id=sub.organisation_id,
            url=sub.url,
            kinds=sub.kinds.split(),
            active=sub.active,
            created_at=sub.created_at,
            created_by=sub.created_by,
            secret_rotated_at=sub.secret_rotated_at,
        )


class SubscriptionSecretOut(SubscriptionOut):
    secret: str = Field(
        description="The signing secret (whsec_...), shown this once: verify Webhook-Signature "
        "with it as the Standard Webhooks libraries do"
    )

    @classmethod
    def with_secret(cls, sub: WebhookSubscription, secret: str) -> SubscriptionSecretOut:
        return cls(**SubscriptionOut.of(sub).model_dump(), secret=secret)


class RecipientIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(min_length=3, max_length=254)
    kinds: Kinds = Field(default_factory=list, max_length=20, description=KIND_HELP)
    organisation: str | None = Field(default=None, max_length=64)


class RecipientOut(BaseModel):
    id: int
    organisation_id: int | None
    address: str
    kinds: Kinds
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, rcpt: EmailRecipient) -> RecipientOut:
        return cls(
            id=rcpt.id,
            organisation_id=rcpt.organisation_id,
            address=rcpt.address,
            kinds=rcpt.kinds.split(),
            created_at=rcpt.created_at,
            created_by=rcpt.created_by,
        )


class AttemptOut(BaseModel):
    number: int
    started_at: datetime
    duration_ms: float
    status_code: int | None = Field(description="HTTP status, or the SMTP reply code")
    ok: bool
    error: str | None

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> AttemptOut:
        return cls(
            number=attempt.number,
            started_at=attempt.started_at,
            duration_ms=attempt.duration_ms,
            status_code=attempt.status_code,
            ok=attempt.ok,
            error=attempt.error,
        )


class DeliveryOut(BaseModel):
    id: str = Field(description="Stable across retries: the Webhook-Id and the payload's id")
    notification_id: int
    organisation_id: int | None
    channel: str
    target: str
    status: str = Field(description="pending, claimed, delivered or dead")
    attempts: int = Field(description="Attempts in the current round")
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    dead_at: datetime | None
    last_error: str | None
    attempt_log: list[AttemptOut]

    @classmethod
    def of(cls, delivery: NotificationDelivery) -> DeliveryOut:
        waiting = delivery.status.value == "pending"
        return cls(
            id=delivery.public_id,
            notification_id=delivery.notification_id,
            organisation_id=delivery.organisation_id,
            channel=delivery.channel.value,
            target=delivery.target,
            status=delivery.status.value,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at if waiting else None,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
            dead_at=delivery.dead_at,
            last_error=delivery.last_error,
            attempt_log=[AttemptOut.of(a) for a in delivery.attempt_log],
        )
