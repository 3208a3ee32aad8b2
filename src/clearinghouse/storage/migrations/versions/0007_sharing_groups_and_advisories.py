"""sharing groups, advisories and their published versions (issue 5)

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clearinghouse.storage.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sharing_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "created_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_groups")),
        sa.UniqueConstraint("slug", name=op.f("uq_sharing_groups_slug")),
    )
    op.create_table(
        "advisories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "profile",
            sa.Enum(
                "security_advisory", "vex", name="advisoryprofile", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "interim", "final", name="advisorystatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("draft", sa.Text(), nullable=False),
        sa.Column("tlp", sa.String(length=16), nullable=False),
        sa.Column("owner_org_id", sa.Integer(), nullable=True),
        sa.Column("sharing_group_id", sa.Integer(), nullable=True),
        sa.Column(
            "embargo_ends_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["disclosure_cases.id"],
            name=op.f("fk_advisories_case_id_disclosure_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["alias_groups.id"], name=op.f("fk_advisories_group_id_alias_groups")
        ),
        sa.ForeignKeyConstraint(
            ["owner_org_id"],
            ["organisations.id"],
            name=op.f("fk_advisories_owner_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["sharing_group_id"],
            ["sharing_groups.id"],
            name=op.f("fk_advisories_sharing_group_id_sharing_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisories")),
        sa.UniqueConstraint("tracking_id", name=op.f("uq_advisories_tracking_id")),
    )
    op.create_table(
        "sharing_group_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "added_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["sharing_groups.id"],
            name=op.f("fk_sharing_group_members_group_id_sharing_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_sharing_group_members_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sharing_group_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_group_members")),
        sa.UniqueConstraint(
            "group_id", "organisation_id", "user_id", name=op.f("uq_sharing_group_members_group_id")
        ),
    )
    with op.batch_alter_table("sharing_group_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_group_members_group_id"), ["group_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sharing_group_members_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_sharing_group_members_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "advisory_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("advisory_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "interim", "final", name="advisorystatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("sha512", sa.String(length=128), nullable=False),
        sa.Column("signature", sa.Text(), nullable=True),
        sa.Column("tlp", sa.String(length=16), nullable=False),
        sa.Column("owner_org_id", sa.Integer(), nullable=True),
        sa.Column("sharing_group_id", sa.Integer(), nullable=True),
        sa.Column(
            "embargo_ends_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "published_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("change_summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["advisory_id"],
            ["advisories.id"],
            name=op.f("fk_advisory_versions_advisory_id_advisories"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_org_id"],
            ["organisations.id"],
            name=op.f("fk_advisory_versions_owner_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["sharing_group_id"],
            ["sharing_groups.id"],
            name=op.f("fk_advisory_versions_sharing_group_id_sharing_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_versions")),
        sa.UniqueConstraint(
            "advisory_id", "version", name=op.f("uq_advisory_versions_advisory_id")
        ),
    )
    with op.batch_alter_table("advisory_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_advisory_versions_advisory_id"), ["advisory_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_advisory_versions_published_at"), ["published_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("advisory_versions")
    op.drop_table("sharing_group_members")
    op.drop_table("advisories")
    op.drop_table("sharing_groups")
