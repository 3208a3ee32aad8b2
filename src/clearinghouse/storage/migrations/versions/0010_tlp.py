"""tlp: a sharing group on every vulnerability, report and case; a TLP label and sharing group on every inventory finding (issue 5)

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LABELLED = ("disclosure_cases", "inventory_findings", "reports", "vulnerabilities")


def upgrade() -> None:
    for table in LABELLED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == "inventory_findings":
                batch_op.add_column(
                    sa.Column(
                        "tlp", sa.String(length=16), server_default="AMBER+STRICT", nullable=False
                    )
                )
            batch_op.add_column(sa.Column("sharing_group_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_sharing_group_id_sharing_groups"),
                "sharing_groups",
                ["sharing_group_id"],
                ["id"],
            )


def downgrade() -> None:
    for table in LABELLED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_sharing_group_id_sharing_groups"), type_="foreignkey"
            )
            batch_op.drop_column("sharing_group_id")
            if table == "inventory_findings":
                batch_op.drop_column("tlp")
