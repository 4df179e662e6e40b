from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, LargeBinary
from sqlmodel import Column, Field, SQLModel


class Event(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    title: str = Field(max_length=300)
    acronym: str = Field(default="", max_length=40)
    description: str = Field(default="")
    timezone: str = Field(max_length=64)
    start_date: dt.date
    end_date: dt.date
    venue: str = Field(default="", max_length=300)
    city: str = Field(default="", max_length=120)
    country: str = Field(default="", max_length=2)
    # Comma-separated BCP 47 codes of the languages sessions are held in, e.g. "en,zh".
    languages: str = Field(default="en", max_length=200)
    attendance: str = Field(default="hybrid", max_length=16)
    url: str = Field(default="", max_length=500)
    # Bumped on every agenda change; keys the rendered-page cache across processes.
    version: int = Field(default=1)
    # Set up in the browser (server/organising/events.py): a draft is seen by its staff only (can_see_event).
    published: bool = Field(default=True)
    address: str = Field(default="", max_length=500)
    contact_email: str = Field(default="", max_length=254)
    primary_color: str = Field(default="", max_length=7)  # "#rrggbb", or "" for Podium's own
    secondary_color: str = Field(default="", max_length=7)
    has_logo: bool = Field(default=False)  # its bytes are in EventLogo
    has_banner: bool = Field(default=False)  # its bytes are in EventBanner
    # Bumped on every save of the event's own fields: a save carrying an older number is refused.
    edit_version: int = Field(default=1)
    # The programme release the public sees (frab's version); an event made from a file or the demo is release 1.
    programme_release: int = Field(default=1)
    # Title, description and venue in the event's other languages, {language: {field: text}}.
    translations: dict[str, dict[str, str]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]

    @property
    def days(self) -> list[dt.date]:
        span = (self.end_date - self.start_date).days
        return [self.start_date + dt.timedelta(days=offset) for offset in range(span + 1)]


class EventLogo(SQLModel, table=True):
    """The event's logo, checked to be a PNG, JPEG or WebP image before it is stored (one row per event)."""

    event_id: int = Field(foreign_key="event.id", primary_key=True, ondelete="CASCADE")
    content_type: str = Field(max_length=20)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class EventBanner(SQLModel, table=True):
    """The event's banner, atop its programme: checked like the logo (PNG, JPEG or WebP by its bytes; one per event)."""

    event_id: int = Field(foreign_key="event.id", primary_key=True, ondelete="CASCADE")
    content_type: str = Field(max_length=20)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
