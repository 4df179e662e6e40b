"""The organisers' Speakers page: link each agenda speaker to the account they sign in with, or unlink it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.agenda.rules import can_link_speakers
from server.agenda.speaker_accounts import link_speaker, speaker_links, unlink_speaker
from server.errors import InvalidInput
from server.transport.auth import checked_form, form_text
from server.transport.context import database, private, see_other, services
from server.transport.loaders import EventPage, load_event_page, requires
from server.transport.rendering import render
from server.transport.throttle import throttle
from server.transport.urls import SiteUrls, path_for

LINKS_PER_MINUTE = 30  # per organiser: each link may create an account


def _speakers_url(request: Request, slug: str, person_id: int) -> str:
    """Back to the speaker just changed."""
    return path_for(request, "speakers", slug=slug) + (f"#speaker-{person_id}" if person_id else "")


async def _speakers_form(request: Request, *, error: str = "", error_person: int | None = None) -> Response:
    page = await load_event_page(request)
    event = page.event
    async with database(request).session() as db:
        links = await speaker_links(db, actor=page.actor, event=event)
    context = {"event": event, "links": links, "error": error, "error_person": error_person}
    return private(render(request, "registration/speakers.html", context, 400 if error else 200))


@requires(can_link_speakers, load_event_page)
async def speakers_page(request: Request, page: EventPage) -> Response:
    return await _speakers_form(request)


@requires(can_link_speakers, load_event_page)
async def link_submit(request: Request, page: EventPage) -> Response:
    form = await checked_form(request)
    person_id: int = request.path_params["person_id"]
    event, actor = page.event, page.actor
    await throttle(services(request), "link_speaker", LINKS_PER_MINUTE).check(f"a{actor.account_id}")
    async with database(request).session() as db:
        try:
            await link_speaker(
                db,
                actor=actor,
                event=event,
                person_id=person_id,
                email=form_text(form, "email"),
                invite=SiteUrls.of(request),
            )
        except InvalidInput as refusal:
            return await _speakers_form(request, error=refusal.message, error_person=person_id)
    return see_other(_speakers_url(request, event.slug, person_id))


@requires(can_link_speakers, load_event_page)
async def unlink_submit(request: Request, page: EventPage) -> Response:
    await checked_form(request)
    person_id: int = request.path_params["person_id"]
    event, actor = page.event, page.actor
    async with database(request).session() as db:
        await unlink_speaker(db, actor=actor, event=event, person_id=person_id)
    return see_other(_speakers_url(request, event.slug, person_id))


routes: list[BaseRoute] = [
    Route("/{slug}/organiser/speakers", speakers_page, methods=["GET"], name="speakers"),
    Route("/{slug}/organiser/speakers/{person_id:id}/link", link_submit, methods=["POST"], name="speaker_link"),
    Route("/{slug}/organiser/speakers/{person_id:id}/unlink", unlink_submit, methods=["POST"], name="speaker_unlink"),
]
