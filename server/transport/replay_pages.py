"""A session's recording and replay: the organisers' page (recording on or off, the relay's recording status,
what is on disk, make, publish, hide, delete) and the replay itself for those who may watch it.

The replay is sent from disk with HTTP ranges (Starlette's FileResponse: 206, multi-range, 416 outside the file),
never read whole; behind nginx (``PODIUM_ACCEL_REDIRECT``) the app only decides who may watch and nginx sends it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from server.archive.services import StaleArchive, session_archive, update_session_archive, watchable_replay
from server.errors import Conflict, InvalidInput, NotFound
from server.i18n import gettext as _
from server.replays import services as replays
from server.replays.models import Replay, ReplayState
from server.replays.rules import can_manage_replay
from server.streams.recording_files import RecorderState
from server.transport.auth import checked_form, form_text
from server.transport.context import database, end_reads, private, see_other, settings
from server.transport.live_pages import page_context
from server.transport.loaders import SessionPage, load_session_page, requires
from server.transport.rendering import render
from server.transport.urls import path_for, session_path, with_query

EXTENSIONS = {"video/webm": "webm", "video/mp4": "mp4"}


def status_words() -> dict[str, str]:
    """The relay's recording states (``RecorderState``) as the organiser reads them."""
    return {
        RecorderState.recording: _("Recording"),
        RecorderState.stopped: _("Stopped: the stream ended; a new publisher continues the recording"),
        RecorderState.off: _("Off for this session"),
        RecorderState.disk_full: _("Disk full: the recording stopped, the stream goes on"),
        RecorderState.failed: _("Failed: the recording stopped, the stream goes on"),
    }


def replay_words() -> dict[str, str]:
    return {
        ReplayState.processing: _("Being made"),
        ReplayState.ready: _("Ready"),
        ReplayState.failed: _("Could not be made"),
    }


# The organisers' page


async def _render_page(
    request: Request, page: SessionPage, *, error: str = "", status: int = 200, theirs: Any = None
) -> Response:
    event, view = page.event, page.view
    media_dir = settings(request).media_dir
    async with database(request).session() as db:
        archive = await session_archive(db, session=view.session)
        replay = await replays.replay_of(db, event=event, session_id=page.session_id)
    on_disk = await asyncio.to_thread(replays.recording_on_disk, media_dir, page.session_id)
    status_state = str(on_disk.status.get("state", "")) if on_disk.status else ""
    context = page_context(
        request,
        event,
        view,
        archive=theirs or archive,
        replay=replay,
        on_disk=on_disk,
        recorder_state=status_state,
        recorder_words=status_words().get(status_state, ""),
        recorder_message=str(on_disk.status.get("message", "")) if on_disk.status else "",
        replay_state=replay_words().get(replay.state, "") if replay else "",
        replay_url=file_path(request, page, replay) if replay and replay.state == ReplayState.ready else "",
        page_url=session_path(request, "replay_manage", event, view),
        console_url=session_path(request, "moderate", event, view),
        done=request.query_params.get("done", ""),
        error=error,
        stale=theirs is not None,
    )
    return private(render(request, "replays/manage.html", context, status_code=status))


def file_path(request: Request, page: SessionPage, replay: Replay) -> str:
    ext = EXTENSIONS.get(replay.content_type, "webm")
    return path_for(request, "replay_file", slug=page.event.slug, code=page.view.session.code, ext=ext)


@requires(can_manage_replay, load_session_page)
async def manage_page(request: Request, page: SessionPage) -> Response:
    return await _render_page(request, page)


def _yes_no(form: Any, name: str) -> bool | None:
    raw = form_text(form, name)
    if raw == "":
        return None
    if raw not in ("yes", "no"):
        raise InvalidInput(_("Please choose yes or no."))
    return raw == "yes"


