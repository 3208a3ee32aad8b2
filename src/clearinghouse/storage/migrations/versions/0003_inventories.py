"""inventories: uploaded SBOMs, their components, findings and finding history

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clearinghouse.storage.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables whose ids are handed out in blocks (storage.ids.allocate_ids).
ID_SEQUENCES = ("inventory_components", "inventory_findings", "inventory_finding_events")


def _utc() -> clearinghouse.storage.base.UTCDateTime:
    return clearinghouse.storage.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inventories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("created_by", sa.String(length=300), nullable=False),
        sa.Column("latest_upload_id", sa.Integer(), nullable=True),
        sa.Column("latest_upload_at", _utc(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_inventories_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventories")),
        sa.UniqueConstraint("latest_upload_id", name=op.f("uq_inventories_latest_upload_id")),
        sa.UniqueConstraint("organisation_id", "name", name=op.f("uq_inventories_organisation_id")),
    )
    with op.batch_alter_table("inventories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inventories_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "sbom_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inventory_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("format", sa.String(length=64), nullable=False),
        sa.Column("format_version", sa.String(length=32), nullable=True),
        sa.Column("encoding", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=400), nullable=True),
        sa.Column("declared_count", sa.Integer(), nullable=False),
        sa.Column("component_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=300), nullable=False),
        sa.Column("uploaded_at", _utc(), nullable=False),
        sa.Column("skipped", sa.Text(), nullable=False),
        sa.Column("vex", sa.Text(), nullable=False),
        sa.Column("warnings", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inventory_id"],
            ["inventories.id"],
            name=op.f("fk_sbom_uploads_inventory_id_inventories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sbom_uploads")),
    )
    with op.batch_alter_table("sbom_uploads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sbom_uploads_inventory_id"), ["inventory_id"], unique=False
        )

    op.create_table(
        "inventory_components",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("ecosystem", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("name_key", sa.String(length=400), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("purl", sa.Text(), nullable=True),
        sa.Column("bom_ref", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["sbom_uploads.id"],
            name=op.f("fk_inventory_components_upload_id_sbom_uploads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_components")),
    )
    with op.batch_alter_table("inventory_components", schema=None) as batch_op:
        # The reverse index: a changed record's packages -> every stored component of them.
        batch_op.create_index(
            "ix_inventory_components_package",
            ["ecosystem", "name_key", "version", "upload_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_inventory_components_upload_id"), ["upload_id"], unique=False
        )

    op.create_table(
        "inventory_findings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("inventory_id", sa.Integer(), nullable=False),
        sa.Column("ecosystem", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("name_key", sa.String(length=400), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("purl", sa.Text(), nullable=True),
        sa.Column("bom_ref", sa.Text(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("primary_id", sa.String(length=255), nullable=False),
        sa.Column("aliases", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("kev_due_date", sa.Date(), nullable=True),
        sa.Column("fixed_version", sa.String(length=200), nullable=True),
        sa.Column("advisory_links", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "fixed",
                "accepted",
                "not_affected",
                name="findingstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=300), nullable=True),
        sa.Column("decided_at", _utc(), nullable=True),
        sa.Column("vex_state", sa.String(length=32), nullable=True),
        sa.Column("vex_justification", sa.String(length=100), nullable=True),
        sa.Column("vex_detail", sa.Text(), nullable=True),
        sa.Column("first_seen", _utc(), nullable=False),
        sa.Column("last_seen", _utc(), nullable=False),
        sa.Column("fixed_at", _utc(), nullable=True),
        sa.Column("first_upload_id", sa.Integer(), nullable=False),
        sa.Column("last_upload_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["alias_groups.id"],
            name=op.f("fk_inventory_findings_group_id_alias_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["inventory_id"],
            ["inventories.id"],
            name=op.f("fk_inventory_findings_inventory_id_inventories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_findings")),
        sa.UniqueConstraint(
            "inventory_id",
            "ecosystem",
            "name_key",
            "version",
            "group_id",
            name=op.f("uq_inventory_findings_inventory_id"),
        ),
    )
    with op.batch_alter_table("inventory_findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inventory_findings_group_id"), ["group_id"], unique=False
        )

    op.create_table(
        "inventory_finding_records",
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("osv_id", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["inventory_findings.id"],
            name=op.f("fk_inventory_finding_records_finding_id_inventory_findings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("finding_id", "osv_id", name=op.f("pk_inventory_finding_records")),
    )
    with op.batch_alter_table("inventory_finding_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inventory_finding_records_osv_id"), ["osv_id"], unique=False
        )

    op.create_table(
        "inventory_finding_events",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", _utc(), nullable=False),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "opened",
                "reopened",
                "fixed",
                "status",
                "records",
                "regrouped",
                name="findingeventkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("status_before", sa.String(length=32), nullable=True),
        sa.Column("status_after", sa.String(length=32), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=True),
        sa.Column("osv_id", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["inventory_findings.id"],
            name=op.f("fk_inventory_finding_events_finding_id_inventory_findings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_finding_events")),
    )
    with op.batch_alter_table("inventory_finding_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inventory_finding_events_finding_id"), ["finding_id"], unique=False
        )

    id_blocks = sa.table("id_blocks", sa.column("name", sa.String), sa.column("next_id"))
    op.bulk_insert(id_blocks, [{"name": name, "next_id": 1} for name in ID_SEQUENCES])


def downgrade() -> None:
    id_blocks = sa.table("id_blocks", sa.column("name", sa.String))
    op.execute(id_blocks.delete().where(id_blocks.c.name.in_(ID_SEQUENCES)))
    for table, indexes in (
        ("inventory_finding_events", ["ix_inventory_finding_events_finding_id"]),
        ("inventory_finding_records", ["ix_inventory_finding_records_osv_id"]),
        ("inventory_findings", ["ix_inventory_findings_group_id"]),
        (
            "inventory_components",
            ["ix_inventory_components_upload_id", "ix_inventory_components_package"],
        ),
        ("sbom_uploads", ["ix_sbom_uploads_inventory_id"]),
        ("inventories", ["ix_inventories_organisation_id"]),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(index)
        op.drop_table(table)
