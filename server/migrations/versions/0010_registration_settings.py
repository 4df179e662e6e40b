"""registration settings: window, limits, waitlist, form, questions, approval

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 13:34:15
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "registrationquestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", AutoString(length=10), nullable=False),
        sa.Column("label", sa.JSON(), nullable=False),
        sa.Column("help", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("registrationquestion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registrationquestion_event_id"), ["event_id"], unique=False)

    op.create_table(
        "registrationsettings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("opens_at", UTCDateTime(), nullable=True),
        sa.Column("closes_at", UTCDateTime(), nullable=True),
        sa.Column("onsite_limit", sa.Integer(), nullable=True),
        sa.Column("online_limit", sa.Integer(), nullable=True),
        sa.Column("requires_approval", sa.Boolean(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("confirmation_text", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_table(
        "registrationanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("value", AutoString(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["question_id"], ["registrationquestion.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["registration_id"], ["registration.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("registration_id", "question_id"),
    )
    with op.batch_alter_table("registrationanswer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registrationanswer_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_registrationanswer_question_id"), ["question_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_registrationanswer_registration_id"), ["registration_id"], unique=False)

    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waitlist_number", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("waitlist_number")

    with op.batch_alter_table("registrationanswer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrationanswer_registration_id"))
        batch_op.drop_index(batch_op.f("ix_registrationanswer_question_id"))
        batch_op.drop_index(batch_op.f("ix_registrationanswer_event_id"))

    op.drop_table("registrationanswer")
    op.drop_table("registrationsettings")
    with op.batch_alter_table("registrationquestion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrationquestion_event_id"))

    op.drop_table("registrationquestion")
