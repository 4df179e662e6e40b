"""A session's booths: one per running channel, with at most one interpreter on air.

How a booth changes hands (as booth teams work: the interpreter speaking decides when to stop):
- nobody on air: an interpreter of the language presses "Go on air";
- someone on air: the partner's "Go on air" is refused with their name, until the one on air presses "Hand over";
  then the partner's "Take over" moves the booth to them in one write (the relay switches per packet, so the
  channel is never silent nor doubled). The one on air may withdraw the offer, or go off air (the channel is silent).
- the session's moderators (and organisers) may take anyone off air, and an interpreter whose role or language is
  removed is taken off air at once (``drop_interpreter``).

Every change locks the booth's row (SQLite: BEGIN IMMEDIATE; PostgreSQL: SELECT ... FOR UPDATE) and bumps its
``version``, which consoles use to keep the newest state when broadcasts cross. After the commit the caller tells
the relay the on-air account (``announce``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.accounts.models import Account, Role, RoleLanguage
from server.agenda.models import Session
from server.broadcast import Broadcaster, Message
from server.clock import utcnow
from server.db import begin_write
from server.errors import Conflict, InvalidInput, NotFound, PodiumError
from server.events.models import Event
from server.formats import language_name
from server.i18n import gettext as _
from server.interpretation.channels import running_channels
from server.interpretation.models import Booth, FloorLanguage
from server.interpretation.rules import can_interpret, can_set_floor_language
from server.permissions import require
from server.streams.channels import channel_key

log = logging.getLogger(__name__)

STATE_EVENT = "booth.state"
FLOOR_EVENT = "booth.floor"


def booths_group(session_id: int) -> str:
    """Every booth console and moderator of a session's booths: they all see every booth's state and the floor."""
    return f"booths:{session_id}"


def booth_group(session_id: int, language: str) -> str:
    """One booth's consoles: its chat."""
    return f"booth:{session_id}:{language}"


def booth_moderators(session_id: int) -> str:
    """The session's moderators watching its booths: every booth's chat."""
    return f"booth-moderators:{session_id}"


def account_key(account_id: int) -> str:
    """How relay passes and the relay name an account (``a<id>``)."""
    return f"a{account_id}"


class OnAirSwitch(Protocol):
    """What the relay control offers (server/streams/relay_control.py): which publisher a channel forwards."""

    async def set_on_air(self, channel_key: str, account: str | None) -> None: ...


@dataclass
class BoothChange:
    """A committed change: the messages for the consoles, and the channel whose on-air account the relay must learn
    (None when the change does not touch who is on air)."""

    view: dict[str, Any]
    messages: list[Message] = field(default_factory=list)
    channel: str | None = None
    on_air: str | None = None


