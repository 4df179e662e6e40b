"""Building a personal agenda: pick a session (a seat on site, or the waitlist), or drop it again. Each session
shows its state before any click (seats left, full, a clash with a pick); a refused pick comes back to the page it was
made on, with the reason next to the session and the way forward (server/transport/notices.py)."""

from __future__ import annotations

import itertools
from typing import Any

from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from server.accounts.services import plausible_token
from server.accounts.tokens import token_hash
from server.agenda.services import load_programme
from server.cookies import SESSION_COOKIE
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.i18n import gettext as _
from server.i18n import localised
from server.registration.models import Attendance, ChoiceStatus, RegistrationStatus, SessionChoice
from server.registration.quick_picks import pick_for_session_token
from server.registration.seats import (
    Clash,
    SessionFull,
    agenda_of,
    find_session,
    pick_session,
    unpick_session,
)
from server.registration.services import find_registration
from server.registration.session_states import State, seat_counts, session_states
from server.transport.agenda_view import kind_labels
from server.transport.auth import checked_form, current_account, form_text
from server.transport.context import database, end_reads, event_of, next_from, private, see_other, sign_in_redirect
from server.transport.labels import attendance_labels, choice_labels
from server.transport.notices import Notice, NoticeAction, leave_notice
from server.transport.rendering import render, render_text
from server.transport.signin_prompt import sign_in_prompt
from server.transport.urls import path_for, paths_of
from server.transport.zones import shown_zone


async def choose_page(request: Request) -> Response:
    """The programme, day by day, each session with its state and a button to add or drop it."""
    async with database(request).session() as db:
        event = await event_of(db, request)
        account = await current_account(request, db)
        if account is None:
            return await sign_in_prompt(request, db, event)
        registration = await find_registration(db, event=event, account=account)
        if registration is None or registration.status != RegistrationStatus.confirmed:
            return see_other(path_for(request, "registration", slug=event.slug))
        programme = await load_programme(db, event=event)
        chosen = await agenda_of(db, registration=registration)
        counts = await seat_counts(db, event=event)
    zone = shown_zone(request, event, account)
    pickable = [view for view in programme.sessions if view.pickable]
    days = [
        (day, list(views)) for day, views in itertools.groupby(pickable, key=lambda view: view.local_start(zone).date())
    ]
    paths = paths_of(request.app.router)
    states = session_states(
        pickable, counts=counts, chosen=chosen, registration=registration, all_views=programme.sessions
    )
    context: dict[str, Any] = {
        "event": event,
        "registration": registration,
        "days": days,
        "zone": zone,
        "time_zone": zone.key,
        "chosen": chosen,
        "states": states,
        "inline_notices": True,
        "kinds": kind_labels(),
        "choice_labels": choice_labels(),
        "attendance_labels": attendance_labels(),
        "pick_path": paths.template("pick", "code", slug=event.slug),
        "unpick_path": paths.template("unpick", "code", slug=event.slug),
        "session_path": paths.template("session", "code", slug=event.slug),
        "here": request.url.path,
    }
    return private(render(request, "registration/choose.html", context))


async def pick_page(request: Request) -> Response:
    """One session, its state and what the delegate holds in it; the programme pages link here to pick it."""
    code = request.path_params["code"]
    async with database(request).session() as db:
        event = await event_of(db, request)
        programme = await load_programme(db, event=event)
        view = programme.session(code)
        account = await current_account(request, db)
        if account is None:
            return await sign_in_prompt(request, db, event)
        registration = await find_registration(db, event=event, account=account)
        confirmed = registration is not None and registration.status == RegistrationStatus.confirmed
        chosen = await agenda_of(db, registration=registration) if registration is not None and confirmed else {}
        counts = await seat_counts(db, event=event)
    states = session_states(
        [view],
        counts=counts,
        chosen=chosen,
        registration=registration if confirmed else None,
        all_views=programme.sessions,
    )
    zone = shown_zone(request, event, account)
    context: dict[str, Any] = {
        "event": event,
        "view": view,
        "zone": zone,
        "time_zone": zone.key,
        "registration": registration if confirmed else None,
        "pick": chosen.get(view.session.id or 0),
        "state": states[view.session.id or 0],
        "inline_notices": True,
        "pickable": view.pickable,
        "kinds": kind_labels(),
        "choice_labels": choice_labels(),
        "attendance_labels": attendance_labels(),
        "pick_path": path_for(request, "pick", slug=event.slug, code=code),
        "unpick_path": path_for(request, "unpick", slug=event.slug, code=code),
        "session_path": path_for(request, "session", slug=event.slug, code=code),
    }
    return private(render(request, "registration/pick.html", context))


