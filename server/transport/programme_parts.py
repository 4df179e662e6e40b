"""The back office's "Rooms, tracks and kinds" section: list, add, edit, move up or down, delete."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.agenda.models import SessionKind
from server.agenda.rules import can_edit_programme_parts
from server.agenda.texts import other_languages
from server.errors import Conflict, FieldErrors, NotFound, StaleVersion
from server.i18n import gettext as _
from server.organising.catalogue import (
    PARTS,
    TRANSLATED,
    Part,
    delete_part,
    form_of,
    move_part,
    part_of,
    parts_of,
    save_part,
)
from server.text import storable
from server.transport.agenda_view import kind_labels
from server.transport.auth import checked_form, form_text, posted_form
from server.transport.backoffice import render_backoffice
from server.transport.channel_plans import room_channels_context
from server.transport.context import database, see_other
from server.transport.loaders import EventPage, load_event_page, requires
from server.transport.uploads import as_typed
from server.transport.urls import path_for

SECTION = "programme_parts"


def _part(request: Request) -> Part:
    part = PARTS.get(request.path_params["part"])
    if part is None:
        raise NotFound(_("There is no page at this address."))
    return part


def _list_url(request: Request, page: EventPage, part: Part, part_id: Any = None) -> str:
    anchor = f"#{part.name}-{part_id}" if part_id else f"#{part.name}s"
    return path_for(request, SECTION, slug=page.event.slug) + anchor


@requires(can_edit_programme_parts, load_event_page)
async def parts_page(request: Request, page: EventPage) -> Response:
    return await _parts_list(request, page)


async def _parts_list(request: Request, page: EventPage, *, error: str = "", status: int = 200) -> Response:
    async with database(request).session() as db:
        lists = {
            name: await parts_of(db, actor=page.actor, event=page.event, part=part) for name, part in PARTS.items()
        }
    context = {"lists": lists, "error": error, "kind_labels": kind_labels()}
    return render_backoffice(request, page, "backoffice/parts.html", context, section=SECTION, status_code=status)


def _render_form(
    request: Request, page: EventPage, part: Part, *, values: dict[str, Any], part_id: int | None, **extra: Any
) -> Response:
    context = {
        "part": part.name,
        "part_label": part.label(),
        "values": as_typed(values),
        "part_id": part_id,
        "errors": extra.get("errors", {}),
        "stale": extra.get("stale", ""),
        "behaviours": [(kind.value, kind_labels()[kind.value]) for kind in SessionKind],
        "action": path_for(
            request, "part_edit", slug=page.event.slug, part=request.path_params["part"], part_id=part_id
        )
        if part_id
        else path_for(request, "part_new", slug=page.event.slug, part=request.path_params["part"]),
        "back": _list_url(request, page, part, part_id),
        **extra.get("channels", {}),
        "text_languages": other_languages(page.event),
        "text_specs": [
            (field, {"name": _("Name"), "description": _("Description")}[field], field == "description", limit)
            for field, limit in TRANSLATED[part.name].items()
        ],
    }
    status = extra.get("status", 200)
    return render_backoffice(request, page, "backoffice/part_form.html", context, section=SECTION, status_code=status)


@requires(can_edit_programme_parts, load_event_page)
async def new_form(request: Request, page: EventPage) -> Response:
    part = _part(request)
    defaults: dict[str, dict[str, Any]] = {
        "room": {"capacity": 0},
        "track": {"color": "#4a5568"},
        "kind": {"behaviour": "parallel"},
    }
    return _render_form(request, page, part, values=defaults[part.name], part_id=None)


@requires(can_edit_programme_parts, load_event_page)
async def edit_form(request: Request, page: EventPage) -> Response:
    part = _part(request)
    part_id: int = request.path_params["part_id"]
    async with database(request).session() as db:
        row = await part_of(db, actor=page.actor, event=page.event, part=part, part_id=part_id)
    channels = await room_channels_context(request, page.event, part_id) if part.name == "room" else {}
    return _render_form(request, page, part, values=form_of(row), part_id=part_id, channels=channels)


async def _save(request: Request, page: EventPage, part_id: int | None) -> Response:
    part = _part(request)
    if part_id is not None:  # another event's: 404 before the form is read
        async with database(request).session() as db:
            await part_of(db, actor=page.actor, event=page.event, part=part, part_id=part_id)
    form = await posted_form(request)
    typed = {key: form_text(form, key) for key in form if storable(key)}
    try:
        async with database(request).session() as db:
            row = await save_part(db, actor=page.actor, event=page.event, part=part, part_id=part_id, form=typed)
    except FieldErrors as refusal:
        return _render_form(request, page, part, values=typed, part_id=part_id, errors=refusal.errors, status=400)
    except StaleVersion as refusal:
        async with database(request).session() as db:
            current = await part_of(db, actor=page.actor, event=page.event, part=part, part_id=part_id or 0)
        return _render_form(
            request, page, part, values=form_of(current), part_id=part_id, stale=refusal.message, status=409
        )
    except Conflict as refusal:
        return _render_form(request, page, part, values=typed, part_id=part_id, stale=refusal.message, status=409)
    return see_other(_list_url(request, page, part, row.id))


@requires(can_edit_programme_parts, load_event_page)
async def create(request: Request, page: EventPage) -> Response:
    return await _save(request, page, None)


@requires(can_edit_programme_parts, load_event_page)
async def update(request: Request, page: EventPage) -> Response:
    return await _save(request, page, request.path_params["part_id"])


@requires(can_edit_programme_parts, load_event_page)
async def delete(request: Request, page: EventPage) -> Response:
    part = _part(request)
    await checked_form(request)
    try:
        async with database(request).session() as db:
            await delete_part(db, actor=page.actor, event=page.event, part=part, part_id=request.path_params["part_id"])
    except Conflict as refusal:
        return await _parts_list(request, page, error=refusal.message, status=409)
    return see_other(_list_url(request, page, part))


@requires(can_edit_programme_parts, load_event_page)
async def move(request: Request, page: EventPage) -> Response:
    part = _part(request)
    form = await checked_form(request)
    part_id: int = request.path_params["part_id"]
    async with database(request).session() as db:
        await move_part(
            db, actor=page.actor, event=page.event, part=part, part_id=part_id, up=form_text(form, "to") == "up"
        )
    return see_other(_list_url(request, page, part, part_id))


routes: list[BaseRoute] = [
    Route("/{slug}/organiser/programme-parts", parts_page, methods=["GET"], name=SECTION),
    Route("/{slug}/organiser/programme-parts/{part}/new", new_form, methods=["GET"], name="part_new"),
    Route("/{slug}/organiser/programme-parts/{part}/new", create, methods=["POST"], name="part_new"),
    Route("/{slug}/organiser/programme-parts/{part}/{part_id:id}", edit_form, methods=["GET"], name="part_edit"),
    Route("/{slug}/organiser/programme-parts/{part}/{part_id:id}", update, methods=["POST"], name="part_edit"),
    Route("/{slug}/organiser/programme-parts/{part}/{part_id:id}/delete", delete, methods=["POST"], name="part_delete"),
    Route("/{slug}/organiser/programme-parts/{part}/{part_id:id}/move", move, methods=["POST"], name="part_move"),
]
