"""What the account and registration handlers share: the database, the event, redirects, the site's address."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.accounts.actors import Actor
from server.accounts.rules import can_see_event
from server.accounts.services import safe_next_path
from server.app_services import Services, services_of
from server.db import Database
from server.events.models import Event
from server.events.services import get_event, list_events
from server.permissions import allows, require
from server.settings import Settings
from server.transport.auth import current_actor, form_text
from server.transport.urls import sign_in_path


def services(request: Request) -> Services:
    """The application's services (server/app_services.py)."""
    return services_of(request.app)


def database(request: Request) -> Database:
    return services(request).database


def settings(request: Request) -> Settings:
    return services(request).settings


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def here(request: Request) -> str:
    """This request's path and query, to come back to after signing in."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def sign_in_redirect(request: Request, next_path: str | None = None) -> RedirectResponse:
    return see_other(sign_in_path(request, safe_next_path(next_path or here(request))))


def next_from(form: FormData, default: str) -> str:
    """Where a form asks to go after it is handled: only a path on this site."""
    asked = form_text(form, "next")
    return safe_next_path(asked) if asked else default


async def event_of(db: AsyncSession, request: Request) -> Event:
    """The event of ``{slug}``, for those who may see it: every page, export, feed and API document of an event
    loads it here, so a draft is "not found" to everyone but its staff (``can_see_event``). Who is asking is read
    only when the rule does not already allow anybody."""
    event = await get_event(db, slug=request.path_params["slug"])
    if not allows(Actor(account=None), can_see_event, event):
        require(await current_actor(request, db, event), can_see_event, event)
    return event


async def listed_events(db: AsyncSession) -> list[Event]:
    """The events anybody may see (``can_see_event``): the events page and the API's list leave drafts out."""
    anybody = Actor(account=None)
    return [event for event in await list_events(db) if allows(anybody, can_see_event, event)]


async def end_reads(db: AsyncSession) -> None:
    """Services that seat people start their own write transaction (BEGIN IMMEDIATE on SQLite): close the
    read transaction first. A commit, unlike a rollback, keeps the loaded event and account usable."""
    await db.commit()


def webcal_url(url: str) -> str:
    """The same feed for calendar applications that subscribe to ``webcal://`` addresses."""
    parts = urlsplit(url)
    return "webcal://" + parts.netloc + parts.path


def private(response: Response) -> Response:
    """A page about one person: kept by no shared cache, and not shown again from history after signing out."""
    response.headers["cache-control"] = "private, no-store"
    return response
