"""The back office's Programme section: the sessions' working copy as a grid (days × rooms, each session with a
Move form) and a list (bulk edit), the session form, and the release page. Edits stay drafts until released."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import formats
from server.agenda.services import to_zone
from server.agenda.texts import other_languages, translation_form_values
from server.errors import Conflict, InvalidInput, NotFound
from server.i18n import gettext as _
from server.organising.programme_editor import (
    BULK_ACTIONS,
    MAX_BULK,
    FieldErrors,
    StaleEdit,
    bulk_edit,
    cancel_session,
    discard_draft,
    move_session,
    save_session,
)
from server.organising.releases import grouped, past_releases, preview_release, release_programme
from server.organising.rules import can_edit_programme, can_release_programme
from server.organising.session_input import MAX_ABSTRACT, MAX_TITLE
from server.organising.working_copy import EditorSession, WorkingCopy, load_working_copy
from server.text import UNSTORABLE
from server.transport.agenda_view import build_days, language_name
from server.transport.auth import MAX_FORM_BYTES, checked_form, form_text
from server.transport.backoffice import render_backoffice
from server.transport.context import database, see_other
from server.transport.loaders import EventPage, load_event_page, requires
from server.transport.urls import SiteUrls, path_for

SECTION = "programme"


def form_values(item: EditorSession, copy: WorkingCopy) -> dict[str, Any]:
    """A session's working values as the form shows them: wall times in the event's zone."""
    session = item.session
    start = to_zone(session.start, copy.zone)
    return {
        "title": session.title,
        "abstract": session.abstract,
        "kind": session.kind,
        "room": str(session.room_id),
        "track": str(session.track_id) if session.track_id is not None else "",
        "day": start.date().isoformat(),
        "start": f"{start:%H:%M}",
        "duration": str(int((session.end - session.start).total_seconds() // 60)),
        "language": session.language,
        "capacity": "" if session.capacity is None else str(session.capacity),
        "speakers": [str(person_id) for person_id in item.speaker_ids],
        "version": str(item.version),
        **translation_form_values(session.translations),
    }


def typed_values(form: FormData) -> dict[str, Any]:
    """What was posted, cut to sane lengths, to show again."""
    names = ("title", "abstract", "kind", "room", "track", "day", "start", "duration", "language", "capacity")
    values: dict[str, Any] = {name: form_text(form, name)[:20_000] for name in names}
    values["speakers"] = [value for value in form.getlist("speakers") if isinstance(value, str)][:40]
    values["version"] = form_text(form, "version")[:20]
    # The title and abstract in the event's other languages (server/agenda/texts.py checks which).
    translated = [key for key in form if key.startswith(("title__", "abstract__"))][:40]
    values.update({key[:40]: form_text(form, key)[:20_001] for key in translated})
    return values


def _labels(copy: WorkingCopy) -> dict[str, Any]:
    return {
        "kinds": dict(copy.kinds),
        "rooms": {str(room.id): room.name for room in copy.rooms},
        "tracks": {str(track.id): track.name for track in copy.tracks},
        "people": {str(person.id): person.name for person in copy.people},
    }


def state_labels() -> dict[str, str]:
    return {
        "new": _("New, not released"),
        "changed": _("Changed, not released"),
        "cancelled": _("Cancellation not released"),
        "withdrawn": _("Cancelled"),
        "released": _("Released"),
    }


async def _session_form(
    request: Request,
    page: EventPage,
    *,
    code: str | None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    theirs: EditorSession | None = None,
    status_code: int = 200,
) -> Response:
    async with database(request).session() as db:
        copy = await load_working_copy(db, event=page.event)
    item = copy.get(code) if code is not None else None
    if values is None:
        values = form_values(item, copy) if item is not None else {"speakers": [], "version": ""}
    if theirs is not None:
        values["version"] = str(theirs.version)  # saving again replaces theirs, knowingly
    context = {
        "copy": copy,
        "item": item,
        "values": values,
        "errors": errors or {},
        "message": message,
        "theirs": form_values(theirs, copy) if theirs is not None else None,
        "labels": _labels(copy),
        "floor_languages": [(code, language_name(code)) for code in page.event.language_list],
        # The title and abstract in each of the event's other languages (optional; the default is required).
        "text_languages": other_languages(page.event),
        "text_specs": [("title", _("Title"), False, MAX_TITLE), ("abstract", _("Abstract"), True, MAX_ABSTRACT)],
        "warnings": copy.warnings(item.code) if item is not None else [],
        "saved": request.query_params.get("saved") == "1",
        "states": state_labels(),
        "speaker_slots": max(len(values.get("speakers", [])) + 3, 4),
    }
    return render_backoffice(
        request, page, "backoffice/programme_session.html", context, section=SECTION, status_code=status_code
    )


def _code(request: Request) -> str:
    return str(request.path_params["code"])[:64]


@requires(can_edit_programme, load_event_page)
async def grid_page(request: Request, page: EventPage) -> Response:
    async with database(request).session() as db:
        copy = await load_working_copy(db, event=page.event)
    by_code = copy.by_code
    days = build_days(
        [item.view for item in copy.sessions], rooms=copy.rooms, event_zone=copy.zone, shown_zone=copy.zone
    )
    context = {
        "copy": copy,
        "days": days,
        "by_code": by_code,
        "warnings": copy.warnings(),
        "states": state_labels(),
        "drafts": len(copy.drafts),
        "moved": request.query_params.get("moved", "")[:64],
    }
    return render_backoffice(request, page, "backoffice/programme_grid.html", context, section=SECTION)


@requires(can_edit_programme, load_event_page)
async def list_page(request: Request, page: EventPage) -> Response:
    return await _list(request, page)


async def _list(
    request: Request, page: EventPage, *, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    async with database(request).session() as db:
        copy = await load_working_copy(db, event=page.event)
    warned = {warning.code for warning in copy.warnings()}
    context = {
        "copy": copy,
        "rows": [(item, to_zone(item.session.start, copy.zone), item.code in warned) for item in copy.sessions],
        "errors": errors or {},
        "labels": _labels(copy),
        "states": state_labels(),
        "actions": BULK_ACTIONS,
        "changed": request.query_params.get("changed", "")[:6],
        "ticked": set(request.query_params.getlist("ticked")),
    }
    return render_backoffice(
        request, page, "backoffice/programme_list.html", context, section=SECTION, status_code=status_code
    )


@requires(can_edit_programme, load_event_page)
async def bulk_submit(request: Request, page: EventPage) -> Response:
    form = await checked_form(request, max_fields=MAX_BULK + 10)
    codes = [value[:64] for value in form.getlist("sessions") if isinstance(value, str)]
    action = form_text(form, "action")
    value = form_text(form, "value" if action == "shift" else f"value_{action}")[:100]
    async with database(request).session() as db:
        try:
            changed = await bulk_edit(db, actor=page.actor, event=page.event, codes=codes, action=action, value=value)
        except FieldErrors as refusal:
            return await _list(request, page, errors=refusal.errors, status_code=refusal.status_code)
        except InvalidInput as refusal:
            return await _list(request, page, errors={"value": refusal.message}, status_code=refusal.status_code)
    return see_other(path_for(request, "programme_list", slug=page.event.slug) + f"?changed={changed}")


@requires(can_edit_programme, load_event_page)
async def new_form(request: Request, page: EventPage) -> Response:
    return await _session_form(request, page, code=None)


@requires(can_edit_programme, load_event_page)
async def edit_form(request: Request, page: EventPage) -> Response:
    return await _session_form(request, page, code=_code(request))


async def _save(request: Request, page: EventPage, code: str | None) -> Response:
    try:
        form = await checked_form(request)
    except InvalidInput as refusal:  # a NUL byte, say: shown again without it, with the message
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > MAX_FORM_BYTES:
            raise  # too large to read again
        typed = {
            name: [UNSTORABLE.sub("", item) for item in value] if isinstance(value, list) else UNSTORABLE.sub("", value)
            for name, value in typed_values(await request.form()).items()
        }
        return await _session_form(
            request, page, code=code, values=typed, message=refusal.message, status_code=refusal.status_code
        )
    fields: dict[str, Any] = {**typed_values(form), "version": form_text(form, "version")}
    async with database(request).session() as db:
        try:
            saved = await save_session(db, actor=page.actor, event=page.event, code=code, form=fields)
        except StaleEdit as stale:
            return await _session_form(
                request,
                page,
                code=code,
                values=typed_values(form),
                message=stale.message,
                theirs=stale.current,
                status_code=stale.status_code,
            )
        except FieldErrors as refusal:
            return await _session_form(
                request,
                page,
                code=code,
                values=typed_values(form),
                errors=refusal.errors,
                status_code=refusal.status_code,
            )
    return see_other(path_for(request, "programme_session", slug=page.event.slug, code=saved) + "?saved=1")


@requires(can_edit_programme, load_event_page)
async def create_submit(request: Request, page: EventPage) -> Response:
    return await _save(request, page, None)


@requires(can_edit_programme, load_event_page)
async def edit_submit(request: Request, page: EventPage) -> Response:
    return await _save(request, page, _code(request))


async def _move_form(
    request: Request,
    page: EventPage,
    *,
    errors: dict[str, str] | None = None,
    message: str = "",
    status_code: int = 200,
) -> Response:
    async with database(request).session() as db:
        copy = await load_working_copy(db, event=page.event)
    item = copy.get(_code(request))
    values = form_values(item, copy)
    context = {"copy": copy, "item": item, "values": values, "errors": errors or {}, "message": message}
    return render_backoffice(
        request, page, "backoffice/programme_move.html", context, section=SECTION, status_code=status_code
    )


@requires(can_edit_programme, load_event_page)
async def move_page(request: Request, page: EventPage) -> Response:
    return await _move_form(request, page)


@requires(can_edit_programme, load_event_page)
async def move_submit(request: Request, page: EventPage) -> Response:
    form = await checked_form(request)
    code = _code(request)
    async with database(request).session() as db:
        try:
            await move_session(
                db,
                actor=page.actor,
                event=page.event,
                code=code,
                day=form_text(form, "day")[:20],
                start=form_text(form, "start")[:10],
                room=form_text(form, "room")[:20],
                version=form_text(form, "version")[:20],
            )
        except FieldErrors as refusal:
            return await _move_form(request, page, errors=refusal.errors, status_code=refusal.status_code)
        except Conflict as refusal:
            return await _move_form(request, page, message=refusal.message, status_code=refusal.status_code)
    return see_other(path_for(request, "programme", slug=page.event.slug) + f"?moved={code}#s-{code}")


async def _state_change(request: Request, page: EventPage, change: Any) -> Response:
    form = await checked_form(request)
    code = _code(request)
    async with database(request).session() as db:
        try:
            await change(db, actor=page.actor, event=page.event, code=code, version=form_text(form, "version")[:20])
        except (Conflict, InvalidInput) as refusal:
            if isinstance(refusal, NotFound):
                raise
            return await _session_form(
                request, page, code=code, message=refusal.message, status_code=refusal.status_code
            )
    async with database(request).session() as db:
        copy = await load_working_copy(db, event=page.event)
    if code in copy.by_code:
        return see_other(path_for(request, "programme_session", slug=page.event.slug, code=code))
    return see_other(path_for(request, "programme_list", slug=page.event.slug))


@requires(can_edit_programme, load_event_page)
async def cancel_submit(request: Request, page: EventPage) -> Response:
    return await _state_change(request, page, cancel_session)


@requires(can_edit_programme, load_event_page)
async def discard_submit(request: Request, page: EventPage) -> Response:
    return await _state_change(request, page, discard_draft)


async def _release_page(request: Request, page: EventPage, *, message: str = "", status_code: int = 200) -> Response:
    async with database(request).session() as db:
        copy = await load_working_copy(db, event=page.event)
        preview = await preview_release(db, actor=page.actor, event=page.event, copy=copy)
        releases = await past_releases(db, actor=page.actor, event=page.event)
    context = {
        "copy": copy,
        "preview": preview,
        "groups": grouped(preview.changes),
        "warnings": copy.warnings(),
        "releases": [(release, grouped(release.changes)) for release in releases],
        "message": message,
        "released": request.query_params.get("released", "")[:6],
        "zone": copy.zone,
        "local": lambda moment: formats.datetime(dt.datetime.fromisoformat(moment), copy.zone),
    }
    return render_backoffice(
        request, page, "backoffice/programme_release.html", context, section=SECTION, status_code=status_code
    )


@requires(can_release_programme, load_event_page)
async def release_page(request: Request, page: EventPage) -> Response:
    return await _release_page(request, page)


@requires(can_release_programme, load_event_page)
async def release_submit(request: Request, page: EventPage) -> Response:
    await checked_form(request)
    async with database(request).session() as db:
        try:
            release = await release_programme(db, actor=page.actor, event=page.event, links=SiteUrls.of(request))
        except InvalidInput as refusal:
            return await _release_page(request, page, message=refusal.message, status_code=refusal.status_code)
    return see_other(path_for(request, "programme_release", slug=page.event.slug) + f"?released={release.number}")


SESSION = "/{slug}/organiser/programme/sessions/{code}"
routes: list[BaseRoute] = [
    Route("/{slug}/organiser/programme", grid_page, methods=["GET"], name="programme"),
    Route("/{slug}/organiser/programme/list", list_page, methods=["GET"], name="programme_list"),
    Route("/{slug}/organiser/programme/bulk", bulk_submit, methods=["POST"], name="programme_bulk"),
    Route("/{slug}/organiser/programme/new", new_form, methods=["GET"], name="programme_new"),
    Route("/{slug}/organiser/programme/new", create_submit, methods=["POST"], name="programme_new"),
    Route("/{slug}/organiser/programme/release", release_page, methods=["GET"], name="programme_release"),
    Route("/{slug}/organiser/programme/release", release_submit, methods=["POST"], name="programme_release"),
    Route(SESSION, edit_form, methods=["GET"], name="programme_session"),
    Route(SESSION, edit_submit, methods=["POST"], name="programme_session"),
    Route(SESSION + "/move", move_page, methods=["GET"], name="programme_move"),
    Route(SESSION + "/move", move_submit, methods=["POST"], name="programme_move"),
    Route(SESSION + "/cancel", cancel_submit, methods=["POST"], name="programme_cancel"),
    Route(SESSION + "/discard", discard_submit, methods=["POST"], name="programme_discard"),
]
