"""The API for integrations with an event's token (``Authorization: Bearer <token>``): registrations, and writes to
sessions, people and registrations; and the OpenAPI description of the whole API.

These endpoints authenticate by the token alone and never by the session cookie, so a page on another site cannot
make a signed-in organiser's browser call them (it cannot set the header): no CSRF token is asked for, and none is
needed. Errors are JSON (``server.transport.errors``)."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from server.accounts.models import Account
from server.agenda.models import Person
from server.agenda.services import load_programme
from server.audit.services import record, snapshot
from server.errors import InvalidInput, NotFound
from server.events.models import Event
from server.events.services import get_event
from server.i18n import gettext as _
from server.ops import metrics
from server.organising.api_tokens import TokenActor, token_actor
from server.organising.api_writes import write_person, write_session
from server.registration.models import Registration
from server.registration.services import RegistrationInput, cancel_registration, change_attendance, register
from server.text import storable
from server.transport import api
from server.transport.api_schemas import REGISTRATION_TEXT, SCHEMAS, ref
from server.transport.api_spec import PUBLIC, READ, WRITE, Endpoint, openapi_document, routes_of
from server.transport.auth import client_ip
from server.transport.context import database, event_of, services
from server.transport.throttle import throttle
from server.transport.urls import SiteUrls

MAX_BODY_BYTES = 256 * 1024
REQUESTS_PER_MINUTE = 300  # per token, across processes with Redis
MAX_INTEGER_DIGITS = 15


# Input


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ValueError(f"the number {text[:20]}… is too large")
    return int(text)


def _storable(value: Any) -> bool:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return all(storable(key) and _storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; 400 with a message for anything else (not JSON, too large, NaN, huge numbers,
    text no database can store)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise InvalidInput(_("Send a JSON object with Content-Type: application/json."))
    length = request.headers.get("content-length", "")
    if length and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        raise InvalidInput(_("The request body is too large."))
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise InvalidInput(_("The request body is too large."))
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constant, parse_int=_integer)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise InvalidInput(_("The body is not valid JSON: %(error)s") % {"error": str(error)[:200]}) from None
    if not isinstance(data, dict):
        raise InvalidInput(_("The body must be a JSON object."))
    if not _storable(data):
        raise InvalidInput(_("The body contains characters Podium cannot accept, such as a NUL byte."))
    return data


def _only(data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = [key for key in data if key not in allowed]
    if unknown:
        raise InvalidInput(
            _("Unknown field %(field)s; expected %(allowed)s.") % {"field": unknown[0], "allowed": ", ".join(allowed)}
        )


async def _authorised(request: Request, db: AsyncSession, *, write: bool) -> tuple[Event, TokenActor]:
    event = await get_event(db, slug=request.path_params["slug"])
    scheme, _space, secret = request.headers.get("authorization", "").partition(" ")
    who = await token_actor(db, event=event, secret=secret.strip() if scheme.lower() == "bearer" else "", write=write)
    await throttle(services(request), "api_token", REQUESTS_PER_MINUTE).check(f"t{who.token.id}")
    return event, who


# Output


def person_out(person: Person) -> dict[str, Any]:
    return {name: getattr(person, name) for name in ("slug", "name", "organisation", "country", "biography")}


REGISTRATION_OUT = (
    "id",
    "name",
    "email",
    "country",
    "organisation",
    "job_title",
    "attendance",
    "language",
    "accessibility_needs",
    "listed",
    "status",
)


def registration_out(registration: Registration) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(registration, name) for name in REGISTRATION_OUT}
    for name in ("created_at", "confirmed_at", "cancelled_at", "checked_in_at"):
        moment = getattr(registration, name)
        data[name] = moment.isoformat(timespec="seconds") if moment is not None else None
    return data


async def _session_json(request: Request, db: AsyncSession, event: Event, code: str, status: int) -> Response:
    programme = await load_programme(db, event=event)
    view = programme.session(code)
    links = SiteUrls.of(request)
    return JSONResponse(api.session_out(view, zone=programme.zone, event_slug=event.slug, links=links), status)


async def _person(db: AsyncSession, event: Event, slug: str) -> Person:
    person = (await db.exec(select(Person).where(Person.event_id == event.id, Person.slug == slug))).first()
    if person is None:
        raise NotFound(_("There is no person '%(slug)s' in this event.") % {"slug": slug})
    return person


def _audit(who: TokenActor, event: Event, action: str) -> Any:
    def audit(db: AsyncSession, registration: Registration) -> None:
        record(
            db,
            actor=who.actor,
            event=event,
            action=action,
            target_type="registration",
            target_id=registration.id or "",
            target_label=registration.email,
            after=snapshot(registration, ("name", "email", "attendance", "status")),
            actor_label=who.label,
        )

    return audit


# Sessions and people


async def session_create(request: Request) -> Response:
    body = await json_body(request)
    async with database(request).session() as db:
        event, who = await _authorised(request, db, write=True)
        code = await write_session(db, who=who, event=event, code=None, body=body)
        return await _session_json(request, db, event, code, 201)


async def session_update(request: Request) -> Response:
    body = await json_body(request)
    async with database(request).session() as db:
        event, who = await _authorised(request, db, write=True)
        code = await write_session(db, who=who, event=event, code=request.path_params["code"], body=body)
        return await _session_json(request, db, event, code, 200)


async def session_delete(request: Request) -> Response:
    async with database(request).session() as db:
        event, who = await _authorised(request, db, write=True)
        await write_session(db, who=who, event=event, code=request.path_params["code"], body=None)
    return Response(status_code=204)


async def people_index(request: Request) -> Response:
    async with database(request).session() as db:
        event = await event_of(db, request)  # a draft's speakers are its staff's to see, as its pages are
        people = (await db.exec(select(Person).where(Person.event_id == event.id).order_by(col(Person.position)))).all()
    return JSONResponse({"people": [person_out(person) for person in people]})


async def person_create(request: Request) -> Response:
    body = await json_body(request)
    async with database(request).session() as db:
        event, who = await _authorised(request, db, write=True)
        slug = await write_person(db, who=who, event=event, slug=None, body=body)
        return JSONResponse(person_out(await _person(db, event, slug)), 201)


async def person_update(request: Request) -> Response:
    body = await json_body(request)
    async with database(request).session() as db:
        event, who = await _authorised(request, db, write=True)
        slug = await write_person(db, who=who, event=event, slug=request.path_params["person"], body=body)
        return JSONResponse(person_out(await _person(db, event, slug)))


async def person_delete(request: Request) -> Response:
    async with database(request).session() as db:
        event, who = await _authorised(request, db, write=True)
        await write_person(db, who=who, event=event, slug=request.path_params["person"], body=None)
    return Response(status_code=204)


# Registrations


async def registrations_index(request: Request) -> Response:
    async with database(request).session() as db:
        event, _who = await _authorised(request, db, write=False)
        rows = await db.exec(
            select(Registration).where(Registration.event_id == event.id).order_by(col(Registration.id))
        )
        return JSONResponse({"registrations": [registration_out(row) for row in rows.all()]})


async def registration_create(request: Request) -> Response:
    """Registers someone as the register form does (the same rules): they confirm by the mailed link."""
    body = await json_body(request)
    _only(body, (*REGISTRATION_TEXT, "listed"))
    for name in REGISTRATION_TEXT:
        if not isinstance(body.get(name, ""), str):
            raise InvalidInput(_("%(field)s must be text.") % {"field": name})
    if not isinstance(body.get("listed", False), bool):
        raise InvalidInput(_("listed must be true or false."))
    async with database(request).session() as db:
        event, who = await _authorised(request, db, write=True)
        given = {name: body.get(name, "") for name in REGISTRATION_TEXT}
        data = RegistrationInput.parse(
            **{**given, "language": given["language"] or "en"}, listed=body.get("listed", False)
        )
        await db.commit()  # the reads above end; register starts the write
        registered = await register(
            db,
            event=event,
            account=None,
            data=data,
            requester_ip=client_ip(request),
            links=SiteUrls.of(request),
            audit=_audit(who, event, "registration.create"),
        )
        metrics.registration_created(data.attendance)
        return JSONResponse(registration_out(registered.registration), 201)


async def registration_update(request: Request) -> Response:
    """``attendance`` (onsite, online: seats follow as on the registration page) or ``status``: "cancelled"."""
    body = await json_body(request)
    _only(body, ("attendance", "status"))
    if "status" in body and body["status"] != "cancelled":
        raise InvalidInput(_('status can only become "cancelled".'))
    if "attendance" in body and not isinstance(body["attendance"], str):
        raise InvalidInput(_("attendance must be onsite or online."))
    async with database(request).session() as db:
        event, who = await _authorised(request, db, write=True)
        registration = (
            await db.exec(
                select(Registration).where(
                    Registration.id == request.path_params["registration_id"], Registration.event_id == event.id
                )
            )
        ).first()
        if registration is None:
            raise NotFound(_("There is no such registration in this event."))
        account = await db.get_one(Account, registration.account_id)
        registration_id = registration.id
        await db.commit()
        if "attendance" in body:
            audit = _audit(who, event, "registration.update")
            await change_attendance(db, event=event, account=account, attendance=body["attendance"], audit=audit)
        if "status" in body:
            await cancel_registration(db, event=event, account=account, audit=_audit(who, event, "registration.cancel"))
        changed = await db.get_one(Registration, registration_id)
        await db.refresh(changed)
        return JSONResponse(registration_out(changed))


# The description


async def openapi(request: Request) -> Response:
    document = openapi_document(
        ENDPOINTS + api.ENDPOINTS, server=SiteUrls.of(request).site().rstrip("/"), schemas=SCHEMAS
    )
    return JSONResponse(document)


_SESSIONS = "/api/v1/events/{slug}/sessions"
_PEOPLE = "/api/v1/events/{slug}/people"
_REGISTRATIONS = "/api/v1/events/{slug}/registrations"
ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/api/v1/openapi.json", "api_openapi", openapi, "This description (OpenAPI 3.1)", PUBLIC),
    Endpoint(
        "POST",
        _SESSIONS,
        "api_session_create",
        session_create,
        "Add a session",
        WRITE,
        body=ref("SessionInput"),
        response=ref("Session"),
        status=201,
    ),
    Endpoint(
        "PATCH",
        _SESSIONS + "/{code}",
        "api_session_update",
        session_update,
        "Change a session: only the fields sent",
        WRITE,
        body=ref("SessionChange"),
        response=ref("Session"),
    ),
    Endpoint(
        "DELETE",
        _SESSIONS + "/{code}",
        "api_session_delete",
        session_delete,
        "Remove a session nobody picked (409 otherwise)",
        WRITE,
        status=204,
    ),
    Endpoint(
        "GET",
        _PEOPLE,
        "api_people",
        people_index,
        "The event's speakers",
        PUBLIC,
        response={"type": "object", "properties": {"people": {"type": "array", "items": ref("Person")}}},
    ),
    Endpoint(
        "POST",
        _PEOPLE,
        "api_person_create",
        person_create,
        "Add a speaker",
        WRITE,
        body=ref("PersonInput"),
        response=ref("Person"),
        status=201,
    ),
    Endpoint(
        "PATCH",
        _PEOPLE + "/{person}",
        "api_person_update",
        person_update,
        "Change a speaker: only the fields sent",
        WRITE,
        body=ref("PersonChange"),
        response=ref("Person"),
    ),
    Endpoint(
        "DELETE",
        _PEOPLE + "/{person}",
        "api_person_delete",
        person_delete,
        "Remove a speaker (from their sessions too)",
        WRITE,
        status=204,
    ),
    Endpoint(
        "GET",
        _REGISTRATIONS,
        "api_registrations",
        registrations_index,
        "The event's registrations",
        READ,
        response={"type": "object", "properties": {"registrations": {"type": "array", "items": ref("Registration")}}},
    ),
    Endpoint(
        "POST",
        _REGISTRATIONS,
        "api_registration_create",
        registration_create,
        "Register someone, as the register form does: they confirm by the mailed link",
        WRITE,
        body=ref("RegistrationInput"),
        response=ref("Registration"),
        status=201,
    ),
    Endpoint(
        "PATCH",
        _REGISTRATIONS + "/{registration_id:id}",
        "api_registration_update",
        registration_update,
        "Change the attendance mode (seats follow) or cancel",
        WRITE,
        body=ref("RegistrationChange"),
        response=ref("Registration"),
    ),
]
routes: list[BaseRoute] = routes_of(ENDPOINTS)
