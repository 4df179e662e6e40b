"""A session's archive settings (recording on or off, replay and archive published), changed by organisers; and
whether someone may watch its replay, which joins those settings with the replay and the event's audience."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.agenda.models import Session
from server.archive.models import SessionArchive
from server.audit.services import apply_audited
from server.db import begin_write
from server.errors import Conflict, InvalidInput, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.live.access import live_settings
from server.permissions import require
from server.replays.models import Replay, ReplayState
from server.replays.rules import ReplayAccess, can_manage_replay, can_watch_replay

ARCHIVE_FIELDS = ("record", "replay_published", "archive_published")


class StaleArchive(Conflict):
    """Someone saved the session's archive settings since the form was opened: ``current`` holds theirs."""

    def __init__(self, message: str, current: SessionArchive) -> None:
        super().__init__(message)
        self.current = current


async def session_archive(db: AsyncSession, *, session: Session) -> SessionArchive:
    """The session's row, or the defaults (recorded, nothing published) when it has none."""
    row = await db.get(SessionArchive, session.id, populate_existing=True)
    return row if row is not None else SessionArchive(session_id=session.id or 0, event_id=session.event_id)


async def update_session_archive(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event,
    session: Session,
    version: int,
    record: bool | None = None,
    replay_published: bool | None = None,
    archive_published: bool | None = None,
) -> SessionArchive:
    """Change the fields given (None leaves one as it is). ``version`` is the one the form showed: a save over
    someone else's newer one is refused (``StaleArchive``), never silently overwritten. Audited."""
    require(actor, can_manage_replay)
    if session.event_id != event.id:
        raise NotFound(_("There is no such session."))
    given = {"record": record, "replay_published": replay_published, "archive_published": archive_published}
    values = {name: value for name, value in given.items() if value is not None}
    if any(not isinstance(value, bool) for value in values.values()):
        raise InvalidInput(_("Please choose yes or no."))
    dialect = db.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    await begin_write(db)
    await db.exec(
        insert(SessionArchive)
        .values(session_id=session.id, event_id=event.id)
        .on_conflict_do_nothing(index_elements=["session_id"])
    )
    statement = select(SessionArchive).where(SessionArchive.session_id == session.id).with_for_update()
    row = (await db.exec(statement.execution_options(populate_existing=True))).one()
    if version != row.version:
        current = SessionArchive(**row.model_dump())
        await db.rollback()
        raise StaleArchive(_("Someone else changed these settings meanwhile: here are theirs."), current)
    apply_audited(
        db,
        row,
        values,
        fields=ARCHIVE_FIELDS,
        actor=actor,
        event=event,
        action="session_archive.update",
        target_type="session",
        target_id=session.id,
        target_label=session.title,
    )
    await db.commit()
    await db.refresh(row)
    return row


async def replay_access(db: AsyncSession, *, event: Event, session: Session) -> tuple[Replay | None, ReplayAccess]:
    """The session's replay (when one was made) and what ``can_watch_replay`` asks about it."""
    replay = await db.get(Replay, session.id, populate_existing=True)
    if replay is not None and replay.event_id != event.id:
        replay = None
    archive = await session_archive(db, session=session)
    audience = (await live_settings(db, event_id=event.id or 0)).replay_audience
    ready = replay is not None and replay.state == ReplayState.ready and bool(replay.stored_name)
    return replay, ReplayAccess(ready=ready, published=archive.replay_published, audience=audience)


async def watchable_replay(db: AsyncSession, *, actor: Actor, event: Event, session: Session) -> Replay:
    """The session's replay for ``actor`` to watch; NotFound unless ``can_watch_replay`` allows it."""
    if session.event_id != event.id:
        raise NotFound(_("There is no such session."))
    replay, access = await replay_access(db, event=event, session=session)
    require(actor, can_watch_replay, access)
    assert replay is not None  # a ready replay exists, or the rule refused
    return replay
