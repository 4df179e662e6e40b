"""The back office's "Live rooms" section: the event's live settings, and each session's own where it departs from
them (server/live/event_settings.py). A save reaches rooms already open."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.broadcast import Outcome, publish
from server.errors import InvalidInput
from server.i18n import gettext as _
from server.live.access import RoomRules, live_settings
from server.live.event_settings import (
    EVENT_FIELDS,
    SESSION_FIELDS,
    StaleSettings,
    session_settings,
    sessions_with_own_settings,
    update_live_settings,
    update_session_live_settings,
)
from server.live.models import ChatMode, LiveSettings, OnlineEntry, ParticipantListAccess, SessionLiveSettings
from server.live.rules import can_change_live_settings
from server.transport.auth import checked_form, form_text
from server.transport.backoffice import render_backoffice
from server.transport.channel_plans import session_channels_context
from server.transport.context import database, see_other, services
from server.transport.loaders import EventPage, load_event_page, requires
from server.transport.urls import path_for, with_query

INHERIT = "inherit"


def choices() -> dict[str, list[tuple[str, str]]]:
    """Each setting's values and their words (booleans as "yes"/"no")."""
    return {
        "anonymous_guests": [
            ("yes", _("Allowed: people in the hall may join by the room's code without an account")),
            ("no", _("Not allowed: everyone signs in")),
        ],
        "online_entry": [
            (OnlineEntry.event.value, _("Everyone registered for the event")),
            (OnlineEntry.session.value, _("Only those who picked the session")),
        ],
        "moderated": [
            ("yes", _("On: questions wait for a moderator before others see them")),
            ("no", _("Off: questions appear at once")),
        ],
        "chat": [
            (ChatMode.on.value, _("On")),
            (ChatMode.reviewed.value, _("Reviewed: each message waits for a moderator")),
            (ChatMode.off.value, _("Off")),
        ],
        "participants": [
            (ParticipantListAccess.staff.value, _("Only organisers and moderators")),
            (ParticipantListAccess.delegates.value, _("People registered for the event, and the staff")),
            (
                ParticipantListAccess.listed.value,
                _("Everyone on the event's lists: registered people, speakers, staff"),
            ),
        ],
        "replay_audience": [
            ("delegates", _("The event's delegates and staff")),
            ("everyone", _("Everyone, without signing in")),
        ],
    }


def labels() -> dict[str, str]:
    return {
        "anonymous_guests": _("Anonymous guests in the hall"),
        "online_entry": _("Online entry"),
        "moderated": _("Question review"),
        "chat": _("Chat"),
        "participants": _("Who may see the participant list"),
        "replay_audience": _("Who may watch published replays"),
    }


