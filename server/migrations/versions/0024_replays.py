"""recording and replays: per session whether it is recorded and its replay and archive published; the replay file

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sessionarchive",
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("session.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("event.id", ondelete="CASCADE"), nullable=False),
        sa.Column("record", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("replay_published", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("archive_published", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
    )
    op.create_index("ix_sessionarchive_event_id", "sessionarchive", ["event_id"])
    op.create_table(
        "replay",
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("session.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("event.id", ondelete="CASCADE"), nullable=False),
        sa.Column("state", AutoString(length=12), nullable=False),
        sa.Column("stored_name", AutoString(length=100), nullable=True),
        sa.Column("content_type", AutoString(length=40), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("timeline", sa.JSON(), nullable=False),
        sa.Column("last_segment_ms", sa.BigInteger(), nullable=False),
        sa.Column("message", AutoString(length=300), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_replay_event_id", "replay", ["event_id"])
    with op.batch_alter_table("livesettings") as batch:
        batch.add_column(
            sa.Column("replay_audience", AutoString(length=10), nullable=False, server_default="delegates")
        )


def downgrade() -> None:
    with op.batch_alter_table("livesettings") as batch:
        batch.drop_column("replay_audience")
    op.drop_index("ix_replay_event_id", table_name="replay")
    op.drop_table("replay")
    op.drop_index("ix_sessionarchive_event_id", table_name="sessionarchive")
    op.drop_table("sessionarchive")
