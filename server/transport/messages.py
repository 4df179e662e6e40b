"""The back office's Messages: the outbox log, the compose form with its preview, and each message's progress
and recipients."""

from __future__ import annotations

import secrets
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from server import formats
from server.i18n import LANGUAGES
from server.i18n import gettext as _
from server.organising.message_log import Progress, message_log, progress_of, recipient_statuses, versions_of
from server.organising.messages import (
    MAX_BODY,
    MAX_SUBJECT,
    check_draft,
    message_for_key,
    message_of,
    preview,
    retry_failed,
    send_message,
    version_languages,
)
from server.organising.rules import can_message_participants
from server.organising.segments import InvalidDraft, Segment, segment_label, sessions_to_choose
from server.transport.auth import checked_form, form_text
from server.transport.backoffice import render_backoffice
from server.transport.context import database, private, see_other, services
from server.transport.loaders import EventPage, load_event_page, requires
from server.transport.throttle import throttle
from server.transport.urls import SiteUrls, path_for

# A message's texts, each up to MAX_BODY characters, and up to nine bytes a character once form-encoded.
MESSAGE_FORM_BYTES = 1024 * 1024
MESSAGES_PER_MINUTE = 3  # per organiser: a mistake is soon found, a runaway script soon stopped


@requires(can_message_participants, load_event_page)
async def messages_page(request: Request, page: EventPage) -> Response:
    async with database(request).session() as db:
        log = await message_log(db, actor=page.actor, event=page.event)
    return render_backoffice(request, page, "backoffice/messages.html", {"log": log}, section="messages")


async def _compose(
    request: Request,
    page: EventPage,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    shown: Any = None,
    status_code: int = 200,
) -> Response:
    async with database(request).session() as db:
        sessions = await sessions_to_choose(db, event=page.event)
    context = {
        "values": values,
        "errors": errors or {},
        "preview": shown,
        "segments": [(segment.value, segment_label(segment), segment.needs_session) for segment in Segment],
        "sessions": [(session, session.start.astimezone(ZoneInfo(page.event.timezone))) for session in sessions],
        "languages": version_languages(page.event),
        "max_subject": MAX_SUBJECT,
        "max_body": MAX_BODY,
    }
    return render_backoffice(
        request, page, "backoffice/message_compose.html", context, section="messages", status_code=status_code
    )


@requires(can_message_participants, load_event_page)
async def compose_page(request: Request, page: EventPage) -> Response:
    return await _compose(request, page, {"form_key": secrets.token_urlsafe(24), "segment": Segment.registered})


@requires(can_message_participants, load_event_page)
async def compose_submit(request: Request, page: EventPage) -> Response:
    """Preview (the count and the mail as each language's recipients get it) or send."""
    form = await checked_form(request, max_bytes=MESSAGE_FORM_BYTES)
    values = {key: form_text(form, key) for key in form if key != "csrf_token"}
    event, actor = page.event, page.actor
    try:
        draft = check_draft(event, values)
        if form_text(form, "action") != "send":
            async with database(request).session() as db:
                shown = await preview(db, actor=actor, event=event, links=SiteUrls.of(request), draft=draft)
            return await _compose(request, page, values, shown=shown)
        async with database(request).session() as db:
            repeated = await message_for_key(db, actor=actor, event=event, form_key=draft.form_key)
        if repeated is None:
            await throttle(services(request), "send_message", MESSAGES_PER_MINUTE).check(f"a{actor.account_id}")
        message = await send_message(
            database(request), actor=actor, event=event, links=SiteUrls.of(request), draft=draft
        )
    except InvalidDraft as refusal:
        return await _compose(request, page, values, errors=refusal.errors, status_code=400)
    return see_other(path_for(request, "message", slug=event.slug, message_id=message.id))


@requires(can_message_participants, load_event_page)
async def message_page(request: Request, page: EventPage) -> Response:
    async with database(request).session() as db:
        message = await message_of(db, actor=page.actor, event=page.event, message_id=request.path_params["message_id"])
        progress = await progress_of(db, message)
        versions = await versions_of(db, message)
        statuses = await recipient_statuses(db, message)
    context = {
        "message": message,
        "progress": progress,
        "versions": versions,
        "recipients": statuses,
        "progress_text": progress_text(progress),
        "language_names": {language.code: language.name for language in LANGUAGES},
        "status_labels": {
            "pending": _("waiting to be queued"),
            "queued": _("queued"),
            "sent": _("sent"),
            "failed": _("failed"),
        },
    }
    return render_backoffice(request, page, "backoffice/message.html", context, section="messages")


@requires(can_message_participants, load_event_page)
async def retry_submit(request: Request, page: EventPage) -> Response:
    """Sends the failed mails of a message once more."""
    await checked_form(request)
    event, actor = page.event, page.actor
    message_id: int = request.path_params["message_id"]
    await throttle(services(request), "send_message", MESSAGES_PER_MINUTE).check(f"a{actor.account_id}")
    async with database(request).session() as db:
        await retry_failed(db, actor=actor, event=event, message_id=message_id)
    return see_other(path_for(request, "message", slug=event.slug, message_id=message_id))


def progress_text(progress: Progress) -> str:
    return _("Sent %(sent)s of %(total)s, failed %(failed)s.") % {
        "sent": formats.number(progress.sent),
        "total": formats.number(progress.total),
        "failed": formats.number(progress.failed),
    }


@requires(can_message_participants, load_event_page, page=False)  # JSON for the page's poll
async def message_progress(request: Request, page: EventPage) -> Response:
    """The counts alone, for the message page's poll (the page itself lists every recipient)."""
    async with database(request).session() as db:
        message = await message_of(db, actor=page.actor, event=page.event, message_id=request.path_params["message_id"])
        progress = await progress_of(db, message)
    counts = {"total": progress.total, "sent": progress.sent, "failed": progress.failed, "done": progress.done}
    return private(JSONResponse({**counts, "text": progress_text(progress)}))


routes: list[BaseRoute] = [
    Route("/{slug}/organiser/messages", messages_page, methods=["GET"], name="messages"),
    Route("/{slug}/organiser/messages/new", compose_page, methods=["GET"], name="message_compose"),
    Route("/{slug}/organiser/messages/new", compose_submit, methods=["POST"], name="message_compose_submit"),
    Route("/{slug}/organiser/messages/{message_id:id}", message_page, methods=["GET"], name="message"),
    Route("/{slug}/organiser/messages/{message_id:id}/retry", retry_submit, methods=["POST"], name="message_retry"),
    Route(
        "/{slug}/organiser/messages/{message_id:id}/progress",
        message_progress,
        methods=["GET"],
        name="message_progress",
    ),
]
