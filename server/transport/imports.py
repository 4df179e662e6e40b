"""The back office's "Import and API" section: upload a schedule file, see what it would change, apply it; download
the event file; and, for instance admins, import a schedule as a new event. (API tokens: ``api_tokens``.)"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.agenda.interchange import dump_event_file, export_event
from server.agenda.schedule_files import ScheduleFileErrors, read_schedule_file
from server.errors import Conflict, InvalidInput
from server.i18n import gettext as _
from server.organising.pending_imports import load_pending, store_pending
from server.organising.rules import can_import_new_event, can_import_schedule
from server.organising.schedule_import import apply_import, plan_import
from server.transport.auth import checked_form, form_text
from server.transport.backoffice import render_backoffice
from server.transport.context import database, private, see_other, services
from server.transport.loaders import AccountPage, EventPage, load_account_page, load_event_page, requires
from server.transport.rendering import render
from server.transport.throttle import throttle
from server.transport.urls import path_for, with_query

MAX_FILE_BYTES = 5 * 1024 * 1024  # a schedule of several thousand sessions
UPLOADS_PER_MINUTE = 20
Page = EventPage | AccountPage


def _event(page: Page) -> Any:
    return page.event if isinstance(page, EventPage) else None


def _render(request: Request, page: Page, context: dict[str, Any], status_code: int = 200) -> Response:
    full = {"upload_url": _upload_url(request, page), **context}
    if not isinstance(page, EventPage):
        return private(render(request, "backoffice/import_new.html", full, status_code=status_code))
    full["export_url"] = path_for(request, "event_file", slug=page.event.slug)
    return render_backoffice(request, page, "backoffice/import.html", full, section="import", status_code=status_code)


def _upload_url(request: Request, page: Page) -> str:
    event = _event(page)
    return path_for(request, "import", slug=event.slug) if event is not None else path_for(request, "admin_import")


async def _upload(request: Request, page: Page) -> Response:
    form = await checked_form(request, max_bytes=MAX_FILE_BYTES, max_files=1)
    await throttle(services(request), "schedule_upload", UPLOADS_PER_MINUTE).check(f"a{page.actor.account_id}")
    upload = form.get("file")
    filename = upload.filename if isinstance(upload, UploadFile) else ""
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    await form.close()
    if not filename:
        return _render(request, page, {"errors": [_("Choose a schedule file to upload.")]}, 400)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _render(request, page, {"errors": [_("The file is not text in UTF-8.")]}, 400)
    event = _event(page)
    async with database(request).session() as db:
        try:
            wanted = read_schedule_file(text)
            plan = await plan_import(db, event=event, wanted=wanted)
        except ScheduleFileErrors as failure:
            return _render(request, page, {"errors": failure.errors, "filename": filename}, 400)
        except InvalidInput as failure:
            return _render(request, page, {"errors": [failure.message], "filename": filename}, 400)
        pending = await store_pending(db, actor=page.actor, event=event, filename=filename, text=text)
    return _preview(request, page, plan, pending.id or 0, filename)


def _preview(
    request: Request, page: Page, plan: Any, pending_id: int, filename: str, status_code: int = 200, **extra: Any
) -> Response:
    event = _event(page)
    apply_url = (
        path_for(request, "import_apply", slug=event.slug, import_id=pending_id)
        if event is not None
        else path_for(request, "admin_import_apply", import_id=pending_id)
    )
    return _render(request, page, {"plan": plan, "filename": filename, "apply_url": apply_url, **extra}, status_code)


async def _apply(request: Request, page: Page) -> Response:
    form = await checked_form(request)
    event = _event(page)
    async with database(request).session() as db:
        pending = await load_pending(db, actor=page.actor, event=event, pending_id=request.path_params["import_id"])
        wanted, pending_id, filename = read_schedule_file(pending.text), pending.id or 0, pending.filename
        try:
            result, _plan = await apply_import(
                db,
                actor=page.actor,
                event=event,
                wanted=wanted,
                digest=form_text(form, "digest"),
                label=filename,
            )
        except (Conflict, InvalidInput) as refusal:
            async with database(request).session() as again:
                try:
                    plan = await plan_import(again, event=event, wanted=wanted)
                except InvalidInput as failure:  # a new event's address taken since the preview
                    return _render(request, page, {"errors": [failure.message], "filename": filename}, 409)
            return _preview(request, page, plan, pending_id, filename, conflict=refusal.message, status_code=409)
    return see_other(with_query(path_for(request, "import", slug=result.slug), applied="1"))


@requires(can_import_schedule, load_event_page)
async def import_page(request: Request, page: EventPage) -> Response:
    return _render(request, page, {"applied": request.query_params.get("applied") == "1"})


@requires(can_import_schedule, load_event_page)
async def import_upload(request: Request, page: EventPage) -> Response:
    return await _upload(request, page)


@requires(can_import_schedule, load_event_page)
async def import_apply(request: Request, page: EventPage) -> Response:
    return await _apply(request, page)


@requires(can_import_schedule, load_event_page, page=False)  # a download: signed out, "not found"
async def event_file(request: Request, page: EventPage) -> Response:
    """The event as a "podium-event/1" file: importing it gives the same programme, byte for byte."""
    async with database(request).session() as db:
        text = dump_event_file(await export_event(db, event=page.event))
    headers = {"content-disposition": f'attachment; filename="{page.event.slug}.json"'}
    return private(Response(text, media_type="application/json; charset=utf-8", headers=headers))


@requires(can_import_new_event, load_account_page)
async def admin_import_page(request: Request, page: AccountPage) -> Response:
    return _render(request, page, {})


@requires(can_import_new_event, load_account_page)
async def admin_import_upload(request: Request, page: AccountPage) -> Response:
    return await _upload(request, page)


@requires(can_import_new_event, load_account_page)
async def admin_import_apply(request: Request, page: AccountPage) -> Response:
    return await _apply(request, page)


routes: list[BaseRoute] = [
    Route("/{slug}/organiser/import", import_page, methods=["GET"], name="import"),
    Route("/{slug}/organiser/import", import_upload, methods=["POST"], name="import_upload"),
    Route("/{slug}/organiser/import/{import_id:id}/apply", import_apply, methods=["POST"], name="import_apply"),
    Route("/{slug}/organiser/event.json", event_file, methods=["GET"], name="event_file"),
    Route("/admin/import", admin_import_page, methods=["GET"], name="admin_import"),
    Route("/admin/import", admin_import_upload, methods=["POST"], name="admin_import_upload"),
    Route("/admin/import/{import_id:id}/apply", admin_import_apply, methods=["POST"], name="admin_import_apply"),
]
