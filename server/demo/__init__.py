"""The demo: the reference event and one account for each role, so a new machine can be tried at once."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.admin import grant_admin
from server.accounts.models import Role
from server.accounts.services import grant_role
from server.agenda.interchange import import_event, parse_event_file
from server.agenda.models import Person
from server.demo.exhibitions import dress_exhibitions
from server.events.models import Event
from server.links import Links
from server.registration.models import Attendance
from server.registration.services import RegistrationInput, find_registration, register

DEMO_ACCOUNTS = {
    Role.organiser: ("organiser@example.org", "Demo Organiser"),
    Role.moderator: ("moderator@example.org", "Demo Moderator"),
    Role.speaker: ("speaker@example.org", "Demo Speaker"),
}
DEMO_DELEGATE = "delegate@example.org"
# The agenda speaker the demo speaker account speaks as: the opening ceremony and the alliance launch.
DEMO_SPEAKER_PERSON = "qiao-wenxin"


async def load_demo(db: AsyncSession, *, links: Links, event_text: str, media_dir: Path | None = None) -> list[str]:
    """Loads the demo event into an empty database, with its demo accounts (and, given the media folder, its
    exhibitions' images); says what it did."""
    if (await db.exec(select(Event))).first() is not None:
        return ["The database already holds events: the demo was not loaded again."]
    event = await import_event(db, document=parse_event_file(event_text))
    for role, (email, name) in DEMO_ACCOUNTS.items():
        account = await grant_role(db, event=event, email=email, role=role, name=name)
        if role == Role.organiser:  # the demo shows the admin page too: one organiser runs the whole instance
            await grant_admin(db, email=email)
        if role == Role.speaker:
            await _speak_as(db, event=event, account_id=account.id or 0, slug=DEMO_SPEAKER_PERSON)
    delegate = await grant_role(db, event=event, email=DEMO_DELEGATE, role=Role.delegate, name="Demo Delegate")
    if await find_registration(db, event=event, account=delegate) is None:
        data = RegistrationInput.parse(
            name="Demo Delegate",
            email=DEMO_DELEGATE,
            country="ID",
            organisation="Demo Heritage Institute",
            job_title="Conservation architect",
            attendance=Attendance.onsite,
            listed=True,
        )
        await register(db, event=event, account=delegate, data=data, requester_ip="", links=links)
    if media_dir is not None:
        await dress_exhibitions(db, event=event, media_dir=media_dir)
    return [f"Loaded the demo event {event.title!r} at {links.event_page(event.slug)}"]


async def _speak_as(db: AsyncSession, *, event: Event, account_id: int, slug: str) -> None:
    person = (await db.exec(select(Person).where(Person.event_id == event.id, Person.slug == slug))).one()
    person.account_id = account_id
    db.add(person)
    await db.commit()


def sign_in_help(sign_in_page: str) -> list[str]:
    accounts = [*(email for email, _name in DEMO_ACCOUNTS.values()), DEMO_DELEGATE]
    return [
        f"Sign in at {sign_in_page} with one of the demo accounts: {', '.join(accounts)}.",
        "Without SMTP settings, the sign-in link is written to this log (look for 'outbox:').",
    ]
