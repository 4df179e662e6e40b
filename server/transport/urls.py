"""Where every address of the site is built: from the routes' names, never by hand.

Pages, redirects and JSON ask for paths (``path_for`` here, ``url_for`` in templates). Mail, exports and QR codes
ask for absolute URLs (``SiteUrls``): the configured ``PODIUM_BASE_URL``, never the Host header, joined with the
same paths. A path renamed in a route list is then one edit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode
from weakref import finalize

from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, NoMatchFound, Router

from server.app_services import services_of

if TYPE_CHECKING:
    from server.agenda.services import SessionView
    from server.events.models import Event

# Stands for the one parameter of a path template; quote() leaves it as it is.
PLACEHOLDER = "PODIUM_PARAMETER_7f3a9c"

# The relay's signalling addresses (realtime/media/whip.py and whep.py, routes "whip" and "whep"). The relay is
# another application, in this process or behind nginx in relay processes, so they are not among this app's
# routes; tests/transport/test_urls.py holds them equal to the relay's own.
RELAY_PATHS = {"whip": "/whip/{session_key}", "whep": "/whep/{session_key}"}


def _escaped(params: dict[str, Any], *, mount: bool) -> dict[str, Any]:
    # Starlette puts parameters into paths as they are: a session code with "?" or "#" would cut the address.
    return {
        key: quote(value, safe="/" if mount else "") if isinstance(value, str) else value
        for key, value in params.items()
    }


class RoutePaths:
    """An application's named routes, indexed once: reversing a name is one lookup, not a try of every route."""

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        self._routes: dict[str, BaseRoute] = {}
        for route in routes:
            name = getattr(route, "name", None)
            if name:
                self._routes.setdefault(name, route)  # a GET and a POST on one address share its name

    def path(self, name: str, /, **params: Any) -> str:
        route = self._routes.get(name)
        if route is None:
            raise NoMatchFound(name, params)
        return str(route.url_path_for(name, **_escaped(params, mount=isinstance(route, Mount))))

    def template(self, name: str, /, varying: str, **params: Any) -> Callable[[str], str]:
        """The path of ``name`` for many values of one parameter, reversed once: the agenda links every session."""
        before, after = self.path(name, **params, **{varying: PLACEHOLDER}).split(PLACEHOLDER)
        return lambda value: before + quote(value, safe="") + after


_INDEXES: dict[int, RoutePaths] = {}  # by id(router): routers are not hashable


def paths_of(router: Router) -> RoutePaths:
    """The index of a router's routes, built on first use (after the relay's routes may have joined them)."""
    index = _INDEXES.get(id(router))
    if index is None:
        index = _INDEXES[id(router)] = RoutePaths(router.routes)
        finalize(router, _INDEXES.pop, id(router), None)
    return index


def path_for(request: Request, name: str, /, **params: Any) -> str:
    """The path of the route ``name`` in this request's application."""
    return paths_of(request.app.router).path(name, **params)


def with_query(path: str, **params: str) -> str:
    """``path`` with the non-empty ``params`` as its query."""
    query = urlencode([(key, value) for key, value in params.items() if value])
    return f"{path}?{query}" if query else path


def session_path(request: Request, name: str, event: Event, view: SessionView) -> str:
    """The path of one of a session's pages: the route ``name`` ("session", "room", "moderate", ...)."""
    return path_for(request, name, slug=event.slug, code=view.session.code)


def sign_in_path(request: Request, next_path: str) -> str:
    """The sign-in page, coming back to ``next_path`` afterwards."""
    return path_for(request, "signin") + "?" + urlencode({"next": next_path})


def relay_path(name: str, session_key: str) -> str:
    """The relay's WHIP ("whip") or WHEP ("whep") address of one stream."""
    return RELAY_PATHS[name].format(session_key=quote(session_key, safe=""))


class SiteUrls:
    """Absolute addresses for mail, exports and QR codes: ``PODIUM_BASE_URL`` joined with a route's path.

    Implements ``server.links.Links``, which the domain asks for what it writes into mail and exports.
    """

    def __init__(self, paths: RoutePaths, base_url: str) -> None:
        self.paths = paths
        self.base_url = base_url.rstrip("/")

    @classmethod
    def of(cls, request: Request) -> SiteUrls:
        return cls(paths_of(request.app.router), services_of(request.app).settings.base_url)

    def url(self, name: str, /, **params: Any) -> str:
        return self.base_url + self.paths.path(name, **params)

    def site(self) -> str:
        return self.url("events")

    def event_page(self, event_slug: str) -> str:
        return self.url("agenda", slug=event_slug)

    def session_page(self, event_slug: str, code: str) -> str:
        return self.url("session", slug=event_slug, code=code)

    def reminder_page(self, event_slug: str, code: str) -> str:
        return self.url("reminder", slug=event_slug, code=code)

    def schedule_xml(self, event_slug: str) -> str:
        return self.url("schedule_xml", slug=event_slug)

    def registration_page(self, event_slug: str) -> str:
        return self.url("registration", slug=event_slug)

    def registration_path(self, event_slug: str) -> str:
        return self.paths.path("registration", slug=event_slug)

    def sign_in_page(self) -> str:
        return self.url("signin")

    def sign_in(self, token: str) -> str:
        return self.url("signin_link", token=token)
