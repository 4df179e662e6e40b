"""An event's staff: organisers invite organisers, moderators (of the event or of one session), check-in staff and
speakers by email, see who holds which role, and take a role away.

Interpreters and captioners are invited with the languages they serve (``RoleLanguage`` rows, at least one, each one
of the event's languages); organisers change those languages on the staff page. An interpreter who loses a language
(or the role) while on air is taken off air in the same write (``server.interpretation.booths.drop_interpreter``).

An invitation is a mail with a link (valid ``INVITATION_LIFETIME``); nothing is granted until it is accepted.
Accepting it creates the account when the address has none (as a sign-in link does), grants the role, and signs
the browser in as that account: the link proves the address as a sign-in link does. A removal reaches open live
connections through the revocation table (``server.accounts.revocations``).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server import i18n
from server.accounts.actors import Actor
from server.accounts.emails import normalise_email
from server.accounts.models import LANGUAGE_ROLES, Account, EventRole, Role, RoleLanguage, SessionRole
from server.accounts.revocations import Reason, record_revocation
from server.accounts.services import account_language, event_language, open_session
from server.accounts.tokens import new_token, token_hash
from server.agenda.models import Person, Session
from server.audit.services import record
from server.clock import utcnow
from server.db import begin_write
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.events.models import Event
from server.formats import language_name
from server.i18n import gettext as _
from server.interpretation.booths import BoothChange, drop_interpreter
from server.mail.services import queue_mail
from server.organising.models import StaffInvitation
from server.organising.rules import can_manage_staff
from server.permissions import require

INVITATION_LIFETIME = dt.timedelta(days=14)
MAX_TOKEN = 100


class StaffRole(enum.StrEnum):
    """What an organiser may invite someone to be."""

    organiser = Role.organiser.value
    moderator = Role.moderator.value
    checkin = Role.checkin.value
    speaker = Role.speaker.value
    interpreter = Role.interpreter.value
    captioner = Role.captioner.value


def role_names() -> dict[str, str]:
    return {
        StaffRole.organiser: _("Organiser"),
        StaffRole.moderator: _("Moderator"),
        StaffRole.checkin: _("Check-in staff"),
        StaffRole.speaker: _("Speaker"),
        StaffRole.interpreter: _("Interpreter"),
        StaffRole.captioner: _("Captioner"),
    }


@dataclass(frozen=True, slots=True)
class Grant:
    """One role of one person: event-wide, or in one session (``session``)."""

    role: str
    session: Session | None = None
    languages: tuple[str, ...] = ()  # an interpreter's or captioner's, in the event's order


@dataclass
class StaffMember:
    account: Account
    grants: list[Grant] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Offer:
    """An invitation as its link's page shows it."""

    invitation: StaffInvitation
    event: Event
    session: Session | None
    person: Person | None


def _role(raw: str) -> StaffRole:
    try:
        return StaffRole(raw)
    except ValueError:
        raise InvalidInput(
            _("Please choose a role: organiser, moderator, check-in staff, speaker, interpreter or captioner.")
        ) from None


def role_languages(event: Event, role: StaffRole, languages: list[str] | tuple[str, ...]) -> list[str]:
    """The languages an interpreter or captioner is granted, in the event's order: at least one, each one the event
    offers. Other roles take none."""
    if Role(role.value) not in LANGUAGE_ROLES:
        return []
    for language in languages:
        if language not in event.language_list:
            raise InvalidInput(
                _("This event does not offer %(language)s: choose among its languages.")
                % {"language": language_name(language) if language.isascii() else language[:16]}
            )
    chosen = [language for language in event.language_list if language in set(languages)]
    if not chosen:
        raise InvalidInput(_("Please choose at least one language this person works in."))
    return chosen


async def _session_of(db: AsyncSession, event: Event, session_id: int) -> Session:
    session = (await db.exec(select(Session).where(Session.id == session_id, Session.event_id == event.id))).first()
    if session is None:
        raise NotFound(_("There is no such session in this event."))
    return session


