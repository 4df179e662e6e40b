"""Helpers for the registration HTTP tests: browsers as httpx clients, sign-in links read from the outbox."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import lxml.html
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.services import create_sign_in_link
from server.agenda.interchange import DEMO_EVENT_FILE, import_event, parse_event_file
from server.app import create_app
from server.db import Database
from server.events.models import Event
from server.events.services import get_event
from server.mail.models import OutboxMail
from server.registration.services import use_sign_in_link
from server.settings import Settings
from server.transport.auth import CSRF_COOKIE, SESSION_COOKIE

ORIGIN = "http://podium.test"
LINK = re.compile(r"https?://[^/\s]+(/signin/[A-Za-z0-9_-]+)")
OTHER_SLUG = "asian-dialogue-2022"

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


async def last_link(database: Database, email: str) -> str:
    """The path of the newest sign-in or confirmation link mailed to ``email``."""
    async with database.session() as db:
        mail = (
            await db.exec(
                select(OutboxMail).where(OutboxMail.recipient == email).order_by(col(OutboxMail.id).desc()).limit(1)
            )
        ).first()
    assert mail is not None, f"no mail to {email}"
    match = LINK.search(mail.body)
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


async def other_event(database: Database) -> Event:
    """The demo event again under another slug: the same session codes, so any leak would show."""
    raw = json.loads(DEMO_EVENT_FILE.read_text(encoding="utf-8"))
    raw["event"]["slug"] = OTHER_SLUG
    raw["event"]["title"] = "Asian Dialogue 2022"
    async with database.session() as db:
        return await import_event(db, document=parse_event_file(json.dumps(raw)))


async def event(db: AsyncSession, slug: str) -> Event:
    return await get_event(db, slug=slug)


def page(response: httpx.Response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.text)


def with_class(response: httpx.Response, name: str) -> list[lxml.html.HtmlElement]:
    return list(page(response).xpath(f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"))


def text_of(response: httpx.Response, class_name: str) -> str:
    """The whitespace-normalised text of the first element with the class."""
    found = with_class(response, class_name)
    assert found, f"no element of class {class_name!r} in:\n{response.text}"
    return " ".join(found[0].text_content().split())


def error_message(response: httpx.Response) -> str:
    found = with_class(response, "error-message") or with_class(response, "message-error")
    return " ".join(found[0].text_content().split()) if found else ""
