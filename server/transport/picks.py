"""Building a personal agenda: pick a session (a seat on site, or the waitlist), or drop it again."""

from __future__ import annotations

import itertools
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from server.agenda.services import load_programme
from server.cookies import SESSION_COOKIE
from server.registration.models import RegistrationStatus
from server.registration.seats import agenda_of, find_session, pick_session, picked_codes, unpick_session
from server.registration.services import find_registration
from server.transport.agenda_view import kind_labels
from server.transport.auth import checked_form, current_account
from server.transport.context import database, end_reads, event_of, next_from, private, see_other, sign_in_redirect
from server.transport.labels import attendance_labels, choice_labels
from server.transport.rendering import render
from server.transport.urls import path_for, paths_of
from server.transport.zones import shown_zone


async def choose_page(request: Request) -> Response:
    """The programme, day by day, with a button to add or drop each session that can be picked."""
    async with database(request).session() as db:
        event = await event_of(db, request)
        account = await current_account(request, db)
        if account is None:
            return sign_in_redirect(request)
        registration = await find_registration(db, event=event, account=account)
        if registration is None or registration.status != RegistrationStatus.confirmed:
            return see_other(path_for(request, "registration", slug=event.slug))
        programme = await load_programme(db, event=event)
        chosen = await agenda_of(db, registration=registration)
    zone = shown_zone(request, event, account)
    pickable = [view for view in programme.sessions if view.pickable]
    days = [
        (day, list(views)) for day, views in itertools.groupby(pickable, key=lambda view: view.local_start(zone).date())
    ]
    paths = paths_of(request.app.router)
    context: dict[str, Any] = {
        "event": event,
        "registration": registration,
        "days": days,
        "zone": zone,
        "time_zone": zone.key,
        "chosen": chosen,
        "kinds": kind_labels(),
        "choice_labels": choice_labels(),
        "attendance_labels": attendance_labels(),
        "pick_path": paths.template("pick", "code", slug=event.slug),
        "unpick_path": paths.template("unpick", "code", slug=event.slug),
        "session_path": paths.template("session", "code", slug=event.slug),
        "here": request.url.path,
    }
    return private(render(request, "registration/choose.html", context))


async def my_picks(request: Request) -> Response:
    """The signed-in delegate's picks, code → "confirmed" or "waitlisted": the shared, cached agenda page marks
    them in the browser, so no one's marks are ever cached in a page another person gets."""
    picks: dict[str, str] = {}
    if request.cookies.get(SESSION_COOKIE):  # nobody signed in: nothing to read
        async with database(request).session() as db:
            event = await event_of(db, request)
            account = await current_account(request, db)
            registration = await find_registration(db, event=event, account=account) if account else None
            if registration is not None and registration.status == RegistrationStatus.confirmed:
                picks = await picked_codes(db, registration=registration)
    return private(JSONResponse({"picks": picks}))


async def pick_page(request: Request) -> Response:
    """One session and what the delegate holds in it; the programme pages link here to pick it."""
    code = request.path_params["code"]
    async with database(request).session() as db:
        event = await event_of(db, request)
        programme = await load_programme(db, event=event)
        view = programme.session(code)
        account = await current_account(request, db)
        if account is None:
            return sign_in_redirect(request)
        registration = await find_registration(db, event=event, account=account)
        confirmed = registration is not None and registration.status == RegistrationStatus.confirmed
        chosen = await agenda_of(db, registration=registration) if registration is not None and confirmed else {}
    zone = shown_zone(request, event, account)
    context: dict[str, Any] = {
        "event": event,
        "view": view,
        "zone": zone,
        "time_zone": zone.key,
        "registration": registration if confirmed else None,
        "pick": chosen.get(view.session.id or 0),
        "pickable": view.pickable,
        "kinds": kind_labels(),
        "choice_labels": choice_labels(),
        "attendance_labels": attendance_labels(),
        "pick_path": path_for(request, "pick", slug=event.slug, code=code),
        "unpick_path": path_for(request, "unpick", slug=event.slug, code=code),
        "session_path": path_for(request, "session", slug=event.slug, code=code),
    }
    return private(render(request, "registration/pick.html", context))


async def _change_pick(request: Request, *, add: bool) -> Response:
    form = await checked_form(request)
    code = request.path_params["code"]
    async with database(request).session() as db:
        event = await event_of(db, request)
        back = next_from(form, path_for(request, "pick", slug=event.slug, code=code))
        account = await current_account(request, db)
        if account is None:
            return sign_in_redirect(request, path_for(request, "pick", slug=event.slug, code=code))
        session = await find_session(db, event=event, code=code)
        await end_reads(db)
        change = pick_session if add else unpick_session
        await change(db, event=event, account=account, session_id=session.id or 0)
    return see_other(back)


async def pick_submit(request: Request) -> Response:
    return await _change_pick(request, add=True)


async def unpick_submit(request: Request) -> Response:
    return await _change_pick(request, add=False)


routes: list[BaseRoute] = [
    Route("/{slug}/registration/picks.json", my_picks, methods=["GET"], name="my_picks"),
    Route("/{slug}/registration/sessions", choose_page, methods=["GET"], name="choose_sessions"),
    Route("/{slug}/sessions/{code}/pick", pick_page, methods=["GET"], name="pick"),
    Route("/{slug}/sessions/{code}/pick", pick_submit, methods=["POST"], name="pick"),
    Route("/{slug}/sessions/{code}/unpick", unpick_submit, methods=["POST"], name="unpick"),
]
