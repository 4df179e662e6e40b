"""the languages an interpreter or captioner serves in an event

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 20:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rolelanguage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "account_id", "role", "language"),
    )
    op.create_index("ix_rolelanguage_event_id", "rolelanguage", ["event_id"])
    op.create_index("ix_rolelanguage_account_id", "rolelanguage", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_rolelanguage_account_id", table_name="rolelanguage")
    op.drop_index("ix_rolelanguage_event_id", table_name="rolelanguage")
    op.drop_table("rolelanguage")
