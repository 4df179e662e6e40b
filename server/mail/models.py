from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class OutboxMail(SQLModel, table=True):
    # The mails not sent yet, for the sender's poll: the outbox keeps every mail ever sent.
    __table_args__ = (
        Index(
            "ix_outboxmail_unsent",
            "id",
            sqlite_where=text("sent_at IS NULL"),
            postgresql_where=text("sent_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=300)
    body: str
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    # A sender's claim: set before the mail leaves, with the sender's token; another sender takes the mail over
    # only once the claim is older than the lease (its sender died mid-send). ``sent_at`` is set by the claimant
    # once the mail has left, and only by it.
    claimed_at: dt.datetime | None = None
    claim: str = Field(default="", max_length=32)
    sent_at: dt.datetime | None = None
    error: str = Field(default="", max_length=500)


class Message(SQLModel, table=True):
    """An organiser's mail to a segment of an event's people. Its recipients are frozen when it is queued."""

    # ``form_key`` comes with the compose form: a second submission of the same form finds this message.
    __table_args__ = (UniqueConstraint("event_id", "form_key"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    author_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    author_email: str = Field(default="", max_length=254)
    form_key: str = Field(max_length=64)
    segment: str = Field(max_length=30)
    session_id: int | None = Field(default=None, foreign_key="session.id", ondelete="SET NULL")
    segment_label: str = Field(default="", max_length=400)  # as it read when sent, should the session change
    subject: str = Field(max_length=200)
    recipient_count: int = Field(default=0)
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    queued_at: dt.datetime | None = None  # every recipient's mail is in the outbox


class MessageVersion(SQLModel, table=True):
    """The mail as one language's recipients get it (``language`` empty: the default), footer included."""

    __table_args__ = (UniqueConstraint("message_id", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True, ondelete="CASCADE")
    language: str = Field(default="", max_length=16)
    subject: str = Field(max_length=300)
    body: str


class MessageRecipient(SQLModel, table=True):
    """One person a message goes to, with the outbox mail that carries it (none yet: not queued). The mail's
    ``sent_at`` and ``error`` are the recipient's status: one truth, which delivery writes."""

    __table_args__ = (UniqueConstraint("message_id", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True, ondelete="CASCADE")
    address: str = Field(max_length=254)
    name: str = Field(default="", max_length=200)
    language: str = Field(default="", max_length=16)
    outbox_mail_id: int | None = Field(default=None, foreign_key="outboxmail.id", ondelete="SET NULL", index=True)
