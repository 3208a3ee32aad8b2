"""Where notifications go (webhook subscriptions, e-mail recipients) and how each delivery went.

A `NotificationDelivery` is one notification on its way to one target (a subscription or
an e-mail recipient); its `public_id` is stable across retries, so the receiver can
de-duplicate by it. Its status moves pending -> claimed -> delivered, or back to pending
for a retry, or to dead after the last attempt. `claimed_until` is the lease of the worker
holding it: a claim that outlives its lease belonged to a worker that died.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clearinghouse.storage.base import Base, UTCDateTime


class Channel(enum.StrEnum):
    webhook = "webhook"
    email = "email"


class DeliveryStatus(enum.StrEnum):
    pending = "pending"  # waiting for its (next) attempt at `next_attempt_at`
    claimed = "claimed"  # a worker is attempting it until `claimed_until`
    delivered = "delivered"
    dead = "dead"  # dead-lettered: every attempt failed, or its target was removed


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=32, validate_strings=True)


class WebhookSubscription(Base):
    """An organisation's endpoint (None: the operators'), with its encrypted signing secret."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True, index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    # Space-separated kinds ("finding.new review.*"); empty means every kind.
    kinds: Mapped[str] = mapped_column(String(1000), default="")
    # Fernet ciphertext of the secret: HMAC needs the secret itself, not a hash of it.
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(300))
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class EmailRecipient(Base):
    """An address an organisation (None: the operators) wants notifications of some kinds at."""

    __tablename__ = "email_recipients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True, index=True
    )
    address: Mapped[str] = mapped_column(String(254))
    kinds: Mapped[str] = mapped_column(String(1000), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(300))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NotificationFanout(Base):
    """Marks an outbox row as turned into its deliveries (so the sweeper does it once)."""

    __tablename__ = "notification_fanouts"

    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id"), primary_key=True, autoincrement=False
    )
    fanned_out_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deliveries: Mapped[int] = mapped_column(Integer)


class NotificationDelivery(Base):
    __tablename__ = "notification_deliveries"
    __table_args__ = (
        # One delivery per notification and target, however often the fan-out runs.
        UniqueConstraint("notification_id", "target"),
        Index("ix_notification_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True, index=True
    )
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    target: Mapped[str] = mapped_column(String(40))  # "webhook:<id>" or "email:<id>"
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_subscriptions.id"), nullable=True, index=True
    )
    email_recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_recipients.id"), nullable=True, index=True
    )
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When a job was last queued for it; None means "queue one at the next sweep".
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)

    attempt_log: Mapped[list[DeliveryAttempt]] = relationship(
        order_by="DeliveryAttempt.number", lazy="selectin"
    )


class DeliveryAttempt(Base):
    """One try: when, how long, the HTTP status (or SMTP reply) and the error, if any."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("notification_deliveries.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[float] = mapped_column(Float)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    worker: Mapped[str] = mapped_column(String(100))
