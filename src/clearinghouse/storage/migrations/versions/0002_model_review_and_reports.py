"""model review and reports

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clearinghouse.storage.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "created_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_models_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_models")),
        sa.UniqueConstraint("organisation_id", "name", name=op.f("uq_models_organisation_id")),
    )
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_models_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=50), nullable=False),
        sa.Column("subject_id", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "delivered_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_notifications_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notifications_dedupe_key")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("model_card_name", sa.String(length=200), nullable=True),
        sa.Column("model_card", sa.LargeBinary(), nullable=True),
        sa.Column("model_card_sha256", sa.String(length=64), nullable=True),
        sa.Column("declared_training_compute_flop", sa.Float(), nullable=True),
        sa.Column("modalities", sa.String(length=200), nullable=False),
        sa.Column(
            "planned_release_at",
            clearinghouse.storage.base.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "access_kind",
            sa.Enum("api", "weights", name="accesskind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("api_base_url", sa.Text(), nullable=True),
        sa.Column("api_credential_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("weights_location", sa.Text(), nullable=True),
        sa.Column(
            "created_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["model_id"], ["models.id"], name=op.f("fk_model_versions_model_id_models")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint("model_id", "version", name=op.f("uq_model_versions_model_id")),
    )
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_versions_model_id"), ["model_id"], unique=False)

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column(
            "submitted_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column(
            "window_closes_at",
            clearinghouse.storage.base.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open", "closed", "withdrawn", name="reviewstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "closed_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "close_reason",
            sa.Enum(
                "window_elapsed",
                "release_date_reached",
                "withdrawn",
                "superseded",
                name="closereason",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("superseded_by_review_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_reviews_model_version_id_model_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_review_id"],
            ["reviews.id"],
            name=op.f("fk_reviews_superseded_by_review_id_reviews"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reviews_model_version_id"), ["model_version_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reviews_window_closes_at"), ["window_closes_at"], unique=False
        )

    op.create_table(
        "partner_designations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("partner_org_id", sa.Integer(), nullable=False),
        sa.Column("proposed_by_org_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "consented",
                "accepted",
                "declined",
                "withdrawn",
                name="designationstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "developer_consented_at",
            clearinghouse.storage.base.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "partner_accepted_at",
            clearinghouse.storage.base.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "decided_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "created_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["partner_org_id"],
            ["organisations.id"],
            name=op.f("fk_partner_designations_partner_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_org_id"],
            ["organisations.id"],
            name=op.f("fk_partner_designations_proposed_by_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_partner_designations_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_designations")),
        sa.UniqueConstraint(
            "review_id", "partner_org_id", name=op.f("uq_partner_designations_review_id")
        ),
    )
    with op.batch_alter_table("partner_designations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_designations_partner_org_id"), ["partner_org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_partner_designations_review_id"), ["review_id"], unique=False
        )

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "triaged",
                "validating",
                "validated",
                "rejected",
                name="reportstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("package_ecosystem", sa.String(length=64), nullable=True),
        sa.Column("package_name", sa.String(length=400), nullable=True),
        sa.Column("affected_versions", sa.Text(), nullable=True),
        sa.Column("cwe", sa.String(length=32), nullable=True),
        sa.Column("cvss_vector", sa.String(length=200), nullable=True),
        sa.Column("tlp", sa.String(length=16), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("reporter_org_id", sa.Integer(), nullable=True),
        sa.Column(
            "discovered_by",
            sa.Enum("person", "tool", "model", name="discoveredby", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("discovered_by_model_version_id", sa.Integer(), nullable=True),
        sa.Column("discovered_during_review_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["discovered_by_model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_reports_discovered_by_model_version_id_model_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["discovered_during_review_id"],
            ["reviews.id"],
            name=op.f("fk_reports_discovered_during_review_id_reviews"),
        ),
        sa.ForeignKeyConstraint(
            ["reporter_org_id"],
            ["organisations.id"],
            name=op.f("fk_reports_reporter_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_user_id"],
            ["users.id"],
            name=op.f("fk_reports_submitted_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reports_discovered_by_model_version_id"),
            ["discovered_by_model_version_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_reports_discovered_during_review_id"),
            ["discovered_during_review_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_reports_reporter_org_id"), ["reporter_org_id"], unique=False
        )

    op.create_table(
        "review_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "benchmark_battery",
                "red_team",
                "partner_testing",
                "other",
                name="activitykind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("due_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "in_progress",
                "done",
                "skipped",
                name="activitystatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "completed_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("result_summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_user_id"], ["users.id"], name=op.f("fk_review_activities_owner_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_activities_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_activities")),
    )
    with op.batch_alter_table("review_activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_activities_review_id"), ["review_id"], unique=False
        )

    op.create_table(
        "review_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "assigned_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("assigned_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_review_assignments_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_assignments_review_id_reviews")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_review_assignments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_assignments")),
    )
    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_assignments_review_id"), ["review_id"], unique=False
        )

    op.create_table(
        "review_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"], ["users.id"], name=op.f("fk_review_notes_author_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_notes_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_notes")),
    )
    with op.batch_alter_table("review_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_notes_review_id"), ["review_id"], unique=False)

    op.create_table(
        "access_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("designation_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("partner_org_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column(
            "starts_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("ends_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("credential_prefix", sa.String(length=16), nullable=True),
        sa.Column("credential_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "revoked_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column(
            "last_used_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["designation_id"],
            ["partner_designations.id"],
            name=op.f("fk_access_grants_designation_id_partner_designations"),
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_access_grants_model_version_id_model_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_org_id"],
            ["organisations.id"],
            name=op.f("fk_access_grants_partner_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_access_grants_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_grants")),
        sa.UniqueConstraint("credential_hash", name=op.f("uq_access_grants_credential_hash")),
    )
    with op.batch_alter_table("access_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_grants_partner_org_id"), ["partner_org_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_access_grants_review_id"), ["review_id"], unique=False)

    op.create_table(
        "review_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "vulnerability",
                "capability",
                "safety",
                "other",
                name="findingkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"], ["users.id"], name=op.f("fk_review_findings_author_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_review_findings_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_review_findings_report_id_reports")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_findings_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_findings")),
    )
    with op.batch_alter_table("review_findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_findings_review_id"), ["review_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("review_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_findings_review_id"))

    op.drop_table("review_findings")
    with op.batch_alter_table("access_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_grants_review_id"))
        batch_op.drop_index(batch_op.f("ix_access_grants_partner_org_id"))

    op.drop_table("access_grants")
    with op.batch_alter_table("review_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_notes_review_id"))

    op.drop_table("review_notes")
    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_assignments_review_id"))

    op.drop_table("review_assignments")
    with op.batch_alter_table("review_activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_activities_review_id"))

    op.drop_table("review_activities")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_reporter_org_id"))
        batch_op.drop_index(batch_op.f("ix_reports_discovered_during_review_id"))
        batch_op.drop_index(batch_op.f("ix_reports_discovered_by_model_version_id"))

    op.drop_table("reports")
    with op.batch_alter_table("partner_designations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_designations_review_id"))
        batch_op.drop_index(batch_op.f("ix_partner_designations_partner_org_id"))

    op.drop_table("partner_designations")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_window_closes_at"))
        batch_op.drop_index(batch_op.f("ix_reviews_model_version_id"))

    op.drop_table("reviews")
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_versions_model_id"))

    op.drop_table("model_versions")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_organisation_id"))

    op.drop_table("notifications")
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_models_organisation_id"))

    op.drop_table("models")
