"""staff (invitations, session moderators, check-in staff) and live settings per event and per session

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 13:34:17
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sessionlivesettings",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("anonymous_guests", sa.Boolean(), nullable=True),
        sa.Column("online_entry", AutoString(length=10), nullable=True),
        sa.Column("moderated", sa.Boolean(), nullable=True),
        sa.Column("chat", AutoString(length=10), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id"),
    )
    with op.batch_alter_table("sessionlivesettings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessionlivesettings_event_id"), ["event_id"], unique=False)

    op.create_table(
        "sessionrole",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("role", AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "account_id", "role"),
    )
    with op.batch_alter_table("sessionrole", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessionrole_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessionrole_event_id"), ["event_id"], unique=False)

    op.create_table(
        "staffinvitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("email", AutoString(length=254), nullable=False),
        sa.Column("role", AutoString(length=20), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", AutoString(length=64), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invited_by"], ["account.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("staffinvitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staffinvitation_event_id"), ["event_id"], unique=False)

    with op.batch_alter_table("chatmessage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", AutoString(length=10), nullable=False, server_default="shown"))

    with op.batch_alter_table("liveroom", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_reviewed", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("livesettings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat", AutoString(length=10), nullable=False, server_default="on"))
        batch_op.add_column(sa.Column("participants", AutoString(length=10), nullable=False, server_default="listed"))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("livesettings", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("participants")
        batch_op.drop_column("chat")

    with op.batch_alter_table("liveroom", schema=None) as batch_op:
        batch_op.drop_column("chat_reviewed")

    with op.batch_alter_table("chatmessage", schema=None) as batch_op:
        batch_op.drop_column("status")

    with op.batch_alter_table("staffinvitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staffinvitation_event_id"))

    op.drop_table("staffinvitation")
    with op.batch_alter_table("sessionrole", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessionrole_event_id"))
        batch_op.drop_index(batch_op.f("ix_sessionrole_account_id"))

    op.drop_table("sessionrole")
    with op.batch_alter_table("sessionlivesettings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessionlivesettings_event_id"))

    op.drop_table("sessionlivesettings")
