"""digital exhibitions: texts and opening hours, gallery images, audio and video guides, daily visitors

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owned() -> list[sa.Column]:
    return [
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("event.id", ondelete="CASCADE"), nullable=False),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("session.id", ondelete="CASCADE"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "exhibition",
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("session.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("event.id", ondelete="CASCADE"), nullable=False),
        sa.Column("intro", AutoString(), nullable=False),
        sa.Column("opens", AutoString(length=5), nullable=False),
        sa.Column("closes", AutoString(length=5), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
    )
    op.create_index("ix_exhibition_event_id", "exhibition", ["event_id"])
    op.create_table(
        "exhibitionimage",
        sa.Column("id", sa.Integer(), primary_key=True),
        *_owned(),
        sa.Column("stored_name", AutoString(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("widths", sa.JSON(), nullable=False),
        sa.Column("caption", AutoString(length=500), nullable=False),
        sa.Column("credit", AutoString(length=300), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
    )
    op.create_table(
        "exhibitionguide",
        sa.Column("id", sa.Integer(), primary_key=True),
        *_owned(),
        sa.Column("title", AutoString(length=200), nullable=False),
        sa.Column("kind", AutoString(length=8), nullable=False),
        sa.Column("stored_name", AutoString(length=64), nullable=False),
        sa.Column("content_type", AutoString(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
    )
    op.create_table(
        "exhibitionvisit",
        sa.Column("id", sa.Integer(), primary_key=True),
        *_owned(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("visitor", AutoString(length=64), nullable=False),
        sa.UniqueConstraint("session_id", "day", "visitor"),
    )
    for table in ("exhibitionimage", "exhibitionguide", "exhibitionvisit"):
        op.create_index(f"ix_{table}_event_id", table, ["event_id"])
        op.create_index(f"ix_{table}_session_id", table, ["session_id"])


def downgrade() -> None:
    for table in ("exhibitionvisit", "exhibitionguide", "exhibitionimage"):
        op.drop_index(f"ix_{table}_session_id", table_name=table)
        op.drop_index(f"ix_{table}_event_id", table_name=table)
        op.drop_table(table)
    op.drop_index("ix_exhibition_event_id", table_name="exhibition")
    op.drop_table("exhibition")
