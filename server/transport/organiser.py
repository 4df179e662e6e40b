"""The event's own people: the participant list, and for organisers the check-in desk, dashboard and export.

Anonymous visitors and people without the role get "not found": the pages and the services ask the same rules.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.agenda.services import to_zone
from server.live.event_settings import require_participant_list
from server.registration.answers import event_answers, questions_of
from server.registration.arrivals import arrivals_per_hour
from server.registration.badges import CheckIn, CheckInOutcome, check_in, check_in_person
from server.registration.countries import country_name
from server.registration.lookup import LIMIT, find_people
from server.registration.models import Attendance, RegistrationStatus
from server.registration.removal import remove_from_event
from server.registration.reports import dashboard, event_team, participant_list, registration_list, registrations_csv
from server.registration.rules import can_check_in, can_manage_registrations, can_remove_people, can_see_participants
from server.registration.seats import holds_seat, seatless_kinds
from server.registration.translations import translated
from server.transport.auth import checked_form, form_text
from server.transport.backoffice import render_backoffice
from server.transport.context import database, private, see_other, settings
from server.transport.dashboard_charts import dashboard_charts
from server.transport.dashboard_charts import routes as chart_routes
from server.transport.labels import (
    attendance_labels,
    check_in_advice,
    check_in_headlines,
    organiser_status_labels,
    role_labels,
)
from server.transport.loaders import EventPage, load_event_page, requires
from server.transport.rendering import render
from server.transport.urls import path_for

MODES = (Attendance.onsite, Attendance.online)
STATUSES = (
    RegistrationStatus.confirmed,
    RegistrationStatus.pending,
    RegistrationStatus.waitlisted,
    RegistrationStatus.unconfirmed,
    RegistrationStatus.rejected,
    RegistrationStatus.cancelled,
)


@requires(can_see_participants, load_event_page)
async def participants_page(request: Request, page: EventPage) -> Response:
    event, actor = page.event, page.actor
    async with database(request).session() as db:
        await require_participant_list(db, actor=actor, event=event)
        listed = await participant_list(db, actor=actor, event=event)
    people = [(registration, country_name(registration.country)) for registration in listed]
    return private(render(request, "registration/participants.html", {"event": event, "people": people}))


async def desk_context(
    db: AsyncSession, page: EventPage, *, result: CheckIn | None = None, code: str = "", typed: str = ""
) -> dict[str, Any]:
    """The desk: the last outcome, the name lookup's results, and the arrivals per hour so far."""
    event = page.event
    zone = ZoneInfo(event.timezone)
    lookup = await find_people(db, actor=page.actor, event=event, typed=typed) if typed.strip() else None
    hours = await arrivals_per_hour(db, event)
    context: dict[str, Any] = {
        "event": event,
        "result": result,
        "code": code,
        "lookup": lookup,
        "limit": LIMIT,
        "arrivals": hours,
        "arrived": sum(number for _hour, number in hours),
        "busiest": max((number for _hour, number in hours), default=0),
        "attendance_labels": attendance_labels(),
        "status_labels": organiser_status_labels(),
    }
    if lookup is not None:
        context["found"] = [
            (
                person,
                country_name(person.country),
                to_zone(person.checked_in_at, zone) if person.checked_in_at else None,
            )
            for person in lookup.found
        ]
    if result is not None:
        registration = result.registration
        context.update(
            headline=check_in_headlines()[result.outcome],
            advice=check_in_advice()[result.outcome],
            country=country_name(registration.country) if registration else "",
            checked_in_at=to_zone(registration.checked_in_at, zone)
            if registration and registration.checked_in_at
            else None,
        )
    return context


@requires(can_check_in, load_event_page)
async def checkin_desk(request: Request, page: EventPage) -> Response:
    typed = request.query_params.get("q", "")[:100]
    async with database(request).session() as db:
        context = await desk_context(db, page, typed=typed)
    return private(render(request, "registration/checkin.html", context))


