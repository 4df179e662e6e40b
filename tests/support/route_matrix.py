"""The cast and objects of the role matrix (tests/registration/test_role_matrix.py): a person in every role of the
demo event, another event's organiser, an instance admin with no role; and for every kind of object a route names
by id or code, one of the demo event's and one of another event's, to fill the routes' paths with."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import PIL.Image
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.routing import Route

from server.accounts.models import Account, Role, RoleLanguage, SessionRole
from server.accounts.tokens import new_token, token_hash
from server.agenda.models import Person as SpeakerPerson
from server.agenda.models import SessionMaterial, SessionSpeaker, Track
from server.app import site_routes
from server.clock import utcnow
from server.db import Database
from server.events.models import Event
from server.exhibitions.images import store_image
from server.exhibitions.models import ExhibitionGuide, ExhibitionImage
from server.interpretation.models import ChannelPlan
from server.live.models import Announcement
from server.mail.models import Message
from server.organising.models import ApiToken, PendingImport, StaffInvitation
from server.registration.badges import check_in_code
from server.registration.models import Registration, RegistrationQuestion, RegistrationStatus
from server.restreams.keys import encrypt_key
from server.restreams.models import RestreamTarget
from server.streams.models import Recording
from tests.support import factories
from tests.support.factories import ONLINE, Person

# Everyone the matrix asks as; "anonymous" is a browser without a session.
PERSONS = (
    "anonymous",
    "delegate",  # registered and confirmed
    "speaker",  # speaks in the matrix's session
    "moderator",  # of the whole event
    "session_moderator",  # of the matrix's session only
    "checkin",
    "organiser",
    "other_organiser",  # another event's organiser
    "interpreter",  # of Japanese, whose channel runs in the matrix's session
    "other_interpreter",  # of Japanese in another event
    "admin",  # an instance admin with no role in the event
    "captioner",  # captions the event's English (server/captions)
)

# Destructive posts go last, so the objects the other routes name are still there when they are asked.
LAST = re.compile(r"delete|remove|revoke|cancel|discard|unpublish|release|disable|reject")
PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")
EXHIBITION_ROUTES = (
    "exhibition",
    "exhibition_editor",
    "exhibition_images",
    "exhibition_image_edit",
    "exhibition_image_move",
    "exhibition_image_delete",
    "exhibition_guides",
    "exhibition_guide_delete",
)


def site_routes_and_methods() -> list[tuple[str, str, str]]:
    """(name, method, path template) of every route of the app, the destructive posts last."""
    found = [
        (route.name, method, route.path)
        for route in site_routes()
        if isinstance(route, Route)
        for method in sorted((route.methods or {"GET"}) - {"HEAD"})
    ]
    return sorted(found, key=lambda found: found[1] != "GET" and bool(LAST.search(found[0])))


def filled(template: str, values: dict[str, str]) -> str:
    return PARAMETER.sub(lambda found: values[found.group(1)], template)


@dataclass
class MatrixWorld:
    event: Event
    other: Event
    people: dict[str, Person]  # by the names in PERSONS, less "anonymous"
    ours: dict[str, str]  # a path parameter's value naming an object of the event, by the parameter's name
    theirs: dict[str, str]  # the same for the other event's objects
    by_route: dict[str, dict[str, str]]  # a route's own values where a parameter names another kind of object
    their_by_route: dict[str, dict[str, str]]


async def _objects(
    db: AsyncSession, event: Event, author: Person, label: str, secret: str, media_dir: Path | None
) -> dict[str, str]:
    """One object of every kind a route names, in ``event``, made as the pages would leave them."""
    sessions = await factories.sessions_of(db, event)
    session = sessions[1] if len(sessions) > 1 else sessions[0]
    author_id = author.account.id or 0
    (delegate,) = await factories.delegates(db, event, 1, prefix=f"{label}-delegate")
    registration = (await db.exec(select(Registration).where(Registration.account_id == delegate.id))).one()
    waiting = Account(email=f"{label}-waiting@example.org", name="Waiting Person")
    db.add(waiting)
    await db.flush()
    pending = Registration(
        event_id=event.id or 0,
        account_id=waiting.id or 0,
        name=waiting.name,
        email=waiting.email,
        country="ID",
        attendance=ONLINE,
        status=RegistrationStatus.pending,
        badge_nonce=secrets.token_hex(8),
        feed_token=secrets.token_urlsafe(24),
    )
    staff = await factories.staff(db, event, Role.checkin, f"{label}-desk@example.org")
    interpreter = await factories.staff(db, event, Role.interpreter, f"{label}-booth@example.org")
    db.add(RoleLanguage(event_id=event.id or 0, account_id=interpreter.id or 0, role=Role.interpreter, language="ja"))
    speaker = SpeakerPerson(event_id=event.id or 0, slug=f"{label}-voice", name="Matrix Voice")
    track = Track(event_id=event.id or 0, slug=f"{label}-track", name="Matrix Track")
    question = RegistrationQuestion(event_id=event.id or 0, kind="text", label={"en": "Dietary needs?"})
    material = SessionMaterial(
        event_id=event.id or 0, session_id=session.id or 0, kind="link", title="Slides", url="https://example.org/"
    )
    message = Message(
        event_id=event.id or 0, author_id=author_id, form_key=secrets.token_hex(8), segment="all", subject="Hello"
    )
    invitation = StaffInvitation(
        event_id=event.id or 0,
        email=f"{label}-invited@example.org",
        role=Role.moderator,
        token_hash=token_hash(new_token()),
        expires_at=utcnow() + dt.timedelta(days=7),
    )
    announcement = Announcement(event_id=event.id or 0, author_key="a0", text="Lunch is served", client_id=label)
    token = ApiToken(event_id=event.id or 0, name="Old integration", scope="read", token_hash=token_hash(new_token()))
    pending_import = PendingImport(event_id=event.id, account_id=author_id, filename="broken.json", text="{}")
    recording = Recording(
        event_id=event.id or 0, session_id=session.id or 0, filename="talk.mp4", stored_name=f"{label}.mp4"
    )
    # A Japanese channel in the session: its booth's console, passes and on-air buttons.
    event.languages = ",".join([*event.language_list, "ja"]) if "ja" not in event.language_list else event.languages
    db.add(event)
    plan = ChannelPlan(event_id=event.id or 0, session_id=session.id, languages="ja")
    # An exhibition (the demo event has three; the other event's session stands in), with an image and a guide.
    exhibition = next((row for row in sessions if row.kind == "exhibition"), session)
    owned = {"event_id": event.id or 0, "session_id": exhibition.id or 0}
    image = ExhibitionImage(**owned, stored_name=secrets.token_hex(16), widths=[480], width=480, height=320)
    if media_dir is not None:  # pages that show it load its file: a real one
        stored, widths, width, height = store_image(PIL.Image.new("RGB", (480, 320), "teal"), media_dir=media_dir)
        image = ExhibitionImage(**owned, stored_name=stored, widths=widths, width=width, height=height)
    guide = ExhibitionGuide(**owned, title="Audio tour", kind="audio", stored_name=label, content_type="audio/mpeg")
    # A restream target of the session, its key encrypted as the organisers' page leaves it.
    restream = RestreamTarget(
        event_id=event.id or 0,
        session_id=session.id or 0,
        label="Matrix platform",
        url="rtmp://ingest.example.org/live",
        key_encrypted=encrypt_key(secret, f"{label}-stream-key-0001"),
    )
    rows = (
        *(pending, speaker, track, question, material, message, invitation, announcement, token, pending_import),
        *(plan, restream),
    )
    db.add(recording)
    db.add_all(rows)
    db.add_all((image, guide))
    await db.commit()
    await db.refresh(image)
    await db.refresh(guide)
    for row in rows:
        await db.refresh(row)
    return {
        "slug": event.slug,
        "code": session.code,
        "second_code": sessions[2].code if len(sessions) > 2 else session.code,  # a session they have no role in
        "session_id": str(session.id),
        "account_id": str(delegate.id),
        "badge": check_in_code(registration, secret=secret),  # what the check-in desk reads from a badge
        "staff_account_id": str(staff.id),
        "interpreter_account_id": str(interpreter.id),
        "registration_id": str(pending.id),
        "person_id": str(speaker.id),
        "person": speaker.slug,
        "part": "track",
        "part_id": str(track.id),
        "question_id": str(question.id),
        "material_id": str(material.id),
        "message_id": str(message.id),
        "invitation_id": str(invitation.id),
        "announcement_id": str(announcement.id),
        "token_id": str(token.id),
        "import_id": str(pending_import.id),
        "language": "ja",
        "room_id": str(session.room_id),
        "exhibition": exhibition.code,
        "image_id": str(image.id),
        "guide_id": str(guide.id),
        "target_id": str(restream.id),
    }


async def build_matrix_world(
    database: Database, slug: str, *, secret: str, media_dir: Path | None = None
) -> MatrixWorld:
    """With ``media_dir``, files the pages show (an exhibition's image) are written there too."""
    async with database.session() as db:
        event = await factories.event_by_slug(db, slug)
        other, _ = await factories.other_event(db)
        session = (await factories.sessions_of(db, event))[1]
        person = factories.person
        people = {
            "delegate": await person(db, event, "Ayu Delegate", attendance=ONLINE),
            "speaker": await person(db, event, "Speaker One", role=Role.speaker),
            "moderator": await person(db, event, "Chair Person", role=Role.moderator),
            "session_moderator": await person(db, event, "Session Chair"),
            "checkin": await person(db, event, "Desk Person", role=Role.checkin),
            "organiser": await person(db, event, "Organiser One", role=Role.organiser),
            "other_organiser": await person(db, other, "Other Organiser", role=Role.organiser),
            "interpreter": await person(db, event, "Booth Voice", role=Role.interpreter, languages=("ja",)),
            "other_interpreter": await person(db, other, "Other Booth", role=Role.interpreter, languages=("ja",)),
            "admin": await person(db, event, "Instance Admin", admin=True),
            "captioner": await person(db, event, "Caption Writer", role=Role.captioner, languages=("en",)),
        }
        # The speaker speaks in the matrix's session, linked to their account as an organiser links them.
        voice = SpeakerPerson(
            event_id=event.id or 0, slug="matrix-speaker", name="Speaker One", account_id=people["speaker"].account.id
        )
        db.add(voice)
        await db.flush()
        db.add(SessionSpeaker(session_id=session.id or 0, person_id=voice.id or 0, position=99))
        db.add(
            SessionRole(
                event_id=event.id or 0,
                session_id=session.id or 0,
                account_id=people["session_moderator"].account.id or 0,
                role=Role.moderator,
            )
        )
        await db.commit()
        ours = await _objects(db, event, people["organiser"], "ours", secret, media_dir)
        theirs = await _objects(db, other, people["other_organiser"], "theirs", secret, media_dir)
        admin_import = PendingImport(account_id=people["admin"].account.id or 0, filename="broken.json", text="{}")
        db.add(admin_import)
        await db.commit()
        await db.refresh(admin_import)
    assert ours["code"] == session.code

    def routes_own(values: dict[str, str]) -> dict[str, dict[str, str]]:
        staff = {"account_id": values["staff_account_id"]}
        return {
            "staff_remove": {**staff, "?": "role=checkin"},  # "?": the query or form fields the route needs
            "staff_languages": {"account_id": values["interpreter_account_id"], "?": "role=interpreter&languages=ja"},
            "admin_disable": staff,
            "admin_enable": staff,
            "admin_import_apply": {"import_id": str(admin_import.id)},
            "chart_csv": {"name": "countries"},  # a chart's name, the same in every event
            "captions_vtt": {"language": "en"},  # one of the event's languages
            "replay_captions": {"language": "en"},
            # An exhibition's pages: the code of an exhibition session (server/exhibitions).
            **{name: {"code": values["exhibition"]} for name in EXHIBITION_ROUTES},
        }

    return MatrixWorld(event, other, people, ours, theirs, routes_own(ours), routes_own(theirs))
