"""The API for integrations: tokens organisers make and revoke in the browser, what read and read-write tokens may do,
another event's token, bad input, and the OpenAPI description of every /api/v1 route."""

from __future__ import annotations

import datetime as dt

import pytest
from openapi_spec_validator import validate
from sqlmodel import col, func, select
from starlette.routing import Route

from server.accounts.models import Role
from server.agenda.models import Person, Session
from server.audit.models import AuditEntry
from server.events.services import get_event
from server.mail.models import OutboxMail
from server.organising.models import ApiToken
from server.registration.models import Registration
from server.registration.seats import pick_session
from tests.support.api_tokens import bearer, make_token
from tests.support.factories import delegates, other_event, staff
from tests.support.html import error_message, page
from tests.support.http import post, signed_in_as

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]

ORGANISER = "organiser@example.org"
NEW_SESSION = {
    "code": "API-1",
    "title": "Made by an integration",
    "kind": "parallel",
    "start": "2021-10-27T16:00",
    "end": "2021-10-27T17:00",
    "room": "jade-room",
    "language": "en",
    "speakers": [],
}


@pytest.fixture
async def organiser(client, database, demo_event):
    async with database.session() as db:
        await staff(db, await get_event(db, slug=demo_event), Role.organiser, ORGANISER)
    await signed_in_as(client, database, ORGANISER)
    return client


async def test_token_is_shown_once_stored_hashed_and_audited(organiser, database, demo_event):
    token = await make_token(organiser, demo_event)

    listing = await organiser.get(f"/{demo_event}/organiser/api")

    assert token.startswith("podium_")
    assert token not in listing.text
    assert page(listing).xpath("//table[@id='api-tokens']//th/text()")[-1] == "CRM"
    async with database.session() as db:
        stored = (await db.exec(select(ApiToken))).one()
        entry = (await db.exec(select(AuditEntry).where(AuditEntry.action == "api_token.create"))).one()
    assert stored.token_hash != token and len(stored.token_hash) == 64
    assert (entry.actor_email, entry.target_label) == (ORGANISER, "CRM")


async def test_token_form_refuses_a_blank_name_and_a_past_expiry(organiser, demo_event):
    blank = await post(organiser, f"/{demo_event}/organiser/api", {"name": " ", "scope": "read", "expires_on": ""})
    past = await post(
        organiser, f"/{demo_event}/organiser/api", {"name": "Old", "scope": "read", "expires_on": "2000-01-01"}
    )

    assert (blank.status_code, error_message(blank)) == (
        400,
        "Please give the token a name, e.g. the integration that uses it.",
    )
    assert (past.status_code, error_message(past)) == (400, "The expiry date must lie in the future.")
    assert page(past).xpath("//input[@name='name']/@value") == ["Old"]


async def test_read_write_token_creates_changes_and_deletes_a_session(organiser, database, demo_event):
    token = await make_token(organiser, demo_event)
    async with database.session() as db:
        version = (await get_event(db, slug=demo_event)).version

    created = await organiser.post(f"/api/v1/events/{demo_event}/sessions", json=NEW_SESSION, headers=bearer(token))
    public = await organiser.get(f"/api/v1/events/{demo_event}/sessions/API-1")
    changed = await organiser.patch(
        f"/api/v1/events/{demo_event}/sessions/API-1", json={"title": "Renamed"}, headers=bearer(token)
    )
    deleted = await organiser.delete(f"/api/v1/events/{demo_event}/sessions/API-1", headers=bearer(token))
    gone = await organiser.get(f"/api/v1/events/{demo_event}/sessions/API-1")

    assert created.status_code == 201, created.text
    assert (created.json()["title"], created.json()["start"]) == ("Made by an integration", "2021-10-27T16:00:00+08:00")
    assert public.json()["guid"] == created.json()["guid"]
    assert (changed.status_code, changed.json()["title"], changed.json()["guid"]) == (
        200,
        "Renamed",
        created.json()["guid"],
    )
    assert (deleted.status_code, gone.status_code) == (204, 404)
    async with database.session() as db:
        assert (await get_event(db, slug=demo_event)).version == version + 3
        entries = (
            await db.exec(
                select(AuditEntry).where(col(AuditEntry.action).startswith("session.")).order_by(col(AuditEntry.id))
            )
        ).all()
    assert [(e.action, e.actor_email) for e in entries] == [
        ("session.create", "API token “CRM”"),
        ("session.update", "API token “CRM”"),
        ("session.delete", "API token “CRM”"),
    ]


