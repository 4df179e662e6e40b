"""An event's registration settings as organisers set them: the window, the limits per attendance mode, which
standard fields the form asks, approval, and the paragraph added to the confirmation mail.

Texts organisers write for delegates are kept per event language (``server.registration.translations``).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.audit.services import record, snapshot
from server.clock import utcnow
from server.db import begin_write
from server.errors import Conflict, InvalidInput
from server.events.models import Event
from server.i18n import gettext as _
from server.i18n import ngettext
from server.permissions import require
from server.registration.locking import lock_event
from server.registration.models import Attendance, FieldMode, RegistrationSettings
from server.registration.places import confirmed_count, fill_places
from server.registration.rules import can_change_registration_settings

# The register form's standard fields an organiser may ask or not; name and email are always required.
STANDARD_FIELDS = ("organisation", "job_title", "country", "accessibility_needs", "language", "listed")
DEFAULT_MODES = {
    "organisation": FieldMode.optional,
    "job_title": FieldMode.optional,
    "country": FieldMode.required,
    "accessibility_needs": FieldMode.optional,
    "language": FieldMode.optional,
    "listed": FieldMode.optional,
}
MAX_LIMIT = 1_000_000  # more people than any venue or stream; keeps the numbers sane
CONFIRMATION_TEXT_LIMIT = 4000
SETTINGS_FIELDS = (
    "opens_at",
    "closes_at",
    "onsite_limit",
    "online_limit",
    "requires_approval",
    "fields",
    "confirmation_text",
)


class InvalidFields(InvalidInput):
    """Input refused field by field: ``errors`` maps a form field's name to its message, shown next to it."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = dict(errors)


class StaleSettings(Conflict):
    """Another organiser saved first: ``current`` holds their values, shown in the form."""

    def __init__(self, current: RegistrationSettings) -> None:
        super().__init__(
            _("Another organiser changed these settings while you were editing. Their values are shown below.")
        )
        self.current = current


class Window(enum.StrEnum):
    not_yet_open = "not_yet_open"
    open = "open"
    closed = "closed"


async def registration_settings(db: AsyncSession, *, event: Event) -> RegistrationSettings:
    """The event's settings, or the defaults (version 0, not stored) when no organiser saved any."""
    found = (await db.exec(select(RegistrationSettings).where(RegistrationSettings.event_id == event.id))).first()
    return found or RegistrationSettings(event_id=event.id or 0, version=0)


def field_modes(settings: RegistrationSettings) -> dict[str, FieldMode]:
    return {name: FieldMode(settings.fields.get(name, default)) for name, default in DEFAULT_MODES.items()}


def window(settings: RegistrationSettings, now: dt.datetime | None = None) -> Window:
    now = now or utcnow()
    if settings.opens_at is not None and now < settings.opens_at:
        return Window.not_yet_open
    if settings.closes_at is not None and now >= settings.closes_at:
        return Window.closed
    return Window.open


def require_open(settings: RegistrationSettings, now: dt.datetime | None = None) -> None:
    """Refuses a registration (or a change of answers) outside the window, whatever the form showed."""
    state = window(settings, now)
    if state == Window.not_yet_open:
        raise Conflict(_("Registration is not open yet."))
    if state == Window.closed:
        raise Conflict(_("Registration is closed."))


