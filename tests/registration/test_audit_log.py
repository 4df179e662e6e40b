"""The audit log: an organiser's action is recorded with who, when and what changed, and organisers read it with
filters; nobody else sees it."""

from __future__ import annotations

import pytest

from server.accounts.models import Role
from server.events.services import get_event
from tests.support.factories import delegates, staff
from tests.support.html import page
from tests.support.http import post, signed_in_as

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


async def test_a_removal_shows_in_the_audit_log_with_who_and_what_changed(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        [delegate] = await delegates(db, event, 1)
        await staff(db, event, Role.organiser, "organiser@example.org")
    await signed_in_as(client, database, "organiser@example.org")

    await post(client, f"/{demo_event}/organiser/people/{delegate.id}/remove")
    log = page(await client.get(f"/{demo_event}/organiser/audit"))
    filtered_out = page(await client.get(f"/{demo_event}/organiser/audit?action=session"))

    [row] = log.xpath("//table[contains(@class, 'audit-log')]/tbody/tr")
    cells = [" ".join(cell.text_content().split()) for cell in row.xpath("td")]
    assert cells[1:4] == ["organiser@example.org", "person.remove", f"account: {delegate.email}"]
    assert "registration confirmed" in cells[4] and "registration cancelled" in cells[5]
    assert filtered_out.xpath("//table[contains(@class, 'audit-log')]") == []
    assert log.xpath("//nav[contains(@class, 'backoffice-nav')]//a[@aria-current='page']/text()") == ["Audit log"]


async def test_the_audit_log_is_not_found_for_delegates_and_strangers(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        [delegate] = await delegates(db, event, 1)
    anonymous = await client.get(f"/{demo_event}/organiser/audit")
    await signed_in_as(client, database, delegate.email)
    registered = await client.get(f"/{demo_event}/organiser/audit")
    assert (anonymous.status_code, registered.status_code) == (303, 404)  # signed out: asked to sign in first


async def test_a_bad_date_filter_is_a_clear_error(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        await staff(db, event, Role.organiser, "organiser@example.org")
    await signed_in_as(client, database, "organiser@example.org")
    answer = await client.get(f"/{demo_event}/organiser/audit?since=yesterday")
    assert answer.status_code == 400
    assert "Since is not a date (YYYY-MM-DD)." in answer.text
