"""Agenda exports: iCalendar for people's calendars, the frab schedule for conference apps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from server.agenda import calendar, frab
from server.agenda.services import Programme, load_programme
from server.app_services import services_of
from server.errors import InvalidInput
from server.i18n import gettext as _
from server.i18n import match_language, read_texts_in, stop_reading_texts_in
from server.text import storable
from server.transport.context import event_of
from server.transport.urls import SiteUrls

CALENDAR_TYPE = "text/calendar; charset=utf-8"
UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


async def _programme(request: Request) -> Programme:
    async with services_of(request.app).database.session() as db:
        event = await event_of(db, request)
        return await load_programme(db, event=event)


@contextmanager
def _in_language(request: Request, programme: Programme) -> Iterator[None]:
    """Write the programme texts in ``?lang=`` (one of the event's languages), falling back per field to the
    event's default; without it, in the default. An unknown or unoffered language is refused."""
    offered = programme.event.language_list
    asked = request.query_params.get("lang", "").strip()
    language = offered[0] if offered else None
    if asked:
        language = match_language(asked, offered) if storable(asked) and len(asked) <= 35 else None
        if language is None:
            raise InvalidInput(
                _("This event's programme is not offered in '%(language)s'; its languages are %(languages)s.")
                % {"language": asked[:35], "languages": ", ".join(offered)}
            )
    token = read_texts_in(language)
    try:
        yield
    finally:
        stop_reading_texts_in(token)


def _attachment(filename: str) -> dict[str, str]:
    safe = UNSAFE_IN_FILENAME.sub("-", filename)
    return {"Content-Disposition": f'attachment; filename="{safe}"'}


async def event_ics(request: Request) -> Response:
    programme = await _programme(request)
    with _in_language(request, programme):
        body = calendar.event_calendar(programme, links=SiteUrls.of(request))
    return Response(body, media_type=CALENDAR_TYPE, headers=_attachment(f"{programme.event.slug}.ics"))


async def session_ics(request: Request) -> Response:
    programme = await _programme(request)
    view = programme.session(request.path_params["code"])
    with _in_language(request, programme):
        body = calendar.session_calendar(programme, view, links=SiteUrls.of(request))
    filename = f"{programme.event.slug}-{view.session.code}.ics"
    return Response(body, media_type=CALENDAR_TYPE, headers=_attachment(filename))


async def schedule_xml(request: Request) -> Response:
    programme = await _programme(request)
    with _in_language(request, programme):
        body = frab.schedule_xml(programme, links=SiteUrls.of(request))
    return Response(body, media_type="application/xml")


async def schedule_json(request: Request) -> Response:
    programme = await _programme(request)
    with _in_language(request, programme):
        data = frab.schedule_json(programme, links=SiteUrls.of(request))
    return JSONResponse(data)


routes: list[BaseRoute] = [
    Route("/{slug}/schedule.ics", event_ics, methods=["GET"], name="schedule_ics"),
    Route("/{slug}/sessions/{code}.ics", session_ics, methods=["GET"], name="session_ics"),
    Route("/{slug}/schedule.xml", schedule_xml, methods=["GET"], name="schedule_xml"),
    Route("/{slug}/schedule.json", schedule_json, methods=["GET"], name="schedule_json"),
]
