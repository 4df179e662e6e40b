"""Who may open what: every route of the app, asked by a person in every role, against a declared table.

Modelled on pretix's permission matrix. ``ROUTES`` names each route's rule; a route the table does not list fails
the test, so no route is added without saying who may use it. People without the role get "not found" on the
event's own pages; anonymous visitors are sent to sign in (303) from a page, and get "not found" from a form's
post, an export or JSON; another event's objects are always "not found", never "forbidden", even through our own
event's address; an API token works for its own event only, within its scope.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from sqlmodel import col, select

from realtime.live.asgi import create_asgi
from server.db import Database
from server.events.models import Event
from server.organising.models import ApiToken
from server.registration.models import Registration
from server.settings import EventCreators, Settings
from server.transport.auth import SESSION_COOKIE
from tests.support.api_tokens import bearer, make_token
from tests.support.factories import Person
from tests.support.html import page
from tests.support.http import ORIGIN, csrf, post
from tests.support.route_matrix import (
    PARAMETER,
    PERSONS,
    MatrixWorld,
    build_matrix_world,
    filled,
    site_routes_and_methods,
)

pytestmark = pytest.mark.integration
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)

# --- The declared table ---------------------------------------------------------------------------------

OK, NOT_FOUND, SIGN_IN, REDIRECT, UNAUTHORISED, REFUSED = "ok", "404", "sign in", "303", "401", "refused"


def allowing(*allowed: str, others: str = NOT_FOUND, anonymous: str = REFUSED) -> dict[str, str]:
    """What each person gets from a route whose rule allows ``allowed``: the rest are refused (``others``), and
    an anonymous visitor as ``anonymous`` says (``REFUSED``: sent to sign in from a page, else "not found")."""
    outcomes = {person: OK if person in allowed else others for person in PERSONS}
    return outcomes | ({} if "anonymous" in allowed else {"anonymous": anonymous})


SIGNED_IN = PERSONS[1:]
RULES: dict[str, dict[str, str]] = {
    "public": allowing(*PERSONS),
    "public, sent on": dict.fromkeys(PERSONS, REDIRECT),  # a link material: to its address
    "public, the registered sent on": allowing(*PERSONS) | {"delegate": REDIRECT},
    "own registration": allowing(*SIGNED_IN, anonymous=SIGN_IN),  # the form says when there is none to change
    "delegate, signing in first": allowing("delegate", anonymous=SIGN_IN),
    "signed in": allowing(*SIGNED_IN),
    "organiser": allowing("organiser"),
    "check-in": allowing("organiser", "checkin"),
    "participants": allowing("delegate", "speaker", "moderator", "organiser"),
    "session moderator": allowing("moderator", "session_moderator", "organiser"),
    "the session's speakers and moderators": allowing("speaker", "moderator", "session_moderator", "organiser"),
    "instance admin": allowing("admin"),
    # An event-wide role but a delegate's: a role in one session only does not count (staff_events).
    "staff of any event": allowing(
        "speaker",
        "moderator",
        "checkin",
        "organiser",
        "other_organiser",
        "admin",
        "captioner",
        "interpreter",
        "other_interpreter",
    ),
    # The booth of the session's Japanese channel: its interpreters only (another event's are "not found").
    "interpreter of the channel": allowing("interpreter"),
    "event creator": allowing("admin", "organiser"),  # PODIUM_EVENT_CREATORS names the organiser here
    "delegate": allowing("delegate"),
    "delegate, others sent on": allowing("delegate", others=REDIRECT),
    "api token": dict.fromkeys(PERSONS, UNAUTHORISED),
    # Live captions: the captioner page for captioners and organisers; a session's captions (WebVTT) for whoever may
    # enter its live room.
    "captioners": allowing("captioner", "organiser"),
    "the room's participants": allowing(
        "delegate", "speaker", "moderator", "session_moderator", "organiser", "captioner"
    ),  # a browser's cookie is no credential for the write API
    # The replay player's data: the matrix's session has no replay, so it is not found for anyone
    # (who may watch one: tests/live/test_replay_player.py).
    "replay watchers": dict.fromkeys(PERSONS, NOT_FOUND),
    # ... and the player's description says "no content" to everyone (every session page asks for it).
    "replay player": dict.fromkeys(PERSONS, "204"),
}
SESSION_STAFF_RULES = {"session moderator", "the session's speakers and moderators"}  # a role in one session counts
# Routes another test owns, each with the reason the matrix leaves it there (a secret from a mail, say).
ELSEWHERE = {
    "signin_link": "a one-time link from a mail (tests/registration/test_signin.py)",
    "staff_invitation": "an invitation's link from a mail (tests/registration/test_staff.py)",
    "agenda_feed": "a delegate's secret feed address (tests/registration/test_registration_http.py)",
    "person_photo": "an uploaded photo's stored name (tests/programme)",
    "ask": "a live room's code from the screen (tests/live_pages)",
    "hall": "a session's hall code from the screen (tests/live_pages/test_hall.py)",
    "hall_name": "a guest's name, by the guest cookie of the hall page (tests/live_pages/test_hall.py)",
    "hall_listen": "the hall's listening page, by a session's hall code (tests/browser/test_listening.py)",
    "stream_pass": "a viewer pass for someone admitted to a live room, or a hall guest (tests/media_pages)",
    "room": "a live room's entry rules (tests/live_pages)",
    "signout": "ends the session the matrix asks with (tests/registration/test_signin.py)",
    "signout_everywhere": "ends the session the matrix asks with (tests/registration/test_signin.py)",
    "healthz": "for the load balancer (tests/ops)",
    "readyz": "for the load balancer (tests/ops)",
    "metrics": "a bearer token of its own (tests/ops)",
    "event_logo": "an uploaded logo (tests/events)",
    "event_banner": "an uploaded banner (tests/events/test_branding.py)",
    "exhibition_image": "an uploaded image's stored name and size (tests/exhibitions)",
    "exhibition_guide": "an uploaded guide's file, with range requests (tests/exhibitions)",
    "replay_file": "a ready replay, by publication and the event's audience (tests/replays/test_replay_http.py)",
    "hls_file": "a folder named with an HMAC of the session, from a viewer pass (tests/media_pages/test_hls_pages.py)",
}
# Every named route of the app and its rule. A new route needs a row here.
ROUTES: dict[str, str] = {
    # Public pages, exports and the read API.
    "events": "public",
    "agenda": "public",
    "session": "public",
    "viewer_states": "public",
    "session_archive": "public",  # what it holds depends on who asks: tests/archive
    "now_json": "public",
    "event_theme": "public",
    "schedule_ics": "public",
    "session_ics": "public",
    "schedule_xml": "public",
    "schedule_json": "public",
    "material": "public, sent on",
    "api_events": "public",
    "hall_entry": "public",
    "api_event": "public",
    "api_sessions": "public",
    "api_session": "public",
    "api_openapi": "public",
    "signin": "public",
    "signin_sent": "public",
    "signed_out": "public",
    "GET register": "public, the registered sent on",
    "POST register": "public",
    "register_sent": "public",
    # A person's own pages.
    "account": "signed in",
    "tools": "signed in",
    "registration": "signed in",
    "registration_attendance": "own registration",
    "registration_cancel": "own registration",  # a delegate's post without the ticked box cancels nothing
    "registration_feed": "delegate, signing in first",
    "registration_answers": "delegate, signing in first",
    "badge": "delegate",
    "choose_sessions": "delegate, others sent on",
    "GET pick": "signed in",
    "POST pick": "delegate, signing in first",
    "unpick": "delegate, signing in first",
    "participants": "participants",
    # Reminders before a picked session (server/reminders): the form, its state for the cached session page, the
    # browser's Web Push subscription, and the service worker.
    "reminder": "signed in",
    "reminder_save": "delegate, signing in first",
    "reminder_state": "public",
    "push_subscribe": "signed in",
    "push_unsubscribe": "signed in",
    "service_worker": "public",
    # The instance admins'.
    "admin_accounts": "instance admin",
    "admin_disable": "instance admin",
    "admin_enable": "instance admin",
    "admin_import": "instance admin",
    "admin_import_upload": "instance admin",
    "admin_import_apply": "instance admin",
    "event_new": "event creator",
    # The back office.
    "organiser": "organiser",
    "registrations_csv": "organiser",
    "chart_csv": "organiser",
    "styleguide": "staff of any event",
    "remove_person": "organiser",
    "checkin": "check-in",
    "speakers": "organiser",
    "speaker_link": "organiser",
    "speaker_unlink": "organiser",
    "event_settings": "organiser",
    "event_publish": "organiser",
    "event_unpublish": "organiser",
    "event_clone": "organiser",  # and an event creator: the organiser is one here
    "registration_settings": "organiser",
    "question_new": "organiser",
    "question_create": "organiser",
    "question_edit": "organiser",
    "question_delete": "organiser",
    "registration_approve": "organiser",
    "registration_reject": "organiser",
    "audit_log": "organiser",
    "relays": "organiser",
    "import": "organiser",
    "import_upload": "organiser",
    "import_apply": "organiser",
    "event_file": "organiser",
    "api_tokens": "organiser",
    "api_token_create": "organiser",
    "api_token_revoke": "organiser",
    "programme_parts": "organiser",
    "part_new": "organiser",
    "part_edit": "organiser",
    "part_delete": "organiser",
    "part_move": "organiser",
    "people_list": "organiser",
    "person_new": "organiser",
    "person_edit": "organiser",
    "person_delete": "organiser",
    "materials": "organiser",
    "material_delete": "organiser",
    # Digital exhibitions: the page is public like the session's; organisers build it.
    "exhibition": "public",
    "exhibition_editor": "organiser",
    "exhibition_images": "organiser",
    "exhibition_image_edit": "organiser",
    "exhibition_image_move": "organiser",
    "exhibition_image_delete": "organiser",
    "exhibition_guides": "organiser",
    "exhibition_guide_delete": "organiser",
    "material_move": "organiser",
    "programme": "organiser",
    "programme_list": "organiser",
    "programme_bulk": "organiser",
    "programme_new": "organiser",
    "programme_release": "organiser",
    "programme_session": "organiser",
    "programme_move": "organiser",
    "programme_cancel": "organiser",
    "programme_discard": "organiser",
    "messages": "organiser",
    "message_compose": "organiser",
    "message_compose_submit": "organiser",
    "message": "organiser",
    "message_retry": "organiser",
    "message_progress": "organiser",
    "staff": "organiser",
    "staff_remove": "organiser",
    "staff_invitation_cancel": "organiser",
    "staff_languages": "organiser",
    "room_channels": "organiser",
    "session_channels": "organiser",
    "live_settings": "organiser",
    "session_live_settings": "organiser",
    "announcements": "organiser",
    "announcement_remove": "organiser",
    # A session's staff tools.
    "moderate": "session moderator",
    "screen": "session moderator",
    "studio": "the session's speakers and moderators",
    "stream_status": "session moderator",
    "stream_token": "session moderator",
    "stream_stop": "organiser",
    "recording": "organiser",
    "recording_schedule": "organiser",
    "recording_delete": "organiser",
    "recording_play": "session moderator",
    "recording_stop": "session moderator",
    "restreams": "organiser",
    "restream_add": "organiser",
    "restream_edit": "organiser",
    "restream_delete": "organiser",
    "replay_manage": "organiser",
    "replay_make": "organiser",
    "replay_delete": "organiser",
    "caption": "captioners",
    "captions_vtt": "the room's participants",
    "replay_player": "replay player",
    "replay_chapters": "replay watchers",
    "replay_captions": "replay watchers",
    # Interpretation: the booth's console and the moderator's booth panel.
    "interpret": "interpreter of the channel",
    "interpret_pass": "interpreter of the channel",
    "interpret_air": "interpreter of the channel",
    "booth_floor": "session moderator",
    "booth_off_air": "session moderator",
    "booth_status": "session moderator",
    # The write API: a token of the event's, never a cookie.
    "api_session_create": "api token",
    "api_session_update": "api token",
    "api_session_delete": "api token",
    "api_people": "public",  # the speakers, as the schedule shows them
    "api_person_create": "api token",
    "api_person_update": "api token",
    "api_person_delete": "api token",
    "api_registrations": "api token",
    "api_registration_create": "api token",
    "api_registration_update": "api token",
}
# What an allowed person gets back: a page, or for a form posted with nothing but its CSRF token the page done
# (303), the form again with its message (400), or a refusal of the state it is in (409); never 401, 403, 404.
# A limit (429) is counted only for those admitted: a session's stream key waits between two rotations.
WRITE_ANSWERS = {200, 201, 204, 303, 400, 409, 429}
# Answers that are data or files rather than a page: refused "not found" to an anonymous visitor too.
NOT_PAGES = {"message_progress", "stream_status", "material", "interpret_pass", "booth_status"}


def rule_of(name: str, method: str) -> str:
    return ROUTES.get(f"{method} {name}") or ROUTES[name]


def expected(rule: str, person: str, name: str, method: str, path: str) -> str:
    outcome = RULES[rule][person]
    if outcome != REFUSED:
        return outcome
    is_page = method == "GET" and name not in NOT_PAGES and not re.search(r"\.\w+$", path)
    return SIGN_IN if is_page else NOT_FOUND


def outcome_of(response: httpx.Response, method: str) -> str:
    status = response.status_code
    location = urlsplit(response.headers.get("location", ""))
    if status == 303 and location.path == "/signin":
        # ... and back to the page asked for once signed in (from a form's post: to the form's page)
        back = dict(parse_qsl(location.query)).get("next", "").split("?")[0]
        if method != "GET" and back.startswith("/") or back == response.request.url.path:
            return SIGN_IN
        return f"sign in, back to {back}"
    if status == 200 and method == "GET" and "signin-needed" in response.text:
        # A delegate's page asks to sign in where it is, and comes back to it (server/transport/signin_prompt.py).
        back = page(response).xpath("//div[contains(@class, 'signin-needed')]//input[@name='next']/@value")
        return SIGN_IN if back and back[0].split("?")[0] == response.request.url.path else "sign in, elsewhere"
    if status == 404:
        return NOT_FOUND
    if status == 401:
        return UNAUTHORISED
    if method == "GET" and status == 200 or method != "GET" and status in WRITE_ANSWERS:
        return OK
    if status in (302, 303, 307):
        return REDIRECT
    return str(status)


async def ask(
    client: httpx.AsyncClient, person: Person | None, method: str, path: str, fields: str = ""
) -> httpx.Response:
    """``path`` as ``person`` asks for it: a page, or a form with its CSRF token and ``fields`` (a query string)."""
    client.cookies.delete(SESSION_COOKIE)
    if person is not None:
        client.cookies.set(SESSION_COOKIE, person.token)
    if method == "GET":
        return await client.get(f"{path}?{fields}" if fields else path)
    if path.startswith("/api/"):
        return await client.request(method, path, json={})
    return await client.request(method, path, data={"csrf_token": await csrf(client), **dict(parse_qsl(fields))})


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(settings, media_dir=tmp_path / "media")


@pytest.fixture
async def matrix(database: Database, settings: Settings, demo_event: str) -> MatrixWorld:
    return await build_matrix_world(database, demo_event, secret=settings.secret_key)


@pytest.fixture
async def site(settings: Settings, database: Database, matrix: MatrixWorld) -> AsyncIterator[httpx.AsyncClient]:
    """The whole app, pages and live rooms' HTTP side, with the organiser among those who may create events."""
    creators = EventCreators.parse(matrix.people["organiser"].account.email)
    app = create_asgi(replace(settings, event_creators=creators), database, deliver_mail=False, settle_gc=False)
    # A crash must show as a 500 here, as a browser would see it, not as an exception in the test.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        yield client
    await app.relay.close()