async def _person_of(db: AsyncSession, event: Event, person_id: int) -> Person:
    person = (await db.exec(select(Person).where(Person.id == person_id, Person.event_id == event.id))).first()
    if person is None:
        raise NotFound(_("There is no such speaker in this event."))
    return person


async def invite_staff(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event,
    email: str,
    role: str,
    session_id: int | None = None,
    person_id: int | None = None,
    invitation_url: Callable[[str], str],
    languages: list[str] | tuple[str, ...] = (),
    now: dt.datetime | None = None,
) -> StaffInvitation:
    """Mails ``email`` a link that grants ``role`` in the event (a moderator's in session ``session_id`` only, when
    given; a speaker's as agenda speaker ``person_id``). Another event's session or speaker is "not found"."""
    require(actor, can_manage_staff, event)
    wanted = _role(role)
    address = normalise_email(email)
    if session_id is not None and wanted != StaffRole.moderator:
        raise InvalidInput(_("Only moderators are invited for one session."))
    if wanted == StaffRole.speaker and person_id is None:
        raise InvalidInput(_("Please choose the agenda speaker this person speaks as."))
    if wanted != StaffRole.speaker:
        person_id = None
    chosen = role_languages(event, wanted, languages)
    now = now or utcnow()
    await begin_write(db)
    session = await _session_of(db, event, session_id) if session_id is not None else None
    person = await _person_of(db, event, person_id) if person_id is not None else None
    token = new_token()
    invitation = StaffInvitation(
        event_id=event.id or 0,
        email=address,
        role=wanted.value,
        session_id=session.id if session else None,
        person_id=person.id if person else None,
        languages=",".join(chosen),
        token_hash=token_hash(token),
        invited_by=actor.account_id,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    db.add(invitation)
    await db.flush()
    # In the language the invitee's account chose, else the event's: the organiser's own may be neither.
    with i18n.speaking(await account_language(db, email=address), event_language(event)):
        what = _describe(wanted, session, person, chosen)
        await queue_mail(
            db,
            recipient=address,
            subject=_("Invitation: %(role)s at %(event)s") % {"role": what, "event": event.title},
            body=_(
                "You are invited to join the team of %(event)s as %(role)s.\n\n"
                "Open this link to accept. It works once and expires in 14 days:\n\n%(link)s\n\n"
                "If you did not expect this invitation, you can ignore this mail.\n"
            )
            % {"event": event.title, "role": what, "link": invitation_url(token)},
        )
    record(
        db,
        actor=actor,
        event=event,
        action="staff.invite",
        target_type="invitation",
        target_id=invitation.id,
        target_label=address,
        after={
            "email": address,
            "role": wanted.value,
            "session": session.code if session else None,
            **({"languages": chosen} if chosen else {}),
        },
    )
    await db.commit()
    return invitation


def _describe(role: StaffRole, session: Session | None, person: Person | None, languages: list[str]) -> str:
    name = role_names()[role]
    if languages:
        names = ", ".join(language_name(language) for language in languages)
        return _("%(role)s (%(languages)s)") % {"role": name, "languages": names}
    if session is not None:
        return _("%(role)s of “%(session)s”") % {"role": name, "session": session.title}
    if person is not None:
        return _("%(role)s (%(person)s)") % {"role": name, "person": person.name}
    return name


async def invitation_choices(db: AsyncSession, *, actor: Actor, event: Event) -> tuple[list[Session], list[Person]]:
    """The sessions a moderator may be invited for, and the agenda speakers a speaker may be invited as."""
    require(actor, can_manage_staff, event)
    sessions = await db.exec(select(Session).where(Session.event_id == event.id).order_by(col(Session.start)))
    people = await db.exec(select(Person).where(Person.event_id == event.id).order_by(col(Person.name)))
    return list(sessions.all()), list(people.all())


async def pending_invitations(db: AsyncSession, *, actor: Actor, event: Event) -> list[StaffInvitation]:
    require(actor, can_manage_staff, event)
    rows = await db.exec(
        select(StaffInvitation)
        .where(
            StaffInvitation.event_id == event.id,
            col(StaffInvitation.accepted_at).is_(None),
            col(StaffInvitation.cancelled_at).is_(None),
            col(StaffInvitation.expires_at) > utcnow(),
        )
        .order_by(col(StaffInvitation.id).desc())
    )
    return list(rows.all())


async def cancel_invitation(db: AsyncSession, *, actor: Actor, event: Event, invitation_id: int) -> None:
    require(actor, can_manage_staff, event)
    await begin_write(db)
    cancelled = await db.exec(
        update(StaffInvitation)
        .where(
            col(StaffInvitation.id) == invitation_id,
            col(StaffInvitation.event_id) == event.id,
            col(StaffInvitation.accepted_at).is_(None),
            col(StaffInvitation.cancelled_at).is_(None),
        )
        .values(cancelled_at=utcnow())
        .returning(col(StaffInvitation.email))
    )
    email = cancelled.scalar_one_or_none()
    if email is None:
        await db.rollback()
        raise NotFound(_("There is no such invitation."))
    record(
        db,
        actor=actor,
        event=event,
        action="staff.invite_cancel",
        target_type="invitation",
        target_id=invitation_id,
        target_label=email,
    )
    await db.commit()


async def offer(db: AsyncSession, *, event: Event, token: str, now: dt.datetime | None = None) -> Offer:
    """The invitation behind a link, while it can still be accepted; NotFound otherwise."""
    if not token or len(token) > MAX_TOKEN:
        raise NotFound(_("This invitation has expired or was already used."))
    invitation = (
        await db.exec(
            select(StaffInvitation).where(
                StaffInvitation.token_hash == token_hash(token),
                StaffInvitation.event_id == event.id,
                col(StaffInvitation.accepted_at).is_(None),
                col(StaffInvitation.cancelled_at).is_(None),
                col(StaffInvitation.expires_at) > (now or utcnow()),
            )
        )
    ).first()
    if invitation is None:
        raise NotFound(_("This invitation has expired or was already used."))
    session = await db.get(Session, invitation.session_id) if invitation.session_id else None
    person = await db.get(Person, invitation.person_id) if invitation.person_id else None
    return Offer(invitation=invitation, event=event, session=session, person=person)


@dataclass(frozen=True, slots=True)
class Accepted:
    account: Account
    session_token: str
    role: str
    session: Session | None


async def accept_invitation(
    db: AsyncSession, *, event: Event, token: str, user_agent: str = "", now: dt.datetime | None = None
) -> Accepted:
    """Uses the invitation (once): the account of its address (created when there is none) gets the role, and a
    new signed-in session, whose token the caller sets as the browser's cookie."""
    now = now or utcnow()
    found = await offer(db, event=event, token=token, now=now)
    await db.commit()
    await begin_write(db)
    claimed = await db.exec(
        update(StaffInvitation)
        .where(col(StaffInvitation.id) == found.invitation.id, col(StaffInvitation.accepted_at).is_(None))
        .values(accepted_at=now)
        .returning(col(StaffInvitation.id))
    )
    if claimed.scalar_one_or_none() is None:
        await db.rollback()
        raise NotFound(_("This invitation has expired or was already used."))
    invitation = await db.get_one(StaffInvitation, found.invitation.id)
    account = (await db.exec(select(Account).where(Account.email == invitation.email))).first()
    if account is None:
        account = Account(email=invitation.email, name=found.person.name if found.person else "")
        db.add(account)
        await db.flush()
    if account.disabled:
        await db.rollback()
        raise Forbidden(_("This account has been disabled by an administrator."))
    account_id = account.id or 0
    await _grant(
        db, event_id=event.id or 0, account_id=account_id, role=invitation.role, session_id=invitation.session_id
    )
    for language in invitation.languages.split(","):
        if language and language in event.language_list:
            await _grant_language(
                db, event_id=event.id or 0, account_id=account_id, role=invitation.role, language=language
            )
    if found.person is not None:
        person = await db.get_one(Person, found.person.id)
        person.account_id = account_id
        db.add(person)
    session_token = open_session(db, account=account, user_agent=user_agent, now=now)
    record(
        db,
        actor=Actor(account=account),
        event=event,
        action="staff.accept",
        target_type="account",
        target_id=account_id,
        target_label=account.email,
        after={"role": invitation.role, "session": found.session.code if found.session else None},
    )
    await db.commit()
    return Accepted(account=account, session_token=session_token, role=invitation.role, session=found.session)


async def _grant(db: AsyncSession, *, event_id: int, account_id: int, role: str, session_id: int | None) -> None:
    """The role, unless the account holds it already (an invitation accepted twice over grants it once)."""
    if session_id is None:
        held = select(EventRole.id).where(
            EventRole.event_id == event_id, EventRole.account_id == account_id, EventRole.role == role
        )
        if (await db.exec(held)).first() is None:
            db.add(EventRole(event_id=event_id, account_id=account_id, role=role))
        return
    in_session = select(SessionRole.id).where(
        SessionRole.session_id == session_id, SessionRole.account_id == account_id, SessionRole.role == role
    )
    if (await db.exec(in_session)).first() is None:
        db.add(SessionRole(event_id=event_id, session_id=session_id, account_id=account_id, role=role))


async def _grant_language(db: AsyncSession, *, event_id: int, account_id: int, role: str, language: str) -> None:
    held = select(RoleLanguage.id).where(
        RoleLanguage.event_id == event_id,
        RoleLanguage.account_id == account_id,
        RoleLanguage.role == role,
        RoleLanguage.language == language,
    )
    if (await db.exec(held)).first() is None:
        db.add(RoleLanguage(event_id=event_id, account_id=account_id, role=role, language=language))


async def set_staff_languages(
    db: AsyncSession, *, actor: Actor, event: Event, account_id: int, role: str, languages: list[str]
) -> list[BoothChange]:
    """Replaces the languages an interpreter or captioner serves. An interpreter on air in a language taken away
    goes off air; the changes are for the caller to announce after the commit."""
    require(actor, can_manage_staff, event)
    wanted = _role(role)
    chosen = role_languages(event, wanted, languages)
    if not chosen:
        raise InvalidInput(_("Only interpreters and captioners serve languages."))
    await begin_write(db)
    held = (
        await db.exec(
            select(EventRole.id).where(
                EventRole.event_id == event.id, EventRole.account_id == account_id, EventRole.role == wanted.value
            )
        )
    ).first()
    if held is None:
        await db.rollback()
        raise NotFound(_("This person has no such role in this event."))
    before = (
        await db.exec(
            select(RoleLanguage.language).where(
                RoleLanguage.event_id == event.id,
                RoleLanguage.account_id == account_id,
                RoleLanguage.role == wanted.value,
            )
        )
    ).all()
    await db.exec(
        delete(RoleLanguage).where(
            col(RoleLanguage.event_id) == event.id,
            col(RoleLanguage.account_id) == account_id,
            col(RoleLanguage.role) == wanted.value,
            col(RoleLanguage.language).not_in(chosen),
        )
    )
    for language in chosen:
        await _grant_language(db, event_id=event.id or 0, account_id=account_id, role=wanted.value, language=language)
    changes: list[BoothChange] = []
    if wanted == StaffRole.interpreter:
        changes = await drop_interpreter(db, event_id=event.id or 0, account_id=account_id, keep=chosen)
    account = await db.get_one(Account, account_id)
    if set(before) - set(chosen):
        await record_revocation(db, account_id=account_id, event_id=event.id, reason=Reason.removed)
    record(
        db,
        actor=actor,
        event=event,
        action="staff.languages",
        target_type="account",
        target_id=account_id,
        target_label=account.email,
        before={"role": wanted.value, "languages": [code for code in event.language_list if code in set(before)]},
        after={"role": wanted.value, "languages": chosen},
    )
    await db.commit()
    return changes


async def staff_of(db: AsyncSession, *, actor: Actor, event: Event) -> list[StaffMember]:
    """Everyone holding a role in the event (not delegates: they register), with each role's scope."""
    require(actor, can_manage_staff, event)
    members: dict[int, StaffMember] = {}
    event_wide = await db.exec(
        select(Account, EventRole.role)
        .join(EventRole, col(EventRole.account_id) == col(Account.id))
        .where(EventRole.event_id == event.id)
    )
    served: dict[tuple[int, str], set[str]] = {}
    for account_id, role, language in (
        await db.exec(
            select(RoleLanguage.account_id, RoleLanguage.role, RoleLanguage.language).where(
                RoleLanguage.event_id == event.id
            )
        )
    ).all():
        served.setdefault((account_id, role), set()).add(language)
    for account, role in event_wide.all():
        languages = served.get((account.id or 0, role), set())
        ordered = tuple(code for code in event.language_list if code in languages)
        members.setdefault(account.id or 0, StaffMember(account)).grants.append(Grant(role, languages=ordered))
    in_sessions = await db.exec(
        select(Account, SessionRole.role, Session)
        .join(SessionRole, col(SessionRole.account_id) == col(Account.id))
        .join(Session, col(Session.id) == col(SessionRole.session_id))
        .where(SessionRole.event_id == event.id)
    )
    for account, role, session in in_sessions.all():
        members.setdefault(account.id or 0, StaffMember(account)).grants.append(Grant(role, session))
    order = list(StaffRole)
    for member in members.values():
        member.grants.sort(
            key=lambda grant: (
                order.index(StaffRole(grant.role)) if grant.role in order else 9,
                grant.session.start if grant.session else dt.datetime.min.replace(tzinfo=dt.UTC),
            )
        )
    return sorted(
        members.values(),
        key=lambda member: ((member.account.name or member.account.email).lower(), member.account.id or 0),
    )


async def remove_staff(
    db: AsyncSession, *, actor: Actor, event: Event, account_id: int, role: str, session_id: int | None = None
) -> list[BoothChange]:
    """Takes one role (event-wide, or in session ``session_id``) away; the person's open live connections lose
    what it gave within a second or two. The event always keeps an organiser. An interpreter on air goes off air:
    the booth changes are for the caller to announce after the commit."""
    require(actor, can_manage_staff, event)
    wanted = _role(role)
    await begin_write(db)
    if session_id is not None:
        await _session_of(db, event, session_id)
        removed = await db.exec(
            delete(SessionRole)
            .where(
                col(SessionRole.event_id) == event.id,
                col(SessionRole.session_id) == session_id,
                col(SessionRole.account_id) == account_id,
                col(SessionRole.role) == wanted.value,
            )
            .returning(col(SessionRole.id))
        )
    else:
        if wanted == StaffRole.organiser:
            # Locks the event's organiser rows, so two organisers removing each other cannot both succeed.
            organisers = (
                await db.exec(
                    select(EventRole.account_id)
                    .where(EventRole.event_id == event.id, EventRole.role == Role.organiser)
                    .with_for_update()
                )
            ).all()
            if account_id in organisers and len(organisers) == 1:
                await db.rollback()
                raise Conflict(_("An event needs at least one organiser: invite another before you leave."))
        removed = await db.exec(
            delete(EventRole)
            .where(
                col(EventRole.event_id) == event.id,
                col(EventRole.account_id) == account_id,
                col(EventRole.role) == wanted.value,
            )
            .returning(col(EventRole.id))
        )
    if removed.first() is None:
        await db.rollback()
        raise NotFound(_("This person has no such role in this event."))
    changes: list[BoothChange] = []
    if session_id is None and Role(wanted.value) in LANGUAGE_ROLES:
        await db.exec(
            delete(RoleLanguage).where(
                col(RoleLanguage.event_id) == event.id,
                col(RoleLanguage.account_id) == account_id,
                col(RoleLanguage.role) == wanted.value,
            )
        )
        if wanted == StaffRole.interpreter:
            changes = await drop_interpreter(db, event_id=event.id or 0, account_id=account_id)
    account = await db.get_one(Account, account_id)
    await record_revocation(db, account_id=account_id, event_id=event.id, reason=Reason.removed)
    session = await db.get(Session, session_id) if session_id is not None else None
    record(
        db,
        actor=actor,
        event=event,
        action="staff.remove",
        target_type="account",
        target_id=account_id,
        target_label=account.email,
        before={"role": wanted.value, "session": session.code if session else None},
    )
    await db.commit()
    return changes
