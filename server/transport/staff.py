"""The back office's "Staff" section (invite, list, remove: server/organising/staff.py), the invitation's link, and
"Your tools": the pages a person's roles give them in an event."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts.models import Account
from server.accounts.services import SESSION_LIFETIME, sign_out
from server.errors import Conflict, InvalidInput, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.organising.rules import can_manage_staff
from server.organising.staff import (
    Accepted,
    StaffRole,
    accept_invitation,
    cancel_invitation,
    invitation_choices,
    invite_staff,
    offer,
    pending_invitations,
    remove_staff,
    role_names,
    set_staff_languages,
    staff_of,
)
from server.organising.tools import tools_in
from server.transport.auth import SESSION_COOKIE, checked_form, current_account, form_text, set_session_cookie
from server.transport.backoffice import render_backoffice
from server.transport.booth_panel import language_names
from server.transport.context import database, event_of, private, see_other, services, sign_in_redirect
from server.transport.interpret_pages import announce
from server.transport.loaders import EventPage, load_event_page, requires
from server.transport.notices import Notice, leave_notice
from server.transport.rendering import render
from server.transport.throttle import throttle
from server.transport.urls import SiteUrls, path_for

INVITATIONS_PER_MINUTE = 30  # per organiser: each sends a mail


def _optional_id(form: FormData, name: str) -> int | None:
    raw = form_text(form, name).strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise InvalidInput(_("The form is incomplete. Please reload the page and try again."))
    return int(raw)


async def _staff_form(
    request: Request,
    page: EventPage,
    *,
    typed: dict[str, str] | None = None,
    typed_languages: list[str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    event, actor = page.event, page.actor
    async with database(request).session() as db:
        members = await staff_of(db, actor=actor, event=event)
        invitations = await pending_invitations(db, actor=actor, event=event)
        sessions, people = await invitation_choices(db, actor=actor, event=event)
    context = {
        "members": members,
        "invitations": invitations,
        "sessions": sessions,
        "sessions_by_id": {session.id: session for session in sessions},
        "people": people,
        "role_names": role_names(),
        "roles": list(StaffRole),
        "language_roles": [StaffRole.interpreter.value, StaffRole.captioner.value],
        "language_names": language_names(event),
        "typed": typed or {},
        "typed_languages": typed_languages or [],
        "error": error,
    }
    return render_backoffice(request, page, "backoffice/staff.html", context, section="staff", status_code=status_code)


@requires(can_manage_staff, load_event_page)
async def staff_page(request: Request, page: EventPage) -> Response:
    return await _staff_form(request, page)


@requires(can_manage_staff, load_event_page)
async def invite_submit(request: Request, page: EventPage) -> Response:
    form = await checked_form(request)
    event, actor = page.event, page.actor
    typed = {name: form_text(form, name)[:254] for name in ("email", "role", "session", "person")}
    languages = _languages(form)
    await throttle(services(request), "invite_staff", INVITATIONS_PER_MINUTE).check(f"a{actor.account_id}")
    urls = SiteUrls.of(request)
    try:
        async with database(request).session() as db:
            await invite_staff(
                db,
                actor=actor,
                event=event,
                email=typed["email"],
                role=typed["role"],
                session_id=_optional_id(form, "session"),
                person_id=_optional_id(form, "person"),
                invitation_url=lambda token: urls.url("staff_invitation", slug=event.slug, token=token),
                languages=languages,
            )
    except InvalidInput as problem:
        return await _staff_form(
            request, page, typed=typed, typed_languages=languages, error=problem.message, status_code=400
        )
    return leave_notice(
        request,
        see_other(path_for(request, "staff", slug=event.slug)),
        Notice(_("The invitation is sent. The role is granted when its link is accepted."), "success"),
    )


def _languages(form: FormData) -> list[str]:
    """The languages ticked on the form (at most a few dozen: each is one of the event's languages)."""
    return [value[:16] for value in form.getlist("languages")[:50] if isinstance(value, str)]


@requires(can_manage_staff, load_event_page)
async def languages_submit(request: Request, page: EventPage) -> Response:
    """Changes the languages an interpreter or captioner serves; an interpreter on air in a language taken away
    goes off air (the consoles and the relay hear of it)."""
    form = await checked_form(request)
    role = form_text(form, "role")
    if role not in (StaffRole.interpreter, StaffRole.captioner):
        raise NotFound(_("This person has no such role in this event."))
    try:
        async with database(request).session() as db:
            changes = await set_staff_languages(
                db,
                actor=page.actor,
                event=page.event,
                account_id=request.path_params["account_id"],
                role=role,
                languages=_languages(form),
            )
    except InvalidInput as problem:
        return await _staff_form(request, page, error=problem.message, status_code=400)
    await announce(request, changes)
    return leave_notice(
        request,
        see_other(path_for(request, "staff", slug=page.event.slug)),
        Notice(_("The languages are saved."), "success"),
    )


def _removal(request: Request, form: FormData | None = None) -> tuple[int, str, int | None]:
    """The account, role and session (or None) of a removal, from the path and the query or form."""
    source: Any = form if form is not None else request.query_params
    role = source.get("role", "")
    session = source.get("session", "")
    if not isinstance(role, str) or not isinstance(session, str) or (session and not session.isdigit()):
        raise NotFound(_("This person has no such role in this event."))
    if len(session) > 12 or role not in set(StaffRole):
        raise NotFound(_("This person has no such role in this event."))
    return request.path_params["account_id"], role, int(session) if session else None


@requires(can_manage_staff, load_event_page)
async def remove_confirm(request: Request, page: EventPage) -> Response:
    """Asks before a role is taken away."""
    account_id, role, session_id = _removal(request)
    event = page.event
    async with database(request).session() as db:
        members = await staff_of(db, actor=page.actor, event=event)
    member = next((member for member in members if member.account.id == account_id), None)
    grant = (
        next(
            (
                grant
                for grant in member.grants
                if grant.role == role and (grant.session.id if grant.session else None) == session_id
            ),
            None,
        )
        if member
        else None
    )
    if member is None or grant is None:
        raise NotFound(_("This person has no such role in this event."))
    context = {
        "member": member,
        "grant": grant,
        "role_names": role_names(),
        "self": account_id == page.actor.account_id,
    }
    return render_backoffice(request, page, "backoffice/staff_remove.html", context, section="staff")


@requires(can_manage_staff, load_event_page)
async def remove_submit(request: Request, page: EventPage) -> Response:
    form = await checked_form(request)
    account_id, role, session_id = _removal(request, form)
    event = page.event
    try:
        async with database(request).session() as db:
            changes = await remove_staff(
                db, actor=page.actor, event=event, account_id=account_id, role=role, session_id=session_id
            )
    except Conflict as refusal:
        return await _staff_form(request, page, error=refusal.message, status_code=409)
    await announce(request, changes)
    if account_id == page.actor.account_id and role == StaffRole.organiser:
        return see_other(path_for(request, "agenda", slug=event.slug))  # the back office is no longer theirs
    return leave_notice(
        request,
        see_other(path_for(request, "staff", slug=event.slug)),
        Notice(_("The role is removed. Open live rooms lose it within seconds."), "success"),
    )


@requires(can_manage_staff, load_event_page)
async def invitation_cancel(request: Request, page: EventPage) -> Response:
    await checked_form(request)
    async with database(request).session() as db:
        await cancel_invitation(
            db, actor=page.actor, event=page.event, invitation_id=request.path_params["invitation_id"]
        )
    return leave_notice(
        request,
        see_other(path_for(request, "staff", slug=page.event.slug)),
        Notice(_("The invitation is cancelled: its link no longer works."), "success"),
    )


# The invitation's link: opening it shows what is offered and a button (mail scanners follow links, never buttons).


async def invitation_page(request: Request) -> Response:
    token = request.path_params["token"]
    async with database(request).session() as db:
        event = await event_of(db, request)
        found = await offer(db, event=event, token=token)
    context = {
        "event": event,
        "offer": found,
        "role": role_names().get(found.invitation.role, found.invitation.role),
        "token": token,
    }
    return private(render(request, "accounts/invitation.html", context))


async def invitation_accept(request: Request) -> Response:
    await checked_form(request)
    token = request.path_params["token"]
    previous = request.cookies.get(SESSION_COOKIE, "")
    async with database(request).session() as db:
        event = await event_of(db, request)
        accepted = await accept_invitation(
            db, event=event, token=token, user_agent=request.headers.get("user-agent", "")
        )
        if previous:  # the browser is now the invited account's
            await sign_out(db, session_token=previous)
    response = see_other(_landing(request, event, accepted))
    set_session_cookie(request, response, accepted.session_token, max_age=int(SESSION_LIFETIME.total_seconds()))
    return response


def _landing(request: Request, event: Event, accepted: Accepted) -> str:
    """Where a new member of staff starts: the tool their role gives."""
    if accepted.role == StaffRole.organiser:
        return path_for(request, "organiser", slug=event.slug)
    if accepted.role == StaffRole.checkin:
        return path_for(request, "checkin", slug=event.slug)
    if accepted.role == StaffRole.moderator and accepted.session is not None:
        return path_for(request, "moderate", slug=event.slug, code=accepted.session.code)
    return path_for(request, "tools", slug=event.slug)


async def tools_page(request: Request) -> Response:
    """Your tools in this event; signing in first when signed out."""
    async with database(request).session() as db:
        event = await event_of(db, request)
        account: Account | None = await current_account(request, db)
        if account is None:
            return sign_in_redirect(request)
        tools = await tools_in(db, account=account, event=event)
    return private(render(request, "accounts/tools.html", {"event": event, "tools": tools}))


routes: list[BaseRoute] = [
    Route("/{slug}/organiser/staff", staff_page, methods=["GET"], name="staff"),
    Route("/{slug}/organiser/staff", invite_submit, methods=["POST"], name="staff"),
    Route("/{slug}/organiser/staff/{account_id:id}/remove", remove_confirm, methods=["GET"], name="staff_remove"),
    Route("/{slug}/organiser/staff/{account_id:id}/remove", remove_submit, methods=["POST"], name="staff_remove"),
    Route(
        "/{slug}/organiser/staff/{account_id:id}/languages",
        languages_submit,
        methods=["POST"],
        name="staff_languages",
    ),
    Route(
        "/{slug}/organiser/staff/invitations/{invitation_id:id}/cancel",
        invitation_cancel,
        methods=["POST"],
        name="staff_invitation_cancel",
    ),
    Route("/{slug}/invitations/{token}", invitation_page, methods=["GET"], name="staff_invitation"),
    Route("/{slug}/invitations/{token}", invitation_accept, methods=["POST"], name="staff_invitation"),
    Route("/{slug}/tools", tools_page, methods=["GET"], name="tools"),
]
