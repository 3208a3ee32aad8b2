"""notifications: webhook subscriptions, deliveries, the dead-letter log (issue 5)

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clearinghouse.storage.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("kinds", sa.String(length=1000), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_by", sa.String(length=300), nullable=False),
        sa.Column(
            "removed_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_email_recipients_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_recipients")),
    )
    with op.batch_alter_table("email_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_email_recipients_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("kinds", sa.String(length=1000), nullable=False),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_by", sa.String(length=300), nullable=False),
        sa.Column(
            "secret_rotated_at",
            clearinghouse.storage.base.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "removed_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_webhook_subscriptions_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_subscriptions_organisation_id"),
            ["organisation_id"],
            unique=False,
        )

    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column(
            "channel",
            sa.Enum("webhook", "email", name="channel", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("target", sa.String(length=40), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("email_recipient_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "claimed",
                "delivered",
                "dead",
                name="deliverystatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "enqueued_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column(
            "claimed_until", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "created_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "delivered_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("dead_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["email_recipient_id"],
            ["email_recipients.id"],
            name=op.f("fk_notification_deliveries_email_recipient_id_email_recipients"),
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_deliveries_notification_id_notifications"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_notification_deliveries_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_notification_deliveries_subscription_id_webhook_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
        sa.UniqueConstraint(
            "notification_id", "target", name=op.f("uq_notification_deliveries_notification_id")
        ),
        sa.UniqueConstraint("public_id", name=op.f("uq_notification_deliveries_public_id")),
    )
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_deliveries_email_recipient_id"),
            ["email_recipient_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_notification_deliveries_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_notification_deliveries_status_next", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notification_deliveries_subscription_id"),
            ["subscription_id"],
            unique=False,
        )

    op.create_table(
        "notification_fanouts",
        sa.Column("notification_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "fanned_out_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_fanouts_notification_id_notifications"),
        ),
        sa.PrimaryKeyConstraint("notification_id", name=op.f("pk_notification_fanouts")),
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "started_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["notification_deliveries.id"],
            name=op.f("fk_delivery_attempts_delivery_id_notification_deliveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
    )
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_attempts_delivery_id"), ["delivery_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_attempts_delivery_id"))

    op.drop_table("delivery_attempts")
    op.drop_table("notification_fanouts")
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_deliveries_subscription_id"))
        batch_op.drop_index("ix_notification_deliveries_status_next")
        batch_op.drop_index(batch_op.f("ix_notification_deliveries_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_notification_deliveries_email_recipient_id"))

    op.drop_table("notification_deliveries")
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_subscriptions_organisation_id"))

    op.drop_table("webhook_subscriptions")
    with op.batch_alter_table("email_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_recipients_organisation_id"))

    op.drop_table("email_recipients")
