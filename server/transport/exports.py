"""Agenda exports: iCalendar for people's calendars, the frab schedule for conference apps."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from server.agenda import calendar, frab
from server.agenda.services import Programme, load_programme
from server.app_services import services_of
from server.transport.context import event_of
from server.transport.urls import SiteUrls

CALENDAR_TYPE = "text/calendar; charset=utf-8"
UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


async def _programme(request: Request) -> Programme:
    async with services_of(request.app).database.session() as db:
        event = await event_of(db, request)
        return await load_programme(db, event=event)


def _attachment(filename: str) -> dict[str, str]:
    safe = UNSAFE_IN_FILENAME.sub("-", filename)
    return {"Content-Disposition": f'attachment; filename="{safe}"'}


async def event_ics(request: Request) -> Response:
    programme = await _programme(request)
    body = calendar.event_calendar(programme, links=SiteUrls.of(request))
    return Response(body, media_type=CALENDAR_TYPE, headers=_attachment(f"{programme.event.slug}.ics"))


async def session_ics(request: Request) -> Response:
    programme = await _programme(request)
    view = programme.session(request.path_params["code"])
    body = calendar.session_calendar(programme, view, links=SiteUrls.of(request))
    filename = f"{programme.event.slug}-{view.session.code}.ics"
    return Response(body, media_type=CALENDAR_TYPE, headers=_attachment(filename))


async def schedule_xml(request: Request) -> Response:
    programme = await _programme(request)
    return Response(frab.schedule_xml(programme, links=SiteUrls.of(request)), media_type="application/xml")


async def schedule_json(request: Request) -> Response:
    programme = await _programme(request)
    return JSONResponse(frab.schedule_json(programme, links=SiteUrls.of(request)))


routes: list[BaseRoute] = [
    Route("/{slug}/schedule.ics", event_ics, methods=["GET"], name="schedule_ics"),
    Route("/{slug}/sessions/{code}.ics", session_ics, methods=["GET"], name="session_ics"),
    Route("/{slug}/schedule.xml", schedule_xml, methods=["GET"], name="schedule_xml"),
    Route("/{slug}/schedule.json", schedule_json, methods=["GET"], name="schedule_json"),
]
