"""A session's archive after its end (server/archive/archive.py): ``GET /{slug}/sessions/{code}/archive``, an HTML
fragment that the cached session page fetches into its placeholder (web/static/session-archive.js) and that the
replay player shows beside the video. What it holds depends on who asks, so it is rendered per kind of viewer
(moderators, the audience, those it is not for) and kept a few seconds in the page cache: a burst of viewers at the
end of a session costs one rendering per kind, and a question answered late shows within ``FRESH_SECONDS``."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import i18n
from server.archive.archive import Archive, Shown, archive_as, archive_settings, session_of, shown_to
from server.transport.agenda_view import country_name
from server.transport.auth import current_actor
from server.transport.context import database, event_of
from server.transport.page_cache import CachedPage, compact, for_app, page_response
from server.transport.rendering import render_text
from server.transport.urls import path_for, sign_in_path

FRESH_SECONDS = 10
FRAGMENT = "archive/session_archive.html"
PAGE = "archive/page.html"  # the same, as a page of its own: the session page's link for browsers without scripts


def opened_as_page(request: Request) -> bool:
    """A browser following the link (a navigation), rather than a script fetching the fragment."""
    return request.headers.get("sec-fetch-mode") == "navigate"


async def session_archive(request: Request) -> Response:
    code = request.path_params["code"]
    async with database(request).session() as db:
        event = await event_of(db, request)
        session = await session_of(db, event=event, code=code)
        actor = await current_actor(request, db, event, session.id)
        settings = await archive_settings(db, session=session)
        shown = shown_to(actor, session=session, settings=settings)
        # Everything the fragment depends on: the event's version (a moved end), who is asking (as a kind of
        # viewer), publication, the language, fragment or page, and the few seconds it stays fresh.
        as_page = opened_as_page(request)
        key = (
            "archive",
            as_page,
            event.id,
            event.version,
            session.id,
            shown,
            shown == Shown.restricted and actor.is_anonymous,  # the refusal offers to sign in
            settings.archive_published,
            i18n.current_language().code,
            int(time.monotonic() // FRESH_SECONDS),
        )
        cache = for_app(request.app)
        page = cache.get(key) if event.published else None
        if page is None:
            archive = await archive_as(db, session=session, shown=shown, published=settings.archive_published)
            context = fragment_context(request, archive, anonymous=actor.is_anonymous)
            if as_page:
                context |= {"event": event, "session": session}
            page = CachedPage.from_text(compact(render_text(request, PAGE if as_page else FRAGMENT, context)))
            if event.published:  # a draft's archive is its staff's alone
                cache.put(key, page)
    response = page_response(request, page)
    # Per viewer: a browser may keep it but must ask again, and no shared cache may.
    # The fragment and the page share the address: they vary by Sec-Fetch-Mode.
    replaced = {
        b"cache-control": b"private, no-cache",
        b"vary": b"Accept-Encoding, Accept-Language, Cookie, Sec-Fetch-Mode",
    }
    response.raw_headers = [(name, replaced.get(name, value)) for name, value in response.raw_headers]
    return response


def fragment_context(request: Request, archive: Archive, *, anonymous: bool) -> dict[str, Any]:
    session_path = path_for(request, "session", slug=request.path_params["slug"], code=request.path_params["code"])
    return {
        "archive": archive,
        "Shown": Shown,
        "anonymous": anonymous,
        "country_name": country_name,
        "sign_in_url": sign_in_path(request, session_path),
        "session_url": session_path,
    }


routes: list[BaseRoute] = [
    Route("/{slug}/sessions/{code}/archive", session_archive, methods=["GET"], name="session_archive"),
]
