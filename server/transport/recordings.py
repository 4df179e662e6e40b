"""The pre-recorded video address of a session: the organisers' page (upload, replace, delete, when it plays) and
the console's Play and Stop buttons. Handlers decode, authorise, call server/streams/recordings.py and the relay.

Uploads are parsed as they arrive and written straight into the media folder, never held in memory; the role is
checked before a byte of the body is read, the CSRF token before the file is kept.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from server.agenda.services import SessionView
from server.errors import Forbidden, InvalidInput, PodiumError
from server.events.models import Event
from server.i18n import gettext as _
from server.streams import recordings
from server.streams.models import Recording
from server.streams.recordings import Upload
from server.streams.relay_control import RelayControl, RelayUnavailable
from server.streams.rules import can_play_recording, can_upload_recording
from server.transport.auth import CSRF_COOKIE, CSRF_FIELD, checked_form, form_text
from server.transport.context import database, end_reads, private, see_other, services, settings
from server.transport.errors import wants_json
from server.transport.live_pages import page_context
from server.transport.loaders import SessionPage, load_session_page, requires
from server.transport.rendering import render
from server.transport.throttle import throttle
from server.transport.urls import session_path, with_query
from server.years import YEARS

PLAYBACK_PRESSES_PER_MINUTE = 10  # Play and Stop, per person
UPLOADS_PER_MINUTE = 5
MAX_FIELD_BYTES = 1024
MAX_FIELDS = 10


class UploadTooLarge(PodiumError):
    status_code = 413


def relay_control(request: Request) -> RelayControl | None:
    return services(request).relay_control


async def relay_status(request: Request, key: str) -> dict[str, Any] | None:
    """The relay's status of one stream, or None when no relay can be asked (the app alone, a relay down)."""
    control = relay_control(request)
    if control is None:
        return None
    try:
        return await control.status(key)
    except RelayUnavailable:
        return None


def recording_json(recording: Recording | None) -> dict[str, Any] | None:
    if recording is None:
        return None
    return {
        "filename": recording.filename,
        "duration": recording.duration_seconds,
        "play_at": recording.play_at.isoformat() if recording.play_at else None,
        "started_at": recording.started_at.isoformat() if recording.started_at else None,
    }


# The organisers' page


@requires(can_upload_recording, load_session_page)
async def recording_page(request: Request, page: SessionPage) -> Response:
    async with database(request).session() as db:
        recording = await recordings.recording_of(db, event=page.event, session_id=page.session_id)
    return private(_render_page(request, page.event, page.view, recording))


