"""The organisers' Speakers page: link each agenda speaker to the account they sign in with, or unlink it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.agenda.speaker_accounts import link_speaker, speaker_links, unlink_speaker
from server.errors import InvalidInput
from server.transport.auth import checked_form, current_actor, form_text
from server.transport.context import database, end_reads, event_of, private, see_other
from server.transport.rendering import render
from server.transport.throttle import throttle
from server.transport.urls import path_for

LINKS_PER_MINUTE = 30  # per organiser: each link may create an account


def _speakers_url(request: Request, slug: str, person_id: int) -> str:
    """Back to the speaker just changed."""
    return path_for(request, "speakers", slug=slug) + (f"#speaker-{person_id}" if person_id else "")


async def speakers_page(request: Request, *, error: str = "", error_person: int | None = None) -> Response:
    async with database(request).session() as db:
        event = await event_of(db, request)
        actor = await current_actor(request, db, event)
        links = await speaker_links(db, actor=actor, event=event)
    context = {"event": event, "links": links, "error": error, "error_person": error_person}
    return private(render(request, "registration/speakers.html", context, 400 if error else 200))


async def link_submit(request: Request) -> Response:
    form = await checked_form(request)
    person_id: int = request.path_params["person_id"]
    async with database(request).session() as db:
        event = await event_of(db, request)
        actor = await current_actor(request, db, event)
        if actor.account is not None:
            await throttle(request.app.state, "link_speaker", LINKS_PER_MINUTE).check(f"a{actor.account.id}")
        await end_reads(db)
        try:
            await link_speaker(db, actor=actor, event=event, person_id=person_id, email=form_text(form, "email"))
        except InvalidInput as refusal:
            return await speakers_page(request, error=refusal.message, error_person=person_id)
    return see_other(_speakers_url(request, event.slug, person_id))


async def unlink_submit(request: Request) -> Response:
    await checked_form(request)
    person_id: int = request.path_params["person_id"]
    async with database(request).session() as db:
        event = await event_of(db, request)
        actor = await current_actor(request, db, event)
        await end_reads(db)
        await unlink_speaker(db, actor=actor, event=event, person_id=person_id)
    return see_other(_speakers_url(request, event.slug, person_id))


routes: list[BaseRoute] = [
    Route("/{slug}/organiser/speakers", speakers_page, methods=["GET"], name="speakers"),
    Route("/{slug}/organiser/speakers/{person_id:id}/link", link_submit, methods=["POST"], name="speaker_link"),
    Route("/{slug}/organiser/speakers/{person_id:id}/unlink", unlink_submit, methods=["POST"], name="speaker_unlink"),
]
