"""Mutes: moderators keep a participant out of a room's chat, see who is muted, and unmute them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import Account
from server.broadcast import Outcome
from server.errors import InvalidInput, NotFound
from server.i18n import gettext as _
from server.live.access import Participant, is_muted
from server.live.models import ChatMessage, Mute, Question
from server.live.room_log import append, fanout, room_write
from server.live.rules import can_moderate, in_room
from server.live.views import JSON, timestamp
from server.permissions import require
from server.registration.models import Registration, RegistrationStatus

PARTICIPANT_KEY_LIMIT = 40


async def mute_participant(
    db: AsyncSession, *, actor: Participant, session_id: int, participant: str, muted: bool
) -> Outcome:
    """Mute (or unmute) someone who wrote in this room's chat or Q&A; whoever is muted can be unmuted.
    Setting the state it already has changes nothing, so a retry is harmless."""
    require(actor, in_room, session_id)
    require(actor, can_moderate)
    if not participant or len(participant) > PARTICIPANT_KEY_LIMIT or participant[0] not in "ag":
        raise InvalidInput(_("There is no such participant."))
    if participant == actor.key:
        raise InvalidInput(_("You cannot mute yourself."))
    async with room_write(db, session_id=session_id) as room:
        current = await is_muted(db, session_id=session_id, key=participant)
        if not current and not await _took_part(db, session_id=session_id, key=participant):
            raise NotFound(_("There is no such participant in this room."))
        if current == muted:
            await db.rollback()
            return Outcome(answer={})
        person: JSON | None = None
        if muted:
            db.add(Mute(session_id=session_id, participant_key=participant, muted_by=actor.account_id))
            await db.flush()
            person = (await muted_people(db, event_id=actor.event_id, session_id=session_id, keys=[participant]))[0]
        else:
            await db.exec(
                delete(Mute).where(col(Mute.session_id) == session_id, col(Mute.participant_key) == participant)
            )
        entry = append(db, room, kind="mute", data={"participant": participant, "muted": muted, "person": person})
        await db.commit()
    return Outcome(answer={}, messages=fanout([entry]))


async def list_muted(db: AsyncSession, *, actor: Participant, session_id: int) -> Outcome:
    require(actor, in_room, session_id)
    require(actor, can_moderate)
    return Outcome(answer={"muted": await muted_people(db, event_id=actor.event_id, session_id=session_id)})


async def muted_people(
    db: AsyncSession, *, event_id: int, session_id: int, keys: Sequence[str] | None = None
) -> list[JSON]:
    """Who is muted in the room (or which of ``keys``), longest muted first: named as they last wrote in
    the room, with the moderator who muted them while that account exists. Five queries however many."""
    statement = select(Mute).where(Mute.session_id == session_id)
    if keys is not None:
        statement = statement.where(col(Mute.participant_key).in_(list(keys)))
    mutes = list((await db.exec(statement.order_by(col(Mute.created_at), col(Mute.id)))).all())
    if not mutes:
        return []
    authors = await _authors(db, session_id=session_id, keys=[mute.participant_key for mute in mutes])
    moderators = await _names(db, event_id=event_id, account_ids={m.muted_by for m in mutes if m.muted_by is not None})
    views = []
    for mute in mutes:
        name, origin, country = authors.get(mute.participant_key, ("", "", ""))
        by = mute.muted_by
        views.append(
            {
                "key": mute.participant_key,
                "name": name,
                "origin": origin,
                "country": country,
                "since": timestamp(mute.created_at),
                "by": {"key": f"a{by}", "name": moderators[by]} if by is not None and by in moderators else None,
            }
        )
    return views


async def _took_part(db: AsyncSession, *, session_id: int, key: str) -> bool:
    for model in (ChatMessage, Question):
        found = await db.exec(select(model.id).where(model.session_id == session_id, model.author_key == key))
        if found.first() is not None:
            return True
    return False


async def _authors(db: AsyncSession, *, session_id: int, keys: list[str]) -> dict[str, tuple[str, str, str]]:
    """Name, origin and country of each key as its latest chat message shows them, else its latest question."""
    found: dict[str, tuple[str, str, str]] = {}
    for model in (ChatMessage, Question):
        wanted = [key for key in keys if key not in found]
        if not wanted:
            break
        latest = (
            select(func.max(model.id))
            .where(model.session_id == session_id, col(model.author_key).in_(wanted))
            .group_by(model.author_key)
        )
        rows = await db.exec(
            select(model.author_key, model.author_name, model.origin, model.country).where(col(model.id).in_(latest))
        )
        for key, name, origin, country in rows.all():
            found[key] = (name, origin, country)
    return found


async def _names(db: AsyncSession, *, event_id: int, account_ids: set[int]) -> dict[int, str]:
    """Accounts by the name they registered for the event with, else their account's name (as in the room)."""
    if not account_ids:
        return {}
    accounts = await db.exec(select(Account.id, Account.name).where(col(Account.id).in_(account_ids)))
    names = {account_id or 0: name for account_id, name in accounts.all()}
    registered = await db.exec(
        select(Registration.account_id, Registration.name).where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.confirmed,
            col(Registration.account_id).in_(account_ids),
        )
    )
    for account_id, name in registered.all():
        if name and account_id in names:
            names[account_id] = name
    return names
