"""Setting an event up in the browser: creating it, its "Event" back-office section (its own fields, the logo and
colours, publishing and taking it back to a draft, cloning it for the next edition), and the logo and colours its
public pages show."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from babel import Locale, UnknownLocaleError
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import i18n
from server.accounts.actors import Actor
from server.agenda.texts import translation_form_values
from server.errors import InvalidInput
from server.events.models import Event
from server.i18n import gettext as _
from server.organising.colours import for_dark_theme, mix, passes_on_white
from server.organising.event_input import (
    ATTENDANCE_MODES,
    COLOUR,
    LANGUAGE_CODES,
    LIMITS,
    MAX_BANNER_BYTES,
    MAX_DESCRIPTION,
    MAX_LOGO_BYTES,
    FieldErrors,
    Logo,
    check_banner,
    check_dates,
    check_logo,
    check_slug,
    parse_event_fields,
    suggested_slug,
    time_zones,
)
from server.organising.events import (
    StaleEdit,
    clone_event,
    create_event,
    event_banner,
    event_logo,
    set_published,
    update_event,
)
from server.organising.rules import can_clone_event, can_create_events, can_edit_event, can_publish_event
from server.permissions import allows, require
from server.settings import EventCreators
from server.text import UNSTORABLE, storable
from server.transport.auth import checked_form, current_account, form_text
from server.transport.backoffice import render_backoffice
from server.transport.context import database, event_of, private, see_other, settings, sign_in_redirect
from server.transport.loaders import EventPage, load_event_page, requires
from server.transport.rendering import render
from server.transport.urls import path_for

TEXT_FIELDS = (
    "title", "acronym", "slug", "start_date", "end_date", "timezone", "venue", "address", "attendance",
    "description", "primary_color", "secondary_color", "contact_email",
)  # fmt: skip
# The logo, the banner and the form's text (in several languages), with room for the multipart framing: a larger
# body is refused unread.
MAX_EVENT_FORM_BYTES = 4 * MAX_LOGO_BYTES + 2 * MAX_BANNER_BYTES + 512 * 1024


@dataclass(frozen=True, slots=True)
class CreatorPage:
    """Someone who may be allowed to create events: asked about the instance's ``PODIUM_EVENT_CREATORS``."""

    actor: Actor
    creators: EventCreators

    @property
    def subject(self) -> Any:
        return self.creators


async def load_creator_page(request: Request) -> CreatorPage:
    async with database(request).session() as db:
        account = await current_account(request, db)
    return CreatorPage(actor=Actor(account=account), creators=settings(request).event_creators)


def language_choices() -> list[tuple[str, str]]:
    """The codes an event's sessions may be held in, each named in the reader's language."""
    locale = i18n.current_locale()
    named = []
    for code in LANGUAGE_CODES:
        try:
            name = Locale.parse(code.replace("-", "_")).get_display_name(locale) or code
        except (UnknownLocaleError, ValueError):
            name = code
        named.append((code, name))
    return named


def attendance_mode_labels() -> dict[str, str]:
    return {"on-site": _("On-site only"), "online": _("Online only"), "hybrid": _("Hybrid: on-site and online")}


def form_context(values: dict[str, Any], errors: dict[str, str] | None = None, message: str = "") -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors or {},
        "message": message,
        "language_choices": language_choices(),
        "zones": sorted(time_zones()),
        "attendance_modes": {mode: attendance_mode_labels()[mode] for mode in ATTENDANCE_MODES},
        "limits": {**LIMITS, "description": MAX_DESCRIPTION},
        "max_logo_kb": MAX_LOGO_BYTES // 1024,
        "max_banner_kb": MAX_BANNER_BYTES // 1024,
        # The name, venue and description in the event's other languages (macros/translations.html).
        "text_specs": [
            ("title", _("Name"), False, LIMITS["title"]),
            ("venue", _("Venue"), False, LIMITS["venue"]),
            ("description", _("Description"), True, MAX_DESCRIPTION),
        ],
    }


def event_values(event: Event) -> dict[str, Any]:
    """The form's fields as the event holds them."""
    values: dict[str, Any] = {name: getattr(event, name) for name in TEXT_FIELDS}
    values.update(
        start_date=event.start_date.isoformat(),
        end_date=event.end_date.isoformat(),
        languages=event.language_list,
        edit_version=event.edit_version,
    )
    values.update(translation_form_values(event.translations))
    return values


