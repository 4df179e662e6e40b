"""Reminders before a picked session: the delegate's form, the state the cached session page asks for, the
browser's Web Push subscription, and the service worker, served from the site's root so its scope is the site."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from server.errors import Conflict, InvalidInput
from server.i18n import gettext as _
from server.i18n import ngettext
from server.reminders.models import REMINDER_MINUTES, Reminder
from server.reminders.services import (
    push_subscription_count,
    reminder_state,
    remove_reminder,
    set_reminder,
    site_vapid_key,
    subscribe_push,
    unsubscribe_push,
)
from server.settings import Settings
from server.transport.auth import checked_form, current_account, current_actor, form_text
from server.transport.context import database, end_reads, event_of, private, see_other, settings, sign_in_redirect
from server.transport.notices import Notice, leave_notice
from server.transport.rendering import render
from server.transport.signin_prompt import sign_in_prompt
from server.transport.urls import path_for
from server.transport.zones import shown_zone
from web import STATIC_DIR

SERVICE_WORKER = STATIC_DIR / "sw.js"


def reminder_label(reminder: Reminder | None) -> str:
    if reminder is None:
        return _("Remind me before it starts")
    return ngettext(
        "Reminder: %(count)s minute before it starts",
        "Reminder: %(count)s minutes before it starts",
        reminder.minutes,
    ) % {"count": reminder.minutes}


def minutes_from(raw: str) -> int:
    """The form's choice; anything else becomes 0, which the service refuses with its reason."""
    return int(raw) if raw.isdigit() and len(raw) < 4 else 0


def vapid_subject(config: Settings) -> str:
    """Whom a push service contacts about our messages (RFC 8292): the site's sender address."""
    address = parseaddr(config.mail_from)[1]
    return f"mailto:{address}" if "@" in address else config.base_url


def allows_plain_http_push(config: Settings) -> bool:
    """Push services speak https; a test's local push service may not, outside production."""
    return not config.is_production


async def reminder_page(request: Request) -> Response:
    """The delegate's reminder for one session: how long before, by mail and by this browser's notifications."""
    code = request.path_params["code"]
    async with database(request).session() as db:
        event = await event_of(db, request)
        account = await current_account(request, db)
        if account is None:
            return await sign_in_prompt(request, db, event)
        actor = await current_actor(request, db, event)
        state = await reminder_state(db, actor=actor, event=event, code=code)
        vapid = await site_vapid_key(db) if state.picked else None
        browsers = await push_subscription_count(db, account_id=account.id or 0)
    reminder = state.reminder
    zone = shown_zone(request, event, account)
    context: dict[str, Any] = {
        "event": event,
        "session": state.session,
        "start": state.session.start.astimezone(zone),
        "zone": zone,
        "state": state,
        "reminder": reminder,
        "minutes_choices": REMINDER_MINUTES,
        "chosen_minutes": reminder.minutes if reminder else 15,
        "by_mail": reminder.by_mail if reminder else True,
        "by_push": reminder.by_push if reminder else False,
        "label": reminder_label(reminder),
        "vapid_key": vapid.public_key if vapid else "",
        "browsers": browsers,
        "inline_notices": True,
        "save_path": path_for(request, "reminder_save", slug=event.slug, code=code),
        "pick_path": path_for(request, "pick", slug=event.slug, code=code),
        "session_path": path_for(request, "session", slug=event.slug, code=code),
        "subscribe_path": path_for(request, "push_subscribe", slug=event.slug),
        "unsubscribe_path": path_for(request, "push_unsubscribe", slug=event.slug),
        "worker_path": path_for(request, "service_worker"),
        "text": {
            "asking": _("Asking your browser…"),
            "on": _("This browser shows a notification before your reminded sessions."),
            "off": _("This browser no longer shows notifications from Podium."),
            "blocked": _("Your browser blocks notifications from this site: allow them in its site settings."),
            "failed": _("This browser could not subscribe to notifications. Your reminders still come by mail."),
            "unsupported": _("This browser cannot show notifications from a web site."),
        },
    }
    return private(render(request, "reminders/reminder.html", context))


