"""What a page loads before it does its own work, once per request: the event named in the path, who is asking,
and for a session's pages the programme and the session; and ``@requires(rule)``, which loads that and asks the
rule before the endpoint runs (an endpoint taking ``(request, page)``). Refusals follow server/permissions.py:
"not found" for everyone the rule leaves out."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from server.accounts.actors import Actor
from server.agenda.services import Programme, SessionView, load_programme
from server.errors import NotFound
from server.events.models import Event
from server.permissions import Rule, require
from server.transport.auth import current_account, current_actor
from server.transport.context import database, event_of, sign_in_redirect


@dataclass(frozen=True, slots=True)
class AccountPage:
    """A page outside any event (the instance admins'): who is asking, with no event roles."""

    actor: Actor

    @property
    def subject(self) -> Any:
        return None


@dataclass(frozen=True, slots=True)
class EventPage:
    event: Event
    actor: Actor

    @property
    def subject(self) -> Any:
        """What the page's rule is asked about."""
        return self.event


@dataclass(frozen=True, slots=True)
class SessionPage:
    event: Event
    actor: Actor
    programme: Programme
    view: SessionView  # the session named in the path

    @property
    def subject(self) -> Any:
        return self.view

    @property
    def session_id(self) -> int:
        return self.view.session.id or 0


async def load_account_page(request: Request) -> AccountPage:
    async with database(request).session() as db:
        return AccountPage(actor=Actor(account=await current_account(request, db)))


async def load_event_page(request: Request) -> EventPage:
    """The event of ``{slug}`` and the actor in it; NotFound for an unknown event."""
    cached: EventPage | None = getattr(request.state, "event_page", None)
    if cached is None:
        async with database(request).session() as db:
            event = await event_of(db, request)
            cached = EventPage(event=event, actor=await current_actor(request, db, event))
        request.state.event_page = cached
    return cached


async def load_session_page(request: Request) -> SessionPage:
    """The event, its programme and the session of ``{code}``; NotFound for an unknown or another event's one."""
    cached: SessionPage | None = getattr(request.state, "session_page", None)
    if cached is None:
        async with database(request).session() as db:
            event = await event_of(db, request)
            programme = await load_programme(db, event=event)
            view = programme.session(request.path_params["code"])
            actor = await current_actor(request, db, event, view.session.id)
        cached = SessionPage(event=event, actor=actor, programme=programme, view=view)
        request.state.session_page = cached
    return cached


class Page(Protocol):
    @property
    def actor(self) -> Actor: ...
    @property
    def subject(self) -> Any: ...


P = TypeVar("P", bound=Page)
PageEndpoint = Callable[[Request, P], Awaitable[Response]]


def requires(
    rule: Rule, load: Callable[[Request], Awaitable[P]], *, page: bool = True
) -> Callable[[PageEndpoint[P]], Callable[[Request], Awaitable[Response]]]:
    """An endpoint for those ``rule`` allows: ``load`` gives the page, the rule is asked about its subject.
    Someone signed out who opens a page (``page``: a GET answered with HTML, not JSON or an export) is sent to
    sign in and brought back; anyone signed in whom the rule leaves out gets "not found"."""

    def wrap(endpoint: PageEndpoint[P]) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(endpoint)
        async def checked(request: Request) -> Response:
            try:
                loaded = await load(request)
            except NotFound:  # another event's session reads as a refusal does: nothing tells them apart
                raise NotFound(rule.not_found()) from None
            if (
                page
                and request.method in ("GET", "HEAD")
                and loaded.actor.is_anonymous
                and not rule(loaded.actor, loaded.subject)
            ):
                return sign_in_redirect(request)
            require(loaded.actor, rule, loaded.subject)
            return await endpoint(request, loaded)

        return checked

    return wrap
