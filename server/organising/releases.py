"""Releasing the programme: every draft goes public in one transaction, with a change log, one mail per delegate
whose agenda holds a changed session (in the delegate's language), and a new event version so that no page or API
document cached before the release is served after it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server import formats, i18n
from server.accounts.actors import Actor
from server.accounts.models import Account
from server.agenda.models import Session, SessionSpeaker, seat_capacity
from server.audit.services import record
from server.clock import utcnow
from server.db import begin_write
from server.errors import InvalidInput
from server.events.models import Event
from server.i18n import gettext as _
from server.links import Links
from server.mail.models import OutboxMail
from server.organising.models import ProgrammeRelease, SessionDraft
from server.organising.rules import can_release_programme
from server.organising.session_input import FIELDS
from server.organising.working_copy import DETAILS, TIMING, EditorSession, WorkingCopy, load_working_copy
from server.permissions import require
from server.registration.models import Attendance, ChoiceStatus, Registration, RegistrationStatus, SessionChoice
from server.registration.seats import release_seat
from server.time_zones import reader_zone

CHANGE_KINDS = ("new", "moved", "cancelled", "speakers", "details", "seats")
# What delegates are told about: the on-site seats alone change nothing in their agenda.
MAILED_KINDS = frozenset(CHANGE_KINDS) - {"seats"}
MAIL_BATCH = 500


def change_kind_labels() -> dict[str, str]:
    return {
        "new": _("New sessions"),
        "moved": _("Moved (time or room)"),
        "cancelled": _("Cancelled"),
        "speakers": _("Speakers changed"),
        "details": _("Details changed"),
        "seats": _("On-site seats changed"),
    }


def _slot(session: Session, room_name: str) -> dict[str, Any]:
    return {"start": session.start.isoformat(), "end": session.end.isoformat(), "room": room_name}


def _change(item: EditorSession, copy: WorkingCopy) -> dict[str, Any] | None:
    """What a release will change of one session, or None when its draft changes nothing."""
    proposed, released = item.session, item.released
    rooms = {room.id: room.name for room in copy.rooms}
    kinds: list[str] = []
    if released is None:
        kinds.append("new")
    elif proposed.cancelled and not released.cancelled:
        kinds.append("cancelled")
    else:
        if any(getattr(proposed, name) != getattr(released, name) for name in TIMING):
            kinds.append("moved")
        if item.speaker_ids != item.released_speaker_ids:
            kinds.append("speakers")
        if any(getattr(proposed, name) != getattr(released, name) for name in DETAILS):
            kinds.append("details")
        if proposed.capacity != released.capacity:
            kinds.append("seats")
    if not kinds:
        return None
    return {
        "code": item.code,
        "title": proposed.title,
        # its titles in the event's other languages: each delegate's mail names it in theirs
        "translations": {
            language: {"title": texts["title"]} for language, texts in proposed.translations.items() if "title" in texts
        },
        "kinds": kinds,
        "before": _slot(released, rooms.get(released.room_id, "")) if released is not None else None,
        "after": _slot(proposed, rooms.get(proposed.room_id, "")),
    }


def change_log(copy: WorkingCopy) -> list[dict[str, Any]]:
    """The pending changes, in programme order."""
    return [change for item in copy.drafts if (change := _change(item, copy)) is not None]


def grouped(changes: Sequence[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(kind, label, changes) for each kind that has any; a session moved and re-speakered shows under both."""
    labels = change_kind_labels()
    return [
        (kind, labels[kind], members)
        for kind in CHANGE_KINDS
        if (members := [change for change in changes if kind in change["kinds"]])
    ]


@dataclass(frozen=True, slots=True)
class Holder:
    """A delegate with a changed session in their agenda: what their mail needs."""

    registration_id: int
    name: str
    email: str
    language: str  # the account's choice, else the registration's
    time_zone: str  # the zone the person reads times in; "" for the event's own


async def _holders(db: AsyncSession, *, event: Event, session_ids: Sequence[int]) -> list[tuple[int, Holder]]:
    """(session id, holder) for every pick of the sessions by someone still registered."""
    if not session_ids:
        return []
    picks = (
        select(SessionChoice.session_id, SessionChoice.registration_id)
        .where(SessionChoice.event_id == event.id, col(SessionChoice.session_id).in_(session_ids))
        .order_by(col(SessionChoice.registration_id))
    )
    people = (
        select(Registration, Account.time_zone, Account.language)
        .join(Account, col(Account.id) == col(Registration.account_id))
        .where(
            Registration.event_id == event.id,
            Registration.status != RegistrationStatus.cancelled,
            col(Registration.id).in_(
                select(SessionChoice.registration_id).where(col(SessionChoice.session_id).in_(session_ids))
            ),
        )
    )
    holders = {
        person.id: Holder(person.id or 0, person.name, person.email, chosen or person.language, time_zone)
        for person, time_zone, chosen in (await db.exec(people)).all()
    }
    return [
        (session_id, holders[registration_id])
        for session_id, registration_id in (await db.exec(picks)).all()
        if registration_id in holders
    ]


