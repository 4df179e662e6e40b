"""Socket.IO requests of interpretation booths (PROTOCOL.md, "Interpretation booths"): a console or a moderator joins
a session's booths, and the booth chat. Who is on air and the floor's language change over HTTP
(server/transport/interpret_pages.py) and reach the same groups through the broadcaster.

A booth request needs no joined live room: interpreters are staff of the booth, not the room's audience. Each request
reads the person's roles in the event anew, so a removed interpreter is refused at once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from realtime.live.actions import Call, Connection, LiveRooms, room_action
from realtime.live.payloads import Kind, optional, required
from server.accounts.actors import Actor
from server.accounts.rules import can_see_event
from server.agenda.models import Session
from server.broadcast import Outcome
from server.errors import Forbidden, InvalidInput, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.interpretation import booths, chat
from server.permissions import require
from server.registration.roles import actor_in

NAMESPACE = "/live"
TEXT = required(Kind.text)


@dataclass(frozen=True, slots=True)
class BoothActor(Actor):
    """Someone at a booth: a refusal says why (server/permissions.py), as it does to someone in a live room."""

    @property
    def in_room(self) -> bool:
        return True


async def _booth_of(call: Call) -> tuple[BoothActor, Event, Session]:
    return await _at_booth(call.db, call.connection, call.session_id)


async def _at_booth(db: AsyncSession, connection: Connection, session_id: int) -> tuple[BoothActor, Event, Session]:
    account = connection.identity.account
    if account is None:
        raise Forbidden(_("Please sign in to work in a booth."))
    session = (await db.exec(select(Session).where(Session.id == session_id))).first()
    if session is None:
        raise NotFound(_("There is no such session."))
    event = await db.get_one(Event, session.event_id)
    actor = await actor_in(db, account=account, event=event, session_id=session.id)
    if not actor.roles:  # nobody of this event: its sessions are "not found", as another event's objects are
        raise NotFound(_("There is no such session."))
    require(actor, can_see_event, event)
    return BoothActor(account=actor.account, roles=actor.roles, languages=actor.languages), event, session


@room_action("booth.join", joined=False, language=optional(Kind.text))
async def join(call: Call) -> Outcome:
    """A console enters its booth (``language``), a moderator every booth of the session (no language); both hear
    every booth's state and the floor's language."""
    actor, event, session = await _booth_of(call)
    language = call.payload.get("language")
    await chat.may_join(call.db, actor=actor, event=event, session=session, language=language)
    session_id = session.id or 0
    groups = [booths.booths_group(session_id)]
    groups.append(booths.booth_group(session_id, language) if language else booths.booth_moderators(session_id))
    for group in groups:
        await call.live.sio.enter_room(call.connection.sid, group, namespace=NAMESPACE)
    call.connection.booths.add((session_id, language))
    floor = await booths.floor_language(call.db, session=session)
    answer = {
        "booths": await booths.booths_of(call.db, event=event, session=session),
        "floor": booths.floor_view(session_id, floor),
        "messages": await chat.history(call.db, session=session, language=language),
    }
    return Outcome(answer=answer)


@room_action("booth.chat", joined=False, limit="chat", language=TEXT, text=TEXT, client_id=TEXT)
async def send(call: Call) -> Outcome:
    actor, event, session = await _booth_of(call)
    p = call.payload
    view, messages = await chat.send(
        call.db,
        actor=actor,
        event=event,
        session=session,
        language=p["language"],
        text=p["text"],
        client_id=p["client_id"],
    )
    return Outcome(answer={"message": view}, messages=messages)


async def refusal(db: AsyncSession, connection: Connection, session_id: int, language: str | None) -> str | None:
    """Why the connection may no longer be at this booth (its role or language was taken away), or None."""
    try:
        actor, event, session = await _at_booth(db, connection, session_id)
        await chat.may_join(db, actor=actor, event=event, session=session, language=language)
    except (Forbidden, NotFound, InvalidInput) as refused:
        return refused.message
    return None


async def leave(live: LiveRooms, connection: Connection, session_id: int, language: str | None) -> None:
    """Out of the booth's groups: it hears neither its state nor its chat any more."""
    connection.booths.discard((session_id, language))
    groups = [booths.booth_group(session_id, language) if language else booths.booth_moderators(session_id)]
    if not any(joined == session_id for joined, _language in connection.booths):
        groups.append(booths.booths_group(session_id))
    for group in groups:
        await live.sio.leave_room(connection.sid, group, namespace=NAMESPACE)


ACTIONS = [join, send]