async def test_session_input_is_checked_by_the_event_file_rules(organiser, database, demo_event):
    token = await make_token(organiser, demo_event)
    url = f"/api/v1/events/{demo_event}/sessions"

    later = {"start": "2030-01-01T09:00", "end": "2030-01-01T10:00"}
    outside = await organiser.post(url, json={**NEW_SESSION, **later}, headers=bearer(token))
    no_room = await organiser.post(url, json={**NEW_SESSION, "room": "attic"}, headers=bearer(token))
    taken = await organiser.post(url, json={**NEW_SESSION, "code": "OPEN"}, headers=bearer(token))
    unknown = await organiser.post(url, json={**NEW_SESSION, "colour": "red"}, headers=bearer(token))

    assert (outside.status_code, outside.json()["error"]) == (
        400,
        'start (line 1): "2030-01-01T09:00" is outside the event\'s dates, 2021-10-27 to 2021-10-28',
    )
    assert (no_room.status_code, no_room.json()["error"]) == (400, 'room (line 1): there is no room "attic" in "rooms"')
    assert (taken.status_code, taken.json()["error"]) == (409, "The code 'OPEN' is already another session's.")
    assert unknown.status_code == 400
    assert unknown.json()["error"].startswith("colour (line 1): unknown field")
    async with database.session() as db:
        assert (await db.exec(select(func.count()).select_from(Session).where(Session.code == "API-1"))).one() == 0


async def test_bad_json_nul_bytes_and_huge_numbers_are_400_with_a_message(organiser, demo_event):
    token = await make_token(organiser, demo_event)
    url = f"/api/v1/events/{demo_event}/people"
    headers = {**bearer(token), "content-type": "application/json"}

    broken = await organiser.post(url, content=b"{", headers=headers)
    nul = await organiser.post(url, json={"slug": "nul", "name": "a\u0000b"}, headers=bearer(token))
    huge = await organiser.post(url, content=b'{"slug": "x", "name": 1' + b"0" * 40 + b"}", headers=headers)
    nan = await organiser.post(url, content=b'{"slug": "x", "name": NaN}', headers=headers)
    listed = await organiser.post(url, json=["slug"], headers=bearer(token))
    form = await organiser.post(url, data={"slug": "x"}, headers=bearer(token))

    assert broken.status_code == 400
    assert broken.json()["error"].startswith("The body is not valid JSON: Expecting property name")
    assert (nul.status_code, nul.json()["error"]) == (
        400,
        "The body contains characters Podium cannot accept, such as a NUL byte.",
    )
    assert (huge.status_code, huge.json()["error"]) == (
        400,
        "The body is not valid JSON: the number 10000000000000000000… is too large",
    )
    assert (nan.status_code, nan.json()["error"]) == (
        400,
        "The body is not valid JSON: NaN is not a number JSON allows",
    )
    assert (listed.status_code, listed.json()["error"]) == (400, "The body must be a JSON object.")
    assert (form.status_code, form.json()["error"]) == (400, "Send a JSON object with Content-Type: application/json.")


async def test_read_token_reads_registrations_but_may_not_write(organiser, database, demo_event):
    token = await make_token(organiser, demo_event, scope="read")
    async with database.session() as db:
        await delegates(db, await get_event(db, slug=demo_event), 2)

    listed = await organiser.get(f"/api/v1/events/{demo_event}/registrations", headers=bearer(token))
    write = await organiser.post(f"/api/v1/events/{demo_event}/sessions", json=NEW_SESSION, headers=bearer(token))

    assert listed.status_code == 200
    assert [r["email"] for r in listed.json()["registrations"]] == ["delegate0@example.org", "delegate1@example.org"]
    assert (write.status_code, write.json()["error"]) == (403, "This API token may only read.")


