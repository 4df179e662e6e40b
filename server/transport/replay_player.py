"""The replay player's data (server/replays/player.py): what the session page's and the room page's player loads
(the session page is cached and shared, so its script asks here), the chapters and the captions as WebVTT.

The chapters and captions answer "not found" to whoever may not watch the replay, and while there is none ready and
published. The player's description answers that with ``204 No Content`` instead: every session page asks for it,
and a page's own request should not show up as a failed load in the browser. It is the same answer whether a replay
exists or not, so it tells nobody more than a 404 would; an unknown session is still not found."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from server.errors import NotFound
from server.formats import language_name
from server.i18n import current_language
from server.i18n import gettext as _
from server.replays import player
from server.transport.context import database, private
from server.transport.loaders import SessionPage, load_session_page
from server.transport.replay_pages import file_path, watchable
from server.transport.urls import path_for


def archive_path(request: Request, page: SessionPage) -> str:
    """The session's Q&A archive, an HTML fragment (server/transport/archive_pages.py)."""
    return path_for(request, "session_archive", slug=page.event.slug, code=page.view.session.code)


async def replay_player(request: Request) -> Response:
    """Everything the player needs: the file, its chapters (also as a list to click) and caption tracks."""
    await load_session_page(request)  # an unknown session (or another event's): not found
    try:
        page, replay = await watchable(request)
    except NotFound:
        return private(Response(status_code=204))
    event, code = page.event, page.view.session.code
    async with database(request).session() as db:
        chapters = await player.replay_chapters(db, session_id=page.session_id, replay=replay)
        languages = await player.replay_caption_languages(db, event=event, session_id=page.session_id)
    locale = current_language().code
    answer = {
        "src": file_path(request, page, replay),
        "content_type": replay.content_type,
        "duration": replay.duration_seconds,
        "chapters_url": path_for(request, "replay_chapters", slug=event.slug, code=code),
        "chapters": [{"start": chapter.start, "kind": chapter.kind, "title": chapter.title} for chapter in chapters],
        "captions": [
            {
                "language": language,
                "label": language_name(language, locale=locale),
                "src": path_for(request, "replay_captions", slug=event.slug, code=code, language=language),
            }
            for language in languages
        ],
        "archive_url": archive_path(request, page),
    }
    return private(JSONResponse(answer))


def _vtt(text: str, filename: str) -> Response:
    response = Response(text, media_type="text/vtt; charset=utf-8")
    response.headers["content-disposition"] = f'inline; filename="{filename}"'
    return private(response)


async def replay_chapters_vtt(request: Request) -> Response:
    page, replay = await watchable(request)
    async with database(request).session() as db:
        chapters = await player.replay_chapters(db, session_id=page.session_id, replay=replay)
    return _vtt(player.chapters_webvtt(chapters), f"{page.view.session.code}-chapters.vtt")


async def replay_captions_vtt(request: Request) -> Response:
    page, replay = await watchable(request)
    language = request.path_params["language"]
    async with database(request).session() as db:
        if language not in await player.replay_caption_languages(db, event=page.event, session_id=page.session_id):
            raise NotFound(_("There are no captions in this language."))
        text = await player.replay_captions_webvtt(db, session_id=page.session_id, replay=replay, language=language)
    return _vtt(text, f"{page.view.session.code}-{language}.vtt")


routes: list[BaseRoute] = [
    Route("/{slug}/sessions/{code}/replay/player.json", replay_player, methods=["GET"], name="replay_player"),
    Route("/{slug}/sessions/{code}/replay/chapters.vtt", replay_chapters_vtt, methods=["GET"], name="replay_chapters"),
    Route(
        "/{slug}/sessions/{code}/replay/captions/{language}.vtt",
        replay_captions_vtt,
        methods=["GET"],
        name="replay_captions",
    ),
]