@requires(can_check_in, load_event_page)
async def checkin_submit(request: Request, page: EventPage) -> Response:
    """A scanned or typed badge code, or a person the desk found by name (their registration's number)."""
    form = await checked_form(request)
    code = form_text(form, "code").strip()
    chosen = form_text(form, "registration").strip()
    event, actor = page.event, page.actor
    async with database(request).session() as db:
        if chosen and not code:
            result = (
                await check_in_person(db, actor=actor, event=event, registration_id=int(chosen))
                if chosen.isdigit() and len(chosen) < 10
                else CheckIn(CheckInOutcome.not_found)
            )
        else:
            result = await check_in(db, actor=actor, event=event, code=code, secret=settings(request).secret_key)
        # Answered on the spot rather than by redirect: the desk reads the outcome, then scans the next badge.
        shown = code[:100] if result.registration is None else ""
        context = await desk_context(db, page, result=result, code=shown)
    return private(render(request, "registration/checkin.html", context))


@requires(can_manage_registrations, load_event_page)
async def organiser_page(request: Request, page: EventPage) -> Response:
    event, actor = page.event, page.actor
    async with database(request).session() as db:
        report = await dashboard(db, actor=actor, event=event)
        registrations = await registration_list(db, actor=actor, event=event)
        team = await event_team(db, actor=actor, event=event)
        questions = await questions_of(db, event=event)
        answers = await event_answers(db, event=event)
        seatless = await seatless_kinds(db, event=event)
        charts, live_charts = await dashboard_charts(db, actor=actor, event=event, report=report, seatless=seatless)
    zone = ZoneInfo(event.timezone)
    context = {
        "charts": charts,
        "live_charts": live_charts,
        "report": report,
        "modes": MODES,
        "statuses": STATUSES,
        "countries": [(country_name(code), number) for code, number in report.countries],
        "registrations": [
            (registration, account, country_name(registration.country)) for registration, account in registrations
        ],
        "questions": [(question, translated(question.label, event)) for question in questions],
        "answers": answers,
        "team": team,
        "fills": [
            (fill, to_zone(fill.session.start, zone), holds_seat(fill.session, fill.room, seatless))
            for fill in report.sessions
        ],
        "attendance_labels": attendance_labels(),
        "status_labels": organiser_status_labels(),
        "role_labels": role_labels(),
        "time_zone": event.timezone,
    }
    return render_backoffice(request, page, "registration/organiser.html", context, section="organiser")


@requires(can_manage_registrations, load_event_page, page=False)
async def registrations_export(request: Request, page: EventPage) -> Response:
    event = page.event
    async with database(request).session() as db:
        text = await registrations_csv(db, actor=page.actor, event=event)
    # The byte order mark lets spreadsheet programs read the UTF-8 names (Chinese, Thai, ...) correctly.
    return Response(
        "\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{event.slug}-registrations.csv"',
            "cache-control": "private, no-store",
        },
    )


@requires(can_remove_people, load_event_page)
async def remove_person(request: Request, page: EventPage) -> Response:
    """Removes the person from this event only: their roles here end and their registration is cancelled."""
    await checked_form(request)
    event, actor = page.event, page.actor
    async with database(request).session() as db:
        await remove_from_event(db, actor=actor, event=event, account_id=request.path_params["account_id"])
    return see_other(path_for(request, "organiser", slug=event.slug) + "#registrations")


routes: list[BaseRoute] = [
    Route("/{slug}/participants", participants_page, methods=["GET"], name="participants"),
    Route("/{slug}/checkin", checkin_desk, methods=["GET"], name="checkin"),
    Route("/{slug}/checkin", checkin_submit, methods=["POST"], name="checkin"),
    Route("/{slug}/organiser", organiser_page, methods=["GET"], name="organiser"),
    Route("/{slug}/organiser/registrations.csv", registrations_export, methods=["GET"], name="registrations_csv"),
    Route("/{slug}/organiser/people/{account_id:id}/remove", remove_person, methods=["POST"], name="remove_person"),
    *chart_routes,
]
