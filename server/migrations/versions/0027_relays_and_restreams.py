"""relays and restreams: the relay processes' registry with their load, and sessions' restream targets

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "relaynode",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", AutoString(length=100), nullable=False, unique=True),
        sa.Column("role", AutoString(length=10), nullable=False),
        sa.Column("internal_url", AutoString(length=300), nullable=False),
        sa.Column("public_url", AutoString(length=300), nullable=False),
        sa.Column("viewers", sa.Integer(), nullable=False),
        sa.Column("max_viewers", sa.Integer(), nullable=False),
        sa.Column("cpu_percent", sa.Float(), nullable=False),
        sa.Column("bitrate_out", sa.Integer(), nullable=False),
        sa.Column("ingests", sa.JSON(), nullable=False),
        sa.Column("carries", sa.JSON(), nullable=False),
        sa.Column("message", AutoString(length=300), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
        sa.Column("placed_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_relaynode_heartbeat_at", "relaynode", ["heartbeat_at"])
    op.create_table(
        "restreamtarget",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("event.id", ondelete="CASCADE"), nullable=False),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("session.id", ondelete="CASCADE"), nullable=False),
        sa.Column("label", AutoString(length=100), nullable=False),
        sa.Column("url", AutoString(length=500), nullable=False),
        sa.Column("key_encrypted", AutoString(length=1000), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("state", AutoString(length=12), nullable=False),
        sa.Column("bitrate", sa.Integer(), nullable=False),
        sa.Column("message", AutoString(length=300), nullable=False),
        sa.Column("state_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_restreamtarget_event_id", "restreamtarget", ["event_id"])
    op.create_index("ix_restreamtarget_session_id", "restreamtarget", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_restreamtarget_session_id", table_name="restreamtarget")
    op.drop_index("ix_restreamtarget_event_id", table_name="restreamtarget")
    op.drop_table("restreamtarget")
    op.drop_index("ix_relaynode_heartbeat_at", table_name="relaynode")
    op.drop_table("relaynode")
