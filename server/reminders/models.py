"""Reminders before a picked session, the browsers that receive Web Push notifications, and the site's VAPID key."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from server.clock import utcnow

REMINDER_MINUTES = (5, 15, 30, 60)  # the choices offered: minutes before the session starts
DEFAULT_MINUTES = 15  # the calendar feed's alarm for a picked session without a reminder


class Channel(enum.StrEnum):
    mail = "mail"
    push = "push"


class Reminder(SQLModel, table=True):
    """A delegate's wish to be told ``minutes`` before a session they picked starts. ``sent_for`` is the start it
    was sent for: a session moved to another time is due again, at its new time."""

    __table_args__ = (UniqueConstraint("registration_id", "session_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    registration_id: int = Field(foreign_key="registration.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="session.id", index=True, ondelete="CASCADE")
    minutes: int = Field(default=DEFAULT_MINUTES)
    by_mail: bool = Field(default=True)
    by_push: bool = Field(default=False)
    sent_for: dt.datetime | None = None  # UTC: the session's start when the reminder went out
    created_at: dt.datetime = Field(default_factory=utcnow)


class PushSubscription(SQLModel, table=True):
    """One browser's Web Push subscription (RFC 8030), for its account: the push service's address and the keys
    that encrypt what is sent to it (RFC 8291). A push service's 404 or 410 deletes it."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    endpoint: str = Field(max_length=1000, unique=True)
    p256dh: str = Field(max_length=200)  # the browser's P-256 public key, base64url
    auth: str = Field(max_length=50)  # the browser's 16-byte authentication secret, base64url
    created_at: dt.datetime = Field(default_factory=utcnow)


class PushKey(SQLModel, table=True):
    """The site's VAPID key pair (RFC 8292), made once on first use: one row, ``id`` 1."""

    id: int = Field(primary_key=True)
    private_key: str = Field(max_length=100)  # the P-256 private value, base64url
    created_at: dt.datetime = Field(default_factory=utcnow)
