"""A session's materials: the organisers' editor (add a file or a link, reorder, delete), reached from the
session, and the public address of each material (a download, or a redirect to the link)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server.agenda.models import MaterialKind
from server.agenda.rules import can_edit_programme_parts, can_read_delegate_materials
from server.archive.archive import opens_delegate_materials
from server.errors import Conflict, FieldErrors, InvalidInput, NotFound
from server.i18n import gettext as _
from server.organising.materials import (
    ALLOWED,
    MAX_MATERIAL_BYTES,
    add_material,
    delete_material,
    material_of,
    material_path,
    materials_of,
    move_material,
)
from server.permissions import allows
from server.transport.auth import checked_form, current_actor, form_text
from server.transport.backoffice import render_backoffice
from server.transport.context import database, event_of, private, see_other, settings, sign_in_redirect
from server.transport.loaders import EventPage, SessionPage, load_session_page, requires
from server.transport.notices import Notice, leave_notice
from server.transport.uploads import as_typed, upload_form
from server.transport.urls import path_for


async def _render(
    request: Request, page: SessionPage, *, values: Any = None, errors: Any = None, status: int = 200
) -> Response:
    async with database(request).session() as db:
        materials = await materials_of(db, session_id=page.session_id)
    context = {
        "view": page.view,
        "materials": materials,
        "values": as_typed(values or {}),
        "errors": errors or {},
        "types": ", ".join(sorted(ALLOWED)),
        "max_mb": MAX_MATERIAL_BYTES // (1024 * 1024),
    }
    # Reached from the dashboard's list of sessions: that section stays marked.
    shown = EventPage(event=page.event, actor=page.actor)
    return render_backoffice(
        request, shown, "backoffice/materials.html", context, section="organiser", status_code=status
    )


@requires(can_edit_programme_parts, load_session_page)
async def materials_page(request: Request, page: SessionPage) -> Response:
    return await _render(request, page)


@requires(can_edit_programme_parts, load_session_page)
async def add(request: Request, page: SessionPage) -> Response:
    try:
        sent = await upload_form(request, file_field="file", limit=MAX_MATERIAL_BYTES)
    except InvalidInput as refusal:
        return await _render(request, page, errors={"file": refusal.message}, status=refusal.status_code)
    try:
        async with database(request).session() as db:
            await add_material(
                db,
                actor=page.actor,
                event=page.event,
                code=page.view.session.code,
                form=sent.fields,
                filename=sent.filename,
                data=sent.data,
                media_dir=settings(request).media_dir,
            )
    except FieldErrors as refusal:
        return await _render(request, page, values=sent.fields, errors=refusal.errors, status=400)
    except Conflict as refusal:
        return await _render(request, page, values=sent.fields, errors={"title": refusal.message}, status=409)
    back = see_other(path_for(request, "materials", slug=page.event.slug, code=page.view.session.code))
    return leave_notice(request, back, Notice(_("The material is added."), "success"))


@requires(can_edit_programme_parts, load_session_page)
async def delete(request: Request, page: SessionPage) -> Response:
    await checked_form(request)
    async with database(request).session() as db:
        await delete_material(
            db,
            actor=page.actor,
            event=page.event,
            code=page.view.session.code,
            material_id=request.path_params["material_id"],
            media_dir=settings(request).media_dir,
        )
    back = see_other(path_for(request, "materials", slug=page.event.slug, code=page.view.session.code))
    return leave_notice(request, back, Notice(_("The material is deleted."), "success"))


@requires(can_edit_programme_parts, load_session_page)
async def move(request: Request, page: SessionPage) -> Response:
    form = await checked_form(request)
    async with database(request).session() as db:
        await move_material(
            db,
            actor=page.actor,
            event=page.event,
            code=page.view.session.code,
            material_id=request.path_params["material_id"],
            up=form_text(form, "to") == "up",
        )
    return see_other(path_for(request, "materials", slug=page.event.slug, code=page.view.session.code))


async def material(request: Request) -> Response:
    """One material: a file as a download, a link as a redirect; one marked for delegates only to them, and to
    everyone once the session has ended and its archive is published."""
    async with database(request).session() as db:
        event = await event_of(db, request)
        found = await material_of(db, event=event, material_id=request.path_params["material_id"])
        actor = await current_actor(request, db, event)
        restricted = found.delegates_only and not allows(actor, can_read_delegate_materials, event)
        if restricted:  # a published archive opens them to everyone after the session (server/archive)
            restricted = not await opens_delegate_materials(db, session_id=found.session_id)
    if restricted:
        if actor.account is None:  # perhaps a delegate who has not signed in on this browser
            return sign_in_redirect(request)
        raise NotFound(_("There is no such material in this event."))
    cache = "private, max-age=300" if found.delegates_only else "public, max-age=300"
    if found.kind == MaterialKind.link:
        redirect = RedirectResponse(found.url, status_code=303)
        return private(redirect) if found.delegates_only else redirect
    path = material_path(settings(request).media_dir, found.stored_name)
    if not path.is_file():
        raise NotFound(_("There is no such material in this event."))
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.filename)}",
        "Cache-Control": cache,  # X-Content-Type-Options: nosniff comes from SecurityHeadersMiddleware
    }
    return FileResponse(path, media_type=found.content_type, headers=headers)


routes: list[BaseRoute] = [
    Route("/{slug}/organiser/sessions/{code}/materials", materials_page, methods=["GET"], name="materials"),
    Route("/{slug}/organiser/sessions/{code}/materials", add, methods=["POST"], name="materials"),
    Route(
        "/{slug}/organiser/sessions/{code}/materials/{material_id:id}/delete",
        delete,
        methods=["POST"],
        name="material_delete",
    ),
    Route(
        "/{slug}/organiser/sessions/{code}/materials/{material_id:id}/move",
        move,
        methods=["POST"],
        name="material_move",
    ),
    Route("/{slug}/materials/{material_id:id}", material, methods=["GET"], name="material"),
]
