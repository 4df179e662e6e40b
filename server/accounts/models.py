from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class Role(enum.StrEnum):
    delegate = "delegate"
    speaker = "speaker"
    moderator = "moderator"
    organiser = "organiser"
    checkin = "checkin"  # check-in staff: the check-in desk and nothing else
    interpreter = "interpreter"  # speaks into the interpretation channels of its languages (RoleLanguage)
    captioner = "captioner"  # types the live captions of its languages (RoleLanguage)


# Roles held for some languages only: the languages are rows of RoleLanguage beside the EventRole.
LANGUAGE_ROLES = frozenset({Role.interpreter, Role.captioner})


class Account(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    disabled: bool = Field(default=False)
    # An instance admin: account-wide actions (disable, enable) on every account, whatever the event.
    admin: bool = Field(default=False)
    # The time zone the person chose to read times in (an IANA name); "" for each event's own zone.
    time_zone: str = Field(default="", max_length=64)
    # The interface language the person last chose (the switch, or their registration form's language), a code of
    # server.i18n.LANGUAGES; "" for none yet. Mails to them are written in it.
    language: str = Field(default="", max_length=16)
    created_at: dt.datetime = Field(default_factory=utcnow)


class EventRole(SQLModel, table=True):
    """What an account may do in one event; an account may hold several roles there."""

    __table_args__ = (UniqueConstraint("event_id", "account_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=20)


class RoleLanguage(SQLModel, table=True):
    """A language an interpreter or captioner serves in one event (BCP 47, one of the event's languages)."""

    __table_args__ = (UniqueConstraint("event_id", "account_id", "role", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=20)
    language: str = Field(max_length=16)


class SessionRole(SQLModel, table=True):
    """A role in one session of an event (a session's moderator): it counts only in that session's pages and room
    (``server.registration.roles.roles_in``)."""

    __table_args__ = (UniqueConstraint("session_id", "account_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="session.id", ondelete="CASCADE")
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=20)


class SignInLink(SQLModel, table=True):
    """A one-time sign-in link. Only the token's hash is stored; rows double as the rate-limit record."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    email: str = Field(max_length=254, index=True)
    requester_ip: str = Field(default="", max_length=64, index=True)
    next_path: str = Field(default="/", max_length=500)
    # Set when the link also confirms a registration made while signed out.
    confirms_registration_id: int | None = Field(default=None, foreign_key="registration.id", ondelete="CASCADE")
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    expires_at: dt.datetime
    used_at: dt.datetime | None = None


class AuthSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; the table holds its hash, so a leak of
    the table signs nobody in, and deleting or revoking a row signs that browser out at once."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None
    user_agent: str = Field(default="", max_length=300)


class Revocation(SQLModel, table=True):
    """Written in the transaction that takes something away from an account (a session, the account itself,
    a role or a registration in ``event_id``), so every live process re-checks that account's open
    connections: each polls ``WHERE id > last`` (realtime/live/revocations.py). Rows older than a few
    minutes serve nobody; live processes prune them now and then."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    event_id: int | None = Field(default=None, foreign_key="event.id", ondelete="CASCADE")
    reason: str = Field(max_length=20)
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
