"""The staff page grants interpreters and captioners with their languages: at least one, each one the event offers;
organisers change them later, and an interpreter losing the language they are on air in goes off air."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlmodel import col, select

from server.accounts.models import Account, RoleLanguage
from server.audit.models import AuditEntry
from server.db import Database
from server.interpretation import booths as service
from tests.support.booths import Booths, FakeSwitch
from tests.support.html import error_message
from tests.support.http import as_person, client_maker, last_link, post

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]

INVITATION = re.compile(r"https?://[^/\s]+(/[^/\s]+/invitations/[A-Za-z0-9_-]+)")


async def _languages(database: Database, email: str) -> list[tuple[str, str]]:
    async with database.session() as db:
        account = (await db.exec(select(Account).where(Account.email == email))).one()
        rows = await db.exec(
            select(RoleLanguage.role, RoleLanguage.language)
            .where(RoleLanguage.account_id == account.id)
            .order_by(col(RoleLanguage.language))
        )
        return [(role, language) for role, language in rows.all()]


async def test_invited_interpreter_accepts_and_serves_the_ticked_languages(
    booth_web: httpx.AsyncClient, booths: Booths, database: Database, settings
) -> None:
    world = booths.world
    staff = f"/{world.event.slug}/organiser/staff"
    client = as_person(booth_web, world.organiser)
    form = await client.get(staff)
    invited = await post(
        client, staff, {"email": "voice@example.org", "role": "interpreter", "languages": ["zh", "ja"]}
    )
    link = await last_link(database, "voice@example.org", INVITATION)
    async with client_maker(settings, database)() as browser:
        accepted = await post(browser, link)
        console = await browser.get(world.path("interpret/ja"))

    assert 'name="languages" value="ja"' in form.text
    assert invited.status_code == 303
    assert accepted.status_code == 303
    assert console.status_code == 200
    assert await _languages(database, "voice@example.org") == [("interpreter", "ja"), ("interpreter", "zh")]


@pytest.mark.parametrize(
    ("languages", "message"),
    [
        ([], "Please choose at least one language this person works in."),
        (["ko"], "This event does not offer Korean: choose among its languages."),
        (["ja\x00"], "The form contains characters Podium cannot accept, such as a NUL byte."),
    ],
)
async def test_interpreter_invitation_without_an_offered_language_is_refused(
    booth_web: httpx.AsyncClient, booths: Booths, languages: list[str], message: str
) -> None:
    client = as_person(booth_web, booths.world.organiser)
    refused = await post(
        client,
        f"/{booths.world.event.slug}/organiser/staff",
        {"email": "voice@example.org", "role": "captioner", "languages": languages},
    )

    assert refused.status_code == 400
    assert error_message(refused) == message


async def test_taking_away_the_language_on_air_takes_the_interpreter_off_air(
    booth_web: httpx.AsyncClient, booths: Booths, database: Database, switch: FakeSwitch
) -> None:
    world = booths.world
    await post(as_person(booth_web, booths.ja_one), world.path("interpret/ja/air"), {"action": "on"})
    client = as_person(booth_web, world.organiser)
    path = f"/{world.event.slug}/organiser/staff/{booths.ja_one.account.id}/languages"
    changed = await post(client, path, {"role": "interpreter", "languages": ["zh"]})
    emptied = await post(client, path, {"role": "interpreter", "languages": []})
    async with database.session() as db:
        state = await service.booth_state(db, event=world.event, session=world.session, language="ja")
        audit = (await db.exec(select(AuditEntry.action).where(AuditEntry.action == "staff.languages"))).all()

    assert changed.status_code == 303
    assert emptied.status_code == 400
    assert await _languages(database, booths.ja_one.account.email) == [("interpreter", "zh")]
    assert state["on_air"] is None
    assert switch.calls[-1] == (f"{world.session.id}_ja", None)
    assert audit == ["staff.languages"]
