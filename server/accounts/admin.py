"""Instance admins: account-wide actions (disable, enable) on any account, whatever the event. An event's
organiser cannot take these; they remove a person from their own event (server/registration/removal.py)."""

from __future__ import annotations

from sqlmodel import col, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.accounts.emails import normalise_email
from server.accounts.models import Account
from server.accounts.revocations import Reason
from server.accounts.rules import can_disable_accounts
from server.accounts.services import revoke_sessions
from server.db import begin_write
from server.errors import InvalidInput, NotFound
from server.i18n import gettext as _
from server.permissions import require

MAX_LISTED = 100
MAX_QUERY = 254


async def set_account_disabled(db: AsyncSession, *, actor: Actor, account_id: int, disabled: bool) -> Account:
    """An instance admin disables (or re-enables) an account; its sessions end at once, and its open live
    connections close within a second or two."""
    require(actor, can_disable_accounts)
    if account_id == actor.account_id:
        raise InvalidInput(_("You cannot disable your own account."))
    await begin_write(db)
    account = (await db.exec(select(Account).where(col(Account.id) == account_id).with_for_update())).first()
    if account is None:
        raise NotFound(_("There is no such account."))
    account.disabled = disabled
    db.add(account)
    if disabled:
        await revoke_sessions(db, account_id=account_id, reason=Reason.disabled)
    await db.commit()
    return account


async def grant_admin(db: AsyncSession, *, email: str, name: str = "") -> Account:
    """Operator's tool (command line): makes the account (created if needed) an instance admin. Idempotent."""
    email = normalise_email(email)
    await begin_write(db)
    account = (await db.exec(select(Account).where(Account.email == email))).first()
    if account is None:
        account = Account(email=email, name=name)
    account.admin = True
    db.add(account)
    await db.commit()
    return account


async def find_accounts(db: AsyncSession, *, actor: Actor, query: str = "") -> list[Account]:
    """Accounts whose address or name contains ``query`` (all when empty), newest first, at most ``MAX_LISTED``."""
    require(actor, can_disable_accounts)
    query = query.replace("\x00", "").strip()[:MAX_QUERY].lower()
    statement = select(Account).order_by(col(Account.id).desc()).limit(MAX_LISTED)
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(
                col(Account.email).like(pattern, escape="\\"),
                func.lower(col(Account.name)).like(pattern, escape="\\"),
            )
        )
    return list((await db.exec(statement)).all())
