"""reports: intake shapes, attachments, fingerprints, duplicates, triage history, scores

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import clearinghouse.storage.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> clearinghouse.storage.base.UTCDateTime:
    return clearinghouse.storage.base.UTCDateTime(timezone=True)


def _enum(name: str, *values: str, length: int = 32) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def _report_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column(
            "source_format",
            _enum("sourceformat", "structured", "osv", "sarif", length=16),
            nullable=False,
            server_default="structured",
        ),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("discovered_by_name", sa.String(length=200), nullable=True),
        sa.Column("model_run", sa.String(length=200), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("identifiers", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("affected", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("package_name_key", sa.String(length=400), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_score", sa.Float(), nullable=True),
        sa.Column("known_osv_id", sa.String(length=255), nullable=True),
        sa.Column(
            "rejection_reason",
            _enum(
                "rejectionreason",
                "duplicate",
                "not_reproducible",
                "out_of_scope",
                "not_a_vulnerability",
            ),
            nullable=True,
        ),
        # Existing reports start their SLA clock at the moment they were received.
        sa.Column("state_entered_at", _utc(), nullable=True),
        sa.Column("sla_due_at", _utc(), nullable=True),
        sa.Column("cvss_version", sa.String(length=8), nullable=True),
        sa.Column("cvss_score", sa.Float(), nullable=True),
        sa.Column("cvss_severity", sa.String(length=16), nullable=True),
        sa.Column("ssvc", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("ssvc_coordinator", sa.String(length=16), nullable=True),
        sa.Column("ssvc_deployer", sa.String(length=16), nullable=True),
        sa.Column("known_exploited", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("kev_due_date", sa.Date(), nullable=True),
        sa.Column("blast_inventories", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("blast_organisations", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("priority", sa.Float(), nullable=False, server_default="0"),
    ]


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        for column in _report_columns():
            batch_op.add_column(column)
    op.execute("UPDATE reports SET state_entered_at = updated_at")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.alter_column("state_entered_at", existing_type=_utc(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_reports_duplicate_of_id_reports"), "reports", ["duplicate_of_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_reports_model_run"), ["model_run"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_fingerprint"), ["fingerprint"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reports_duplicate_of_id"), ["duplicate_of_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reports_submitted_by_user_id"), ["submitted_by_user_id"], unique=False
        )
        batch_op.create_index("ix_reports_queue", ["status", "priority", "id"], unique=False)

    op.create_table(
        "report_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("steps", sa.Text(), nullable=False),
        sa.Column("environment", sa.Text(), nullable=False),
        sa.Column(
            "result",
            _enum("evidenceresult", "reproduced", "not_reproduced", "inconclusive"),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_evidence_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_evidence")),
    )
    with op.batch_alter_table("report_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_evidence_report_id"), ["report_id"])

    op.create_table(
        "report_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["report_evidence.id"],
            name=op.f("fk_report_attachments_evidence_id_report_evidence"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_attachments_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_attachments")),
    )
    with op.batch_alter_table("report_attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_attachments_report_id"), ["report_id"])
        batch_op.create_index(batch_op.f("ix_report_attachments_sha256"), ["sha256"])

    op.create_table(
        "report_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("other_report_id", sa.Integer(), nullable=True),
        sa.Column("osv_id", sa.String(length=255), nullable=True),
        sa.Column(
            "kind",
            _enum(
                "linkkind", "exact", "near_duplicate", "similar", "known_vulnerability", "merged"
            ),
            nullable=False,
        ),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["other_report_id"],
            ["reports.id"],
            name=op.f("fk_report_links_other_report_id_reports"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_links_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_links")),
    )
    with op.batch_alter_table("report_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_links_report_id"), ["report_id"])
        batch_op.create_index(batch_op.f("ix_report_links_other_report_id"), ["other_report_id"])

    op.create_table(
        "report_text_bands",
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_text_bands_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("bucket", "report_id", name=op.f("pk_report_text_bands")),
    )

    op.create_table(
        "report_terms",
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_report_terms")),
    )

    op.create_table(
        "report_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", _utc(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status_before", sa.String(length=32), nullable=True),
        sa.Column("status_after", sa.String(length=32), nullable=True),
        sa.Column("rejection_reason", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("seconds_in_state", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_events_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_events")),
    )
    with op.batch_alter_table("report_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_events_report_id"), ["report_id"])


def downgrade() -> None:
    op.drop_table("report_events")
    op.drop_table("report_terms")
    op.drop_table("report_text_bands")
    op.drop_table("report_links")
    op.drop_table("report_attachments")
    op.drop_table("report_evidence")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_queue")
        batch_op.drop_index(batch_op.f("ix_reports_submitted_by_user_id"))
        batch_op.drop_index(batch_op.f("ix_reports_duplicate_of_id"))
        batch_op.drop_index(batch_op.f("ix_reports_fingerprint"))
        batch_op.drop_index(batch_op.f("ix_reports_model_run"))
        batch_op.drop_constraint(
            batch_op.f("fk_reports_duplicate_of_id_reports"), type_="foreignkey"
        )
        for column in reversed(_report_columns()):
            batch_op.drop_column(column.name)
