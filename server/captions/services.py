"""Live captions: a captioner adds lines, viewers read the recent ones, the replay reads them all as WebVTT.

Captions are a stream of their own, apart from the room's event log: each session and language numbers its lines
(``seq``), so a captioner typing for an hour neither pushes the room's questions out of a reconnecting client's
catch-up nor fills the room's snapshot, and a viewer receives only the language they chose."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.accounts.models import Role, RoleLanguage
from server.agenda.models import Session
from server.broadcast import Message, Outcome
from server.captions.models import CaptionLine, CaptionTrack
from server.captions.rules import can_caption
from server.captions.webvtt import Cue, webvtt
from server.clock import utcnow
from server.db import begin_write
from server.errors import InvalidInput, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.live.access import Participant
from server.live.inputs import clean_text
from server.live.once import create_once
from server.live.rules import in_room
from server.live.views import JSON
from server.permissions import require
from server.registration.roles import actor_in

MAX_LINE = 300  # characters: a caption line, not a paragraph
RECENT = 20  # lines a viewer gets on choosing a language
MAX_CATCH_UP = 200  # a viewer further behind gets the recent lines instead
MAX_LANGUAGE = 35  # characters of a BCP 47 code, as stored


def audience(session_id: int, language: str) -> str:
    """The group of the viewers of one session's captions in one language (a Socket.IO room)."""
    return f"captions:{session_id}:{language}"


def line_view(line: CaptionLine) -> JSON:
    return {
        "session": line.session_id,
        "language": line.language,
        "seq": line.seq,
        "text": line.text,
        "said_at": line.said_at.isoformat(),
    }


def caption_text(text: str) -> str:
    """One line of text: NUL refused, runs of white space (line breaks of a pasted paragraph) made one space."""
    if "\x00" in text:
        raise InvalidInput(_("A caption line cannot contain NUL characters."))
    return clean_text(" ".join(text.split()), limit=MAX_LINE)


def offered(event: Event, language: str) -> str:
    """``language`` when the event offers it, else InvalidInput."""
    if language not in event.language_list:
        raise InvalidInput(_("This event offers no captions in {language}.").format(language=language[:35]))
    return language


async def _session(db: AsyncSession, session_id: int) -> tuple[Session, Event]:
    session = await db.get(Session, session_id)
    if session is None:
        raise NotFound(_("There is no such session."))
    return session, await db.get_one(Event, session.event_id)


async def current_rights(db: AsyncSession, *, actor: Participant, event: Event) -> Participant:
    """The participant with its roles and languages as committed now: a captioner whose role or language was taken
    away stops at their next line, even before the revocation watcher reaches their connection."""
    fresh = await actor_in(db, account=actor.account, event=event, session_id=actor.session_id)
    return dataclasses.replace(actor, roles=fresh.roles, languages=fresh.languages)


async def _next_seq(db: AsyncSession, *, session: Session, language: str) -> int:
    """Locks the track of (session, language), creating it on its first line, and counts one more line."""
    dialect = db.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    await db.exec(
        insert(CaptionTrack)
        .values(session_id=session.id, language=language, event_id=session.event_id, seq=0)
        .on_conflict_do_nothing(index_elements=["session_id", "language"])
    )
    statement = select(CaptionTrack).where(CaptionTrack.session_id == session.id, CaptionTrack.language == language)
    track = (await db.exec(statement.with_for_update().execution_options(populate_existing=True))).one()
    track.seq += 1
    db.add(track)
    return track.seq


