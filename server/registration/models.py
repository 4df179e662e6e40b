from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class Attendance(enum.StrEnum):
    onsite = "onsite"
    online = "online"


class RegistrationStatus(enum.StrEnum):
    unconfirmed = "unconfirmed"  # waits for the emailed link
    pending = "pending"  # confirmed by email, waits for an organiser's approval
    waitlisted = "waitlisted"  # the event's limit for the person's attendance mode was reached
    confirmed = "confirmed"
    rejected = "rejected"  # an organiser declined it
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
    # The order of the event's waitlist (per attendance mode): handed out under the event's row lock.
    waitlist_number: int | None = None


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


class FieldMode(enum.StrEnum):
    """Whether the register form asks a standard field, and whether it must be filled."""

    hidden = "hidden"
    optional = "optional"
    required = "required"


class QuestionKind(enum.StrEnum):
    text = "text"
    choice = "choice"
    checkbox = "checkbox"


class RegistrationSettings(SQLModel, table=True):
    """An event's registration: its window, limits, form, approval and confirmation text. Without a row, the
    defaults apply (always open, no limits, the standard form, automatic approval)."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", unique=True, ondelete="CASCADE")
    opens_at: dt.datetime | None = None  # UTC
    closes_at: dt.datetime | None = None  # UTC
    onsite_limit: int | None = None
    online_limit: int | None = None
    requires_approval: bool = Field(default=False)
    # Standard field name -> FieldMode value; a field missing here has its default mode.
    fields: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Event language -> the organiser's paragraph added to the confirmation mail.
    confirmation_text: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = Field(default=1)  # optimistic concurrency: a save carrying an older version is refused
    updated_at: dt.datetime = Field(default_factory=utcnow)


class RegistrationQuestion(SQLModel, table=True):
    """A custom question of an event's register form, its label, help and options per event language."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=10)
    label: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    help: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Choice questions: one {language: text} per option; an answer keeps the option's first-language text.
    options: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    required: bool = Field(default=False)
    position: int = Field(default=0)
    version: int = Field(default=1)


class RegistrationAnswer(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("registration_id", "question_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    registration_id: int = Field(foreign_key="registration.id", index=True, ondelete="CASCADE")
    question_id: int = Field(foreign_key="registrationquestion.id", index=True, ondelete="CASCADE")
    value: str = Field(default="", max_length=2000)
