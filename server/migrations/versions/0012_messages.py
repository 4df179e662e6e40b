"""messages to participants: a message, its texts per language and its frozen recipients; outbox claims

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 13:35:53
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_email", AutoString(length=254), nullable=False),
        sa.Column("form_key", AutoString(length=64), nullable=False),
        sa.Column("segment", AutoString(length=30), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("segment_label", AutoString(length=400), nullable=False),
        sa.Column("subject", AutoString(length=200), nullable=False),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["account.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "form_key"),
    )
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_event_id"), ["event_id"], unique=False)

    op.create_table(
        "messagerecipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("address", AutoString(length=254), nullable=False),
        sa.Column("name", AutoString(length=200), nullable=False),
        sa.Column("language", AutoString(length=16), nullable=False),
        sa.Column("outbox_mail_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["message.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["outbox_mail_id"], ["outboxmail.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", "address"),
    )
    with op.batch_alter_table("messagerecipient", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messagerecipient_message_id"), ["message_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_messagerecipient_outbox_mail_id"), ["outbox_mail_id"], unique=False)

    op.create_table(
        "messageversion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("language", AutoString(length=16), nullable=False),
        sa.Column("subject", AutoString(length=300), nullable=False),
        sa.Column("body", AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["message.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", "language"),
    )
    with op.batch_alter_table("messageversion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messageversion_message_id"), ["message_id"], unique=False)

    unsent = sa.text("sent_at IS NULL")
    op.create_index("ix_outboxmail_unsent", "outboxmail", ["id"], sqlite_where=unsent, postgresql_where=unsent)
    with op.batch_alter_table("outboxmail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("claim", AutoString(length=32), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_index("ix_outboxmail_unsent", table_name="outboxmail")
    with op.batch_alter_table("outboxmail", schema=None) as batch_op:
        batch_op.drop_column("claim")
        batch_op.drop_column("claimed_at")

    with op.batch_alter_table("messageversion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messageversion_message_id"))

    op.drop_table("messageversion")
    with op.batch_alter_table("messagerecipient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messagerecipient_outbox_mail_id"))
        batch_op.drop_index(batch_op.f("ix_messagerecipient_message_id"))

    op.drop_table("messagerecipient")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_event_id"))
        batch_op.drop_index(batch_op.f("ix_message_created_at"))

    op.drop_table("message")