async def viewer_states(request: Request) -> Response:
    """Each pickable session's state for whoever asks (``?session=CODE``: that one only), code → its badge's
    ``state`` and ``text``: seats left or full for everyone, and for a signed-in delegate a clash, a pick or a
    waitlist place. The agenda and the session page are cached and shared by everyone, so they carry nobody's
    state: their scripts (web/static/agenda.js, session-state.js) show these badges."""
    only = request.query_params.get("session", "")
    async with database(request).session() as db:
        event = await event_of(db, request)
        programme = await load_programme(db, event=event)
        views = [view for view in programme.sessions if view.pickable and (not only or view.session.code == only)]
        registration = None
        if request.cookies.get(SESSION_COOKIE):  # nobody signed in: no one's picks to read
            account = await current_account(request, db)
            registration = await find_registration(db, event=event, account=account) if account else None
            if registration is not None and registration.status != RegistrationStatus.confirmed:
                registration = None
        chosen = await agenda_of(db, registration=registration) if registration is not None else {}
        counts = await seat_counts(db, event=event)
    states = session_states(
        views, counts=counts, chosen=chosen, registration=registration, all_views=programme.sessions
    )
    badges = {}
    for view in views:
        state = states[view.session.id or 0]
        if state.state != State.open:
            badge = Markup(render_text(request, "partials/session_state_badge.html", {"state": state}))  # noqa: S704
            badges[view.session.code] = {"state": state.state.value, "text": badge.striptags()}
    return private(JSONResponse({"states": badges}))


def picked_notice(title: str, choice: SessionChoice, target: str) -> Notice:
    if choice.attendance == Attendance.online:
        message = _("“{title}” is in your agenda. You follow it online.")
    elif choice.status == ChoiceStatus.waitlisted:
        message = _("You are on the waitlist for “{title}”. We email you when a seat frees up.")
    else:
        message = _("“{title}” is in your agenda, with a seat on site.")
    return Notice(message.format(title=title), "success", target)


async def _change_pick(request: Request, form: FormData, *, add: bool) -> Response:
    """Picks or drops, then back to the page it was asked from, with the result (or the refusal) next to the
    session: a clash offers to drop the other pick, a session that filled meanwhile offers its waitlist, a drop
    offers to undo it."""
    code = request.path_params["code"]
    async with database(request).session() as db:
        event = await event_of(db, request)
        pick_path = path_for(request, "pick", slug=event.slug, code=code)
        back = next_from(form, pick_path)
        account = await current_account(request, db)
        if account is None:
            return sign_in_redirect(request, pick_path)
        if await find_registration(db, event=event, account=account) is None:
            # No form offers this to them (the pick page offers to register): "not found", as for anyone without
            # the role; the refusals of a delegate's own picks below come back to the page instead.
            raise NotFound(_("You are not registered for this event."))
        session = await find_session(db, event=event, code=code)
        session_id, title, slug = (
            session.id or 0,
            localised(session, "title"),
            event.slug,
        )  # a refusal's rollback expires them
        await end_reads(db)
        target = f"s-{code}"
        try:
            if add:
                # Seen with seats left, a session that filled meanwhile is not joined silently: its waitlist is offered.
                waitlist = form_text(form, "seen") != "seats"
                choice = await pick_session(db, event=event, account=account, session_id=session_id, waitlist=waitlist)
                notice = picked_notice(title, choice, target)
            else:
                await unpick_session(db, event=event, account=account, session_id=session_id)
                undo = NoticeAction(_("Undo"), pick_path, {"next": back, "seen": "seats"})
                message = _("“{title}” is no longer in your agenda.").format(title=title)
                notice = Notice(message, "success", target, undo)
        except Clash as clash:
            drop = NoticeAction(
                _("Remove “{title}” from my agenda").format(title=clash.other.title),
                path_for(request, "unpick", slug=slug, code=clash.other.code),
                {"next": back},
            )
            notice = Notice(clash.message, "error", target, drop)
        except SessionFull as full:
            join = NoticeAction(_("Join the waitlist"), pick_path, {"next": back, "seen": "full"})
            notice = Notice(full.message, "warning", target, join)
        except (Conflict, InvalidInput, NotFound, Forbidden) as refused:
            notice = Notice(refused.message, "error", target)
    return leave_notice(request, see_other(back), notice)


async def pick_submit(request: Request) -> Response:
    form = await checked_form(request)
    return await _quick_pick(request, form) or await _change_pick(request, form, add=True)


async def _quick_pick(request: Request, form: FormData) -> Response | None:
    """A signed-in delegate's usual pick of a published event's session, from the cookie's hash and the codes in
    the address alone (a rush of picks at once); None for anything else, which ``_change_pick`` handles."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not plausible_token(token):
        return None
    slug, code = request.path_params["slug"], request.path_params["code"]
    seen_seats = form_text(form, "seen") == "seats"
    async with database(request).session() as db:
        picked = await pick_for_session_token(
            db, slug=slug, session_hash=token_hash(token), code=code, waitlist=not seen_seats
        )
    if picked is None:
        return None
    back = next_from(form, path_for(request, "pick", slug=slug, code=code))
    return leave_notice(request, see_other(back), picked_notice(picked.title, picked.choice, f"s-{code}"))


async def unpick_submit(request: Request) -> Response:
    return await _change_pick(request, await checked_form(request), add=False)


routes: list[BaseRoute] = [
    Route("/{slug}/registration/sessions", choose_page, methods=["GET"], name="choose_sessions"),
    Route("/{slug}/sessions/{code}/pick", pick_page, methods=["GET"], name="pick"),
    Route("/{slug}/sessions/{code}/pick", pick_submit, methods=["POST"], name="pick"),
    Route("/{slug}/sessions/{code}/unpick", unpick_submit, methods=["POST"], name="unpick"),
    Route("/{slug}/states.json", viewer_states, methods=["GET"], name="viewer_states"),
]
