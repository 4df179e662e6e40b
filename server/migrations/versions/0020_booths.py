"""interpretation booths (who is on air per channel), the floor's language, booth chat, staff invitations' languages

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 20:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "booth",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("language", AutoString(length=16), nullable=False),
        sa.Column("on_air_id", sa.Integer(), nullable=True),
        sa.Column("handover_offered", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["on_air_id"], ["account.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "language"),
    )
    op.create_index("ix_booth_event_id", "booth", ["event_id"])
    op.create_table(
        "floorlanguage",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("language", AutoString(length=16), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.create_index("ix_floorlanguage_event_id", "floorlanguage", ["event_id"])
    op.create_table(
        "boothmessage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("language", AutoString(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_name", AutoString(length=200), nullable=False),
        sa.Column("text", AutoString(length=1000), nullable=False),
        sa.Column("client_id", AutoString(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["account.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_boothmessage_event_id", "boothmessage", ["event_id"])
    op.create_index("ix_boothmessage_session_id", "boothmessage", ["session_id"])
    with op.batch_alter_table("staffinvitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("languages", AutoString(length=200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("staffinvitation", schema=None) as batch_op:
        batch_op.drop_column("languages")
    op.drop_index("ix_boothmessage_session_id", table_name="boothmessage")
    op.drop_index("ix_boothmessage_event_id", table_name="boothmessage")
    op.drop_table("boothmessage")
    op.drop_index("ix_floorlanguage_event_id", table_name="floorlanguage")
    op.drop_table("floorlanguage")
    op.drop_index("ix_booth_event_id", table_name="booth")
    op.drop_table("booth")
