"""Organisers' restream targets through the real app, on both databases: a target added with its key shows the key
masked everywhere (the page, the console's JSON, the audit log) while the database holds it encrypted; a bad
address, a stale save and another event's target are refused with a clear answer; only organisers see the page."""

from __future__ import annotations

import pytest
from sqlmodel import select

from server.accounts.models import Role
from server.audit.models import AuditEntry
from server.events.services import get_event
from server.restreams.keys import decrypt_key
from server.restreams.models import RestreamTarget
from tests.support.factories import other_event, sessions_of, staff
from tests.support.html import page
from tests.support.http import csrf, signed_in_as

pytestmark = pytest.mark.integration
BOTH_DATABASES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)

KEY = "abcd-efgh-ijkl-9x7q"


async def _session_code(database, slug: str) -> str:
    async with database.session() as db:
        event = await get_event(db, slug=slug)
        return (await sessions_of(db, event))[1].code


async def _as(client, database, slug: str, role: Role, email: str) -> None:
    async with database.session() as db:
        await staff(db, await get_event(db, slug=slug), role, email)
    await signed_in_as(client, database, email)


async def _post(client, path: str, data: dict[str, str]):
    return await client.post(path, data={"csrf_token": await csrf(client), **data})


async def _targets(database) -> list[RestreamTarget]:
    async with database.session() as db:
        return list((await db.exec(select(RestreamTarget).order_by(RestreamTarget.id))).all())


@BOTH_DATABASES
async def test_an_organiser_adds_a_target_whose_key_is_stored_encrypted_and_shown_masked(
    client, database, demo_event, settings
):
    code = await _session_code(database, demo_event)
    await _as(client, database, demo_event, Role.organiser, "organiser@example.org")
    base = f"/{demo_event}/sessions/{code}/restreams"

    added = await _post(
        client, base, {"label": "YouTube", "url": "rtmp://a.rtmp.youtube.com/live2", "key": KEY, "enabled": "1"}
    )
    shown = await client.get(base)
    status = await client.get(f"/{demo_event}/sessions/{code}/stream/status")

    assert added.status_code == 303
    assert shown.status_code == 200
    assert KEY not in shown.text
    assert page(shown).xpath("string(//code[@data-restream='key'])") == "••••9x7q"
    (target,) = await _targets(database)
    assert (target.label, target.url, target.enabled, target.state) == (
        "YouTube",
        "rtmp://a.rtmp.youtube.com/live2",
        True,
        "off",
    )
    assert KEY not in target.key_encrypted
    assert decrypt_key(settings.secret_key, target.key_encrypted) == KEY
    assert status.json()["restreams"] == [
        {
            "id": target.id,
            "label": "YouTube",
            "key": "••••9x7q",
            "enabled": True,
            "state": "off",
            "bitrate": 0,
            "message": "",
            "state_at": None,
        }
    ]
    async with database.session() as db:
        entries = list((await db.exec(select(AuditEntry).where(AuditEntry.action == "restream.add"))).all())
    assert len(entries) == 1
    assert KEY not in str(entries[0].model_dump())
    assert entries[0].after is not None and entries[0].after["key"] == "••••9x7q"


@BOTH_DATABASES
async def test_an_edit_keeps_the_key_unless_a_new_one_is_given_and_a_stale_save_is_refused(
    client, database, demo_event, settings
):
    code = await _session_code(database, demo_event)
    await _as(client, database, demo_event, Role.organiser, "organiser@example.org")
    base = f"/{demo_event}/sessions/{code}/restreams"
    await _post(client, base, {"label": "Bilibili", "url": "rtmp://live-push.bilivideo.com/live-bvc", "key": KEY})
    (target,) = await _targets(database)
    edit = f"{base}/{target.id}"

    renamed = await _post(
        client, edit, {"label": "Bilibili CN", "url": target.url, "key": "", "enabled": "1", "version": "1"}
    )
    stale = await _post(client, edit, {"label": "Old tab", "url": target.url, "key": "", "version": "1"})
    rekeyed = await _post(
        client, edit, {"label": "Bilibili CN", "url": target.url, "key": "new-key-00001234", "version": "2"}
    )

    assert (renamed.status_code, stale.status_code, rekeyed.status_code) == (303, 409, 303)
    assert "Someone else saved this restream target while you were editing it." in stale.text
    (saved,) = await _targets(database)
    assert (saved.label, saved.version, saved.enabled) == ("Bilibili CN", 3, False)
    assert decrypt_key(settings.secret_key, saved.key_encrypted) == "new-key-00001234"


BAD_INPUT = [
    ("https://a.rtmp.youtube.com/live2", KEY, "url", "The address must start with rtmp:// or rtmps://"),
    ("rtmp:///live2", KEY, "url", "The address needs a host name"),
    ("rtmps://user:pw@example.org/app", KEY, "url", "The address needs a host name"),
    ("rtmp://example.org/app", "", "key", "Please fill this in."),
    ("rtmp://example.org/app", "two words", "key", "A stream key has no spaces or slashes"),
    ("rtmp://example.org/\x00app", KEY, "url", "characters Podium cannot accept"),
]


async def test_a_bad_address_or_key_is_refused_beside_its_field_and_nothing_is_stored(client, database, demo_event):
    code = await _session_code(database, demo_event)
    await _as(client, database, demo_event, Role.organiser, "organiser@example.org")

    for url, key, field, message in BAD_INPUT:
        refused = await _post(
            client, f"/{demo_event}/sessions/{code}/restreams", {"label": "X", "url": url, "key": key}
        )

        assert refused.status_code == 400, url
        assert message in page(refused).xpath(f"string(//p[@id='new-{field}-error'])"), (url, key)
        assert page(refused).xpath("string(//input[@id='new-key']/@value)") == ""  # a typed key is never sent back
    assert await _targets(database) == []


async def test_another_events_target_is_not_found_and_a_moderator_or_delegate_cannot_open_the_page(
    client, database, demo_event
):
    code = await _session_code(database, demo_event)
    async with database.session() as db:
        other, other_session = await other_event(db)
        theirs = RestreamTarget(
            event_id=other.id or 0,
            session_id=other_session.id or 0,
            label="Theirs",
            url="rtmp://x.org/a",
            key_encrypted="x",
        )
        db.add(theirs)
        await db.commit()
        await db.refresh(theirs)
    await _as(client, database, demo_event, Role.organiser, "organiser@example.org")
    base = f"/{demo_event}/sessions/{code}/restreams"

    edit = await _post(client, f"{base}/{theirs.id}", {"label": "Mine now", "url": "rtmp://x.org/a", "version": "1"})
    delete = await _post(client, f"{base}/{theirs.id}/delete", {})
    await _as(client, database, demo_event, Role.moderator, "moderator@example.org")
    as_moderator = await client.get(base)

    assert (edit.status_code, delete.status_code, as_moderator.status_code) == (404, 404, 404)
    (kept,) = await _targets(database)
    assert kept.label == "Theirs"


async def test_a_deleted_target_is_gone_from_the_page_and_the_console(client, database, demo_event):
    code = await _session_code(database, demo_event)
    await _as(client, database, demo_event, Role.organiser, "organiser@example.org")
    base = f"/{demo_event}/sessions/{code}/restreams"
    await _post(client, base, {"label": "Weibo", "url": "rtmp://push.weibo.example/live", "key": KEY})
    (target,) = await _targets(database)

    deleted = await _post(client, f"{base}/{target.id}/delete", {})
    status = await client.get(f"/{demo_event}/sessions/{code}/stream/status")

    assert deleted.status_code == 303
    assert await _targets(database) == []
    assert status.json()["restreams"] == []
