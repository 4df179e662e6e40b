"""The account behind a session cookie, read in one statement as last committed (``server.db.read_latest``): the
live rooms' handshake, where a crowd of signed-in people connects at once. The rule is
``services.session_account``'s: a session neither revoked nor expired, of an account not disabled."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Executable, bindparam, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import Account, AuthSession
from server.accounts.services import plausible_token, signed_in_by
from server.accounts.tokens import token_hash
from server.clock import utcnow
from server.db import read_latest

# Built once (see server.db.read_latest).
_SIGNED_IN: Executable = (
    select(Account)
    .join(AuthSession, col(AuthSession.account_id) == col(Account.id))
    .where(col(AuthSession.token_hash) == bindparam("session_hash"), *signed_in_by(bindparam("now")))
)


async def signed_in_account(db: AsyncSession, *, session_token: str, now: dt.datetime | None = None) -> Account | None:
    """``services.authenticate`` as last committed: None for a forged, expired, revoked or disabled session."""
    if not plausible_token(session_token):
        return None
    rows = await read_latest(db, _SIGNED_IN, {"session_hash": token_hash(session_token), "now": now or utcnow()})
    return Account(**rows[0]._mapping) if rows else None
