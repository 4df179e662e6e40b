"""Which interpretation channels run: planned for a room (every session held there) or for one session."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class ChannelPlan(SQLModel, table=True):
    """The channels' languages (comma-separated BCP 47 codes, each one of the event's languages) for a room when
    ``session_id`` is None, else for one session, whose plan replaces its room's (even when empty: no channels)."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True, ondelete="CASCADE")
    session_id: int | None = Field(default=None, foreign_key="session.id", index=True, ondelete="CASCADE")
    languages: str = Field(default="", max_length=200)

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]
