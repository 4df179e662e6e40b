from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class Attendance(enum.StrEnum):
    onsite = "onsite"
    online = "online"


class RegistrationStatus(enum.StrEnum):
    unconfirmed = "unconfirmed"  # waits for the emailed link
    confirmed = "confirmed"
    cancelled = "cancelled"


class ChoiceStatus(enum.StrEnum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"


class Registration(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("event_id", "account_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    country: str = Field(max_length=2)
    organisation: str = Field(default="", max_length=200)
    job_title: str = Field(default="", max_length=200)
    attendance: str = Field(max_length=10)
    language: str = Field(default="en", max_length=16)
    accessibility_needs: str = Field(default="", max_length=1000)
    listed: bool = Field(default=False)  # consented to appear in the participant list
    status: str = Field(default=RegistrationStatus.unconfirmed, max_length=12, index=True)
    # Random, and part of the signed check-in code printed on the badge.
    badge_nonce: str = Field(max_length=32)
    # Secret of the personal calendar feed; rotating it revokes the old webcal address.
    feed_token: str = Field(max_length=64, index=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    confirmed_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    checked_in_at: dt.datetime | None = None


class SessionChoice(SQLModel, table=True):
    """A registration's pick of a session. On-site picks hold a seat or a place on the waitlist."""

    __table_args__ = (UniqueConstraint("registration_id", "session_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    registration_id: int = Field(foreign_key="registration.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="session.id", index=True, ondelete="CASCADE")
    attendance: str = Field(max_length=10)
    status: str = Field(max_length=12)
    # The waitlist is served in this order; ids are handed out in commit order under the write lock.
    created_at: dt.datetime = Field(default_factory=utcnow)
    promoted_at: dt.datetime | None = None
