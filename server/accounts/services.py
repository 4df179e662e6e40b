"""Sign-in by one-time emailed link, server-side sessions, roles per event."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter
from sqlmodel import col, delete, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server import i18n
from server.accounts.emails import normalise_email
from server.accounts.models import Account, AuthSession, EventRole, Role, SignInLink
from server.accounts.revocations import Reason, record_revocation
from server.accounts.tokens import new_token, token_hash
from server.clock import utcnow
from server.db import begin_write
from server.errors import Forbidden, InvalidInput, NotFound, RateLimited
from server.events.models import Event
from server.i18n import gettext as _
from server.links import Links
from server.mail.services import queue_mail
from server.time_zones import is_known_zone

LINK_LIFETIME = dt.timedelta(minutes=30)
SESSION_LIFETIME = dt.timedelta(days=30)
LINKS_PER_EMAIL_PER_HOUR = 5
LINKS_PER_IP_PER_10_MINUTES = 30


def safe_next_path(path: str) -> str:
    """Only paths on this site: never an open redirect to another host."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path or len(path) > 500:
        return "/"
    return path


async def _recent_links(db: AsyncSession, *, since: dt.datetime, **match: str) -> int:
    query = select(func.count()).select_from(SignInLink).where(col(SignInLink.created_at) >= since)
    for field, value in match.items():
        query = query.where(getattr(SignInLink, field) == value)
    return int((await db.exec(query)).one())


