"""Every address comes from the named routes: move the routes and every link, form, redirect, mailed link and
export follows; reversing is quick and escapes what a session code may hold."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import lxml.html
import pytest
from sqlmodel import select
from starlette.routing import BaseRoute, Mount, Route, Router

from realtime.media import status, whep, whip
from server.accounts.models import Role
from server.app import create_app, site_routes
from server.db import Database
from server.mail.models import OutboxMail
from server.settings import Settings
from server.transport.auth import SESSION_COOKIE
from server.transport.urls import RoutePaths, relay_path
from tests.support import factories

ORIGIN = "http://podium.test"
PREFIX = "/moved"
RELAY_ATTRIBUTES = {"data-whep-url", "data-whip-url"}  # the relay's own addresses, which do not move with the site


def test_every_route_has_a_name_and_each_name_one_address() -> None:
    routes: list[BaseRoute] = [*site_routes(), *whip.routes, *whep.routes, *status.routes]
    unnamed = [getattr(route, "path", "") for route in routes if not getattr(route, "name", None)]
    addresses: dict[str, set[str]] = {}
    for route in routes:
        addresses.setdefault(getattr(route, "name", ""), set()).add(getattr(route, "path", ""))

    assert unnamed == []
    assert {name: paths for name, paths in addresses.items() if len(paths) > 1} == {}


def test_relay_paths_are_the_relays_own_routes() -> None:
    relay = Router([*whip.routes, *whep.routes])

    assert relay_path("whip", "12") == relay.url_path_for("whip", session_key="12")
    assert relay_path("whep", "12") == relay.url_path_for("whep", session_key="12")


def test_a_session_code_with_reserved_characters_stays_one_path_segment() -> None:
    paths = RoutePaths(site_routes())
    code = "a b?c#d%e"

    assert paths.path("session", slug="ev", code=code) == "/ev/sessions/a%20b%3Fc%23d%25e"
    assert paths.template("room", "code", slug="ev")(code) == "/ev/sessions/a%20b%3Fc%23d%25e/room"
    assert paths.path("static", path="live/room.js") == "/static/live/room.js"


def moved(route: BaseRoute) -> BaseRoute:
    """The same route under PREFIX: what renaming every path in the route lists would do."""
    if isinstance(route, Mount):
        return Mount(PREFIX + route.path, app=route.app, name=route.name)
    assert isinstance(route, Route)
    return Route(PREFIX + route.path, route.endpoint, methods=list(route.methods or ()), name=route.name)


def site_addresses(page: lxml.html.HtmlElement) -> list[tuple[str, str]]:
    """(attribute, value) of every address on the page that points into the site, path or absolute."""
    found = []
    for element in page.iter():
        for attribute, value in element.attrib.items():
            wanted = attribute in {"href", "action", "src"} or (attribute.startswith("data-") and "url" in attribute)
            if attribute == "value" and value.startswith(ORIGIN):
                wanted = True
            if not wanted or attribute in RELAY_ATTRIBUTES or value.startswith(("#", "data:", "//")):
                continue
            if value.startswith("/") or value.startswith(ORIGIN):
                found.append((attribute, value))
    return found


@pytest.mark.integration
@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_links_forms_redirects_mail_and_exports_follow_routes_that_moved(
    settings: Settings, database: Database, demo_event: str
) -> None:
    async with database.session() as db:
        event = await factories.event_by_slug(db, demo_event)
        session = (await factories.sessions_of(db, event))[1]
        organiser = await factories.person(
            db, event, "Organiser One", role=Role.organiser, attendance="online", sessions=(session,), admin=True
        )
    app = create_app(settings, database, deliver_mail=False)
    app.router.routes = [moved(route) for route in app.router.routes]
    slug, code = event.slug, session.code
    pages = [
        "/",
        f"/{slug}/",
        f"/{slug}/sessions/{code}",
        f"/{slug}/sessions/{code}/pick",
        f"/{slug}/sessions/{code}/room",
        f"/{slug}/sessions/{code}/moderate",
        f"/{slug}/sessions/{code}/screen",
        f"/{slug}/sessions/{code}/studio",
        f"/{slug}/sessions/{code}/recording",
        f"/{slug}/registration",
        f"/{slug}/registration/sessions",
        f"/{slug}/badge",
        f"/{slug}/participants",
        f"/{slug}/checkin",
        f"/{slug}/organiser",
        f"/{slug}/organiser/speakers",
        f"/{slug}/organiser/announcements",
        "/account",
        "/admin/accounts",
    ]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as client:
        client.cookies.set(SESSION_COOKIE, organiser.token)
        strays: list[tuple[str, str, str]] = []
        post_forms_without_token: list[tuple[str, str]] = []
        for path in pages:
            response = await client.get(PREFIX + path)
            assert response.status_code == 200, (path, response.text[:300])
            page = lxml.html.fromstring(response.text)
            for attribute, value in site_addresses(page):
                if not urlsplit(value).path.startswith(PREFIX + "/"):
                    strays.append((path, attribute, value))
            for form in page.xpath("//form[@method='post']"):
                first = form.xpath(".//input")[0]
                if first.get("name") != "csrf_token" or first.get("value") != client.cookies.get("podium_csrf"):
                    post_forms_without_token.append((path, form.get("action")))
        exported = (await client.get(f"{PREFIX}/{slug}/schedule.json")).json()
        client.cookies.delete(SESSION_COOKIE)
        signin = lxml.html.fromstring((await client.get(PREFIX + "/signin")).text).xpath("//form[@method='post']")[0]
        fields = {field.get("name"): field.get("value") or "" for field in signin.xpath(".//input[@name]")}
        sent = await client.post(signin.get("action"), data={**fields, "email": "moved@example.org"})

    assert strays == []
    assert post_forms_without_token == []
    assert (sent.status_code, sent.headers["location"]) == (303, f"{PREFIX}/signin/sent")
    async with database.session() as db:
        mail = (await db.exec(select(OutboxMail).where(OutboxMail.recipient == "moved@example.org"))).one()
    assert f"{settings.base_url}{PREFIX}/signin/" in mail.body
    first_event = exported["schedule"]["conference"]["days"][0]["rooms"]
    urls = [talk["url"] for talks in first_event.values() for talk in talks]
    assert urls and all(url.startswith(f"{settings.base_url}{PREFIX}/{slug}/sessions/") for url in urls)
