"""What organisers watch: registrations by mode and status, countries, fill rates, check-ins; and the
participant list delegates see (only those who consented)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server import formats
from server.accounts.actors import Actor
from server.accounts.models import Account, EventRole, Role
from server.agenda.models import Room, Session, seat_capacity
from server.events.models import Event
from server.i18n import gettext as _
from server.permissions import require
from server.registration.answers import event_answers, questions_of
from server.registration.countries import country_name
from server.registration.models import Attendance, ChoiceStatus, Registration, RegistrationStatus, SessionChoice
from server.registration.rules import can_manage_registrations, can_see_participants
from server.registration.translations import translated


@dataclass(frozen=True)
class SessionFill:
    session: Session
    room: Room
    seated: int
    waitlisted: int
    online: int

    @property
    def seats(self) -> int:
        return seat_capacity(self.session, self.room)

    @property
    def fill_rate(self) -> float | None:
        return self.seated / self.seats if self.seats else None


@dataclass(frozen=True)
class Dashboard:
    by_mode_and_status: dict[tuple[str, str], int]
    countries: list[tuple[str, int]]
    checked_in: int
    sessions: list[SessionFill]

    @property
    def confirmed(self) -> int:
        return sum(
            n for (_mode, status), n in self.by_mode_and_status.items() if status == RegistrationStatus.confirmed
        )


async def dashboard(db: AsyncSession, *, actor: Actor, event: Event) -> Dashboard:
    require(actor, can_manage_registrations)
    grouped = (
        await db.exec(
            select(Registration.attendance, Registration.status, func.count())
            .where(Registration.event_id == event.id)
            .group_by(col(Registration.attendance), col(Registration.status))
        )
    ).all()
    countries = (
        await db.exec(
            select(Registration.country, func.count())
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.confirmed,
                Registration.country != "",  # where the form does not ask for it
            )
            .group_by(col(Registration.country))
            .order_by(func.count().desc(), col(Registration.country))
        )
    ).all()
    checked_in = (
        await db.exec(
            select(func.count())
            .select_from(Registration)
            .where(Registration.event_id == event.id, col(Registration.checked_in_at).is_not(None))
        )
    ).one()
    fills = (
        await db.exec(
            select(SessionChoice.session_id, SessionChoice.attendance, SessionChoice.status, func.count())
            .where(SessionChoice.event_id == event.id)
            .group_by(col(SessionChoice.session_id), col(SessionChoice.attendance), col(SessionChoice.status))
        )
    ).all()
    counts: Counter[tuple[int, str]] = Counter()
    for session_id, attendance, status, number in fills:
        if attendance == Attendance.online:
            counts[(session_id, "online")] += number
        elif status == ChoiceStatus.confirmed:
            counts[(session_id, "seated")] += number
        else:
            counts[(session_id, "waitlisted")] += number
    sessions = (
        await db.exec(
            select(Session, Room)
            .join(Room, col(Room.id) == col(Session.room_id))
            .where(Session.event_id == event.id)
            .order_by(col(Session.start), col(Room.position))
        )
    ).all()
    return Dashboard(
        by_mode_and_status={(mode, status): int(n) for mode, status, n in grouped},
        countries=[(code, int(n)) for code, n in countries],
        checked_in=int(checked_in),
        sessions=[
            SessionFill(
                session=session,
                room=room,
                seated=counts[(session.id or 0, "seated")],
                waitlisted=counts[(session.id or 0, "waitlisted")],
                online=counts[(session.id or 0, "online")],
            )
            for session, room in sessions
        ],
    )


def csv_columns() -> list[tuple[str, str]]:
    """The export's columns: a registration's field and its heading in the reader's language."""
    return [
        ("name", _("Name")),
        ("email", _("Email address")),
        ("country", _("Country")),
        ("organisation", _("Organisation")),
        ("job_title", _("Job title")),
        ("attendance", _("Attendance")),
        ("status", _("Status")),
        ("language", _("Preferred language")),
        ("accessibility_needs", _("Accessibility needs")),
        ("listed", _("Listed")),
        ("created_at", _("Registered at")),
        ("confirmed_at", _("Confirmed at")),
        ("checked_in_at", _("Checked in at")),
    ]