def _shown(name: str, value: Any) -> str:
    """A stored value as the form's choices name it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _value(form: FormData, name: str, *, inherit: bool) -> Any:
    raw = form_text(form, name)
    if inherit and raw == INHERIT:
        return None
    if name == "replay_audience" and not raw:  # a form from before the setting existed leaves it as it is
        return None
    if name in ("anonymous_guests", "moderated"):
        if raw not in ("yes", "no"):
            raise InvalidInput(_("Please choose a value for “%(setting)s”.") % {"setting": labels()[name]})
        return raw == "yes"
    if raw not in {value for value, _label in choices()[name]}:
        raise InvalidInput(_("Please choose a value for “%(setting)s”.") % {"setting": labels()[name]})
    return raw


def _version(form: FormData) -> int:
    raw = form_text(form, "version")
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidInput(_("The form is incomplete. Please reload the page and try again."))
    return int(raw)


def _typed_version(form: FormData) -> int | None:
    raw = form_text(form, "version")
    return int(raw) if raw.isdigit() and len(raw) <= 9 else None


async def _event_form(
    request: Request,
    page: EventPage,
    *,
    values: dict[str, str] | None = None,
    version: int | None = None,
    error: str = "",
    theirs: LiveSettings | None = None,
    status_code: int = 200,
) -> Response:
    event = page.event
    async with database(request).session() as db:
        row = await live_settings(db, event_id=event.id or 0)
        sessions = [(session, _own_names(own)) for session, own in await sessions_with_own_settings(db, event=event)]
    context = {
        "values": values or {name: _shown(name, getattr(row, name)) for name in EVENT_FIELDS},
        "version": version if version is not None else row.version,
        "fields": EVENT_FIELDS,
        "choices": choices(),
        "labels": labels(),
        "sessions": sessions,
        "error": error,
        "theirs": {name: _shown(name, getattr(theirs, name)) for name in EVENT_FIELDS} if theirs else None,
        "saved": request.query_params.get("saved") == "1",
    }
    return render_backoffice(
        request, page, "backoffice/live_settings.html", context, section="live_settings", status_code=status_code
    )


def _own_names(own: SessionLiveSettings | None) -> list[str]:
    names = labels()
    return [names[name] for name in SESSION_FIELDS if getattr(own, name, None) is not None]


@requires(can_change_live_settings, load_event_page)
async def live_settings_page(request: Request, page: EventPage) -> Response:
    return await _event_form(request, page)


@requires(can_change_live_settings, load_event_page)
async def live_settings_submit(request: Request, page: EventPage) -> Response:
    form = await checked_form(request)
    typed = {name: form_text(form, name)[:20] for name in EVENT_FIELDS}
    try:
        version = _version(form)
        values = {name: _value(form, name, inherit=False) for name in EVENT_FIELDS}
        async with database(request).session() as db:
            change = await update_live_settings(db, actor=page.actor, event=page.event, version=version, **values)
    except StaleSettings as stale:
        return await _event_form(
            request,
            page,
            values=typed,
            version=stale.current.version,
            error=stale.message,
            theirs=stale.current,
            status_code=409,
        )
    except InvalidInput as problem:
        return await _event_form(
            request, page, values=typed, version=_typed_version(form), error=problem.message, status_code=400
        )
    await publish(services(request).broadcaster, Outcome(answer={}, messages=change.messages))
    return see_other(with_query(path_for(request, "live_settings", slug=page.event.slug), saved="1"))


async def _session_form(
    request: Request,
    page: EventPage,
    session_id: int,
    *,
    values: dict[str, str] | None = None,
    version: int | None = None,
    error: str = "",
    theirs: SessionLiveSettings | None = None,
    status_code: int = 200,
) -> Response:
    event = page.event
    async with database(request).session() as db:
        session, own = await session_settings(db, event=event, session_id=session_id)
        event_row = await live_settings(db, event_id=event.id or 0)
    inherited = RoomRules.of(event_row, None)
    context = {
        "session": session,
        "values": values or {name: _shown(name, getattr(own, name)) or INHERIT for name in SESSION_FIELDS},
        "version": version if version is not None else own.version,
        "fields": SESSION_FIELDS,
        "choices": choices(),
        "labels": labels(),
        "inherited": {name: _shown(name, getattr(inherited, name)) for name in SESSION_FIELDS},
        "error": error,
        "theirs": {name: _shown(name, getattr(theirs, name)) or INHERIT for name in SESSION_FIELDS} if theirs else None,
        "saved": request.query_params.get("saved") == "1",
        **await session_channels_context(request, event, session_id, session.room_id),
    }
    return render_backoffice(
        request,
        page,
        "backoffice/session_live_settings.html",
        context,
        section="live_settings",
        status_code=status_code,
    )


@requires(can_change_live_settings, load_event_page)
async def session_live_settings_page(request: Request, page: EventPage) -> Response:
    return await _session_form(request, page, request.path_params["session_id"])


@requires(can_change_live_settings, load_event_page)
async def session_live_settings_submit(request: Request, page: EventPage) -> Response:
    session_id: int = request.path_params["session_id"]
    form = await checked_form(request)
    typed = {name: form_text(form, name)[:20] for name in SESSION_FIELDS}
    try:
        version = _version(form)
        values = {name: _value(form, name, inherit=True) for name in SESSION_FIELDS}
        async with database(request).session() as db:
            change = await update_session_live_settings(
                db, actor=page.actor, event=page.event, session_id=session_id, version=version, values=values
            )
    except StaleSettings as stale:
        return await _session_form(
            request,
            page,
            session_id,
            values=typed,
            version=stale.current.version,
            error=stale.message,
            theirs=stale.current,
            status_code=409,
        )
    except InvalidInput as problem:
        return await _session_form(
            request,
            page,
            session_id,
            values=typed,
            version=_typed_version(form),
            error=problem.message,
            status_code=400,
        )
    await publish(services(request).broadcaster, Outcome(answer={}, messages=change.messages))
    url = path_for(request, "session_live_settings", slug=page.event.slug, session_id=session_id)
    return see_other(with_query(url, saved="1"))


routes: list[BaseRoute] = [
    Route("/{slug}/organiser/live", live_settings_page, methods=["GET"], name="live_settings"),
    Route("/{slug}/organiser/live", live_settings_submit, methods=["POST"], name="live_settings"),
    Route(
        "/{slug}/organiser/live/sessions/{session_id:id}",
        session_live_settings_page,
        methods=["GET"],
        name="session_live_settings",
    ),
    Route(
        "/{slug}/organiser/live/sessions/{session_id:id}",
        session_live_settings_submit,
        methods=["POST"],
        name="session_live_settings",
    ),
]