async def add_caption_line(
    db: AsyncSession, *, actor: Participant, session_id: int, language: str, text: str, client_id: str
) -> Outcome:
    """Keeps one line and broadcasts it to the viewers of that language. Acknowledged after the commit; the same
    ``client_id`` again answers with the line it made (``duplicate``)."""
    require(actor, in_room, session_id)
    session, event = await _session(db, session_id)
    offered(event, language)
    require(await current_rights(db, actor=actor, event=event), can_caption, language)
    text = caption_text(text)

    async def create() -> Outcome:
        await begin_write(db)
        try:
            seq = await _next_seq(db, session=session, language=language)
            line = CaptionLine(
                event_id=session.event_id,
                session_id=session_id,
                language=language,
                seq=seq,
                text=text,
                author_key=actor.key,
                account_id=actor.account_id,
                client_id=client_id,
                said_at=utcnow(),
            )
            db.add(line)
            await db.commit()
        except BaseException:
            await db.rollback()
            raise
        view = line_view(line)
        return Outcome(answer={"line": view}, messages=[Message(audience(session_id, language), "caption", view)])

    async def answer(line: CaptionLine) -> JSON:
        return {"line": line_view(line)}

    earlier = select(CaptionLine).where(
        CaptionLine.session_id == session_id, CaptionLine.author_key == actor.key, CaptionLine.client_id == client_id
    )
    return await create_once(db, client_id=client_id, earlier=earlier, create=create, answer=answer)


async def follow_captions(
    db: AsyncSession, *, actor: Participant, session_id: int, language: str, since: int | None
) -> Outcome:
    """What a viewer choosing ``language`` reads first: the lines after ``since`` (a reconnect) or the recent ones.
    An empty ``language`` turns captions off."""
    require(actor, in_room, session_id)
    if not language:
        return Outcome(answer={"language": "", "lines": [], "seq": 0})
    _session_row, event = await _session(db, session_id)
    offered(event, language)
    track = await db.get(CaptionTrack, (session_id, language))
    current = track.seq if track is not None else 0
    statement = select(CaptionLine).where(CaptionLine.session_id == session_id, CaptionLine.language == language)
    if since is not None and 0 <= since <= current and current - since <= MAX_CATCH_UP:
        rows = await db.exec(statement.where(col(CaptionLine.seq) > since).order_by(col(CaptionLine.seq)))
        lines = list(rows.all())
    else:
        rows = await db.exec(statement.order_by(col(CaptionLine.seq).desc()).limit(RECENT))
        lines = list(reversed(rows.all()))
    return Outcome(answer={"language": language, "lines": [line_view(line) for line in lines], "seq": current})


async def caption_languages(db: AsyncSession, *, event: Event, session_id: int) -> list[str]:
    """The languages a viewer may choose for a session, in the event's order: those of the event's captioners and
    those the session already has lines in."""
    captioned = await db.exec(
        select(RoleLanguage.language).where(RoleLanguage.event_id == event.id, RoleLanguage.role == Role.captioner)
    )
    kept = await db.exec(select(CaptionTrack.language).where(CaptionTrack.session_id == session_id))
    languages = set(captioned.all()) | set(kept.all())
    return [language for language in event.language_list if language in languages]


def captioner_languages(actor: Actor, event: Event) -> list[str]:
    """The languages ``actor`` may caption, in the event's order."""
    return [language for language in event.language_list if can_caption(actor, language)]


async def session_webvtt(db: AsyncSession, *, session: Session, language: str) -> str:
    """A session's captions in one language as WebVTT (server/captions/webvtt.py says where cue times count from)."""
    event = await db.get_one(Event, session.event_id)
    offered(event, language)
    rows = await db.exec(
        select(CaptionLine)
        .where(CaptionLine.session_id == session.id, CaptionLine.language == language)
        .order_by(col(CaptionLine.seq))
    )
    first = await db.exec(
        select(CaptionLine.said_at)
        .where(CaptionLine.session_id == session.id)
        .order_by(col(CaptionLine.said_at))
        .limit(1)
    )
    earliest = first.first()
    origin = min(session.start, earliest) if earliest is not None else session.start
    cues = [Cue(seq=line.seq, text=line.text, said_at=line.said_at) for line in rows.all()]
    return webvtt(cues, origin=_aware(origin), language=language)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
