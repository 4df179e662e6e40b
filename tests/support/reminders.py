"""Reminders for tests: a delegate who picked a session, and their reminder set through the service as the
reminder form sets it."""

from __future__ import annotations

from dataclasses import dataclass

from server.accounts.models import Account
from server.agenda.models import Session
from server.app import site_routes
from server.db import Database
from server.events.models import Event
from server.registration.roles import actor_in
from server.reminders.models import Reminder
from server.reminders.sending import ReminderScheduler
from server.reminders.services import set_reminder
from server.transport.urls import RoutePaths, SiteUrls
from tests.support import factories
from tests.support.factories import ONLINE, Person

SITE = "https://podium.example"  # the base address the scheduler's mails and notifications link to


def scheduler(database: Database) -> ReminderScheduler:
    """An app process's reminder loop, ticked by the test with the time it chooses."""
    return ReminderScheduler(
        database, links=SiteUrls(RoutePaths(site_routes()), SITE), subject="mailto:podium@example.org"
    )


@dataclass
class Picked:
    event: Event
    session: Session  # on the delegate's agenda
    unpicked: Session  # another session of the event, not on it
    delegate: Person


async def picked_session(database: Database, slug: str, name: str = "Ayu Lestari") -> Picked:
    async with database.session() as db:
        event = await factories.event_by_slug(db, slug)
        sessions = [each for each in await factories.sessions_of(db, event) if each.kind == "parallel"]
        session, unpicked = sessions[0], sessions[1]
        delegate = await factories.person(db, event, name, attendance=ONLINE, sessions=(session,))
    return Picked(event, session, unpicked, delegate)


async def remind(
    database: Database,
    picked: Picked,
    *,
    minutes: int = 15,
    by_mail: bool = True,
    by_push: bool = False,
    person: Person | None = None,
) -> Reminder:
    """``person``'s (by default the delegate's) reminder before the picked session."""
    async with database.session() as db:
        account = await db.get_one(Account, (person or picked.delegate).account.id)
        actor = await actor_in(db, account=account, event=picked.event)
        return await set_reminder(
            db,
            actor=actor,
            event=picked.event,
            code=picked.session.code,
            minutes=minutes,
            by_mail=by_mail,
            by_push=by_push,
        )
