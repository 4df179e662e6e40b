"""An exhibition (a session of the exhibition kind): its texts and opening hours, its images in order, its
audio or video guides, and who visited it on which day."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class Exhibition(SQLModel, table=True):
    """An exhibition's own texts and hours; a session of the kind without a row has none yet."""

    session_id: int = Field(foreign_key="session.id", primary_key=True, ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    intro: str = Field(default="")
    # Daily opening hours in the event's time zone ("HH:MM"), on the days the session spans; "" = its own times.
    opens: str = Field(default="", max_length=5)
    closes: str = Field(default="", max_length=5)
    version: int = Field(default=1)  # optimistic concurrency: a save carrying an older version is refused
    # The texts in the event's other languages, {language: {field: text}} (server/i18n.py ``localised``).
    translations: dict[str, dict[str, str]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ExhibitionImage(SQLModel, table=True):
    """One image of the gallery, stored re-encoded in the widths listed (server/exhibitions/images.py)."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="session.id", index=True, ondelete="CASCADE")
    stored_name: str = Field(max_length=64)
    width: int = Field(default=0)  # of the largest stored size
    height: int = Field(default=0)
    widths: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    caption: str = Field(default="", max_length=500)
    credit: str = Field(default="", max_length=300)
    position: int = Field(default=0)
    version: int = Field(default=1)
    translations: dict[str, dict[str, str]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ExhibitionGuide(SQLModel, table=True):
    """An audio or video guide, served with range requests so players can seek."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="session.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    kind: str = Field(max_length=8)  # "audio" or "video"
    stored_name: str = Field(max_length=64)
    content_type: str = Field(max_length=40)
    size: int = Field(default=0)
    position: int = Field(default=0)
    translations: dict[str, dict[str, str]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ExhibitionVisit(SQLModel, table=True):
    """A visitor's first visit of a day (in the event's zone): a person's account, or a browser's cookie."""

    __table_args__ = (UniqueConstraint("session_id", "day", "visitor"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="session.id", index=True, ondelete="CASCADE")
    day: dt.date
    visitor: str = Field(max_length=64)  # "account:<id>" or a hash of the browser's visitor cookie
