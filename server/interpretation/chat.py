"""A booth's chat: its interpreters and the session's moderators (numbers, names, "slow down", "mic on?"). Text stays
text: the consoles insert it with ``textContent``."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.agenda.models import Session
from server.broadcast import Message
from server.errors import InvalidInput
from server.events.models import Event
from server.i18n import gettext as _
from server.interpretation.booths import booth_group, booth_moderators
from server.interpretation.channels import running_channels
from server.interpretation.models import BoothMessage
from server.interpretation.rules import can_interpret, can_set_floor_language
from server.live.inputs import check_client_id, clean_text
from server.permissions import require

MAX_MESSAGE = 500
HISTORY = 50
CHAT_EVENT = "booth.chat"


def message_view(message: BoothMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "session": message.session_id,
        "language": message.language,
        "author": {"id": message.author_id, "name": message.author_name},
        "text": message.text,
        "client_id": message.client_id,
        "at": message.created_at.isoformat(),
    }


async def may_join(db: AsyncSession, *, actor: Actor, event: Event, session: Session, language: str | None) -> None:
    """A booth's console joins its booth (``language``); a moderator joins every booth of the session (None)."""
    if language is None:
        require(actor, can_set_floor_language, session)
        return
    if language not in await running_channels(db, event=event, session=session):
        raise InvalidInput(_("No channel runs in this language in this session."))
    require(actor, can_interpret, language)


async def send(
    db: AsyncSession, *, actor: Actor, event: Event, session: Session, language: str, text: str, client_id: str
) -> tuple[dict[str, Any], list[Message]]:
    """Stores the line once per ``client_id`` (a retry after a reconnect is not a second line) and says who hears it."""
    check_client_id(client_id)
    if not can_set_floor_language(actor, session):
        await may_join(db, actor=actor, event=event, session=session, language=language)
    elif language not in await running_channels(db, event=event, session=session):
        raise InvalidInput(_("No channel runs in this language in this session."))
    text = clean_text(text, limit=MAX_MESSAGE)
    earlier = (
        await db.exec(
            select(BoothMessage).where(
                BoothMessage.session_id == session.id,
                BoothMessage.author_id == actor.account_id,
                BoothMessage.client_id == client_id,
            )
        )
    ).first()
    if earlier is not None:
        return message_view(earlier), []
    account = actor.account
    message = BoothMessage(
        event_id=event.id or 0,
        session_id=session.id or 0,
        language=language,
        author_id=actor.account_id,
        author_name=(account.name or account.email.split("@")[0]) if account else "",
        text=text,
        client_id=client_id,
    )
    db.add(message)
    await db.commit()
    view = message_view(message)
    groups = (booth_group(session.id or 0, language), booth_moderators(session.id or 0))
    return view, [Message(to=group, event=CHAT_EVENT, data=view) for group in groups]


async def history(db: AsyncSession, *, session: Session, language: str | None) -> list[dict[str, Any]]:
    """The last lines of one booth, or of every booth of the session (``language`` None), oldest first."""
    statement = select(BoothMessage).where(BoothMessage.session_id == session.id)
    if language is not None:
        statement = statement.where(BoothMessage.language == language)
    rows = (await db.exec(statement.order_by(col(BoothMessage.id).desc()).limit(HISTORY))).all()
    return [message_view(message) for message in reversed(rows)]
