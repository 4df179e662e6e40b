"""The organisers' back office: its sections (the side navigation every back-office page shows, each for those
its rule allows) and the audit log page. Each section's pages live in their own module; a new section is one
line in ``SECTIONS``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts.actors import Actor
from server.agenda.rules import can_edit_programme_parts
from server.errors import InvalidInput
from server.events.models import Event
from server.i18n import gettext as _
from server.live.rules import can_change_live_settings
from server.organising.audit_log import PAGE_SIZE, AuditFilter, audit_choices, audit_entries
from server.organising.rules import (
    can_edit_event,
    can_edit_programme,
    can_import_schedule,
    can_manage_staff,
    can_message_participants,
    can_read_audit_log,
    can_see_relays,
)
from server.permissions import Rule, allows
from server.registration.rules import can_change_registration_settings, can_manage_registrations
from server.transport.context import database, private
from server.transport.loaders import EventPage, load_event_page, requires
from server.transport.rendering import render
from server.transport.urls import path_for


@dataclass(frozen=True, slots=True)
class Section:
    route: str  # the name of the section's first page, which takes the event's ``slug``
    label: Any  # a callable giving the translated label when the page renders
    rule: Rule
    icon: str = ""  # a lucide-static icon's name (server/transport/icons.py)


SECTIONS: tuple[Section, ...] = (
    Section("organiser", lambda: _("Dashboard"), can_manage_registrations, "layout-dashboard"),
    Section("event_settings", lambda: _("Event"), can_edit_event, "settings"),
    Section("programme", lambda: _("Programme"), can_edit_programme, "calendar"),
    Section("programme_parts", lambda: _("Rooms, tracks and kinds"), can_edit_programme_parts, "layout-grid"),
    Section("people_list", lambda: _("People"), can_edit_programme_parts, "users"),
    Section("registration_settings", lambda: _("Registration"), can_change_registration_settings, "ticket"),
    Section("live_settings", lambda: _("Live rooms"), can_change_live_settings, "radio"),
    Section("staff", lambda: _("Staff"), can_manage_staff, "user-cog"),
    Section("messages", lambda: _("Messages"), can_message_participants, "mail"),
    Section("import", lambda: _("Import and API"), can_import_schedule, "upload"),
    Section("audit_log", lambda: _("Audit log"), can_read_audit_log, "history"),
    Section("relays", lambda: _("Relays"), can_see_relays, "server"),
)


def sections_for(request: Request, event: Event, actor: Actor, current: str) -> list[dict[str, Any]]:
    """The sections this person may open, as links: the template's side navigation."""
    return [
        {
            "href": path_for(request, section.route, slug=event.slug),
            "label": section.label(),
            "icon": section.icon,
            "current": section.route == current,
        }
        for section in SECTIONS
        if allows(actor, section.rule, event)
    ]


def render_backoffice(
    request: Request, page: EventPage, template: str, context: dict[str, Any], *, section: str, status_code: int = 200
) -> Response:
    """A back-office page: the event, who is asking, the side navigation with ``section`` marked, never cached."""
    full = {
        "event": page.event,
        "actor": page.actor,
        "backoffice_sections": sections_for(request, page.event, page.actor, section),
        **context,
    }
    return private(render(request, template, full, status_code=status_code))


def _day(value: str, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=dt.UTC)
    except ValueError:
        raise InvalidInput(_("%(field)s is not a date (YYYY-MM-DD).") % {"field": name}) from None


def older_entries_url(request: Request, oldest_id: int) -> str:
    """The same filters, the page after the oldest entry shown."""
    params = {key: value for key, value in request.query_params.items() if key != "before"}
    return request.url.path + "?" + urlencode({**params, "before": str(oldest_id)})


@requires(can_read_audit_log, load_event_page)
async def audit_log_page(request: Request, page: EventPage) -> Response:
    query = request.query_params
    until = _day(query.get("until", ""), _("Until"))
    before_id = query.get("before", "")
    filters = AuditFilter(
        action=query.get("action", "")[:60],
        actor_email=query.get("person", "")[:254],
        target_type=query.get("kind", "")[:40],
        since=_day(query.get("since", ""), _("Since")),
        until=until + dt.timedelta(days=1) if until else None,
        before_id=int(before_id) if before_id.isdigit() and len(before_id) < 12 else None,
    )
    async with database(request).session() as db:
        entries = await audit_entries(db, actor=page.actor, event=page.event, filters=filters)
        actions, people, kinds = await audit_choices(db, actor=page.actor, event=page.event)
    context = {
        "entries": entries,
        "filters": query,
        "actions": actions,
        "people": people,
        "kinds": kinds,
        "older": older_entries_url(request, entries[-1].id) if len(entries) == PAGE_SIZE and entries[-1].id else "",
    }
    return render_backoffice(request, page, "backoffice/audit.html", context, section="audit_log")


routes: list[BaseRoute] = [
    Route("/{slug}/organiser/audit", audit_log_page, methods=["GET"], name="audit_log"),
]
