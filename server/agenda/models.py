from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class SessionKind(enum.StrEnum):
    """The built-in kinds of session, and the behaviour each gives the event's own kinds (``EventSessionKind``):
    breaks cannot be picked and hold no seat, exhibitions hold no seat, the others are ordinary sessions."""

    plenary = "plenary"
    parallel = "parallel"
    ceremony = "ceremony"
    video_address = "video-address"
    exhibition = "exhibition"
    break_ = "break"


class Room(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("event_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    slug: str = Field(max_length=64)
    name: str = Field(max_length=200)
    description: str = Field(default="")
    # Seats on site; 0 means a virtual room with no physical seats.
    capacity: int = Field(default=0, ge=0)
    position: int = Field(default=0)
    streamed: bool = Field(default=False)  # whether the room's sessions are streamed to online delegates
    version: int = Field(default=1)  # optimistic concurrency: a save carrying an older version is refused
    # The texts in the event's other languages, {language: {field: text}} (server/i18n.py ``localised``).
    translations: dict[str, dict[str, str]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Track(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("event_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    slug: str = Field(max_length=64)
    name: str = Field(max_length=200)
    color: str = Field(default="#4a5568", max_length=7)
    position: int = Field(default=0)
    version: int = Field(default=1)
    # The texts in the event's other languages, {language: {field: text}} (server/i18n.py ``localised``).
    translations: dict[str, dict[str, str]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class EventSessionKind(SQLModel, table=True):
    """One of an event's kinds of session; ``Session.kind`` holds its slug. ``behaviour`` is the built-in kind
    (a ``SessionKind`` value) whose handling it shares."""

    __table_args__ = (UniqueConstraint("event_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    slug: str = Field(max_length=20)
    name: str = Field(max_length=200)
    color: str = Field(default="", max_length=7)  # "" when the kind has no colour of its own
    behaviour: str = Field(max_length=20)
    position: int = Field(default=0)
    version: int = Field(default=1)
    # The texts in the event's other languages, {language: {field: text}} (server/i18n.py ``localised``).
    translations: dict[str, dict[str, str]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Person(SQLModel, table=True):
    """A speaker as the agenda shows them."""

    __table_args__ = (UniqueConstraint("event_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    slug: str = Field(max_length=64)
    name: str = Field(max_length=200)
    organisation: str = Field(default="", max_length=200)
    country: str = Field(default="", max_length=2)
    biography: str = Field(default="")
    position: int = Field(default=0)
    # The account that speaks as this person (studio access); set by organisers, never exported.
    account_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    # The photo's stored name (server/agenda/photos.py writes it, with a thumbnail); "" when there is none.
    photo: str = Field(default="", max_length=64)
    version: int = Field(default=1)


class Session(SQLModel, table=True):
    """An agenda item. Times are aware datetimes, stored in UTC, shown in a time zone of the viewer's choice."""

    __table_args__ = (UniqueConstraint("event_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    code: str = Field(max_length=64)
    guid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    title: str = Field(max_length=300)
    abstract: str = Field(default="")
    kind: str = Field(max_length=20)
    start: dt.datetime = Field(index=True)
    end: dt.datetime
    room_id: int = Field(foreign_key="room.id", index=True)
    track_id: int | None = Field(default=None, foreign_key="track.id")
    language: str = Field(default="en", max_length=16)
    position: int = Field(default=0)
    # On-site seats when not the room's: a smaller share of a big hall, or a room's seats for a workshop.
    capacity: int | None = Field(default=None, ge=0)
    # A cancelled session keeps its page (marked cancelled); it holds no seats and takes no picks.
    cancelled: bool = Field(default=False)
    # Optimistic concurrency for the programme editor: every organiser's change to the session bumps it.
    version: int = Field(default=1)
    # Bumped by each programme release that changes the session (iCalendar SEQUENCE), and when that was.
    sequence: int = Field(default=0)
    modified_at: dt.datetime | None = None
    # The texts in the event's other languages, {language: {field: text}} (server/i18n.py ``localised``).
    translations: dict[str, dict[str, str]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


def seat_capacity(session: Session, room: Room) -> int:
    """The on-site seats a session offers: its own override, or its room's."""
    return room.capacity if session.capacity is None else session.capacity


class SessionSpeaker(SQLModel, table=True):
    session_id: int = Field(foreign_key="session.id", primary_key=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    position: int = Field(default=0)


class MaterialKind(enum.StrEnum):
    file = "file"
    link = "link"


class SessionMaterial(SQLModel, table=True):
    """A file or a link that goes with a session (slides, a paper, a recording elsewhere), in order."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="session.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=8)  # a MaterialKind value
    title: str = Field(max_length=200)
    url: str = Field(default="", max_length=2000)  # a link's address
    stored_name: str = Field(default="", max_length=64)  # a file's name in the media folder
    filename: str = Field(default="", max_length=200)  # a file's name as uploaded, offered when downloading
    content_type: str = Field(default="", max_length=100)
    size: int = Field(default=0)
    delegates_only: bool = Field(default=False)  # shown to the event's confirmed delegates (and staff) only
    position: int = Field(default=0)
