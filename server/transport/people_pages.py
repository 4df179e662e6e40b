"""The back office's People section (the programme's speakers: details, photo, the account they sign in with),
and the photos' public addresses."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from server.accounts.models import Account
from server.agenda.models import Person
from server.agenda.photos import MAX_PHOTO_BYTES, SIZES, photo_path
from server.agenda.rules import can_edit_programme_parts
from server.errors import FieldErrors, InvalidInput, NotFound, StaleVersion
from server.i18n import gettext as _
from server.organising.people import delete_person, person_of, save_person
from server.registration.countries import countries
from server.transport.auth import checked_form
from server.transport.backoffice import render_backoffice
from server.transport.context import database, event_of, see_other, settings
from server.transport.loaders import EventPage, load_event_page, requires
from server.transport.uploads import as_typed, upload_form
from server.transport.urls import SiteUrls, path_for

SECTION = "people_list"
STORED = re.compile(r"[0-9a-f]{32}")


@requires(can_edit_programme_parts, load_event_page)
async def people_page(request: Request, page: EventPage) -> Response:
    async with database(request).session() as db:
        rows = await db.exec(
            select(Person, Account.email)
            .outerjoin(Account, col(Account.id) == col(Person.account_id))
            .where(Person.event_id == page.event.id)
            .order_by(col(Person.position), col(Person.id))
        )
        people = list(rows.all())
    return render_backoffice(request, page, "backoffice/people.html", {"people": people}, section=SECTION)


def _render_form(
    request: Request, page: EventPage, *, values: dict[str, Any], person_id: int | None, **extra: Any
) -> Response:
    context = {
        "values": as_typed(values),
        "person_id": person_id,
        "errors": extra.get("errors", {}),
        "stale": extra.get("stale", ""),
        "countries": countries(),
        "max_mb": MAX_PHOTO_BYTES // (1024 * 1024),
        "action": path_for(request, "person_edit", slug=page.event.slug, person_id=person_id)
        if person_id
        else path_for(request, "person_new", slug=page.event.slug),
    }
    status = extra.get("status", 200)
    return render_backoffice(request, page, "backoffice/person_form.html", context, section=SECTION, status_code=status)


async def _values(request: Request, page: EventPage, person_id: int) -> dict[str, Any]:
    async with database(request).session() as db:
        person = await person_of(db, actor=page.actor, event=page.event, person_id=person_id)
        email = (await db.exec(select(Account.email).where(Account.id == person.account_id))).first()
    return {**person.model_dump(), "email": email or ""}


@requires(can_edit_programme_parts, load_event_page)
async def new_form(request: Request, page: EventPage) -> Response:
    return _render_form(request, page, values={}, person_id=None)


@requires(can_edit_programme_parts, load_event_page)
async def edit_form(request: Request, page: EventPage) -> Response:
    person_id: int = request.path_params["person_id"]
    return _render_form(request, page, values=await _values(request, page, person_id), person_id=person_id)


async def _save(request: Request, page: EventPage, person_id: int | None) -> Response:
    if person_id is not None:
        async with database(request).session() as db:  # another event's person: 404 before the body is read
            await person_of(db, actor=page.actor, event=page.event, person_id=person_id)
    try:
        sent = await upload_form(request, file_field="photo", limit=MAX_PHOTO_BYTES)
    except InvalidInput as refusal:
        values = await _values(request, page, person_id) if person_id else {}
        errors = {"photo": refusal.message}
        return _render_form(
            request, page, values=values, person_id=person_id, errors=errors, status=refusal.status_code
        )
    try:
        async with database(request).session() as db:
            person = await save_person(
                db,
                actor=page.actor,
                event=page.event,
                person_id=person_id,
                form=sent.fields,
                photo=sent.data,
                media_dir=settings(request).media_dir,
                links=SiteUrls.of(request),
            )
    except FieldErrors as refusal:
        return _render_form(request, page, values=sent.fields, person_id=person_id, errors=refusal.errors, status=400)
    except StaleVersion as refusal:
        current = await _values(request, page, person_id or 0)
        return _render_form(request, page, values=current, person_id=person_id, stale=refusal.message, status=409)
    return see_other(path_for(request, SECTION, slug=page.event.slug) + f"#person-{person.id}")


@requires(can_edit_programme_parts, load_event_page)
async def create(request: Request, page: EventPage) -> Response:
    return await _save(request, page, None)


@requires(can_edit_programme_parts, load_event_page)
async def update(request: Request, page: EventPage) -> Response:
    return await _save(request, page, request.path_params["person_id"])


@requires(can_edit_programme_parts, load_event_page)
async def delete(request: Request, page: EventPage) -> Response:
    await checked_form(request)
    async with database(request).session() as db:
        await delete_person(
            db,
            actor=page.actor,
            event=page.event,
            person_id=request.path_params["person_id"],
            media_dir=settings(request).media_dir,
        )
    return see_other(path_for(request, SECTION, slug=page.event.slug))


async def photo(request: Request) -> Response:
    """A speaker's photo: public, like the programme that shows it; its name changes with every new photo."""
    stored, size = request.path_params["stored"], request.path_params["size"]
    if not STORED.fullmatch(stored) or size not in SIZES:
        raise NotFound(_("There is no page at this address."))
    async with database(request).session() as db:
        event = await event_of(db, request)
        found = (await db.exec(select(Person.id).where(Person.event_id == event.id, Person.photo == stored))).first()
    path = photo_path(settings(request).media_dir, stored, size)
    if found is None or not path.is_file():
        raise NotFound(_("There is no page at this address."))
    headers = {"Cache-Control": "public, max-age=31536000, immutable"}  # nosniff: SecurityHeadersMiddleware
    return FileResponse(path, media_type="image/jpeg", headers=headers)


routes: list[BaseRoute] = [
    Route("/{slug}/organiser/programme-people", people_page, methods=["GET"], name=SECTION),
    Route("/{slug}/organiser/programme-people/new", new_form, methods=["GET"], name="person_new"),
    Route("/{slug}/organiser/programme-people/new", create, methods=["POST"], name="person_new"),
    Route("/{slug}/organiser/programme-people/{person_id:id}", edit_form, methods=["GET"], name="person_edit"),
    Route("/{slug}/organiser/programme-people/{person_id:id}", update, methods=["POST"], name="person_edit"),
    Route("/{slug}/organiser/programme-people/{person_id:id}/delete", delete, methods=["POST"], name="person_delete"),
    Route("/{slug}/photos/{stored}/{size}.jpg", photo, methods=["GET"], name="person_photo"),
]