def typed_values(form: FormData) -> dict[str, Any]:
    """What was typed, to show again (cut to a length the page can carry, without characters it cannot)."""
    values: dict[str, Any] = {
        name: UNSTORABLE.sub("", form_text(form, name)[: MAX_DESCRIPTION + 1]) for name in TEXT_FIELDS
    }
    values["languages"] = [code for code in form.getlist("languages") if isinstance(code, str)][:100]
    values.update({key: UNSTORABLE.sub("", form_text(form, key)[: MAX_DESCRIPTION + 1]) for key in _translated(form)})
    return values


def _translated(form: FormData) -> list[str]:
    """The form's fields of texts in the event's other languages ("title__ja", ...)."""
    return [key for key in form if key.startswith(("title__", "description__", "venue__"))][:60]


@asynccontextmanager
async def event_form(request: Request) -> AsyncIterator[FormData]:
    """The event form as posted, with its logo and banner; their temporary files are gone when the request is done."""
    form = await checked_form(request, max_bytes=MAX_EVENT_FORM_BYTES, max_files=2, by_field=True)
    try:
        yield form
    finally:
        await form.close()


async def image_from(form: FormData, name: str) -> Logo | None:
    """The logo or the banner, checked; None when no file was chosen."""
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or (not upload.filename and not upload.size):
        return None
    if name == "banner":
        return check_banner(await upload.read(MAX_BANNER_BYTES + 1))
    return check_logo(await upload.read(MAX_LOGO_BYTES + 1))


async def parsed(form: FormData) -> tuple[Any, Logo | None, Logo | None]:
    """The event's fields, logo and banner from the form, or FieldErrors naming every problem."""
    errors: dict[str, str] = {}
    fields = None
    try:
        fields = parse_event_fields(
            {name: form_text(form, name) for name in (*TEXT_FIELDS, *_translated(form))},
            [code for code in form.getlist("languages") if isinstance(code, str)],
        )
    except FieldErrors as problems:
        errors.update(problems.errors)
    images: dict[str, Logo | None] = {"logo": None, "banner": None}
    for name in images:
        try:
            images[name] = await image_from(form, name)
        except FieldErrors as problems:
            errors.update(problems.errors)
    if errors:
        raise FieldErrors(errors)
    return fields, images["logo"], images["banner"]


# Creating an event


async def new_event_form(request: Request) -> Response:
    page = await load_creator_page(request)
    if page.actor.is_anonymous:
        return sign_in_redirect(request)
    require(page.actor, can_create_events, page.creators)
    values: dict[str, Any] = {"attendance": "hybrid", "languages": ["en"], "timezone": "UTC"}
    return private(render(request, "events/new.html", form_context(values)))


async def new_event_submit(request: Request) -> Response:
    page = await load_creator_page(request)
    require(page.actor, can_create_events, page.creators)
    async with event_form(request) as form:
        return await _create(request, page, form)


async def _create(request: Request, page: CreatorPage, form: FormData) -> Response:
    values = typed_values(form)
    title = form_text(form, "title").strip()
    errors: dict[str, str] = {}
    slug = check_slug(form_text(form, "slug") or suggested_slug(title), errors)
    try:
        fields, logo, banner = await parsed(form)
        if errors:
            raise FieldErrors(errors)
        async with database(request).session() as db:
            event = await create_event(
                db, actor=page.actor, creators=page.creators, slug=slug, fields=fields, logo=logo, banner=banner
            )
    except FieldErrors as problems:
        shown = {**values, "slug": values["slug"] or (slug if "slug" not in errors else "")}
        context = form_context(shown, {**problems.errors, **errors}, problems.message)
        return private(render(request, "events/new.html", context, status_code=400))
    return see_other(path_for(request, "event_settings", slug=event.slug))


# The event's section of the back office


def render_settings(
    request: Request, page: EventPage, values: dict[str, Any], *, errors: dict[str, str] | None = None,
    message: str = "", status_code: int = 200,
) -> Response:  # fmt: skip
    context = {
        **form_context(values, errors, message),
        "event": page.event,
        "saved": request.query_params.get("saved"),
        "may_clone": allows(page.actor, can_create_events, settings(request).event_creators),
    }
    return render_backoffice(
        request, page, "backoffice/event.html", context, section="event_settings", status_code=status_code
    )


