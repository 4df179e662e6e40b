"""programme building blocks: each event's kinds of session, session materials, streamed rooms, photos, versions

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 13:34:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The built-in kinds as they were (server/agenda/models.py's SessionKind then): each event gets those its
# sessions use, named as the agenda named them, with the behaviour of the same name.
BUILT_IN = (
    ("plenary", "Plenary"),
    ("parallel", "Parallel session"),
    ("ceremony", "Ceremony"),
    ("video-address", "Video address"),
    ("exhibition", "Exhibition"),
    ("break", "Break"),
)


def upgrade() -> None:
    kinds = op.create_table(
        "eventsessionkind",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("slug", AutoString(length=20), nullable=False),
        sa.Column("name", AutoString(length=200), nullable=False),
        sa.Column("color", AutoString(length=7), nullable=False),
        sa.Column("behaviour", AutoString(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "slug"),
    )
    with op.batch_alter_table("eventsessionkind", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_eventsessionkind_event_id"), ["event_id"], unique=False)

    op.create_table(
        "sessionmaterial",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("kind", AutoString(length=8), nullable=False),
        sa.Column("title", AutoString(length=200), nullable=False),
        sa.Column("url", AutoString(length=2000), nullable=False),
        sa.Column("stored_name", AutoString(length=64), nullable=False),
        sa.Column("filename", AutoString(length=200), nullable=False),
        sa.Column("content_type", AutoString(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("delegates_only", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sessionmaterial", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessionmaterial_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessionmaterial_session_id"), ["session_id"], unique=False)

    # Plain ADD COLUMN (no batch): rebuilding these tables on SQLite would drop rows that sessions refer to.
    op.add_column("person", sa.Column("photo", AutoString(length=64), nullable=False, server_default=""))
    op.add_column("person", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("room", sa.Column("streamed", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("room", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("track", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))

    _seed_kinds(kinds)


def _seed_kinds(kinds: sa.Table) -> None:
    """Every event gets the kinds its sessions use, in the built-in order (any other value after them)."""
    bind = op.get_bind()
    used = bind.execute(sa.text("SELECT DISTINCT event_id, kind FROM session")).all()
    by_event: dict[int, set[str]] = {}
    for event_id, kind in used:
        by_event.setdefault(event_id, set()).add(kind)
    names = dict(BUILT_IN)
    order = [slug for slug, _name in BUILT_IN]
    rows = []
    for event_id, slugs in sorted(by_event.items()):
        ordered = [slug for slug in order if slug in slugs] + sorted(slugs - set(order))
        for position, slug in enumerate(ordered):
            known = slug in names
            rows.append(
                {
                    "event_id": event_id,
                    "slug": slug,
                    "name": names.get(slug, slug),
                    "color": "",
                    "behaviour": slug if known else "parallel",
                    "position": position,
                    "version": 1,
                }
            )
    if rows:
        op.bulk_insert(kinds, rows)


def downgrade() -> None:
    op.drop_column("track", "version")
    op.drop_column("room", "version")
    op.drop_column("room", "streamed")
    op.drop_column("person", "version")
    op.drop_column("person", "photo")

    with op.batch_alter_table("sessionmaterial", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessionmaterial_session_id"))
        batch_op.drop_index(batch_op.f("ix_sessionmaterial_event_id"))
    op.drop_table("sessionmaterial")

    with op.batch_alter_table("eventsessionkind", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eventsessionkind_event_id"))
    op.drop_table("eventsessionkind")