async def test_revoked_expired_missing_and_other_events_tokens(organiser, database, demo_event):
    token = await make_token(organiser, demo_event)
    async with database.session() as db:
        other, _session = await other_event(db)
        await staff(db, other, Role.organiser, "other@example.org")
        stored = (await db.exec(select(ApiToken))).one()
    url = f"/api/v1/events/{demo_event}/registrations"

    elsewhere = await organiser.get(f"/api/v1/events/{other.slug}/registrations", headers=bearer(token))
    missing = await organiser.get(url)
    wrong = await organiser.get(url, headers=bearer("podium_nonsense"))
    revoked_page = await post(organiser, f"/{demo_event}/organiser/api/{stored.id}/revoke")
    revoked = await organiser.get(url, headers=bearer(token))
    cookie_only = await organiser.post(f"/api/v1/events/{demo_event}/sessions", json=NEW_SESSION)

    assert elsewhere.status_code == 404
    assert (missing.status_code, missing.json()["error"]) == (
        401,
        "This address needs an API token: send Authorization: Bearer <token>.",
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "This API token is not valid.")
    assert revoked_page.status_code == 303
    assert (revoked.status_code, revoked.json()["error"]) == (401, "This API token was revoked.")
    # A signed-in organiser's cookie is no credential here: another site's page cannot write through it.
    assert cookie_only.status_code == 401
    expiring = await make_token(organiser, demo_event, name="Soon")
    async with database.session() as db:
        row = (await db.exec(select(ApiToken).where(ApiToken.name == "Soon"))).one()
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db.add(row)
        await db.commit()
        revocations = (await db.exec(select(AuditEntry).where(AuditEntry.action == "api_token.revoke"))).all()
    expired = await organiser.get(url, headers=bearer(expiring))
    assert (expired.status_code, expired.json()["error"]) == (401, "This API token has expired.")
    assert [entry.target_label for entry in revocations] == ["CRM"]


async def test_registrations_through_the_api_use_the_register_rules(organiser, database, demo_event):
    token = await make_token(organiser, demo_event)
    url = f"/api/v1/events/{demo_event}/registrations"
    person = {"name": "Ana Lim", "email": "Ana@Example.org", "country": "SG", "attendance": "onsite"}

    created = await organiser.post(url, json=person, headers=bearer(token))
    assert created.status_code == 201, created.text
    bad_country = await organiser.post(url, json={**person, "country": "XX"}, headers=bearer(token))
    wrong_type = await organiser.post(url, json={**person, "name": 5}, headers=bearer(token))
    registration_id = created.json()["id"]
    async with database.session() as db:
        row = await db.get_one(Registration, registration_id)
        row.status = "confirmed"
        db.add(row)
        await db.commit()
    again = await organiser.post(url, json=person, headers=bearer(token))
    online = await organiser.patch(f"{url}/{registration_id}", json={"attendance": "online"}, headers=bearer(token))
    cancelled = await organiser.patch(f"{url}/{registration_id}", json={"status": "cancelled"}, headers=bearer(token))

    assert created.status_code == 201, created.text
    assert (created.json()["email"], created.json()["status"]) == ("ana@example.org", "unconfirmed")
    assert (bad_country.status_code, bad_country.json()["error"]) == (400, "Please choose your country from the list.")
    assert (wrong_type.status_code, wrong_type.json()["error"]) == (400, "name must be text.")
    assert (again.status_code, again.json()["error"]) == (
        409,
        "This address is already registered. Sign in to see or change your registration.",
    )
    assert (online.status_code, online.json()["attendance"]) == (200, "online")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    async with database.session() as db:
        mails = (await db.exec(select(OutboxMail.subject).where(OutboxMail.recipient == "ana@example.org"))).all()
        actions = (
            await db.exec(
                select(AuditEntry.action, AuditEntry.actor_email).where(
                    col(AuditEntry.action).startswith("registration.")
                )
            )
        ).all()
    assert mails == ["Confirm your registration: Asian Dialogue for Cultural Heritage Conservation"]
    assert sorted(actions) == [
        ("registration.cancel", "API token “CRM”"),
        ("registration.create", "API token “CRM”"),
        ("registration.update", "API token “CRM”"),
    ]


