"""programme editor: the working copy of sessions (drafts), programme releases, and the sessions' new fields

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 13:34:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programmerelease",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("released_by", AutoString(length=254), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("mails", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "number"),
    )
    with op.batch_alter_table("programmerelease", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programmerelease_event_id"), ["event_id"], unique=False)

    op.create_table(
        "sessiondraft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("code", AutoString(length=64), nullable=False),
        sa.Column("title", AutoString(length=300), nullable=False),
        sa.Column("abstract", AutoString(), nullable=False),
        sa.Column("kind", AutoString(length=20), nullable=False),
        sa.Column("start", UTCDateTime(), nullable=False),
        sa.Column("end", UTCDateTime(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("language", AutoString(length=16), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("speaker_ids", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["room_id"], ["room.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["track_id"], ["track.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "code"),
        sa.UniqueConstraint("session_id"),
    )
    with op.batch_alter_table("sessiondraft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessiondraft_event_id"), ["event_id"], unique=False)

    # Existing events count as programme release 1, their sessions as released once and never edited.
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("programme_release", sa.Integer(), nullable=False, server_default="1"))

    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("capacity", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cancelled", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("modified_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.drop_column("modified_at")
        batch_op.drop_column("sequence")
        batch_op.drop_column("version")
        batch_op.drop_column("cancelled")
        batch_op.drop_column("capacity")

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("programme_release")

    with op.batch_alter_table("sessiondraft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessiondraft_event_id"))
    op.drop_table("sessiondraft")

    with op.batch_alter_table("programmerelease", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programmerelease_event_id"))
    op.drop_table("programmerelease")
