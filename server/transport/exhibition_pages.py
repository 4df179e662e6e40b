"""Digital exhibitions: the public page (texts, gallery, guides, opening hours, visitors, the guided tour in the
same page), the images and guides it serves, and the organisers' editor."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from server import clock
from server.agenda.texts import other_languages, translation_form_values
from server.errors import FieldErrors, Forbidden, InvalidInput, NotFound, StaleVersion
from server.exhibitions import hours
from server.exhibitions.guides import MAX_GUIDE_BYTES, add_guide, delete_guide, guide_of, guide_path
from server.exhibitions.images import MAX_IMAGE_BYTES, STORED, image_path
from server.exhibitions.rules import can_build_exhibitions
from server.exhibitions.services import (
    MAX_FILES_AT_ONCE,
    add_images,
    delete_image,
    image_of,
    load_exhibition,
    move_image,
    save_exhibition,
    update_image,
)
from server.exhibitions.visits import count_visit, visitor_key
from server.formats import time as clock_text
from server.i18n import gettext as _
from server.i18n import localised, ngettext
from server.transport.auth import checked_form, form_text, posted_form
from server.transport.backoffice import render_backoffice
from server.transport.context import database, event_of, private, see_other, settings
from server.transport.live_pages import admitted, caption_menu, channel_choices, page_context
from server.transport.loaders import EventPage, SessionPage, load_session_page, requires
from server.transport.notices import Notice, leave_notice
from server.transport.rendering import render
from server.transport.uploads import as_typed, upload_form
from server.transport.urls import path_for, relay_path, session_path
from server.transport.zones import shown_zone

VISITOR_COOKIE = "podium_visitor"
VISITOR_COOKIE_AGE = 400 * 24 * 3600
MAX_UPLOAD_BYTES = 60 * 1024 * 1024  # all the images of one upload together
# The gallery shows one column on a phone, two on a tablet, three on a screen: the browser picks the width.
IMAGE_SIZES = "(min-width: 64rem) 30vw, (min-width: 40rem) 45vw, 92vw"
YEAR = "public, max-age=31536000, immutable"


def _image_url(request: Request, slug: str, stored: str, width: int) -> str:
    return path_for(request, "exhibition_image", slug=slug, stored=stored, width=width)


def _gallery(request: Request, slug: str, images: list[Any]) -> list[dict[str, Any]]:
    shown = []
    for image in images:
        widths = list(image.widths)
        middle = next((w for w in widths if w >= 960), widths[-1])
        shown.append(
            {
                "id": image.id,
                "caption": localised(image, "caption"),
                "credit": localised(image, "credit"),
                "src": _image_url(request, slug, image.stored_name, middle),
                "full": _image_url(request, slug, image.stored_name, widths[-1]),
                "srcset": ", ".join(f"{_image_url(request, slug, image.stored_name, w)} {w}w" for w in widths),
                "width": image.width,
                "height": image.height,
            }
        )
    return shown


def _opening_hours(shown: Any, view: Any, event_zone: ZoneInfo, viewer_zone: ZoneInfo, now: dt.datetime) -> dict:
    exhibition = shown.exhibition if shown.exhibition.version else None
    opening = hours.opening(view.session, exhibition, event_zone, now)
    daily = ""
    if exhibition is not None and exhibition.opens and exhibition.closes:
        daily = _("Open daily %(opens)s–%(closes)s, in the event's time zone (%(zone)s).") % {
            "opens": exhibition.opens,
            "closes": exhibition.closes,
            "zone": event_zone.key,
        }
    return {
        "daily": daily,
        "open_now": opening.open_now,
        "opens": opening.opens,
        "closes": opening.closes,
        "converted": viewer_zone.key != event_zone.key,
        "event_times": (
            (clock_text(opening.opens, event_zone), clock_text(opening.closes, event_zone))
            if opening.opens and opening.closes
            else None
        ),
    }


async def _visitors(request: Request, page: SessionPage, event_zone: ZoneInfo, now: dt.datetime) -> tuple[int, str]:
    """Counts this visitor once today (the event's day) and returns today's count, and a new browser's cookie."""
    account = page.actor.account
    browser = request.cookies.get(VISITOR_COOKIE, "")
    new_cookie = ""
    if account is None and (len(browser) != 32 or not browser.isalnum()):
        browser = new_cookie = secrets.token_hex(16)
    visitor = visitor_key(account_id=account.id if account else None, browser=browser)
    async with database(request).session() as db:
        count = await count_visit(
            db,
            event_id=page.event.id or 0,
            session_id=page.session_id,
            visitor=visitor,
            day=now.astimezone(event_zone).date(),
        )
    return count, new_cookie


async def _tour(request: Request, page: SessionPage) -> dict[str, Any]:
    """The guided tour, the exhibition's own live room: embedded for those the room admits when it is streamed,
    a link to the room otherwise (and the reason it is not here: signing in, registering)."""
    room_url = session_path(request, "room", page.event, page.view)
    tour: dict[str, Any] = {"room_url": room_url, "embedded": False, "streamed": page.view.room.streamed}
    account = page.actor.account
    if account is None or page.view.session.cancelled:
        return tour
    try:
        participant = await admitted(request, account, page.view)
    except (Forbidden, NotFound):  # not registered, say: the link, whose room page tells them what is missing
        return tour
    live = page_context(
        request,
        page.event,
        page.view,
        participant=participant,
        whep_url=relay_path("whep", str(page.view.session.id)),
        audio_channels=await channel_choices(request, page.event, page.view),
        caption_languages=await caption_menu(request, page.event, page.view),
    )
    return {**tour, "embedded": True, "live": live}


async def exhibition_page(request: Request) -> Response:
    """Public like the session page; per viewer (their zone, the tour, the visit counted), so never shared."""
    page = await load_session_page(request)
    async with database(request).session() as db:
        shown = await load_exhibition(db, view=page.view)
    event, view = page.event, page.view
    event_zone = ZoneInfo(event.timezone)
    zone = shown_zone(request, event, page.actor.account)
    now = clock.utcnow()
    visitors, new_cookie = (0, "")
    if request.method == "GET":
        visitors, new_cookie = await _visitors(request, page, event_zone, now)
    tour = await _tour(request, page)
    live = tour.pop("live", {})
    context = {
        **live,
        "event": event,
        "view": view,
        "zone": zone,
        "time_zone": zone.key,
        "start": view.local_start(zone),
        "end": view.local_end(zone),
        "session_url": session_path(request, "session", event, view),
        "intro": [part.strip() for part in localised(shown.exhibition, "intro").split("\n\n") if part.strip()],
        "abstract": localised(view.session, "abstract"),
        "gallery": _gallery(request, event.slug, shown.images),
        "image_sizes": IMAGE_SIZES,
        "guides": [{"guide": guide, "title": localised(guide, "title")} for guide in shown.guides],
        "hours": _opening_hours(shown, view, event_zone, zone, now),
        "visitors": visitors,
        "tour": tour,
        "editor_url": (
            path_for(request, "exhibition_editor", slug=event.slug, code=view.session.code)
            if can_build_exhibitions(page.actor, event)
            else ""
        ),
    }
    response = private(render(request, "exhibitions/page.html", context))
    if new_cookie:
        secure = settings(request).base_url.startswith("https://")
        response.set_cookie(
            VISITOR_COOKIE,
            new_cookie,
            max_age=VISITOR_COOKIE_AGE,
            httponly=True,
            secure=secure,
            samesite="lax",
            path=f"/{event.slug}/exhibitions/",
        )
    return response


async def exhibition_image(request: Request) -> Response:
    """One size of a gallery image: public, and its name changes with every upload, so cached for a year."""
    stored, width = request.path_params["stored"], request.path_params["width"]
    if not STORED.fullmatch(stored):
        raise NotFound(_("There is no such image in this event."))
    async with database(request).session() as db:
        event = await event_of(db, request)
        image = await image_of(db, event=event, stored=stored)
    path = image_path(settings(request).media_dir, stored, width)
    if width not in image.widths or not path.is_file():
        raise NotFound(_("There is no such image in this event."))
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": YEAR})


async def exhibition_guide(request: Request) -> Response:
    """An audio or video guide, with range requests (Starlette's FileResponse answers 206, 416 and multi-range)
    so a player can seek; streamed from disk."""
    async with database(request).session() as db:
        event = await event_of(db, request)
        guide = await guide_of(db, event=event, guide_id=request.path_params["guide_id"])
    path = guide_path(settings(request).media_dir, guide.stored_name)
    if not path.is_file():
        raise NotFound(_("There is no such guide in this event."))
    return FileResponse(path, media_type=guide.content_type, headers={"Cache-Control": "public, max-age=3600"})


# The organisers' editor.


def _editor_path(request: Request, page: SessionPage) -> str:
    return path_for(request, "exhibition_editor", slug=page.event.slug, code=page.view.session.code)


async def _render_editor(
    request: Request,
    page: SessionPage,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    async with database(request).session() as db:
        shown = await load_exhibition(db, view=page.view)
    exhibition = shown.exhibition
    saved = {
        "intro": exhibition.intro,
        "opens": exhibition.opens,
        "closes": exhibition.closes,
        "version": str(exhibition.version),
        **translation_form_values(exhibition.translations),
    }
    images = [
        {
            "row": image,
            "thumb": _image_url(request, page.event.slug, image.stored_name, image.widths[0]),
            "values": {
                "caption": image.caption,
                "credit": image.credit,
                "version": str(image.version),
                **translation_form_values(image.translations),
            },
        }
        for image in shown.images
    ]
    context = {
        "view": page.view,
        "values": {**saved, **as_typed(values or {})},
        "errors": errors or {},
        "text_languages": other_languages(page.event),
        "images": images,
        "guides": shown.guides,
        "max_files": MAX_FILES_AT_ONCE,
        "max_image_mb": MAX_IMAGE_BYTES // (1024 * 1024),
        "max_guide_mb": MAX_GUIDE_BYTES // (1024 * 1024),
        "public_url": path_for(request, "exhibition", slug=page.event.slug, code=page.view.session.code),
    }
    shown_page = EventPage(event=page.event, actor=page.actor)
    return render_backoffice(
        request, shown_page, "exhibitions/editor.html", context, section="organiser", status_code=status
    )


async def _exhibition_page(request: Request) -> SessionPage:
    """The session page of an exhibition: any other kind of session has no editor."""
    page = await load_session_page(request)
    async with database(request).session() as db:
        await load_exhibition(db, view=page.view)
    return page


@requires(can_build_exhibitions, _exhibition_page)
async def editor(request: Request, page: SessionPage) -> Response:
    return await _render_editor(request, page)


@requires(can_build_exhibitions, _exhibition_page)
async def save(request: Request, page: SessionPage) -> Response:
    form = await checked_form(request, by_field=True)
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    try:
        async with database(request).session() as db:
            await save_exhibition(db, actor=page.actor, event=page.event, view=page.view, form=values)
    except FieldErrors as refusal:
        return await _render_editor(request, page, values=values, errors=refusal.errors, status=400)
    except StaleVersion as refusal:
        return await _render_editor(request, page, errors={"stale": refusal.message}, status=409)
    return leave_notice(
        request, see_other(_editor_path(request, page)), Notice(_("The exhibition is saved."), "success")
    )


@requires(can_build_exhibitions, _exhibition_page)
async def upload_images(request: Request, page: SessionPage) -> Response:
    try:
        form = await posted_form(request, max_bytes=MAX_UPLOAD_BYTES, max_files=MAX_FILES_AT_ONCE, max_fields=10)
    except InvalidInput as refusal:
        message = _("Please send at most %(size)d MB of images at once.") % {"size": MAX_UPLOAD_BYTES // 2**20}
        if refusal.status_code != 400:
            raise
        return await _render_editor(request, page, errors={"images": message}, status=413)
    try:
        files = []
        for value in form.getlist("images"):
            if isinstance(value, UploadFile) and value.filename:
                files.append((value.filename[-200:], await value.read(MAX_IMAGE_BYTES + 1)))
    finally:
        await form.close()
    try:
        async with database(request).session() as db:
            added = await add_images(
                db,
                actor=page.actor,
                event=page.event,
                view=page.view,
                files=files,
                media_dir=settings(request).media_dir,
            )
    except InvalidInput as refusal:
        return await _render_editor(request, page, errors={"images": refusal.message}, status=refusal.status_code)
    added_text = ngettext("%(num)d image is added.", "%(num)d images are added.", len(added)) % {"num": len(added)}
    notice = Notice(added_text, "success")
    return leave_notice(request, see_other(_editor_path(request, page) + "#gallery"), notice)


@requires(can_build_exhibitions, _exhibition_page)
async def edit_image(request: Request, page: SessionPage) -> Response:
    form = await checked_form(request, by_field=True)
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    image_id = request.path_params["image_id"]
    try:
        async with database(request).session() as db:
            await update_image(db, actor=page.actor, event=page.event, view=page.view, image_id=image_id, form=values)
    except FieldErrors as refusal:
        return await _render_editor(request, page, errors=refusal.errors, status=400)
    except StaleVersion as refusal:
        return await _render_editor(request, page, errors={f"stale-{image_id}": refusal.message}, status=409)
    back = see_other(_editor_path(request, page) + f"#image-{image_id}")
    return leave_notice(request, back, Notice(_("The caption is saved."), "success"))


@requires(can_build_exhibitions, _exhibition_page)
async def move(request: Request, page: SessionPage) -> Response:
    form = await checked_form(request)
    image_id = request.path_params["image_id"]
    async with database(request).session() as db:
        await move_image(
            db, actor=page.actor, event=page.event, view=page.view, image_id=image_id, up=form_text(form, "to") == "up"
        )
    return see_other(_editor_path(request, page) + f"#image-{image_id}")


@requires(can_build_exhibitions, _exhibition_page)
async def remove_image(request: Request, page: SessionPage) -> Response:
    await checked_form(request)
    async with database(request).session() as db:
        await delete_image(
            db,
            actor=page.actor,
            event=page.event,
            view=page.view,
            image_id=request.path_params["image_id"],
            media_dir=settings(request).media_dir,
        )
    back = see_other(_editor_path(request, page) + "#gallery")
    return leave_notice(request, back, Notice(_("The image is deleted."), "success"))


@requires(can_build_exhibitions, _exhibition_page)
async def upload_guide(request: Request, page: SessionPage) -> Response:
    try:
        sent = await upload_form(request, file_field="guide", limit=MAX_GUIDE_BYTES)
    except InvalidInput as refusal:
        return await _render_editor(request, page, errors={"guide": refusal.message}, status=refusal.status_code)
    try:
        async with database(request).session() as db:
            await add_guide(
                db,
                actor=page.actor,
                event=page.event,
                view=page.view,
                form=sent.fields,
                data=sent.data,
                media_dir=settings(request).media_dir,
            )
    except FieldErrors as refusal:
        errors = {("guide_" + key if key == "title" else key): message for key, message in refusal.errors.items()}
        return await _render_editor(request, page, values=_guide_values(sent.fields), errors=errors, status=400)
    back = see_other(_editor_path(request, page) + "#guides")
    return leave_notice(request, back, Notice(_("The guide is added."), "success"))


def _guide_values(fields: dict[str, str]) -> dict[str, str]:
    return {("guide_" + key): value for key, value in fields.items() if key != "csrf_token"}


@requires(can_build_exhibitions, _exhibition_page)
async def remove_guide(request: Request, page: SessionPage) -> Response:
    await checked_form(request)
    async with database(request).session() as db:
        await delete_guide(
            db,
            actor=page.actor,
            event=page.event,
            view=page.view,
            guide_id=request.path_params["guide_id"],
            media_dir=settings(request).media_dir,
        )
    back = see_other(_editor_path(request, page) + "#guides")
    return leave_notice(request, back, Notice(_("The guide is deleted."), "success"))


_EDITOR = "/{slug}/organiser/exhibitions/{code}"
routes: list[BaseRoute] = [
    Route("/{slug}/exhibitions/{code}", exhibition_page, methods=["GET"], name="exhibition"),
    Route(
        "/{slug}/exhibition-images/{stored}/{width:int}.jpg",
        exhibition_image,
        methods=["GET"],
        name="exhibition_image",
    ),
    Route("/{slug}/exhibition-guides/{guide_id:id}", exhibition_guide, methods=["GET"], name="exhibition_guide"),
    Route(_EDITOR, editor, methods=["GET"], name="exhibition_editor"),
    Route(_EDITOR, save, methods=["POST"], name="exhibition_editor"),
    Route(_EDITOR + "/images", upload_images, methods=["POST"], name="exhibition_images"),
    Route(_EDITOR + "/images/{image_id:id}", edit_image, methods=["POST"], name="exhibition_image_edit"),
    Route(_EDITOR + "/images/{image_id:id}/move", move, methods=["POST"], name="exhibition_image_move"),
    Route(_EDITOR + "/images/{image_id:id}/delete", remove_image, methods=["POST"], name="exhibition_image_delete"),
    Route(_EDITOR + "/guides", upload_guide, methods=["POST"], name="exhibition_guides"),
    Route(_EDITOR + "/guides/{guide_id:id}/delete", remove_guide, methods=["POST"], name="exhibition_guide_delete"),
]
