"""Live captions' pages: the captioner's page (type a line, Enter sends it over Socket.IO), the room page's and the
room screen's caption choices, and a session's captions as WebVTT for the replay (server/captions)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.captions import services as captions
from server.captions.rules import can_open_captioner
from server.errors import Forbidden, InvalidInput, NotFound
from server.formats import language_name
from server.i18n import current_language
from server.i18n import gettext as _
from server.permissions import not_found_message
from server.transport.context import database, private
from server.transport.live_pages import admitted, named_languages, page_context
from server.transport.loaders import SessionPage, load_session_page, requires
from server.transport.rendering import render
from server.transport.urls import path_for, session_path


@requires(can_open_captioner, load_session_page)
async def captioner_page(request: Request, page: SessionPage) -> Response:
    event, view, actor = page.event, page.view, page.actor
    languages = captions.captioner_languages(actor, event)
    if not languages:  # an organiser of an event with no languages, or a captioner of languages it dropped
        raise NotFound(not_found_message())
    asked = request.query_params.get("language", "")
    language = asked if asked in languages else languages[0]
    try:
        assert actor.account is not None  # the rule leaves nobody signed out in
        await admitted(request, actor.account, view)
    except Forbidden as refusal:
        raise NotFound(refusal.message) from None
    context = page_context(
        request,
        event,
        view,
        language=language,
        language_label=language_name(language, locale=current_language().code),
        caption_choices=named_languages(languages),
        room_url=session_path(request, "room", event, view),
        vtt_url=path_for(request, "captions_vtt", slug=event.slug, code=view.session.code, language=language),
        max_line=captions.MAX_LINE,
    )
    return private(render(request, "live/caption.html", context))


async def captions_vtt(request: Request) -> Response:
    """Signed-in people who may enter the session's live room read its captions; to anyone else they are not found."""
    page = await load_session_page(request)
    account = page.actor.account
    if account is None:
        raise NotFound(not_found_message())
    try:
        await admitted(request, account, page.view)
    except Forbidden:
        raise NotFound(not_found_message()) from None
    async with database(request).session() as db:
        try:
            text = await captions.session_webvtt(
                db, session=page.view.session, language=request.path_params["language"]
            )
        except InvalidInput:
            raise NotFound(_("There are no captions in this language.")) from None
    filename = f"{page.view.session.code}-{request.path_params['language']}.vtt"
    response = Response(text, media_type="text/vtt; charset=utf-8")
    response.headers["content-disposition"] = f'inline; filename="{filename}"'
    return private(response)


routes: list[BaseRoute] = [
    Route("/{slug}/sessions/{code}/caption", captioner_page, methods=["GET"], name="caption"),
    Route("/{slug}/sessions/{code}/captions/{language}.vtt", captions_vtt, methods=["GET"], name="captions_vtt"),
]
