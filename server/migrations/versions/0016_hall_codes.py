"""hall codes: each session's short code for the room screen and the short address

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 16:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hallcode",
        sa.Column("code", AutoString(length=8), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("code"),
        sa.UniqueConstraint("session_id"),
    )
    with op.batch_alter_table("hallcode", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hallcode_event_id"), ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hallcode", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hallcode_event_id"))
    op.drop_table("hallcode")
