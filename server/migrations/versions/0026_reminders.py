"""reminders: a delegate's reminder before a picked session, Web Push subscriptions, the site's VAPID key

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("event.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "registration_id", sa.Integer(), sa.ForeignKey("registration.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("session.id", ondelete="CASCADE"), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("by_mail", sa.Boolean(), nullable=False),
        sa.Column("by_push", sa.Boolean(), nullable=False),
        sa.Column("sent_for", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("registration_id", "session_id"),
    )
    op.create_index("ix_reminder_event_id", "reminder", ["event_id"])
    op.create_index("ix_reminder_registration_id", "reminder", ["registration_id"])
    op.create_index("ix_reminder_session_id", "reminder", ["session_id"])
    op.create_table(
        "pushsubscription",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("endpoint", AutoString(length=1000), nullable=False, unique=True),
        sa.Column("p256dh", AutoString(length=200), nullable=False),
        sa.Column("auth", AutoString(length=50), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_pushsubscription_account_id", "pushsubscription", ["account_id"])
    op.create_table(
        "pushkey",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("private_key", AutoString(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pushkey")
    op.drop_index("ix_pushsubscription_account_id", table_name="pushsubscription")
    op.drop_table("pushsubscription")
    op.drop_index("ix_reminder_session_id", table_name="reminder")
    op.drop_index("ix_reminder_registration_id", table_name="reminder")
    op.drop_index("ix_reminder_event_id", table_name="reminder")
    op.drop_table("reminder")
