"""disclosure: coordinated disclosure cases, vendors, statements, messages, embargoes

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import clearinghouse.storage.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "disclosure_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("package_ecosystem", sa.String(length=64), nullable=True),
        sa.Column("package_name", sa.String(length=400), nullable=True),
        sa.Column("affected_versions", sa.Text(), nullable=True),
        sa.Column("cwe", sa.String(length=32), nullable=True),
        sa.Column("cvss_vector", sa.String(length=200), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("cve_id", sa.String(length=32), nullable=True),
        sa.Column("tlp", sa.String(length=16), nullable=False),
        _when("embargo_ends_at"),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "vendor_notified",
                "fix_available",
                "published",
                "closed",
                name="casestatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("coordinator_org_id", sa.Integer(), nullable=True),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        _when("opened_at"),
        _when("updated_at"),
        _when("published_at", nullable=True),
        _when("closed_at", nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["coordinator_org_id"],
            ["organisations.id"],
            name=op.f("fk_disclosure_cases_coordinator_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_cases")),
    )
    with op.batch_alter_table("disclosure_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_cases_embargo_ends_at"), ["embargo_ends_at"], unique=False
        )

    op.create_table(
        "disclosure_case_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        _when("linked_at"),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["disclosure_cases.id"],
            name=op.f("fk_disclosure_case_reports_case_id_disclosure_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_disclosure_case_reports_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_case_reports")),
        sa.UniqueConstraint("report_id", name=op.f("uq_disclosure_case_reports_report_id")),
    )
    with op.batch_alter_table("disclosure_case_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_case_reports_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "disclosure_case_vendors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        _when("invited_at"),
        sa.Column("invited_by", sa.String(length=200), nullable=False),
        _when("removed_at", nullable=True),
        sa.Column("removed_by", sa.String(length=200), nullable=True),
        sa.Column("removal_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["disclosure_cases.id"],
            name=op.f("fk_disclosure_case_vendors_case_id_disclosure_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_disclosure_case_vendors_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_case_vendors")),
        sa.UniqueConstraint(
            "case_id", "organisation_id", name=op.f("uq_disclosure_case_vendors_case_id")
        ),
    )
    with op.batch_alter_table("disclosure_case_vendors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_case_vendors_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_disclosure_case_vendors_organisation_id"),
            ["organisation_id"],
            unique=False,
        )

    op.create_table(
        "disclosure_case_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "affected",
                "not_affected",
                "fixed",
                name="statementstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("versions", sa.Text(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
            name=op.f("fk_disclosure_case_statements_author_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["disclosure_cases.id"],
            name=op.f("fk_disclosure_case_statements_case_id_disclosure_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_disclosure_case_statements_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_case_statements")),
    )
    with op.batch_alter_table("disclosure_case_statements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_case_statements_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "disclosure_case_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author_org_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["author_org_id"],
            ["organisations.id"],
            name=op.f("fk_disclosure_case_messages_author_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
            name=op.f("fk_disclosure_case_messages_author_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["disclosure_cases.id"],
            name=op.f("fk_disclosure_case_messages_case_id_disclosure_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["disclosure_case_messages.id"],
            name=op.f("fk_disclosure_case_messages_parent_id_disclosure_case_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_case_messages")),
    )
    with op.batch_alter_table("disclosure_case_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_case_messages_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "disclosure_case_advisories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("osv_id", sa.String(length=255), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("osv_document", sa.Text(), nullable=False),
        _when("produced_at"),
        sa.Column("produced_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["disclosure_cases.id"],
            name=op.f("fk_disclosure_case_advisories_case_id_disclosure_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_case_advisories")),
        sa.UniqueConstraint("case_id", name=op.f("uq_disclosure_case_advisories_case_id")),
    )


def downgrade() -> None:
    op.drop_table("disclosure_case_advisories")
    with op.batch_alter_table("disclosure_case_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_case_messages_case_id"))
    op.drop_table("disclosure_case_messages")
    with op.batch_alter_table("disclosure_case_statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_case_statements_case_id"))
    op.drop_table("disclosure_case_statements")
    with op.batch_alter_table("disclosure_case_vendors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_case_vendors_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_disclosure_case_vendors_case_id"))
    op.drop_table("disclosure_case_vendors")
    with op.batch_alter_table("disclosure_case_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_case_reports_case_id"))
    op.drop_table("disclosure_case_reports")
    with op.batch_alter_table("disclosure_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_cases_embargo_ends_at"))
    op.drop_table("disclosure_cases")