@requires(can_edit_event, load_event_page)
async def event_settings(request: Request, page: EventPage) -> Response:
    return render_settings(request, page, event_values(page.event))


@requires(can_edit_event, load_event_page)
async def event_settings_submit(request: Request, page: EventPage) -> Response:
    async with event_form(request) as form:
        return await _update(request, page, form)


async def _update(request: Request, page: EventPage, form: FormData) -> Response:
    values = {**typed_values(form), "slug": page.event.slug}
    edit_version = form_text(form, "edit_version")
    values["edit_version"] = edit_version
    try:
        if not edit_version.isdigit() or len(edit_version) > 9:
            raise InvalidInput(_("This form has expired. Please go back, reload the page and try again."))
        fields, logo, banner = await parsed(form)
        async with database(request).session() as db:
            event = await update_event(
                db,
                actor=page.actor,
                event=page.event,
                edit_version=int(edit_version),
                fields=fields,
                logo=logo,
                remove_logo=form_text(form, "remove_logo") == "yes",
                banner=banner,
                remove_banner=form_text(form, "remove_banner") == "yes",
            )
    except FieldErrors as problems:
        return render_settings(request, page, values, errors=problems.errors, message=problems.message, status_code=400)
    except StaleEdit as stale:
        # Their values, to see what changed; the form now carries their version, so saving again is deliberate.
        current = EventPage(event=stale.current, actor=page.actor)
        return render_settings(request, current, event_values(stale.current), message=stale.message, status_code=409)
    return see_other(path_for(request, "event_settings", slug=event.slug) + "?saved=1")


@requires(can_publish_event, load_event_page)
async def publish_event(request: Request, page: EventPage) -> Response:
    await checked_form(request)
    async with database(request).session() as db:
        await set_published(db, actor=page.actor, event=page.event, published=True)
    return see_other(path_for(request, "event_settings", slug=page.event.slug))


@requires(can_publish_event, load_event_page)
async def unpublish_confirm(request: Request, page: EventPage) -> Response:
    return render_backoffice(request, page, "backoffice/event_unpublish.html", {}, section="event_settings")


@requires(can_publish_event, load_event_page)
async def unpublish_event(request: Request, page: EventPage) -> Response:
    form = await checked_form(request)
    if form_text(form, "confirm") != "yes":
        context = {"error": _("Please tick the box to confirm.")}
        return render_backoffice(
            request, page, "backoffice/event_unpublish.html", context, section="event_settings", status_code=400
        )
    async with database(request).session() as db:
        await set_published(db, actor=page.actor, event=page.event, published=False)
    return see_other(path_for(request, "event_settings", slug=page.event.slug))


def next_year(day: dt.date) -> dt.date:
    return day.replace(year=day.year + 1) if (day.month, day.day) != (2, 29) else dt.date(day.year + 1, 2, 28)


def clone_suggestion(event: Event) -> dict[str, str]:
    """Next year's edition: the same dates a year later, the year in the name and the address moved on."""
    year = str(event.start_date.year)
    title = event.title.replace(year, str(event.start_date.year + 1)) if year in event.title else event.title
    slug = event.slug.replace(year, str(event.start_date.year + 1)) if year in event.slug else ""
    return {
        "title": title,
        "slug": slug or suggested_slug(title),
        "start_date": next_year(event.start_date).isoformat(),
        "end_date": next_year(event.end_date).isoformat(),
    }