async def reminder_save(request: Request) -> Response:
    """Sets, changes or removes (``remove``) the reminder; a refusal comes back to the form with its reason."""
    code = request.path_params["code"]
    form = await checked_form(request)
    async with database(request).session() as db:
        event = await event_of(db, request)
        back = path_for(request, "reminder", slug=event.slug, code=code)
        actor = await current_actor(request, db, event)
        if actor.account is None:
            return sign_in_redirect(request, back)
        await end_reads(db)
        try:
            if form_text(form, "remove"):
                await remove_reminder(db, actor=actor, event=event, code=code)
                done = _("Your reminder is removed.")
            else:
                reminder = await set_reminder(
                    db,
                    actor=actor,
                    event=event,
                    code=code,
                    minutes=minutes_from(form_text(form, "minutes")),
                    by_mail=form_text(form, "mail") == "yes",
                    by_push=form_text(form, "push") == "yes",
                )
                done = reminder_label(reminder)
        except (InvalidInput, Conflict) as refused:
            return leave_notice(request, see_other(back), Notice(refused.message, "error", target="reminder"))
    return leave_notice(request, see_other(back), Notice(done, "success", target="reminder"))


async def reminder_json(request: Request) -> Response:
    """The viewer's reminder for the cached session page's link (web/static/reminders.js)."""
    code = request.path_params["code"]
    async with database(request).session() as db:
        event = await event_of(db, request)
        actor = await current_actor(request, db, event)
        state = await reminder_state(db, actor=actor, event=event, code=code)
    reminder = state.reminder
    body = {
        "signed_in": actor.account is not None,
        "registered": state.registration is not None,
        "picked": state.picked,
        "reminder": None
        if reminder is None
        else {"minutes": reminder.minutes, "mail": reminder.by_mail, "push": reminder.by_push},
        "text": reminder_label(reminder),
        "page": path_for(request, "reminder", slug=event.slug, code=code),
    }
    return private(JSONResponse(body))


async def _push_change(request: Request, *, subscribe: bool) -> Response:
    form = await checked_form(request)
    async with database(request).session() as db:
        event = await event_of(db, request)
        actor = await current_actor(request, db, event)
        await end_reads(db)
        try:
            if subscribe:
                await subscribe_push(
                    db,
                    actor=actor,
                    endpoint=form_text(form, "endpoint"),
                    p256dh=form_text(form, "p256dh"),
                    auth=form_text(form, "auth"),
                    allow_http=allows_plain_http_push(settings(request)),
                )
            else:
                await unsubscribe_push(db, actor=actor, endpoint=form_text(form, "endpoint"))
        except InvalidInput as refused:
            return JSONResponse({"error": refused.message}, status_code=400)
    return private(JSONResponse({"subscribed": subscribe}))


async def push_subscribe(request: Request) -> Response:
    """A browser of the signed-in account subscribes to notifications (its ``PushSubscription``'s fields)."""
    return await _push_change(request, subscribe=True)


async def push_unsubscribe(request: Request) -> Response:
    return await _push_change(request, subscribe=False)


async def service_worker(_request: Request) -> Response:
    """Served from the root, so it may show notifications for every page of the site."""
    headers = {"service-worker-allowed": "/", "cache-control": "no-cache"}
    return FileResponse(SERVICE_WORKER, media_type="text/javascript; charset=utf-8", headers=headers)


routes: list[BaseRoute] = [
    Route("/sw.js", service_worker, methods=["GET"], name="service_worker"),
    Route("/{slug}/sessions/{code}/reminder", reminder_page, methods=["GET"], name="reminder"),
    Route("/{slug}/sessions/{code}/reminder", reminder_save, methods=["POST"], name="reminder_save"),
    Route("/{slug}/sessions/{code}/reminder.json", reminder_json, methods=["GET"], name="reminder_state"),
    Route("/{slug}/push/subscriptions", push_subscribe, methods=["POST"], name="push_subscribe"),
    Route("/{slug}/push/subscriptions/delete", push_unsubscribe, methods=["POST"], name="push_unsubscribe"),
]
