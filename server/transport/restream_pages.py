"""The organisers' restream page of a session: its RTMP(S) targets (address, key shown masked, on or off) with the
state and bitrate the relay last reported, a form to add one, and per target an edit form (versioned: a save over
someone else's is refused) and a delete button. Handlers decode, authorise and call server/restreams/services.py;
the relay (realtime/media/restream.py) reads the targets from the database."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.errors import Conflict, FieldErrors, StaleVersion
from server.i18n import gettext as _
from server.restreams import services
from server.restreams.rules import can_manage_restreams
from server.restreams.services import MAX_TARGETS, state_json, targets_of
from server.transport.auth import checked_form
from server.transport.context import database, end_reads, private, see_other, settings
from server.transport.live_pages import page_context
from server.transport.loaders import SessionPage, load_session_page, requires
from server.transport.notices import Notice, leave_notice
from server.transport.rendering import render
from server.transport.urls import session_path

FIELDS = ("label", "url", "key", "enabled", "version")


def _page_path(request: Request, page: SessionPage) -> str:
    return session_path(request, "restreams", page.event, page.view)


def state_words() -> dict[str, str]:
    """A target's state as the organiser reads it (the console's script gets the same words)."""
    return {
        "off": _("Off"),
        "connecting": _("Connecting"),
        "live": _("Live"),
        "retrying": _("Reconnecting"),
        "refused": _("Key refused"),
    }


async def _render(
    request: Request,
    page: SessionPage,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    editing: int | None = None,
    status: int = 200,
) -> Response:
    secret = settings(request).secret_key
    async with database(request).session() as db:
        targets = await targets_of(db, event=page.event, session_id=page.session_id)
    rows: list[dict[str, Any]] = []
    for target in targets:
        shown = state_json(target, secret)
        refilled = values if editing == target.id and values is not None else None
        rows.append(
            {
                **shown,
                "url": target.url,
                "version": target.version,
                "values": refilled or {"label": target.label, "url": target.url, "enabled": target.enabled},
                "errors": errors if editing == target.id else {},
            }
        )
    context = page_context(
        request,
        page.event,
        page.view,
        targets=rows,
        states=state_words(),
        new_values=values if editing is None and values is not None else {"enabled": True},
        new_errors=errors if editing is None and errors else {},
        full=len(targets) >= MAX_TARGETS,
        max_targets=MAX_TARGETS,
        console_url=session_path(request, "moderate", page.event, page.view),
    )
    return private(render(request, "media/restreams.html", context, status_code=status))


@requires(can_manage_restreams, load_session_page)
async def restreams_page(request: Request, page: SessionPage) -> Response:
    return await _render(request, page)


def _values(form: Any) -> dict[str, str]:
    return {name: value for name in FIELDS if isinstance(value := form.get(name), str)}


@requires(can_manage_restreams, load_session_page)
async def add(request: Request, page: SessionPage) -> Response:
    values = _values(await checked_form(request, by_field=True))
    try:
        async with database(request).session() as db:
            await end_reads(db)
            target = await services.add_target(
                db,
                actor=page.actor,
                event=page.event,
                session_id=page.session_id,
                values=values,
                secret=settings(request).secret_key,
                subject=page.subject,
            )
    except FieldErrors as refusal:
        return await _render(request, page, errors=refusal.errors, values=_shown_values(values), status=400)
    except Conflict as refusal:
        return await _render(request, page, errors={"form": refusal.message}, values=_shown_values(values), status=409)
    notice = Notice(_("The restream target “%(label)s” is added.") % {"label": target.label}, "success")
    return leave_notice(request, see_other(_page_path(request, page) + f"#target-{target.id}"), notice)


def _shown_values(values: dict[str, str]) -> dict[str, Any]:
    """A refused form shown again: never the key typed into it."""
    return {"label": values.get("label", ""), "url": values.get("url", ""), "enabled": values.get("enabled") == "1"}


def _version(values: dict[str, str]) -> int:
    raw = values.get("version", "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else -1


@requires(can_manage_restreams, load_session_page)
async def edit(request: Request, page: SessionPage) -> Response:
    values = _values(await checked_form(request, by_field=True))
    target_id = int(request.path_params["target_id"])
    try:
        async with database(request).session() as db:
            await end_reads(db)
            target = await services.edit_target(
                db,
                actor=page.actor,
                event=page.event,
                session_id=page.session_id,
                target_id=target_id,
                version=_version(values),
                values=values,
                secret=settings(request).secret_key,
                subject=page.subject,
            )
    except FieldErrors as refusal:
        shown = _shown_values(values)
        return await _render(request, page, errors=refusal.errors, values=shown, editing=target_id, status=400)
    except StaleVersion as refusal:
        return await _render(request, page, errors={"form": refusal.message}, editing=target_id, status=409)
    notice = Notice(_("The restream target “%(label)s” is saved.") % {"label": target.label}, "success")
    return leave_notice(request, see_other(_page_path(request, page) + f"#target-{target.id}"), notice)


@requires(can_manage_restreams, load_session_page)
async def delete(request: Request, page: SessionPage) -> Response:
    await checked_form(request)
    async with database(request).session() as db:
        await end_reads(db)
        await services.delete_target(
            db,
            actor=page.actor,
            event=page.event,
            session_id=page.session_id,
            target_id=int(request.path_params["target_id"]),
            secret=settings(request).secret_key,
            subject=page.subject,
        )
    return leave_notice(request, see_other(_page_path(request, page)), Notice(_("The restream target is deleted.")))


_PAGE = "/{slug}/sessions/{code}/restreams"
routes: list[BaseRoute] = [
    Route(_PAGE, restreams_page, methods=["GET"], name="restreams"),
    Route(_PAGE, add, methods=["POST"], name="restream_add"),
    Route(_PAGE + "/{target_id:id}", edit, methods=["POST"], name="restream_edit"),
    Route(_PAGE + "/{target_id:id}/delete", delete, methods=["POST"], name="restream_delete"),
]