@dataclass(frozen=True)
class SettingsInput:
    """What an organiser may set: exactly these fields, validated."""

    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    onsite_limit: int | None
    online_limit: int | None
    requires_approval: bool
    fields: dict[str, str]
    confirmation_text: dict[str, str]

    @classmethod
    def parse(
        cls,
        *,
        event: Event,
        opens_at: str,
        closes_at: str,
        onsite_limit: str,
        online_limit: str,
        requires_approval: bool,
        fields: Mapping[str, str],
        confirmation_text: Mapping[str, str],
    ) -> SettingsInput:
        errors: dict[str, str] = {}
        zone = ZoneInfo(event.timezone)
        opens = _local_time(opens_at, zone, "opens_at", errors)
        closes = _local_time(closes_at, zone, "closes_at", errors)
        if opens is not None and closes is not None and closes <= opens:
            errors["closes_at"] = _("Registration must close after it opens.")
        limits = {
            name: _limit(value, name, errors)
            for name, value in (("onsite_limit", onsite_limit), ("online_limit", online_limit))
        }
        modes: dict[str, str] = {}
        for name in STANDARD_FIELDS:
            value = fields.get(name, "")
            if value not in set(FieldMode):
                errors[f"field_{name}"] = _("Please choose whether this field is asked, and whether it is required.")
            else:
                modes[name] = value
        texts: dict[str, str] = {}
        for code in event.language_list:
            text = confirmation_text.get(code, "").strip().replace("\r\n", "\n")
            if len(text) > CONFIRMATION_TEXT_LIMIT:
                errors[f"confirmation_{code}"] = _("This text is too long (%(limit)s characters at most).") % {
                    "limit": CONFIRMATION_TEXT_LIMIT
                }
            elif text:
                texts[code] = text
        if errors:
            raise InvalidFields(errors)
        return cls(
            opens_at=opens,
            closes_at=closes,
            onsite_limit=limits["onsite_limit"],
            online_limit=limits["online_limit"],
            requires_approval=requires_approval,
            fields=modes,
            confirmation_text=texts,
        )


def _local_time(value: str, zone: ZoneInfo, name: str, errors: dict[str, str]) -> dt.datetime | None:
    """A ``datetime-local`` value in the event's zone, as UTC."""
    value = value.strip()
    if not value:
        return None
    try:
        local = dt.datetime.fromisoformat(value) if len(value) <= 32 else None
    except ValueError:
        local = None
    if local is None or local.tzinfo is not None or not 2000 <= local.year <= 2200:
        errors[name] = _("Please give a date and time, such as 2026-09-01 09:00.")
        return None
    return local.replace(tzinfo=zone).astimezone(dt.UTC)


def _limit(value: str, name: str, errors: dict[str, str]) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 7 or int(value) > MAX_LIMIT:
        errors[name] = _("Please give a whole number from 0 to %(max)s, or leave it empty for no limit.") % {
            "max": f"{MAX_LIMIT:,}"
        }
        return None
    return int(value)


def settings_values(settings: RegistrationSettings) -> dict[str, Any]:
    return snapshot(settings, SETTINGS_FIELDS)


async def update_settings(
    db: AsyncSession, *, actor: Actor, event: Event, data: SettingsInput, version: int
) -> RegistrationSettings:
    """Saves the settings if nobody saved since ``version`` was read; a raised limit promotes the waitlist."""
    require(actor, can_change_registration_settings, event)
    await begin_write(db)
    await lock_event(db, event=event)
    settings = (
        await db.exec(select(RegistrationSettings).where(RegistrationSettings.event_id == event.id).with_for_update())
    ).first()
    if settings is None:
        settings = RegistrationSettings(event_id=event.id or 0, version=0)
    if settings.version != version:
        if settings in db:
            db.expunge(settings)  # keeps the values read, which the refusal shows
        await db.rollback()
        raise StaleSettings(settings)
    errors = {}
    for mode, name in ((Attendance.onsite, "onsite_limit"), (Attendance.online, "online_limit")):
        limit = getattr(data, name)
        taken = await confirmed_count(db, event=event, mode=mode)
        if limit is not None and limit < taken:
            errors[name] = ngettext(
                "%(count)s registration is already confirmed for this mode: the limit cannot be lower.",
                "%(count)s registrations are already confirmed for this mode: the limit cannot be lower.",
                taken,
            ) % {"count": taken}
    if errors:
        await db.rollback()
        raise InvalidFields(errors)
    before = settings_values(settings) if settings.id is not None else None
    for name in SETTINGS_FIELDS:
        setattr(settings, name, getattr(data, name))
    settings.version += 1
    settings.updated_at = utcnow()
    db.add(settings)
    await db.flush()
    record(
        db,
        actor=actor,
        event=event,
        action="registration_settings.update",
        target_type="registration_settings",
        target_id=event.id,
        target_label=event.title,
        before=before or {},
        after=settings_values(settings),
    )
    for mode in (Attendance.onsite, Attendance.online):
        await fill_places(db, event=event, settings=settings, mode=mode)
    await db.commit()
    return settings