async def create_sign_in_link(
    db: AsyncSession,
    *,
    email: str,
    requester_ip: str,
    next_path: str = "/",
    confirms_registration_id: int | None = None,
    now: dt.datetime | None = None,
) -> str:
    """Adds a link row (not committed) after the rate limits, and returns the raw token to mail."""
    now = now or utcnow()
    if await _recent_links(db, since=now - dt.timedelta(hours=1), email=email) >= LINKS_PER_EMAIL_PER_HOUR:
        raise RateLimited(_("Too many sign-in links were sent to this address. Please try again in an hour."))
    if (
        requester_ip
        and await _recent_links(db, since=now - dt.timedelta(minutes=10), requester_ip=requester_ip)
        >= LINKS_PER_IP_PER_10_MINUTES
    ):
        raise RateLimited(_("Too many sign-in requests from your network. Please try again in a few minutes."))
    token = new_token()
    db.add(
        SignInLink(
            token_hash=token_hash(token),
            email=email,
            requester_ip=requester_ip[:64],
            next_path=safe_next_path(next_path),
            confirms_registration_id=confirms_registration_id,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    )
    return token


async def request_sign_in(
    db: AsyncSession, *, email: str, requester_ip: str, next_path: str, links: Links, now: dt.datetime | None = None
) -> str:
    """Mails a one-time link. Answers the same whether or not the address has an account."""
    email = normalise_email(email)
    await begin_write(db)
    token = await create_sign_in_link(db, email=email, requester_ip=requester_ip, next_path=next_path, now=now)
    link = links.sign_in(token)
    # In the active language, the page's: the visitor asking reads it now, whatever language the account chose.
    await queue_mail(
        db,
        recipient=email,
        subject=_("Your Podium sign-in link"),
        body=_("Open this link to sign in. It works once and expires in 30 minutes:\n\n{link}\n").format(link=link),
    )
    await db.commit()
    return email


@dataclass(frozen=True)
class SignedIn:
    account: Account
    session_token: str
    next_path: str
    confirmed_registration_id: int | None = None


async def claim_sign_in_link(
    db: AsyncSession, *, token: str, user_agent: str = "", now: dt.datetime
) -> tuple[SignedIn, SignInLink]:
    """Consumes the link (once), creates the account on first use, and opens a server-side session. The
    caller commits, after confirming the registration the link was mailed for
    (``server.registration.services.use_sign_in_link``)."""
    await begin_write(db)
    # The conditional update consumes the link atomically: of two concurrent uses, one wins.
    claimed = await db.exec(
        update(SignInLink)
        .where(col(SignInLink.token_hash) == token_hash(token), col(SignInLink.used_at).is_(None))
        .where(col(SignInLink.expires_at) > now)
        .values(used_at=now)
        .returning(col(SignInLink.id))
    )
    link_id = claimed.scalar_one_or_none()
    if link_id is None:
        await db.rollback()
        raise InvalidInput(_("This sign-in link has expired or was already used. Please ask for a new one."))
    link = await db.get_one(SignInLink, link_id)
    account = (await db.exec(select(Account).where(Account.email == link.email))).first()
    if account is None:
        account = Account(email=link.email)
        db.add(account)
        await db.flush()
    if account.disabled:
        await db.rollback()  # a refused sign-in changes nothing: the link stays as it was
        raise Forbidden(_("This account has been disabled by an administrator."))
    session_token = open_session(db, account=account, user_agent=user_agent, now=now)
    return SignedIn(account=account, session_token=session_token, next_path=link.next_path), link


def open_session(db: AsyncSession, *, account: Account, user_agent: str, now: dt.datetime) -> str:
    """Adds a server-side session for ``account`` (the caller commits) and returns the cookie's token."""
    session_token = new_token()
    db.add(
        AuthSession(
            token_hash=token_hash(session_token),
            account_id=account.id or 0,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
            user_agent=user_agent[:300],
        )
    )
    return session_token


async def authenticate(db: AsyncSession, *, session_token: str, now: dt.datetime | None = None) -> Account | None:
    """The account behind a session cookie, or None for a forged, expired, revoked or disabled one."""
    if not plausible_token(session_token):
        return None
    return await session_account(db, session_hash=token_hash(session_token), now=now)


MAX_SESSION_TOKEN_LENGTH = 100  # ours are 43 characters; anything much longer is not worth hashing


def plausible_token(session_token: str) -> bool:
    return bool(session_token) and len(session_token) <= MAX_SESSION_TOKEN_LENGTH


async def session_account(db: AsyncSession, *, session_hash: str, now: dt.datetime | None = None) -> Account | None:
    """``authenticate`` by the token's hash, which is all an open live connection keeps of its cookie."""
    now = now or utcnow()
    query = (
        select(Account)
        .join(AuthSession, col(AuthSession.account_id) == col(Account.id))
        .where(col(AuthSession.token_hash) == session_hash, *signed_in_by(now))
    )
    return (await db.exec(query)).first()


def signed_in_by(now: dt.datetime | BindParameter[Any]) -> list[Any]:
    """When a session (a query joining AuthSession and Account, the caller picks the token's hash) signs its
    account in: the one rule, for the ORM lookup above and statements built once that read more rows."""
    return [
        col(AuthSession.revoked_at).is_(None),
        col(AuthSession.expires_at) > now,
        col(Account.disabled).is_(False),
    ]


async def sign_out(db: AsyncSession, *, session_token: str) -> None:
    """Ends one session; the account's live connections opened with it close within a second or two."""
    await begin_write(db)
    ended = await db.exec(
        update(AuthSession)
        .where(col(AuthSession.token_hash) == token_hash(session_token), col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
        .returning(col(AuthSession.account_id))
    )
    account_id = ended.scalar_one_or_none()
    if account_id is not None:
        await record_revocation(db, account_id=account_id, reason=Reason.signed_out)
    await db.commit()


async def sign_out_everywhere(db: AsyncSession, *, account: Account) -> None:
    await begin_write(db)
    await revoke_sessions(db, account_id=account.id or 0, reason=Reason.signed_out)
    await db.commit()


async def revoke_sessions(db: AsyncSession, *, account_id: int, reason: Reason) -> None:
    await db.exec(
        update(AuthSession)
        .where(col(AuthSession.account_id) == account_id, col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    await record_revocation(db, account_id=account_id, reason=reason)


async def grant_role(db: AsyncSession, *, event: Event, email: str, role: Role, name: str = "") -> Account:
    """Operator's tool (command line): creates the account when needed. Idempotent."""
    email = normalise_email(email)
    await begin_write(db)
    account = (await db.exec(select(Account).where(Account.email == email))).first()
    if account is None:
        account = Account(email=email, name=name)
        db.add(account)
        await db.flush()
    exists = (
        await db.exec(
            select(EventRole).where(
                EventRole.event_id == event.id, EventRole.account_id == account.id, EventRole.role == role
            )
        )
    ).first()
    if exists is None:
        db.add(EventRole(event_id=event.id or 0, account_id=account.id or 0, role=role))
    await db.commit()
    return account


async def revoke_role(db: AsyncSession, *, event: Event, email: str, role: Role) -> Account:
    """Operator's tool (command line): takes one role in the event away; the account's open live connections
    lose what it gave within a second or two (a registered moderator stays in the room as a delegate)."""
    await begin_write(db)
    account = (await db.exec(select(Account).where(Account.email == normalise_email(email)))).first()
    removed = (
        await db.exec(
            delete(EventRole)
            .where(col(EventRole.event_id) == event.id, col(EventRole.account_id) == (account.id if account else 0))
            .where(col(EventRole.role) == role)
            .returning(col(EventRole.id))
        )
    ).first()
    if account is None or removed is None:
        await db.rollback()
        raise NotFound(_("{email} has no role {role} in this event.").format(email=email, role=role.value))
    await record_revocation(db, account_id=account.id or 0, event_id=event.id, reason=Reason.removed)
    await db.commit()
    return account


async def remember_time_zone(db: AsyncSession, *, account: Account, zone: str) -> None:
    """Keeps the zone a person reads times in ("" for each event's own), so mails use it too."""
    if zone and not is_known_zone(zone):
        raise InvalidInput(
            _("'%(zone)s' is not a time zone we know; use a name such as Asia/Jakarta.") % {"zone": zone[:60]}
        )
    if account.time_zone == zone:
        return
    await db.exec(update(Account).where(col(Account.id) == account.id).values(time_zone=zone))
    account.time_zone = zone
    await db.commit()


async def remember_language(db: AsyncSession, *, account: Account, language: i18n.Language) -> None:
    """Keeps the interface language a person chose, so mails to them are written in it."""
    if account.language == language.code:
        return
    await begin_write(db)
    await db.exec(update(Account).where(col(Account.id) == account.id).values(language=language.code))
    account.language = language.code
    await db.commit()


async def account_language(db: AsyncSession, *, account_id: int | None = None, email: str = "") -> str:
    """The language the account (by id, else by address) chose; "" when it chose none or there is no account."""
    if account_id is not None:
        query = select(Account.language).where(Account.id == account_id)
    else:
        query = select(Account.language).where(Account.email == email.strip().lower())
    return (await db.exec(query)).first() or ""


def event_language(event: Event) -> str:
    """The event's first language: whom we know nothing about gets the event's mail in it."""
    return event.language_list[0] if event.language_list else ""
