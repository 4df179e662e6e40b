"""An event's API tokens for integrations: organisers make them (the secret is shown once, only its hash is kept),
list and revoke them; the API finds the token a request carries and what it may do."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.accounts.models import Account, Role
from server.accounts.tokens import token_hash
from server.audit.services import record
from server.clock import utcnow
from server.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from server.events.models import Event
from server.i18n import gettext as _
from server.organising.models import ApiToken, TokenScope
from server.organising.rules import can_manage_api_tokens
from server.permissions import require
from server.text import storable
from server.years import YEARS

PREFIX = "podium_"
NAME_LIMIT = 100
TOKENS_PER_EVENT = 50  # live ones: a limit where a person could flood


@dataclass(frozen=True)
class TokenInput:
    name: str
    scope: TokenScope
    expires_on: dt.date | None

    @classmethod
    def parse(cls, *, name: str, scope: str, expires_on: str, today: dt.date) -> TokenInput:
        name = name.strip()
        if not name:
            raise InvalidInput(_("Please give the token a name, e.g. the integration that uses it."))
        if len(name) > NAME_LIMIT or not storable(name):
            raise InvalidInput(_("The name takes at most %(limit)s characters.") % {"limit": NAME_LIMIT})
        try:
            chosen = TokenScope(scope)
        except ValueError:
            raise InvalidInput(_("Please choose what the token may do.")) from None
        expiry = None
        if expires_on.strip():
            try:
                expiry = dt.date.fromisoformat(expires_on.strip())
            except ValueError:
                raise InvalidInput(_("The expiry date is not a date (YYYY-MM-DD).")) from None
            if expiry <= today or expiry.year not in YEARS:
                raise InvalidInput(_("The expiry date must lie in the future."))
        return cls(name=name, scope=chosen, expires_on=expiry)


def _target(token: ApiToken) -> dict[str, object]:
    return {"name": token.name, "scope": token.scope, "expires_at": token.expires_at}


async def create_token(db: AsyncSession, *, actor: Actor, event: Event, data: TokenInput) -> tuple[ApiToken, str]:
    """The new token and its secret, which is never stored and never shown again."""
    require(actor, can_manage_api_tokens, event)
    live = await db.exec(
        select(col(ApiToken.id)).where(ApiToken.event_id == event.id, col(ApiToken.revoked_at).is_(None))
    )
    if len(live.all()) >= TOKENS_PER_EVENT:
        raise InvalidInput(_("This event has %(count)s tokens; revoke one first.") % {"count": TOKENS_PER_EVENT})
    secret = PREFIX + secrets.token_urlsafe(32)
    expires_at = dt.datetime.combine(data.expires_on, dt.time(), tzinfo=dt.UTC) if data.expires_on is not None else None
    token = ApiToken(
        event_id=event.id or 0,
        name=data.name,
        scope=data.scope.value,
        token_hash=token_hash(secret),
        created_by=actor.account_id,
        expires_at=expires_at,
    )
    db.add(token)
    await db.flush()
    record(
        db,
        actor=actor,
        event=event,
        action="api_token.create",
        target_type="api_token",
        target_id=token.id,
        target_label=token.name,
        after=_target(token),
    )
    await db.commit()
    await db.refresh(token)
    return token, secret


async def event_tokens(db: AsyncSession, *, actor: Actor, event: Event) -> list[ApiToken]:
    require(actor, can_manage_api_tokens, event)
    rows = await db.exec(select(ApiToken).where(ApiToken.event_id == event.id).order_by(col(ApiToken.id).desc()))
    return list(rows.all())


async def revoke_token(db: AsyncSession, *, actor: Actor, event: Event, token_id: int) -> ApiToken:
    """Only the event's own tokens; revoking twice changes nothing more."""
    require(actor, can_manage_api_tokens, event)
    token = (
        await db.exec(select(ApiToken).where(ApiToken.id == token_id, ApiToken.event_id == event.id).with_for_update())
    ).first()
    if token is None:
        raise NotFound(_("There is no such token in this event."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.add(token)
        record(
            db,
            actor=actor,
            event=event,
            action="api_token.revoke",
            target_type="api_token",
            target_id=token.id,
            target_label=token.name,
            before={"revoked": False},
            after={"revoked": True},
        )
    await db.commit()
    return token


@dataclass(frozen=True)
class TokenActor:
    """Who acts through a token: the event's organiser powers, named by the token in the audit log."""

    token: ApiToken
    actor: Actor

    @property
    def label(self) -> str:
        return _("API token “%(name)s”") % {"name": self.token.name}


async def token_actor(db: AsyncSession, *, event: Event, secret: str, write: bool) -> TokenActor:
    """The token ``secret`` names, for ``event``: 401 when unknown, revoked or expired; "not found" when it is
    another event's (as that event's objects are); 403 when a read token asks to write."""
    if not secret:
        raise Unauthorized(_("This address needs an API token: send Authorization: Bearer <token>."))
    token = None
    if len(secret) <= 200 and storable(secret):
        token = (await db.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))).first()
    if token is None:
        raise Unauthorized(_("This API token is not valid."))
    if token.event_id != event.id:
        raise NotFound(_("There is no page at this address."))
    if token.revoked_at is not None:
        raise Unauthorized(_("This API token was revoked."))
    if token.expires_at is not None and token.expires_at <= utcnow():
        raise Unauthorized(_("This API token has expired."))
    if write and token.scope != TokenScope.read_write:
        raise Forbidden(_("This API token may only read."))
    creator = await db.get(Account, token.created_by) if token.created_by is not None else None
    return TokenActor(token=token, actor=Actor(account=creator, roles=frozenset({Role.organiser})))
