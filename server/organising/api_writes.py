"""What an integration's API token changes in the programme: sessions and people, in the event file's shape and
checked by its rules (server/agenda/interchange.py), written by ``apply_import`` like any import, so there is one
way the programme is written from outside and one set of rules for it."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from server.agenda.file_checks import At
from server.agenda.interchange import FORMAT, check_person, check_session
from server.agenda.kinds import event_kinds
from server.agenda.schedule_files import WantedSchedule, WantedSession
from server.agenda.services import load_programme
from server.errors import Conflict, InvalidInput, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.organising.api_tokens import TokenActor
from server.organising.schedule_import import EVENT_FIELDS, apply_import

SESSION_DEFAULTS: dict[str, Any] = {"abstract": "", "track": None, "speakers": []}
PERSON_DEFAULTS: dict[str, Any] = {"organisation": "", "country": "", "biography": ""}


async def current_schedule(db: AsyncSession, *, event: Event) -> WantedSchedule:
    """The event's programme as a wanted schedule: applying it changes nothing."""
    programme = await load_programme(db, event=event)
    return WantedSchedule(
        source=FORMAT,
        event={"slug": event.slug, **{name: getattr(event, name) for name in EVENT_FIELDS}},
        rooms=[
            {"slug": r.slug, "name": r.name, "description": r.description, "capacity": r.capacity}
            for r in programme.rooms
        ],
        tracks=[{"slug": t.slug, "name": t.name, "color": t.color} for t in programme.tracks],
        people=[
            {
                "slug": p.slug,
                "name": p.name,
                "organisation": p.organisation,
                "country": p.country,
                "biography": p.biography,
            }
            for p in programme.people
        ],
        sessions=[
            WantedSession(
                code=view.session.code,
                guid=view.session.guid,
                title=view.session.title,
                abstract=view.session.abstract,
                kind=view.session.kind,
                start=view.session.start,
                end=view.session.end,
                room=view.room.slug,
                track=view.track.slug if view.track is not None else None,
                language=view.session.language,
                speakers=[person.slug for person in view.speakers],
                translations=view.session.translations,
            )
            for view in sorted(programme.sessions, key=lambda view: (view.session.position, view.session.id or 0))
        ],
    )


def _names(wanted: WantedSchedule) -> dict[str, set[str]]:
    return {
        "rooms": {room["slug"] for room in wanted.rooms},
        "tracks": {track["slug"] for track in wanted.tracks},
        "people": {person["slug"] for person in wanted.people},
    }


def _as_file(event: Event, entry: WantedSession) -> dict[str, Any]:
    local = ZoneInfo(event.timezone)
    return {
        "code": entry.code,
        "title": entry.title,
        "abstract": entry.abstract,
        "kind": entry.kind,
        "start": entry.start.astimezone(local).strftime("%Y-%m-%dT%H:%M"),
        "end": entry.end.astimezone(local).strftime("%Y-%m-%dT%H:%M"),
        "room": entry.room,
        "track": entry.track,
        "language": entry.language,
        "speakers": list(entry.speakers),
        "translations": entry.translations or {},
    }


async def _apply(
    db: AsyncSession, *, who: TokenActor, event: Event, wanted: WantedSchedule, action: str, label: str
) -> None:
    await db.commit()  # the reads above end; apply_import starts the write
    await apply_import(
        db,
        actor=who.actor,
        event=event,
        wanted=wanted,
        action=action,
        label=label,
        actor_label=who.label,
        keep_picked=False,
    )


async def write_session(
    db: AsyncSession, *, who: TokenActor, event: Event, code: str | None, body: dict[str, Any] | None
) -> str:
    """Creates (``code`` None), updates (a partial body) or deletes (``body`` None) a session; its code."""
    wanted = await current_schedule(db, event=event)
    index = next((i for i, s in enumerate(wanted.sessions) if s.code == code), None) if code is not None else None
    if code is not None and index is None:
        raise NotFound(_("There is no session '%(code)s' in this event.") % {"code": code})
    if body is None:
        assert index is not None
        removed = wanted.sessions.pop(index)
        await _apply(db, who=who, event=event, wanted=wanted, action="session.delete", label=removed.title)
        return removed.code
    if index is None:
        raw = {**SESSION_DEFAULTS, "language": event.language_list[0] if event.language_list else "en", **body}
    else:
        raw = {**_as_file(event, wanted.sessions[index]), **body}
    kinds = [kind.slug for kind in await event_kinds(db, event_id=event.id or 0)]
    entry = check_session(raw, event=event, names=_names(wanted), kinds=kinds, at=At("", 1))
    clash = next((s for i, s in enumerate(wanted.sessions) if s.code == entry.code and i != index), None)
    if clash is not None:
        raise Conflict(_("The code '%(code)s' is already another session's.") % {"code": entry.code})
    session = WantedSession(
        code=entry.code,
        guid=wanted.sessions[index].guid if index is not None else None,
        title=entry.title,
        abstract=entry.abstract,
        kind=entry.kind,
        start=entry.start,
        end=entry.end,
        room=entry.room,
        track=entry.track,
        language=entry.language,
        speakers=list(entry.speakers),
        translations=entry.translations,
    )
    if index is None:
        wanted.sessions.append(session)
    else:
        wanted.sessions[index] = session
    action = "session.create" if index is None else "session.update"
    await _apply(db, who=who, event=event, wanted=wanted, action=action, label=session.title)
    return session.code


async def write_person(
    db: AsyncSession, *, who: TokenActor, event: Event, slug: str | None, body: dict[str, Any] | None
) -> str:
    """Creates, updates (partial body) or deletes (``body`` None: they leave their sessions' speakers) a person."""
    wanted = await current_schedule(db, event=event)
    index = next((i for i, p in enumerate(wanted.people) if p["slug"] == slug), None) if slug is not None else None
    if slug is not None and index is None:
        raise NotFound(_("There is no person '%(slug)s' in this event.") % {"slug": slug})
    if body is None:
        assert index is not None
        removed = wanted.people.pop(index)
        for session in wanted.sessions:
            session.speakers = [s for s in session.speakers if s != removed["slug"]]
        await _apply(db, who=who, event=event, wanted=wanted, action="person.delete", label=removed["name"])
        return str(removed["slug"])
    if index is not None and "slug" in body and body["slug"] != slug:
        raise InvalidInput(_("slug: a person's slug cannot change; make a new person instead"))
    raw = {**PERSON_DEFAULTS, **body} if index is None else {**wanted.people[index], **body}
    person = check_person(raw, at=At("", 1))
    if index is None and person["slug"] in _names(wanted)["people"]:
        raise Conflict(_("The slug '%(slug)s' is already another person's.") % {"slug": person["slug"]})
    if index is None:
        wanted.people.append(person)
    else:
        wanted.people[index] = person
    action = "person.create" if index is None else "person.update"
    await _apply(db, who=who, event=event, wanted=wanted, action=action, label=person["name"])
    return str(person["slug"])