# --- The matrix -----------------------------------------------------------------------------------------


@BOTH_BACKENDS
async def test_every_route_answers_every_person_as_its_rule_says(site: httpx.AsyncClient, matrix: MatrixWorld) -> None:
    routes = site_routes_and_methods()
    declared = {key.split(" ")[-1] for key in ROUTES} | set(ELSEWHERE)
    assert sorted({name for name, _, _ in routes} - declared) == [], "a route without a row in ROUTES or ELSEWHERE"
    assert sorted(declared - {name for name, _, _ in routes}) == [], "a row for a route that is gone"
    organiser = matrix.people["organiser"]

    # Another event's object under our event's address, asked by our organiser: "not found", whatever it is.
    leaks = []
    for name, method, template in routes:
        names = set(PARAMETER.findall(template)) - {"slug"}
        if name in ELSEWHERE or not names or rule_of(name, method) == "api token":
            continue
        ours = {**matrix.ours, **matrix.by_route.get(name, {})}
        theirs = {**matrix.theirs, **matrix.their_by_route.get(name, {})}
        for parameter in (name for name in names if theirs[name] != ours[name]):  # not a part's kind, say
            path = filled(template, {**ours, parameter: theirs[parameter]})
            response = await ask(site, organiser, method, path, ours.get("?", ""))
            if outcome_of(response, method) != NOT_FOUND:
                leaks.append((method, path, "organiser", NOT_FOUND, response.status_code))

    # A session's own staff, asked about another session of the event: "not found".
    for name, method, template in routes:
        if name not in ELSEWHERE and rule_of(name, method) in SESSION_STAFF_RULES:
            path = filled(template, {**matrix.ours, "code": matrix.ours["second_code"]})
            for person in ("session_moderator", "speaker"):
                response = await ask(site, matrix.people[person], method, path)
                if outcome_of(response, method) != NOT_FOUND:
                    leaks.append((method, path, person, NOT_FOUND, response.status_code))

    mismatches = []
    asked = 0
    for name, method, template in routes:
        if name in ELSEWHERE:
            continue
        rule = RULES[rule_of(name, method)]
        values = {**matrix.ours, **matrix.by_route.get(name, {})}
        path = filled(template, values)
        # Those the rule allows go last, so a destructive post is refused to everyone else before it succeeds.
        for person in sorted(PERSONS, key=lambda person: rule[person] == OK):
            response = await ask(site, matrix.people.get(person), method, path, values.get("?", ""))
            want = expected(rule_of(name, method), person, name, method, template)
            got = outcome_of(response, method)
            asked += 1
            if got != want:
                mismatches.append((method, path, person, want, f"{got} ({response.status_code})"))

    print(f"{asked} requests: {len(routes)} routes and methods by {len(PERSONS)} persons, {len(leaks)} leaks")
    print("\n".join(" ".join(str(part) for part in row) for row in leaks + mismatches))
    assert leaks == []
    assert mismatches == []