async def _seats_taken(db: AsyncSession, *, session_ids: Sequence[int]) -> dict[int, int]:
    """On-site seats confirmed per session, in one query."""
    if not session_ids:
        return {}
    rows = await db.exec(
        select(SessionChoice.session_id, func.count())
        .where(
            col(SessionChoice.session_id).in_(session_ids),
            SessionChoice.attendance == Attendance.onsite,
            SessionChoice.status == ChoiceStatus.confirmed,
        )
        .group_by(col(SessionChoice.session_id))
    )
    return {session_id: int(count) for session_id, count in rows.all()}


def mailed(changes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The changes delegates are told about."""
    return [change for change in changes if MAILED_KINDS.intersection(change["kinds"])]


def released_ids(copy: WorkingCopy, changes: Sequence[dict[str, Any]]) -> dict[int, str]:
    """The public sessions the changes touch: id → code (new sessions are in nobody's agenda yet)."""
    ids = {}
    for change in changes:
        released = copy.by_code[change["code"]].released
        if released is not None and released.id is not None:
            ids[released.id] = change["code"]
    return ids


async def mail_count(db: AsyncSession, *, event: Event, changes: Sequence[dict[str, Any]], copy: WorkingCopy) -> int:
    """How many delegates the release would write to."""
    ids = list(released_ids(copy, mailed(changes)))
    if not ids:
        return 0
    query = (
        select(func.count(func.distinct(SessionChoice.registration_id)))
        .join(Registration, col(Registration.id) == col(SessionChoice.registration_id))
        .where(col(SessionChoice.session_id).in_(ids), Registration.status != RegistrationStatus.cancelled)
    )
    return int((await db.exec(query)).one())


@dataclass(frozen=True)
class ReleasePreview:
    number: int  # the number the release would get
    changes: list[dict[str, Any]]
    mails: int


async def preview_release(db: AsyncSession, *, actor: Actor, event: Event, copy: WorkingCopy) -> ReleasePreview:
    require(actor, can_release_programme, event)
    changes = change_log(copy)
    return ReleasePreview(
        number=event.programme_release + 1,
        changes=changes,
        mails=await mail_count(db, event=event, changes=changes, copy=copy),
    )


async def past_releases(db: AsyncSession, *, actor: Actor, event: Event) -> list[ProgrammeRelease]:
    require(actor, can_release_programme, event)
    rows = await db.exec(
        select(ProgrammeRelease)
        .where(ProgrammeRelease.event_id == event.id)
        .order_by(col(ProgrammeRelease.number).desc())
    )
    return list(rows.all())


def _mail_for(
    registration: Holder, changes: list[dict[str, Any]], *, event: Event, number: int, links: Links
) -> tuple[str, str]:
    """Subject and body in the delegate's language, the new times in the zone they chose (else the event's)."""
    language = i18n.find_language(registration.language) or i18n.DEFAULT_LANGUAGE
    token = i18n.activate(language)
    try:
        zone = reader_zone(registration.time_zone, event.timezone)
        what = {
            "moved": _("new time or room"),
            "speakers": _("speakers changed"),
            "details": _("details changed"),
        }
        lines = [
            _("Dear %(name)s,") % {"name": registration.name},
            "",
            _("The programme of %(event)s has changed (release %(number)s). Sessions in your agenda:")
            % {"event": i18n.localised(event, "title"), "number": number},
            "",
        ]
        for change in changes:
            after = change["after"]
            title = i18n.localised_value(change["title"], change.get("translations"), "title")
            if "cancelled" in change["kinds"]:
                lines.append("“{}”: {}".format(title, _("Cancelled")))
                lines.append(
                    "  "
                    + _("It was to start at %(when)s. It has left your agenda, and any seat you held is released.")
                    % {"when": formats.datetime(dt.datetime.fromisoformat(change["before"]["start"]), zone)}
                )
            else:
                lines.append(
                    "“{}”: {}".format(title, ", ".join(what[kind] for kind in change["kinds"] if kind in what))
                )
                times = formats.time_range(
                    dt.datetime.fromisoformat(after["start"]), dt.datetime.fromisoformat(after["end"]), zone
                )
                times += f" ({zone.key})"
                lines.append(f"  {_('Time')}: {times}")
                lines.append(f"  {_('Room')}: {after['room']}")
                lines.append("  " + links.session_page(event.slug, change["code"]))
            lines.append("")
        lines.append(_("Your agenda: %(link)s") % {"link": links.registration_page(event.slug)})
        subject = _("Programme changes: %(event)s") % {"event": i18n.localised(event, "title")}
        return subject[:300], "\n".join(lines) + "\n"
    finally:
        i18n.deactivate(token)


async def _short_of_seats(db: AsyncSession, copy: WorkingCopy, code_of: dict[int, str]) -> list[str]:
    """The sessions whose drafts offer fewer seats than are taken now: seats may have been taken since the draft
    was saved (the save checked them then)."""
    rooms = {room.id: room for room in copy.rooms}
    fewer = {}
    for session_id, code in code_of.items():
        item = copy.by_code[code]
        released = item.released
        assert released is not None
        seats = seat_capacity(item.session, item.view.room)
        if not item.session.cancelled and seats < seat_capacity(released, rooms[released.room_id]):
            fewer[session_id] = (item, seats)
    taken = await _seats_taken(db, session_ids=list(fewer))
    return [
        f"“{item.session.title}” ({taken[session_id]})"
        for session_id, (item, seats) in fewer.items()
        if seats < taken.get(session_id, 0)
    ]


async def _apply(db: AsyncSession, *, item: EditorSession, now: dt.datetime) -> Session:
    """Writes the draft's values to the public session (a new one is created)."""
    draft = item.draft
    assert draft is not None
    session = item.released
    if session is None:
        session = Session(event_id=draft.event_id, code=draft.code, **{name: getattr(draft, name) for name in FIELDS})
    else:
        for name in FIELDS:
            setattr(session, name, getattr(draft, name))
        session.version += 1
    session.sequence += 1
    session.modified_at = now
    db.add(session)
    if item.released is None:
        await db.flush()  # the new session's id, for its speakers
    if item.released is None or item.speaker_ids != item.released_speaker_ids:
        await db.exec(delete(SessionSpeaker).where(col(SessionSpeaker.session_id) == session.id))
        db.add_all(
            SessionSpeaker(session_id=session.id or 0, person_id=person_id, position=position)
            for position, person_id in enumerate(item.speaker_ids)
        )
    return session


async def release_programme(db: AsyncSession, *, actor: Actor, event: Event, links: Links) -> ProgrammeRelease:
    """Publishes every draft as release N+1 and queues the delegates' mails, all in one transaction."""
    require(actor, can_release_programme, event)
    await begin_write(db)
    try:
        event = (await db.exec(select(Event).where(Event.id == event.id).with_for_update())).one()
        copy = await load_working_copy(db, event=event)
        changes = change_log(copy)
        if not copy.drafts:
            raise InvalidInput(_("There are no changes to release."))
        code_of = released_ids(copy, changes)
        full = await _short_of_seats(db, copy, code_of)
        if full:
            raise InvalidInput(
                _("Seats were taken since these sessions' capacity was lowered; raise it again first: %(list)s")
                % {"list": "; ".join(full)}
            )
        now = utcnow()
        by_code = {change["code"]: change for change in changes}
        holders = await _holders(db, event=event, session_ids=list(released_ids(copy, mailed(changes))))
        grown: list[int] = []
        rooms = {room.id: room for room in copy.rooms}
        for item in copy.drafts:
            released = item.released
            before_seats = seat_capacity(released, rooms[released.room_id]) if released is not None else 0
            session = await _apply(db, item=item, now=now)
            if item.code in by_code and "cancelled" in by_code[item.code]["kinds"]:
                await db.exec(delete(SessionChoice).where(col(SessionChoice.session_id) == session.id))
            elif item.released is not None and seat_capacity(session, item.view.room) > before_seats:
                grown.append(session.id or 0)
        await db.exec(delete(SessionDraft).where(col(SessionDraft.event_id) == event.id))
        await db.flush()
        for session_id in grown:  # more seats: the waitlist moves up (each promoted delegate is told)
            while await release_seat(db, event=event, session_id=session_id) is not None:
                await db.flush()
        number = event.programme_release + 1
        per_delegate: dict[int, tuple[Holder, list[dict[str, Any]]]] = {}
        for session_id, registration in holders:
            entry = per_delegate.setdefault(registration.registration_id, (registration, []))
            entry[1].append(by_code[code_of[session_id]])
        mails = []
        for registration, held in per_delegate.values():
            held.sort(key=lambda change: (change["after"]["start"], change["title"]))
            subject, body = _mail_for(registration, held, event=event, number=number, links=links)
            mails.append({"recipient": registration.email, "subject": subject, "body": body, "created_at": now})
        for start in range(0, len(mails), MAIL_BATCH):
            await db.exec(insert(OutboxMail), params=mails[start : start + MAIL_BATCH])
        release = ProgrammeRelease(
            event_id=event.id or 0,
            number=number,
            released_at=now,
            account_id=actor.account.id if actor.account is not None else None,
            released_by=actor.account.email if actor.account is not None else "",
            changes=changes,
            mails=len(mails),
        )
        db.add(release)
        event.programme_release = number
        event.version += 1  # every cached page and API document of the event goes stale at once
        db.add(event)
        record(
            db,
            actor=actor,
            event=event,
            action="release.publish",
            target_type="release",
            target_id=number,
            target_label=_("Release %(number)s") % {"number": number},
            after={"number": number, "changes": len(changes), "mails": len(mails)},
        )
    except Exception:
        await db.rollback()
        raise
    await db.commit()
    return release
