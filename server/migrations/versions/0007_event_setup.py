"""events set up in the browser: drafts, logo, colours, contact, an edit counter

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 13:34:10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "eventlogo",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("content_type", AutoString(length=20), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id"),
    )
    # Events that exist already (imported, the demo) stay public: only events created in the browser start as drafts.
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("address", AutoString(length=500), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("contact_email", AutoString(length=254), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("primary_color", AutoString(length=7), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("secondary_color", AutoString(length=7), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("has_logo", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("edit_version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("edit_version")
        batch_op.drop_column("has_logo")
        batch_op.drop_column("secondary_color")
        batch_op.drop_column("primary_color")
        batch_op.drop_column("contact_email")
        batch_op.drop_column("address")
        batch_op.drop_column("published")

    op.drop_table("eventlogo")