# --- API tokens -----------------------------------------------------------------------------------------

API_WRITES = {  # the write API's routes and a body each route accepts from a token of the event's
    "api_session_create": {
        "code": "API-1",
        "title": "By an integration",
        "kind": "parallel",
        "start": "2021-10-27T16:00",
        "end": "2021-10-27T17:00",
        "room": "jade-room",
    },
    "api_session_update": {"title": "Renamed by an integration"},
    "api_session_delete": None,
    "api_people": None,
    "api_person_create": {"slug": "api-voice", "name": "API Voice"},
    "api_person_update": {"organisation": "UNESCO"},
    "api_person_delete": None,
    "api_registrations": None,
    "api_registration_create": {"name": "Ana Lim", "email": "ana@example.org", "country": "SG", "attendance": "online"},
    "api_registration_update": {"attendance": "onsite"},
}


@BOTH_BACKENDS
async def test_an_api_token_works_for_its_own_event_within_its_scope(
    site: httpx.AsyncClient, matrix: MatrixWorld, database: Database
) -> None:
    organiser = matrix.people["organiser"]
    await ask(site, organiser, "GET", f"/{matrix.event.slug}/organiser/api")
    tokens = {scope: await make_token(site, matrix.event.slug, scope, name=scope) for scope in ("read", "read-write")}
    revoked = await make_token(site, matrix.event.slug, name="Revoked")
    async with database.session() as db:
        revoking = (await db.exec(select(ApiToken).where(ApiToken.name == "Revoked"))).one()
    assert (await post(site, f"/{matrix.event.slug}/organiser/api/{revoking.id}/revoke")).status_code == 303
    routes = [(name, method, path) for name, method, path in site_routes_and_methods() if name in API_WRITES]
    assert {name for name, _, _ in routes} == set(API_WRITES), "every write API route has a body here"
    # A session and a person of the event's own for the routes that change or delete one.
    ours = {**matrix.ours, "code": "VIDEO-DDG"}
    theirs = matrix.theirs

    mismatches = []
    for name, method, template in routes:
        body = API_WRITES[name]
        send = {"json": body} if body is not None else {}
        elsewhere = filled(template, theirs)
        for token, want in ((tokens["read-write"], 404), (revoked, 404)):
            got = (await site.request(method, elsewhere, headers=bearer(token), **send)).status_code
            if got != want and name != "api_people":
                mismatches.append((method, elsewhere, "another event's token", want, got))
        own = filled(template, ours)
        for who, token, wants in (
            ("revoked", revoked, {401}),
            ("read", tokens["read"], {200} if method == "GET" else {403}),
            ("read-write", tokens["read-write"], {200, 201, 204}),
        ):
            if name == "api_people" and who == "revoked":
                continue  # a public list: a token is not asked for
            got = (await site.request(method, own, headers=bearer(token), **send)).status_code
            if got not in wants:
                mismatches.append((method, own, who, wants, got))

    print("\n".join(" ".join(str(part) for part in row) for row in mismatches))
    assert mismatches == []