# Moments people read in the sheet: in the event's zone and the organiser's language (server/formats.py).
CSV_MOMENTS = frozenset({"created_at", "confirmed_at", "checked_in_at"})


def _csv_cell(value: object, field: str, event: Event) -> str:
    if field in CSV_MOMENTS and isinstance(value, dt.datetime):
        return formats.datetime(value, event.timezone)
    return _csv_safe(value)


def _csv_safe(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ runs as a formula in spreadsheets: neutralise it.
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


async def picked_titles(db: AsyncSession, *, event: Event) -> dict[int, list[str]]:
    """Each registration's picks as session titles in programme order; a place on a waitlist says so."""
    rows = (
        await db.exec(
            select(SessionChoice.registration_id, SessionChoice.status, Session.title)
            .join(Session, col(Session.id) == col(SessionChoice.session_id))
            .where(SessionChoice.event_id == event.id)
            .order_by(col(Session.start), col(Session.position), col(Session.id))
        )
    ).all()
    picks: dict[int, list[str]] = {}
    for registration_id, status, title in rows:
        shown = title if status == ChoiceStatus.confirmed else _("%(title)s (waitlist)") % {"title": title}
        picks.setdefault(registration_id, []).append(shown)
    return picks


async def registrations_csv(db: AsyncSession, *, actor: Actor, event: Event) -> str:
    """Every registration, headed in the reader's language, countries by name, picks separated by "; "."""
    require(actor, can_manage_registrations)
    rows = (
        await db.exec(select(Registration).where(Registration.event_id == event.id).order_by(col(Registration.id)))
    ).all()
    # The event's own questions follow, headed by their label in the reader's language (else the event's first).
    questions = await questions_of(db, event=event)
    answers = await event_answers(db, event=event)
    picks = await picked_titles(db, event=event)
    columns = csv_columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            *(heading for _field, heading in columns),
            _("Sessions"),
            *(_csv_safe(translated(question.label, event)) for question in questions),
        ]
    )
    for registration in rows:
        given = answers.get(registration.id or 0, {})
        values = {field: getattr(registration, field) for field, _heading in columns}
        values["country"] = country_name(registration.country) if registration.country else ""
        writer.writerow(
            [
                *(_csv_cell(values[field], field, event) for field, _heading in columns),
                _csv_safe("; ".join(picks.get(registration.id or 0, []))),
                *(_csv_safe(given.get(question.id or 0, "")) for question in questions),
            ]
        )
    return buffer.getvalue()


async def participant_list(db: AsyncSession, *, actor: Actor, event: Event) -> list[Registration]:
    """Confirmed delegates who consented to be listed; for the event's own people only."""
    require(actor, can_see_participants)
    return list(
        (
            await db.exec(
                select(Registration)
                .where(
                    Registration.event_id == event.id,
                    Registration.status == RegistrationStatus.confirmed,
                    col(Registration.listed).is_(True),
                )
                .order_by(col(Registration.name))
            )
        ).all()
    )


async def registration_list(db: AsyncSession, *, actor: Actor, event: Event) -> list[tuple[Registration, Account]]:
    """Every registration of the event with its account, for the organiser's table."""
    require(actor, can_manage_registrations)
    rows = await db.exec(
        select(Registration, Account)
        .join(Account, col(Account.id) == col(Registration.account_id))
        .where(Registration.event_id == event.id)
        .order_by(col(Registration.name), col(Registration.id))
    )
    return list(rows.all())


async def event_team(db: AsyncSession, *, actor: Actor, event: Event) -> list[tuple[Account, list[Role]]]:
    """The accounts holding a role in the event (speakers, moderators, organisers), with their roles."""
    require(actor, can_manage_registrations)
    rows = await db.exec(
        select(Account, EventRole.role)
        .join(EventRole, col(EventRole.account_id) == col(Account.id))
        .where(EventRole.event_id == event.id)
        .order_by(col(Account.name), col(Account.id), col(EventRole.role))
    )
    team: dict[int, tuple[Account, list[Role]]] = {}
    for account, role in rows.all():
        team.setdefault(account.id or 0, (account, []))[1].append(Role(role))
    return list(team.values())
