"""Badges and check-in: a signed code in a QR code (SVG, made locally), verified at the desk."""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import io
import re
from dataclasses import dataclass

import segno
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.clock import utcnow
from server.db import begin_write
from server.events.models import Event
from server.permissions import require
from server.registration.models import Registration, RegistrationStatus
from server.registration.rules import can_check_in

_CODE = re.compile(r"^PDM1-(\d{1,10})-(\d{1,10})-([0-9a-f]{16})-([A-Z2-7]{16})$")


def _signature(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest)[:16].decode()


def _canonical(typed: str) -> str:
    """People type codes in any case; the nonce is hex (lower) and the signature base32 (upper)."""
    parts = typed.strip().split("-")
    if len(parts) != 5:
        return typed
    return "-".join([parts[0].upper(), parts[1], parts[2], parts[3].lower(), parts[4].upper()])


def check_in_code(registration: Registration, *, secret: str) -> str:
    """``PDM1-{event}-{registration}-{nonce}-{signature}``: short enough for a dense QR code and to type."""
    payload = f"PDM1-{registration.event_id}-{registration.id}-{registration.badge_nonce}"
    return f"{payload}-{_signature(secret, payload)}"


def qr_svg(data: str) -> str:
    buffer = io.BytesIO()
    # A viewBox without a fixed size lets the page scale it for screen and paper; 4 modules of quiet zone
    # is what the QR standard asks for, and what phone cameras count on.
    segno.make(data, error="m").save(buffer, kind="svg", scale=6, border=4, xmldecl=False, svgns=True, omitsize=True)
    return buffer.getvalue().decode()


class CheckInOutcome(enum.StrEnum):
    checked_in = "checked-in"
    already = "already"  # a second scan: warn, the badge may be shared
    cancelled = "cancelled"
    unconfirmed = "unconfirmed"
    other_event = "other-event"
    invalid = "invalid"
    not_found = "not-found"  # chosen by name, but no registration of this event has that number


@dataclass(frozen=True)
class CheckIn:
    outcome: CheckInOutcome
    registration: Registration | None = None


async def check_in(db: AsyncSession, *, actor: Actor, event: Event, code: str, secret: str) -> CheckIn:
    require(actor, can_check_in)
    match = _CODE.match(_canonical(code)) if len(code) < 100 else None
    if match is None:
        return CheckIn(CheckInOutcome.invalid)
    event_id, registration_id, nonce, signature = match.groups()
    payload = f"PDM1-{event_id}-{registration_id}-{nonce}"
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        return CheckIn(CheckInOutcome.invalid)
    if int(event_id) != event.id:
        return CheckIn(CheckInOutcome.other_event)
    return await _admit(db, event=event, registration_id=int(registration_id), nonce=nonce)


async def check_in_person(db: AsyncSession, *, actor: Actor, event: Event, registration_id: int) -> CheckIn:
    """Check-in of a person the desk found by name: the same outcomes as a scanned badge."""
    require(actor, can_check_in)
    return await _admit(db, event=event, registration_id=registration_id, nonce=None)


async def _admit(db: AsyncSession, *, event: Event, registration_id: int, nonce: str | None) -> CheckIn:
    """Checks in this event's registration (with the badge's nonce when a badge was scanned)."""
    # Two desks scanning one badge at once: exactly one of them checks it in, the other warns.
    await begin_write(db)
    registration = (
        await db.exec(
            select(Registration)
            .where(Registration.id == registration_id, Registration.event_id == event.id)
            .with_for_update()
        )
    ).first()
    if registration is None:
        return CheckIn(CheckInOutcome.invalid if nonce is not None else CheckInOutcome.not_found)
    if nonce is not None and registration.badge_nonce != nonce:
        return CheckIn(CheckInOutcome.invalid)
    if registration.status == RegistrationStatus.cancelled:
        return CheckIn(CheckInOutcome.cancelled, registration)
    if registration.status != RegistrationStatus.confirmed:  # unconfirmed, pending approval, waitlisted, rejected
        return CheckIn(CheckInOutcome.unconfirmed, registration)
    if registration.checked_in_at is not None:
        return CheckIn(CheckInOutcome.already, registration)
    registration.checked_in_at = utcnow()
    db.add(registration)
    await db.commit()
    return CheckIn(CheckInOutcome.checked_in, registration)