async def _names(db: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await db.exec(select(Account.id, Account.name, Account.email).where(col(Account.id).in_(ids)))
    return {row[0] or 0: (row[1] or row[2].split("@")[0]) for row in rows.all()}


async def account_names(db: AsyncSession, event: Event) -> dict[str, str]:
    """The names of the event's interpreters by their relay name (``a<id>``)."""
    rows = await db.exec(
        select(Account.id, Account.name, Account.email)
        .join(RoleLanguage, col(RoleLanguage.account_id) == col(Account.id))
        .where(RoleLanguage.event_id == event.id, RoleLanguage.role == Role.interpreter)
    )
    return {account_key(row[0] or 0): (row[1] or row[2].split("@")[0]) for row in rows.all()}


def booth_view(booth: Booth, names: dict[int, str]) -> dict[str, Any]:
    on_air = None
    if booth.on_air_id is not None:
        on_air = {"id": booth.on_air_id, "name": names.get(booth.on_air_id, "")}
    return {
        "session": booth.session_id,
        "language": booth.language,
        "language_name": language_name(booth.language),
        "on_air": on_air,
        "handover": booth.handover_offered and on_air is not None,
        "version": booth.version,
    }


def floor_view(session_id: int, language: str | None) -> dict[str, Any]:
    return {
        "session": session_id,
        "language": language,
        "language_name": language_name(language) if language else "",
    }


async def _channel_of(db: AsyncSession, *, event: Event, session: Session, language: str) -> str:
    """The language, if a channel runs in it in this session; a clear refusal otherwise."""
    if session.event_id != event.id:
        raise NotFound(_("There is no such session."))
    if language not in event.language_list:
        raise InvalidInput(_("This event does not offer %(language)s.") % {"language": language_name(language)})
    if language not in await running_channels(db, event=event, session=session):
        raise InvalidInput(_("No %(language)s channel runs in this session.") % {"language": language_name(language)})
    return language


async def _locked(db: AsyncSession, *, event: Event, session: Session, language: str) -> Booth:
    """The booth's row, locked for this transaction; made on first use (a concurrent maker wins, we retry)."""
    for _attempt in range(2):
        await begin_write(db)
        statement = select(Booth).where(Booth.session_id == session.id, Booth.language == language).with_for_update()
        booth = (await db.exec(statement)).first()
        if booth is not None:
            return booth
        booth = Booth(event_id=event.id or 0, session_id=session.id or 0, language=language)
        db.add(booth)
        try:
            await db.flush()
        except IntegrityError:
            await db.rollback()
            continue
        return booth
    raise Conflict(_("The booth changed at the same moment. Please try again."))


async def _commit(db: AsyncSession, booth: Booth, *, moved: bool) -> BoothChange:
    booth.version += 1
    booth.changed_at = utcnow()
    db.add(booth)
    await db.commit()
    names = await _names(db, {booth.on_air_id} if booth.on_air_id else set())
    view = booth_view(booth, names)
    change = BoothChange(view=view, messages=[Message(to=booths_group(booth.session_id), event=STATE_EVENT, data=view)])
    if moved:
        change.channel = channel_key(booth.session_id, booth.language)
        change.on_air = account_key(booth.on_air_id) if booth.on_air_id else None
    return change


async def booth_state(db: AsyncSession, *, event: Event, session: Session, language: str) -> dict[str, Any]:
    booth = (await db.exec(select(Booth).where(Booth.session_id == session.id, Booth.language == language))).first()
    booth = booth or Booth(event_id=event.id or 0, session_id=session.id or 0, language=language)
    return booth_view(booth, await _names(db, {booth.on_air_id} if booth.on_air_id else set()))


async def booths_of(db: AsyncSession, *, event: Event, session: Session) -> list[dict[str, Any]]:
    """Every running channel's booth, in the event's order of languages."""
    languages = await running_channels(db, event=event, session=session)
    rows = {
        booth.language: booth for booth in (await db.exec(select(Booth).where(Booth.session_id == session.id))).all()
    }
    names = await _names(db, {booth.on_air_id for booth in rows.values() if booth.on_air_id})
    return [
        booth_view(
            rows.get(language) or Booth(event_id=event.id or 0, session_id=session.id or 0, language=language), names
        )
        for language in languages
    ]


async def go_on_air(db: AsyncSession, *, actor: Actor, event: Event, session: Session, language: str) -> BoothChange:
    """On air in an empty booth, or taking over from a partner who offered the booth ("Take over"). Refused while
    a partner is on air without offering it."""
    await _channel_of(db, event=event, session=session, language=language)
    require(actor, can_interpret, language)
    me = actor.account_id
    booth = await _locked(db, event=event, session=session, language=language)
    if booth.on_air_id == me:
        await db.rollback()
        return BoothChange(view=await booth_state(db, event=event, session=session, language=language))
    if booth.on_air_id is not None and not booth.handover_offered:
        partner = (await _names(db, {booth.on_air_id})).get(booth.on_air_id, "")
        await db.rollback()
        raise Conflict(
            _("%(name)s is on air in this booth. Ask them to hand over, then take over.") % {"name": partner}
        )
    booth.on_air_id = me
    booth.handover_offered = False
    return await _commit(db, booth, moved=True)


async def hand_over(
    db: AsyncSession, *, actor: Actor, event: Event, session: Session, language: str, offered: bool = True
) -> BoothChange:
    """The one on air offers the booth to the partner (or withdraws the offer): they stay on air until taken over."""
    await _channel_of(db, event=event, session=session, language=language)
    require(actor, can_interpret, language)
    booth = await _locked(db, event=event, session=session, language=language)
    if booth.on_air_id != actor.account_id:
        await db.rollback()
        raise Conflict(_("You are not on air in this booth."))
    booth.handover_offered = offered
    return await _commit(db, booth, moved=False)


async def go_off_air(db: AsyncSession, *, actor: Actor, event: Event, session: Session, language: str) -> BoothChange:
    """The one on air leaves the channel silent; a moderator may take anyone off air."""
    await _channel_of(db, event=event, session=session, language=language)
    moderating = can_set_floor_language(actor, session)
    if not moderating:
        require(actor, can_interpret, language)
    booth = await _locked(db, event=event, session=session, language=language)
    if booth.on_air_id is None or (booth.on_air_id != actor.account_id and not moderating):
        await db.rollback()
        raise Conflict(_("You are not on air in this booth."))
    booth.on_air_id = None
    booth.handover_offered = False
    return await _commit(db, booth, moved=True)


async def on_air_now(db: AsyncSession, *, actor: Actor, event: Event, session: Session, language: str) -> BoothChange:
    """The booth's on-air account as stored, for the relay again: a console says so after each (re)connection of its
    microphone, so a restarted relay learns who is on air."""
    await _channel_of(db, event=event, session=session, language=language)
    require(actor, can_interpret, language)
    view = await booth_state(db, event=event, session=session, language=language)
    on_air = view["on_air"]
    return BoothChange(
        view=view,
        channel=channel_key(session.id or 0, language),
        on_air=account_key(on_air["id"]) if on_air else None,
    )


async def drop_interpreter(
    db: AsyncSession, *, event_id: int, account_id: int, keep: Sequence[str] = ()
) -> list[BoothChange]:
    """Takes ``account_id`` off air in the event's booths but those of the languages in ``keep`` (their role or a
    language was removed). Runs inside the caller's write transaction; the changes are for after its commit."""
    booths = (
        await db.exec(
            select(Booth)
            .where(Booth.event_id == event_id, Booth.on_air_id == account_id, col(Booth.language).not_in(keep))
            .with_for_update()
        )
    ).all()
    changes = []
    for booth in booths:
        booth.on_air_id = None
        booth.handover_offered = False
        booth.version += 1
        booth.changed_at = utcnow()
        db.add(booth)
        view = booth_view(booth, {})
        changes.append(
            BoothChange(
                view=view,
                messages=[Message(to=booths_group(booth.session_id), event=STATE_EVENT, data=view)],
                channel=channel_key(booth.session_id, booth.language),
                on_air=None,
            )
        )
    return changes


async def floor_language(db: AsyncSession, *, session: Session) -> str | None:
    row = await db.get(FloorLanguage, session.id)
    return row.language if row is not None else None


async def set_floor_language(
    db: AsyncSession, *, actor: Actor, event: Event, session: Session, language: str
) -> BoothChange:
    """The moderator says which language the floor speaks now; every booth of the session sees it."""
    require(actor, can_set_floor_language, session)
    if session.event_id != event.id:
        raise NotFound(_("There is no such session."))
    if language not in event.language_list:
        raise InvalidInput(_("This event does not offer %(language)s.") % {"language": language_name(language)})
    for attempt in range(2):
        await begin_write(db)
        row = await db.get(FloorLanguage, session.id, with_for_update=True)
        if row is None:
            row = FloorLanguage(session_id=session.id or 0, event_id=event.id or 0, language=language)
        row.language = language
        row.changed_at = utcnow()
        db.add(row)
        try:
            await db.commit()
            break
        except IntegrityError:  # another moderator set it first, at the same moment: set it over theirs
            await db.rollback()
            if attempt:
                raise Conflict(_("The floor language changed at the same moment. Please try again.")) from None
    view = floor_view(session.id or 0, language)
    return BoothChange(view=view, messages=[Message(to=booths_group(session.id or 0), event=FLOOR_EVENT, data=view)])


_relay_locks: dict[str, asyncio.Lock] = {}


async def announce(changes: Sequence[BoothChange], *, broadcaster: Broadcaster, relay: OnAirSwitch | None) -> None:
    """After the commit: the consoles and moderators hear of the changes, and the relay switches its channels.
    A relay that does not answer learns the state again when the console's microphone reconnects."""
    for change in changes:
        await broadcaster.publish(change.messages)
        if relay is None or change.channel is None:
            continue
        # One process's calls for a channel go out in the order of its commits.
        lock = _relay_locks.setdefault(change.channel, asyncio.Lock())
        async with lock:
            try:
                await relay.set_on_air(change.channel, change.on_air)
            except PodiumError as failure:
                log.warning("relay did not learn who is on air in %s: %s", change.channel, failure.message)
