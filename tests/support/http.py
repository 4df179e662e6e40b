"""HTTP helpers: browsers as httpx clients on the ASGI app, CSRF-carrying posts, signing in (through the pages
with the link read from the outbox, or directly), and a recorder standing in for the live server."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

import httpx
from sqlmodel import col, func, select

from server.accounts.services import create_sign_in_link
from server.app import create_app
from server.broadcast import CountsChanged, Message
from server.db import Database
from server.mail.models import OutboxMail
from server.registration.services import use_sign_in_link
from server.settings import Settings
from server.transport.auth import CSRF_COOKIE, SESSION_COOKIE
from tests.support.factories import Person

ORIGIN = "http://podium.test"
LINK = re.compile(r"https?://[^/\s]+(/signin/[A-Za-z0-9_-]+)")

ClientMaker = Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]]


def client_maker(settings: Settings, database: Database) -> ClientMaker:
    """Another browser on the same site: its own cookies, the same database."""

    @asynccontextmanager
    async def make() -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings, database, deliver_mail=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as http:
            yield http

    return make


async def csrf(client: httpx.AsyncClient) -> str:
    """The browser's CSRF token, as every form carries it (the first page visit sets the cookie)."""
    if CSRF_COOKIE not in client.cookies:
        await client.get("/signin")
    return str(client.cookies[CSRF_COOKIE])


async def post(client: httpx.AsyncClient, path: str, data: dict[str, str] | None = None) -> httpx.Response:
    return await client.post(path, data={"csrf_token": await csrf(client), **(data or {})})


async def last_link(database: Database, email: str, pattern: re.Pattern[str] = LINK) -> str:
    """The path ``pattern`` finds in the newest mail to ``email``: by default a sign-in or confirmation link."""
    async with database.session() as db:
        mail = (
            await db.exec(
                select(OutboxMail).where(OutboxMail.recipient == email).order_by(col(OutboxMail.id).desc()).limit(1)
            )
        ).first()
    assert mail is not None, f"no mail to {email}"
    match = pattern.search(mail.body)
    assert match is not None, mail.body
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, database: Database, email: str) -> httpx.Response:
    """Signs in through the pages: ask for a link, read it from the outbox, press the button."""
    asked = await post(client, "/signin", {"email": email})
    assert asked.status_code == 303, asked.text
    return await post(client, await last_link(database, email))


async def session_token(database: Database, email: str) -> str:
    """A session for ``email`` without going through the pages (for tests about something else)."""
    async with database.session() as db:
        token = await create_sign_in_link(db, email=email, requester_ip="")
        await db.commit()
        return (await use_sign_in_link(db, token=token)).session_token


async def signed_in_as(client: httpx.AsyncClient, database: Database, email: str) -> httpx.AsyncClient:
    client.cookies.set(SESSION_COOKIE, await session_token(database, email))
    return client


async def count(database: Database, table: type) -> int:
    async with database.session() as db:
        return int((await db.exec(select(func.count()).select_from(table))).one())


def as_person(client: httpx.AsyncClient, person: Person | None) -> httpx.AsyncClient:
    """The client signed in as ``person`` (a factory's session cookie), or anonymous for ``None``."""
    client.cookies.delete(SESSION_COOKIE)
    if person is not None:
        client.cookies.set(SESSION_COOKIE, person.token)
    return client


@dataclass
class Recorder:
    """Stands in for the live server: what HTTP actions publish to the rooms."""

    messages: list[Message] = field(default_factory=list)

    async def publish(self, messages: Sequence[Message], counts: Sequence[CountsChanged] = ()) -> None:
        self.messages.extend(messages)
