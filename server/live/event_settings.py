"""An event's rules for its live rooms, set by its organisers, and each session's own where it departs from them.

A session's setting is either its own or the event's (None: inherit). A change reaches rooms already open: a
room whose question review or chat mode changes gets a ``room`` event, so every client updates without a reload;
when entry tightens (no more anonymous guests, online entry for a session's pickers only), the connections that
may have lost their place are re-checked through the revocation table, as a removal is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.accounts.revocations import Reason, record_revocation
from server.agenda.models import Session
from server.audit.services import apply_audited
from server.broadcast import Message
from server.db import begin_write
from server.errors import Conflict, InvalidInput, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.live.access import RoomRules, live_settings
from server.live.models import (
    ChatMode,
    LiveRoom,
    LiveSettings,
    OnlineEntry,
    ParticipantListAccess,
    SessionLiveSettings,
)
from server.live.room_log import append, fanout, room_entry, room_switches
from server.live.rules import PARTICIPANT_LIST, can_change_live_settings
from server.permissions import require
from server.registration.models import Registration, RegistrationStatus


def new_event_settings(event_id: int) -> LiveSettings:
    """A new event's live settings: people in the hall ask and vote as guests from the room's code, and their
    questions wait for a moderator. Events made before this keep the settings they had (the table's defaults)."""
    return LiveSettings(event_id=event_id, anonymous_guests=True, moderated=True)


EVENT_FIELDS = ("anonymous_guests", "online_entry", "moderated", "chat", "participants", "replay_audience")
SESSION_FIELDS = ("anonymous_guests", "online_entry", "moderated", "chat")


class StaleSettings(Conflict):
    """Someone saved these settings since the form was opened: ``current`` holds what they saved."""

    def __init__(self, message: str, current: Any) -> None:
        super().__init__(message)
        self.current = current


@dataclass
class SettingsChange:
    """What a save did: the rows as saved, and the broadcasts to the rooms already open."""

    saved: Any
    messages: list[Message] = field(default_factory=list)


def _check(values: Mapping[str, Any]) -> dict[str, Any]:
    """Only the known fields, each of a known value (None: the session inherits the event's)."""
    allowed: dict[str, set[Any]] = {
        "anonymous_guests": {True, False},
        "moderated": {True, False},
        "online_entry": set(OnlineEntry),
        "chat": set(ChatMode),
        "participants": set(ParticipantListAccess),
        "replay_audience": {"delegates", "everyone"},  # server/archive/models.py ReplayAudience (a layer above)
    }
    messages = {
        "online_entry": lambda: _("Online entry is for those registered for the event or for the session."),
        "chat": lambda: _("The chat is on, off or reviewed."),
        "participants": lambda: _("Please choose who may see the participant list."),
        "replay_audience": lambda: _("Please choose who may watch the replays."),
    }
    for name, value in values.items():
        if name not in allowed:
            raise InvalidInput(_("Unknown setting: %(name)s.") % {"name": name[:40]})
        if value is not None and value not in allowed[name]:
            raise InvalidInput(messages.get(name, lambda: _("Please choose yes or no."))())
    return dict(values)


async def _locked_event_settings(db: AsyncSession, event_id: int) -> LiveSettings:
    dialect = db.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # An event without a row gets one first, so two first saves cannot both insert it.
    await db.exec(insert(LiveSettings).values(event_id=event_id).on_conflict_do_nothing(index_elements=["event_id"]))
    statement = select(LiveSettings).where(LiveSettings.event_id == event_id).with_for_update()
    return (await db.exec(statement.execution_options(populate_existing=True))).one()


async def update_live_settings(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event,
    version: int | None = None,
    anonymous_guests: bool | None = None,
    online_entry: str | None = None,
    moderated: bool | None = None,
    chat: str | None = None,
    participants: str | None = None,
    replay_audience: str | None = None,
) -> SettingsChange:
    """The event's live settings (those given; None leaves one as it is). ``version`` is the version the form
    showed: a save over someone else's newer one is refused (``StaleSettings``), never silently overwritten."""
    require(actor, can_change_live_settings)
    given = {
        "anonymous_guests": anonymous_guests,
        "online_entry": online_entry,
        "moderated": moderated,
        "chat": chat,
        "participants": participants,
        "replay_audience": replay_audience,
    }
    values = {name: value for name, value in _check(given).items() if value is not None}
    event_id = event.id or 0
    await begin_write(db)
    row = await _locked_event_settings(db, event_id)
    if version is not None and version != row.version:
        current = LiveSettings(**row.model_dump())
        await db.rollback()
        raise StaleSettings(_("Someone else changed these settings meanwhile: here are theirs."), current)
    old_rules = await _rules_by_session(db, event_id)
    apply_audited(
        db,
        row,
        values,
        fields=EVENT_FIELDS,
        actor=actor,
        event=event,
        action="live_settings.update",
        target_type="live_settings",
        target_id=event_id,
        target_label=event.title,
    )
    await db.flush()
    messages = await _reach_rooms(db, event_id, old_rules, await _rules_by_session(db, event_id))
    await db.commit()
    return SettingsChange(saved=row, messages=messages)


async def require_participant_list(db: AsyncSession, *, actor: Actor, event: Event) -> None:
    """NotFound unless the event's setting lets ``actor`` see its participant list."""
    access = (await live_settings(db, event_id=event.id or 0)).participants
    require(actor, PARTICIPANT_LIST.get(access, PARTICIPANT_LIST[ParticipantListAccess.staff]), event)


async def session_settings(db: AsyncSession, *, event: Event, session_id: int) -> tuple[Session, SessionLiveSettings]:
    """The session (of this event, else NotFound) and its own settings (a fresh row inheriting everything)."""
    session = (await db.exec(select(Session).where(Session.id == session_id, Session.event_id == event.id))).first()
    if session is None:
        raise NotFound(_("There is no such session in this event."))
    own = await db.get(SessionLiveSettings, session_id)
    return session, own or SessionLiveSettings(session_id=session_id, event_id=event.id or 0)


async def sessions_with_own_settings(
    db: AsyncSession, *, event: Event
) -> list[tuple[Session, SessionLiveSettings | None]]:
    """Every session of the event in programme order, with its own settings when it has any."""
    sessions = (await db.exec(select(Session).where(Session.event_id == event.id).order_by(col(Session.start)))).all()
    own = {
        row.session_id: row
        for row in (await db.exec(select(SessionLiveSettings).where(SessionLiveSettings.event_id == event.id))).all()
    }
    return [(session, own.get(session.id or 0)) for session in sessions]


async def update_session_live_settings(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event,
    session_id: int,
    version: int,
    values: Mapping[str, Any],
) -> SettingsChange:
    """A session's own settings: every field of SESSION_FIELDS, each a value or None to inherit the event's."""
    require(actor, can_change_live_settings)
    values = _check({name: values.get(name) for name in SESSION_FIELDS})
    event_id = event.id or 0
    await begin_write(db)
    session = (await db.exec(select(Session).where(Session.id == session_id, Session.event_id == event_id))).first()
    if session is None:
        await db.rollback()
        raise NotFound(_("There is no such session in this event."))
    dialect = db.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    await db.exec(
        insert(SessionLiveSettings)
        .values(session_id=session_id, event_id=event_id)
        .on_conflict_do_nothing(index_elements=["session_id"])
    )
    statement = select(SessionLiveSettings).where(SessionLiveSettings.session_id == session_id).with_for_update()
    row = (await db.exec(statement.execution_options(populate_existing=True))).one()
    if version != row.version:
        current = SessionLiveSettings(**row.model_dump())
        await db.rollback()
        raise StaleSettings(_("Someone else changed these settings meanwhile: here are theirs."), current)
    old_rules = await _rules_by_session(db, event_id, session_id)
    apply_audited(
        db,
        row,
        values,
        fields=SESSION_FIELDS,
        actor=actor,
        event=event,
        action="session_live_settings.update",
        target_type="session",
        target_id=session_id,
        target_label=session.title,
    )
    await db.flush()
    messages = await _reach_rooms(db, event_id, old_rules, await _rules_by_session(db, event_id, session_id))
    await db.commit()
    return SettingsChange(saved=row, messages=messages)


async def _rules_by_session(db: AsyncSession, event_id: int, session_id: int | None = None) -> dict[int, RoomRules]:
    """The rules in effect for each session of the event (or the one session), as the transaction sees them."""
    event_rules = await live_settings(db, event_id=event_id)
    sessions = select(Session.id).where(Session.event_id == event_id)
    if session_id is not None:
        sessions = sessions.where(Session.id == session_id)
    own = {
        row.session_id: row
        for row in (await db.exec(select(SessionLiveSettings).where(SessionLiveSettings.event_id == event_id))).all()
    }
    return {found: RoomRules.of(event_rules, own.get(found)) for found in (await db.exec(sessions)).all() if found}


async def _reach_rooms(
    db: AsyncSession, event_id: int, old: dict[int, RoomRules], new: dict[int, RoomRules]
) -> list[Message]:
    """Applies what changed to the rooms already open (only the switches that changed: a moderator's own
    switch of another one stays), logs a ``room`` event in each, and has the connections whose entry tightened
    re-checked."""
    changed = {session_id for session_id, rules in new.items() if old.get(session_id) != rules}
    if not changed:
        return []
    rooms = (
        await db.exec(
            select(LiveRoom)
            .where(LiveRoom.event_id == event_id, col(LiveRoom.session_id).in_(changed))
            .order_by(col(LiveRoom.session_id))
            .with_for_update()
        )
    ).all()
    entries = []
    for room in rooms:
        was, now = room_switches(old[room.session_id]), room_switches(new[room.session_id])
        switched = {name: value for name, value in now.items() if was[name] != value}
        if not switched:
            continue
        for name, value in switched.items():
            setattr(room, name, value)
        entries.append(append(db, room, kind="room", data=await room_entry(db, room)))
    if any(_tightened(old[session_id], new[session_id]) for session_id in changed):
        await _recheck_registrants(db, event_id)
    return fanout(entries)


def _tightened(old: RoomRules, new: RoomRules) -> bool:
    return (old.anonymous_guests and not new.anonymous_guests) or (
        old.online_entry == OnlineEntry.event and new.online_entry == OnlineEntry.session
    )


async def _recheck_registrants(db: AsyncSession, event_id: int) -> None:
    """Every live process re-admits the open connections of the event's registrants (server/accounts/revocations.py):
    those the new rules leave out leave the room at once."""
    accounts = await db.exec(
        select(Registration.account_id).where(
            Registration.event_id == event_id, Registration.status == RegistrationStatus.confirmed
        )
    )
    for account_id in accounts.all():
        await record_revocation(db, account_id=account_id, event_id=event_id, reason=Reason.removed)
