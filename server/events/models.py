from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel


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
    # The programme release the public sees (frab's version); an event made from a file or the demo is release 1.
    programme_release: int = Field(default=1)

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]

    @property
    def days(self) -> list[dt.date]:
        span = (self.end_date - self.start_date).days
        return [self.start_date + dt.timedelta(days=offset) for offset in range(span + 1)]