@BOTH_BACKENDS
async def test_another_events_badge_at_the_check_in_desk_is_named_so_and_checks_nobody_in(
    site: httpx.AsyncClient, matrix: MatrixWorld, database: Database
) -> None:
    for person in ("checkin", "organiser"):
        desk = await ask(
            site, matrix.people[person], "POST", f"/{matrix.event.slug}/checkin", f"code={matrix.theirs['badge']}"
        )

        assert page(desk).xpath("//*[@data-outcome]/@data-outcome") == ["other-event"]
    async with database.session() as db:
        checked_in = (await db.exec(select(Registration).where(col(Registration.checked_in_at).is_not(None)))).all()
    assert checked_in == []


@BOTH_BACKENDS
async def test_a_draft_event_is_not_found_but_to_its_staff(
    site: httpx.AsyncClient, matrix: MatrixWorld, database: Database
) -> None:
    async with database.session() as db:
        event = await db.get_one(Event, matrix.event.id)
        event.published = False
        db.add(event)
        await db.commit()

    mismatches = []
    for name, method, template in site_routes_and_methods():
        if method != "GET" or "{slug}" not in template or name in ELSEWHERE:
            continue
        values = {**matrix.ours, **matrix.by_route.get(name, {})}
        path = filled(template, values)
        for person in ("anonymous", "other_organiser", "organiser"):
            response = await ask(site, matrix.people.get(person), method, path, values.get("?", ""))
            rule = rule_of(name, method)
            # The write API asks for its token first, as it does of every event.
            hidden = UNAUTHORISED if rule == "api token" else NOT_FOUND
            want = hidden if person != "organiser" else expected(rule, person, name, method, path)
            got = outcome_of(response, method)
            if got != want:
                mismatches.append((method, path, person, want, f"{got} ({response.status_code})"))

    print("\n".join(" ".join(str(part) for part in row) for row in mismatches))
    assert mismatches == []


# --- Interpretation channels ----------------------------------------------------------------------------


async def test_an_interpreter_of_another_event_cannot_publish_into_this_events_channel(
    site: httpx.AsyncClient, matrix: MatrixWorld
) -> None:
    stranger = matrix.people["other_interpreter"]
    theirs = await ask(
        site, stranger, "GET", f"/{matrix.other.slug}/sessions/{matrix.theirs['code']}/interpret/ja/pass"
    )
    ours = await ask(site, stranger, "GET", f"/{matrix.event.slug}/sessions/{matrix.ours['code']}/interpret/ja/pass")
    their_pass = theirs.json()["token"]
    into_ours = await site.post(
        f"/whip/{matrix.ours['session_id']}_ja",
        content=b"v=0\r\n",
        headers={"Authorization": f"Bearer {their_pass}", "Content-Type": "application/sdp"},
    )

    assert theirs.status_code == 200  # their own booth's pass, as their console gets it
    assert ours.status_code == 404
    assert into_ours.status_code in (401, 403)  # the relay refuses their pass for our channel