async def test_people_and_a_picked_session_through_the_api(organiser, database, demo_event):
    token = await make_token(organiser, demo_event)
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        [delegate] = await delegates(db, event, 1)
        opening = (await db.exec(select(Session).where(Session.event_id == event.id, Session.code == "OPEN"))).one()
    async with database.session() as db:
        await pick_session(db, event=event, account=delegate, session_id=opening.id or 0)
    people = f"/api/v1/events/{demo_event}/people"

    made = await organiser.post(people, json={"slug": "new-voice", "name": "New Voice"}, headers=bearer(token))
    renamed = await organiser.patch(f"{people}/new-voice", json={"organisation": "UNESCO"}, headers=bearer(token))
    speaking = await organiser.patch(
        f"/api/v1/events/{demo_event}/sessions/OPEN", json={"speakers": ["new-voice"]}, headers=bearer(token)
    )
    removed = await organiser.delete(f"{people}/new-voice", headers=bearer(token))
    picked = await organiser.delete(f"/api/v1/events/{demo_event}/sessions/OPEN", headers=bearer(token))

    assert made.status_code == 201, made.text
    assert renamed.json() == {
        "slug": "new-voice",
        "name": "New Voice",
        "organisation": "UNESCO",
        "country": "",
        "biography": "",
    }
    assert [s["slug"] for s in speaking.json()["speakers"]] == ["new-voice"]
    assert removed.status_code == 204
    assert (picked.status_code, picked.json()["error"]) == (
        409,
        "People picked these sessions, so they stay: OPEN (1).",
    )
    async with database.session() as db:
        assert await db.get(Session, opening.id) is not None
        assert (await db.exec(select(Person).where(Person.slug == "new-voice"))).first() is None


async def test_token_pages_are_for_organisers_only(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        for role in (Role.moderator, Role.speaker, Role.delegate):
            await staff(db, event, role, f"{role.value}@example.org")
        other, _session = await other_event(db)
        await staff(db, other, Role.organiser, "other@example.org")
    statuses = {}
    for email in (None, "moderator@example.org", "speaker@example.org", "delegate@example.org", "other@example.org"):
        client.cookies.clear()
        if email is not None:
            await signed_in_as(client, database, email)
        statuses[email] = [
            (await client.get(f"/{demo_event}/organiser/api")).status_code,
            (await post(client, f"/{demo_event}/organiser/api", {"name": "x", "scope": "read"})).status_code,
            (await post(client, f"/{demo_event}/organiser/api/1/revoke")).status_code,
        ]

    # Signed out, the page asks to sign in; the posts are not found.
    assert statuses == {email: [303, 404, 404] if email is None else [404, 404, 404] for email in statuses}


async def test_openapi_description_is_valid_and_lists_every_api_route(client):
    document = (await client.get("/api/v1/openapi.json")).json()

    validate(document)
    routes = {
        (method, route.path.replace(":id", ""))
        for route in client._transport.app.routes  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.path.startswith("/api/v1")
        for method in (route.methods or set()) - {"HEAD"}
    }
    described = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert described == routes


async def test_a_token_is_limited_per_minute(organiser, demo_event):
    token = await make_token(organiser, demo_event, scope="read")
    url = f"/api/v1/events/{demo_event}/registrations"

    responses = [await organiser.get(url, headers=bearer(token)) for _ in range(400)]

    statuses = [response.status_code for response in responses]
    assert statuses[:300] == [200] * 300  # 300 at once, then 5 a second
    refused = next(response for response in responses if response.status_code == 429)
    assert refused.json()["error"] == "Too many requests. Please wait a minute and try again."


async def test_a_draft_events_speakers_are_not_found_to_the_public(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        event.published = False
        db.add(event)
        await db.commit()

    hidden = await client.get(f"/api/v1/events/{demo_event}/people")

    assert hidden.status_code == 404