def render_clone(
    request: Request, page: EventPage, values: dict[str, str], errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    context = {"values": values, "errors": errors or {}}
    return render_backoffice(
        request, page, "backoffice/event_clone.html", context, section="event_settings", status_code=status_code
    )


@requires(can_clone_event, load_event_page)
async def clone_form(request: Request, page: EventPage) -> Response:
    require(page.actor, can_create_events, settings(request).event_creators)  # a clone is a new event
    return render_clone(request, page, clone_suggestion(page.event))


@requires(can_clone_event, load_event_page)
async def clone_submit(request: Request, page: EventPage) -> Response:
    require(page.actor, can_create_events, settings(request).event_creators)
    form = await checked_form(request, by_field=True)
    values = {name: form_text(form, name)[:400] for name in ("title", "slug", "start_date", "end_date")}
    errors: dict[str, str] = {}
    title = values["title"].strip()
    if not title or not storable(title) or len(title) > LIMITS["title"]:
        errors["title"] = _("Please give a name of at most %(limit)s characters.") % {"limit": LIMITS["title"]}
    slug = check_slug(values["slug"] or suggested_slug(title), errors)
    start, end = check_dates(values, errors)
    try:
        if errors:
            raise FieldErrors(errors)
        async with database(request).session() as db:
            copy = await clone_event(
                db,
                actor=page.actor,
                creators=settings(request).event_creators,
                source=page.event,
                slug=slug,
                title=title,
                start_date=start,
                end_date=end,
            )
    except FieldErrors as problems:
        shown = {name: UNSTORABLE.sub("", value) for name, value in values.items()}
        return render_clone(request, page, shown, problems.errors, status_code=400)
    return see_other(path_for(request, "event_settings", slug=copy.slug))


# What the public pages show: the logo and the colours


async def logo(request: Request) -> Response:
    async with database(request).session() as db:
        event = await event_of(db, request)
        stored = await event_logo(db, event=event)
    # The address carries the edit counter (base.html), so a new logo is a new address.
    caching = "public, max-age=86400" if event.published else "private, no-store"
    return Response(stored.data, media_type=stored.content_type, headers={"cache-control": caching})


async def banner(request: Request) -> Response:
    async with database(request).session() as db:
        event = await event_of(db, request)
        stored = await event_banner(db, event=event)
    # The address carries the edit counter (base.html), so a new logo is a new address.
    caching = "public, max-age=86400" if event.published else "private, no-store"
    return Response(stored.data, media_type=stored.content_type, headers={"cache-control": caching})


def theme_css(event: Event) -> str:
    """The event's colours as CSS custom properties, and the few places the pages use them. Only #rrggbb values
    are written (they were checked when saved; checked again here), so nothing else can reach the stylesheet.
    The main colour becomes the pages' accent (links, buttons) only where it reads at AA: as it is on the light
    theme when it passes against white (events saved before the check may not), lightened on the dark one."""
    primary = event.primary_color if COLOUR.fullmatch(event.primary_color) else ""
    secondary = event.secondary_color if COLOUR.fullmatch(event.secondary_color) else ""
    if not primary:
        return ""
    css = (
        f":root {{ --event-primary: {primary}; --event-secondary: {secondary or primary}; }}\n"
        ".site-header { border-top: 0.4rem solid var(--event-primary); "
        "border-bottom: 0.2rem solid var(--event-secondary); }\n"
    )
    if passes_on_white(primary):
        css += (
            f":root {{ --accent: {primary}; --accent-ink: #ffffff; --accent-wash: {mix(primary, '#ffffff', 0.9)}; "
            f"--focus: {primary}; }}\n"
        )
    dark = for_dark_theme(primary)
    css += (
        "@media (prefers-color-scheme: dark) { :root { "
        f"--accent: {dark}; --accent-ink: #0b1220; --accent-wash: {mix(dark, '#12161c', 0.8)}; --focus: {dark}; "
        "} }\n"
    )
    return css


async def theme(request: Request) -> Response:
    async with database(request).session() as db:
        event = await event_of(db, request)
    caching = "public, max-age=86400" if event.published else "private, no-store"
    return Response(theme_css(event), media_type="text/css; charset=utf-8", headers={"cache-control": caching})


routes: list[BaseRoute] = [
    Route("/events/new", new_event_form, methods=["GET"], name="event_new"),
    Route("/events/new", new_event_submit, methods=["POST"], name="event_new"),
    Route("/{slug}/organiser/event", event_settings, methods=["GET"], name="event_settings"),
    Route("/{slug}/organiser/event", event_settings_submit, methods=["POST"], name="event_settings"),
    Route("/{slug}/organiser/event/publish", publish_event, methods=["POST"], name="event_publish"),
    Route("/{slug}/organiser/event/unpublish", unpublish_confirm, methods=["GET"], name="event_unpublish"),
    Route("/{slug}/organiser/event/unpublish", unpublish_event, methods=["POST"], name="event_unpublish"),
    Route("/{slug}/organiser/event/clone", clone_form, methods=["GET"], name="event_clone"),
    Route("/{slug}/organiser/event/clone", clone_submit, methods=["POST"], name="event_clone"),
    Route("/{slug}/logo", logo, methods=["GET"], name="event_logo"),
    Route("/{slug}/banner", banner, methods=["GET"], name="event_banner"),
    Route("/{slug}/theme.css", theme, methods=["GET"], name="event_theme"),
]
