"""notifications: webhook subscriptions, deliveries, the dead-letter log (issue 5)

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # filled in by the work of issue 5


def downgrade() -> None:
    pass