def _render_page(
    request: Request,
    event: Event,
    view: SessionView,
    recording: Recording | None,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    zone = ZoneInfo(event.timezone)
    if recording is None or recording.play_at is None:
        when = "manual" if recording is not None else "start"
    else:
        when = "start" if recording.play_at == view.session.start else "at"
    context = page_context(
        request,
        event,
        view,
        recording=recording,
        play_at=recording.play_at.astimezone(zone) if recording and recording.play_at else None,
        started_at=recording.started_at.astimezone(zone) if recording and recording.started_at else None,
        when=when,
        at_value=(
            recording.play_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
            if when == "at" and recording and recording.play_at
            else ""
        ),
        page_url=session_path(request, "recording", event, view),
        console_url=session_path(request, "moderate", event, view),
        max_upload_mb=settings(request).max_upload_bytes // (1024 * 1024),
        uploaded=request.query_params.get("done", ""),
        error=error,
    )
    return render(request, "media/recording.html", context, status_code=status)


async def _refusal_page(request: Request, error: PodiumError) -> Response:
    """The page again with the message, at the error's status (a form's refusal stays readable)."""
    page = await load_session_page(request)
    async with database(request).session() as db:
        recording = await recordings.recording_of(db, event=page.event, session_id=page.session_id)
    return private(
        _render_page(request, page.event, page.view, recording, error=error.message, status=error.status_code)
    )


@requires(can_upload_recording, load_session_page)  # before reading the body: nobody else may fill the disk
async def upload(request: Request, page: SessionPage) -> Response:
    """POST multipart/form-data with ``csrf_token`` and ``video``: 303 to the page, or 201 with JSON."""
    event, view, actor = page.event, page.view, page.actor
    await throttle(services(request), "recording-uploads", UPLOADS_PER_MINUTE).check(
        f"a{actor.account.id if actor.account else 0}"
    )
    media_dir = settings(request).media_dir
    try:
        received = await receive_upload(request, media_dir=media_dir, limit=settings(request).max_upload_bytes)
        async with database(request).session() as db:
            await end_reads(db)
            recording = await recordings.store_recording(
                db, actor=actor, event=event, session_id=view.session.id or 0, upload=received, media_dir=media_dir
            )
    except (InvalidInput, Forbidden, UploadTooLarge) as error:
        if wants_json(request):
            return JSONResponse({"error": error.message, "status": error.status_code}, status_code=error.status_code)
        return await _refusal_page(request, error)
    if wants_json(request):
        return JSONResponse(recording_json(recording), status_code=201)
    return see_other(with_query(session_path(request, "recording", event, view), done="uploaded"))


async def receive_upload(request: Request, *, media_dir: Any, limit: int) -> Upload:
    """Stream the form's one file into the media folder; InvalidInput, Forbidden or UploadTooLarge leave no file."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidInput(_("Please send the video with the upload form."))
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise UploadTooLarge(_("This file is larger than %(size)s MB.") % {"size": limit // (1024 * 1024)})
    path = recordings.incoming_path(media_dir)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    state = _Parts(path=path, limit=limit, cookie=cookie)
    try:
        try:
            parser = MultipartParser(boundary, state.callbacks())  # type: ignore[arg-type]
            async for chunk in request.stream():
                if chunk:
                    await asyncio.to_thread(parser.write, chunk)
            parser.finalize()
        except FormParserError:
            message = _("The upload was not a well-formed form. Please send it again with the upload form.")
            raise InvalidInput(message) from None
        state.close()
        if not state.csrf_ok():
            raise Forbidden(_("This form has expired. Please go back, reload the page and try again."))
        if state.filename is None:
            raise InvalidInput(_("Please choose a video file to upload."))
    except BaseException:
        state.close()
        recordings.discard(path)
        raise
    return Upload(path=path, filename=state.filename, size=state.size)


class _Parts:
    """What the multipart parser's callbacks collect: small fields in memory, the one file on disk."""

    def __init__(self, *, path: Any, limit: int, cookie: str) -> None:
        self.path = path
        self.limit = limit
        self.cookie = cookie
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.size = 0
        self._file: BinaryIO | None = None
        self._header_field = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._value = bytearray()
        self._is_file = False

    def csrf_ok(self) -> bool:
        sent = self.fields.get(CSRF_FIELD, "")
        return bool(sent and self.cookie and hmac.compare_digest(sent, self.cookie))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def callbacks(self) -> dict[str, Any]:
        def on_part_begin() -> None:
            self._disposition = b""
            self._value = bytearray()

        def on_header_field(data: bytes, start: int, end: int) -> None:
            self._header_field += data[start:end]

        def on_header_value(data: bytes, start: int, end: int) -> None:
            self._header_value += data[start:end]

        def on_header_end() -> None:
            if self._header_field.strip().lower() == b"content-disposition":
                self._disposition = self._header_value
            self._header_field = self._header_value = b""

        def on_headers_finished() -> None:
            _kind, options = parse_options_header(self._disposition)
            self._name = options.get(b"name", b"").decode("utf-8", "replace")
            filename = options.get(b"filename")
            self._is_file = filename is not None
            if not self._is_file:
                if len(self.fields) >= MAX_FIELDS:
                    raise InvalidInput(_("The form has too many fields."))
                return
            if self._name != "video" or self.filename is not None:
                raise InvalidInput(_("Please send one video file."))
            if CSRF_FIELD in self.fields and not self.csrf_ok():  # refuse before writing, when the token came first
                raise Forbidden(_("This form has expired. Please go back, reload the page and try again."))
            self.filename = filename.decode("utf-8", "replace") if filename else ""
            self._file = open(self.path, "wb")  # noqa: SIM115 (closed in close(), also on failure)

        def on_part_data(data: bytes, start: int, end: int) -> None:
            if self._is_file and self._file is not None:
                self.size += end - start
                if self.size > self.limit:
                    raise UploadTooLarge(
                        _("This file is larger than %(size)s MB.") % {"size": self.limit // (1024 * 1024)}
                    )
                self._file.write(data[start:end])
            else:
                self._value += data[start:end]
                if len(self._value) > MAX_FIELD_BYTES:
                    raise InvalidInput(_("The form is too large."))

        def on_part_end() -> None:
            if not self._is_file:
                self.fields[self._name] = self._value.decode("utf-8", "replace")

        return {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        }


@requires(can_upload_recording, load_session_page)
async def schedule(request: Request, page: SessionPage) -> Response:
    form = await checked_form(request)
    event, view, actor = page.event, page.view, page.actor
    async with database(request).session() as db:
        when = form_text(form, "when")
        at = _local_time(form_text(form, "at"), ZoneInfo(event.timezone)) if when == "at" else None
        await end_reads(db)
        try:
            await recordings.schedule_recording(
                db, actor=actor, event=event, session_id=view.session.id or 0, when=when, at=at
            )
        except InvalidInput as error:
            await db.rollback()
            return await _refusal_page(request, error)
    return see_other(with_query(session_path(request, "recording", event, view), done="scheduled"))


def _local_time(text: str, zone: ZoneInfo) -> dt.datetime | None:
    """A ``datetime-local`` field in the event's time zone, as an aware UTC time; None when empty."""
    if not text.strip():
        return None
    try:
        local = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(_("Please give the time as year, month, day, hour and minute.")) from None
    if local.year not in YEARS:  # 0001-01-01 or 9999-12-31 would overflow on the way to UTC
        raise InvalidInput(recordings.out_of_years_message())
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone)
    return local.astimezone(dt.UTC)


@requires(can_upload_recording, load_session_page)
async def delete(request: Request, page: SessionPage) -> Response:
    await checked_form(request)
    event, view, actor = page.event, page.view, page.actor
    async with database(request).session() as db:
        await recordings.delete_recording(
            db, actor=actor, event=event, session_id=view.session.id or 0, media_dir=settings(request).media_dir
        )
    return see_other(with_query(session_path(request, "recording", event, view), done="deleted"))


# The console's buttons


async def _press(request: Request, page: SessionPage, *, play: bool) -> Response:
    await checked_form(request)
    event, view, actor = page.event, page.view, page.actor
    async with database(request).session() as db:
        await throttle(services(request), "recording-playback", PLAYBACK_PRESSES_PER_MINUTE).check(
            f"a{actor.account.id if actor.account else 0}"
        )
        key = str(view.session.id or 0)
        control = relay_control(request)
        if control is None:
            raise RelayUnavailable(_("No media relay runs for this site."))
        if play:
            await end_reads(db)
            await recordings.start_now(
                db,
                actor=actor,
                event=event,
                session_id=view.session.id or 0,
                play=lambda recording: control.play(key, recording.stored_name),
            )
            message = _("The recording is playing.")
        else:
            stopped = await control.stop_playback(key)
            message = _("The recording was stopped; the room is live.") if stopped else _("No recording is playing.")
    if wants_json(request):
        return JSONResponse({"message": message, "status": await relay_status(request, key)})
    return see_other(session_path(request, "moderate", event, view) + "#stream-heading")


@requires(can_play_recording, load_session_page)
async def play(request: Request, page: SessionPage) -> Response:
    return await _press(request, page, play=True)


@requires(can_play_recording, load_session_page)
async def stop(request: Request, page: SessionPage) -> Response:
    return await _press(request, page, play=False)


routes: list[BaseRoute] = [
    Route("/{slug}/sessions/{code}/recording", recording_page, methods=["GET"], name="recording"),
    Route("/{slug}/sessions/{code}/recording", upload, methods=["POST"], name="recording"),
    Route("/{slug}/sessions/{code}/recording/schedule", schedule, methods=["POST"], name="recording_schedule"),
    Route("/{slug}/sessions/{code}/recording/delete", delete, methods=["POST"], name="recording_delete"),
    Route("/{slug}/sessions/{code}/recording/play", play, methods=["POST"], name="recording_play"),
    Route("/{slug}/sessions/{code}/recording/stop", stop, methods=["POST"], name="recording_stop"),
]
