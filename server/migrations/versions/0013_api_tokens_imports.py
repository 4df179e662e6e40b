"""api tokens for integrations, and schedule files waiting between preview and apply

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 13:34:27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "apitoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("name", AutoString(length=100), nullable=False),
        sa.Column("scope", AutoString(length=16), nullable=False),
        sa.Column("token_hash", AutoString(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["account.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_apitoken_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_apitoken_token_hash"), ["token_hash"], unique=True)

    op.create_table(
        "pendingimport",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("filename", AutoString(length=200), nullable=False),
        sa.Column("text", AutoString(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pendingimport", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pendingimport_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pendingimport_event_id"), ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pendingimport", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pendingimport_event_id"))
        batch_op.drop_index(batch_op.f("ix_pendingimport_account_id"))

    op.drop_table("pendingimport")
    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_apitoken_token_hash"))
        batch_op.drop_index(batch_op.f("ix_apitoken_event_id"))

    op.drop_table("apitoken")