@requires(can_manage_replay, load_session_page)
async def manage_submit(request: Request, page: SessionPage) -> Response:
    """Recording on or off, the replay and the archive published or hidden: the fields the form sends."""
    form = await checked_form(request)
    version = form_text(form, "version")
    try:
        if not version.isdigit() or len(version) > 9:
            raise InvalidInput(_("The form is incomplete. Please reload the page and try again."))
        async with database(request).session() as db:
            await end_reads(db)
            await update_session_archive(
                db,
                actor=page.actor,
                event=page.event,
                session=page.view.session,
                version=int(version),
                record=_yes_no(form, "record"),
                replay_published=_yes_no(form, "replay_published"),
                archive_published=_yes_no(form, "archive_published"),
            )
    except StaleArchive as stale:
        return await _render_page(request, page, error=stale.message, status=409, theirs=stale.current)
    except InvalidInput as problem:
        return await _render_page(request, page, error=problem.message, status=400)
    return see_other(with_query(session_path(request, "replay_manage", page.event, page.view), done="saved"))


@requires(can_manage_replay, load_session_page)
async def make(request: Request, page: SessionPage) -> Response:
    """Make (or remake) the replay now: claimed here, joined after the answer is sent."""
    await checked_form(request)
    media_dir = settings(request).media_dir
    try:
        async with database(request).session() as db:
            await end_reads(db)
            claimed = await replays.make_now(
                db, actor=page.actor, event=page.event, session_id=page.session_id, media_dir=media_dir
            )
    except Conflict as problem:
        return await _render_page(request, page, error=problem.message, status=409)
    task = (
        BackgroundTask(replays.build, database(request), session_id=page.session_id, media_dir=media_dir)
        if claimed
        else None
    )
    url = with_query(session_path(request, "replay_manage", page.event, page.view), done="making")
    return Response(status_code=303, headers={"location": url}, background=task)


@requires(can_manage_replay, load_session_page)
async def delete(request: Request, page: SessionPage) -> Response:
    """Delete the recording's segments and the replay; the form's ``confirm`` box must be ticked."""
    form = await checked_form(request)
    if form_text(form, "confirm") != "yes":
        message = _("Please tick the box to confirm that the recording and its replay are to be deleted.")
        return await _render_page(request, page, error=message, status=400)
    try:
        async with database(request).session() as db:
            await end_reads(db)
            await replays.delete_recording(
                db,
                actor=page.actor,
                event=page.event,
                session_id=page.session_id,
                media_dir=settings(request).media_dir,
            )
    except Conflict as problem:
        return await _render_page(request, page, error=problem.message, status=409)
    return see_other(with_query(session_path(request, "replay_manage", page.event, page.view), done="deleted"))


# The replay, for those who may watch it


async def watchable(request: Request) -> tuple[SessionPage, Replay]:
    try:
        page = await load_session_page(request)
    except NotFound:  # another event's session: as any refusal
        raise NotFound(_("There is no replay here.")) from None
    async with database(request).session() as db:
        try:
            replay = await watchable_replay(db, actor=page.actor, event=page.event, session=page.view.session)
        except NotFound:
            raise NotFound(_("There is no replay here.")) from None
    return page, replay


async def replay_file(request: Request) -> Response:
    """The replay's file with ranges; its extension must be the one its type has (``.webm`` or ``.mp4``)."""
    page, replay = await watchable(request)
    if EXTENSIONS.get(replay.content_type) != request.path_params["ext"] or not replay.stored_name:
        raise NotFound(_("There is no replay here."))
    headers = {"cache-control": "private, no-cache", "x-content-type-options": "nosniff"}
    accel = settings(request).accel_redirect
    if accel:
        # nginx sends the file (with ranges) from its internal location: the app reads none of it.
        response = Response(headers={**headers, "x-accel-redirect": accel + replay.stored_name})
        response.headers["content-type"] = replay.content_type
        del response.headers["content-length"]  # nginx gives the file's
        return response
    path = replays.replays_dir(settings(request).media_dir) / replay.stored_name
    if not path.is_file():
        raise NotFound(_("There is no replay here."))
    return FileResponse(path, media_type=replay.content_type, headers=headers, content_disposition_type="inline")


routes: list[BaseRoute] = [
    Route("/{slug}/sessions/{code}/replay/manage", manage_page, methods=["GET"], name="replay_manage"),
    Route("/{slug}/sessions/{code}/replay/manage", manage_submit, methods=["POST"], name="replay_manage"),
    Route("/{slug}/sessions/{code}/replay/make", make, methods=["POST"], name="replay_make"),
    Route("/{slug}/sessions/{code}/replay/delete", delete, methods=["POST"], name="replay_delete"),
    Route("/{slug}/sessions/{code}/replay.{ext}", replay_file, methods=["GET"], name="replay_file"),
]
