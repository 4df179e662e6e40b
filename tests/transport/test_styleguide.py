"""The living style guide: the people who run events open it; a delegate is told there is no such page."""

from __future__ import annotations

import pytest

from server.accounts.models import Role
from server.events.services import get_event
from tests.support import factories
from tests.support.html import page

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]


async def test_a_moderator_opens_the_style_guide_with_every_component(client, database, demo_event):
    async with database.session() as db:
        moderator = await factories.person(db, await get_event(db, slug=demo_event), "Chair", role=Role.moderator)

    shown = await client.get("/styleguide", cookies={"podium_session": moderator.token})

    assert shown.status_code == 200
    html = page(shown)
    assert html.xpath("//h1/text()") == ["Style guide"]
    assert html.xpath("//section[@aria-labelledby='states']//span[@class='badge']/@data-state") == [
        "full", "waitlist", "clash", "live", "soon", "ended", "cancelled", "picked", "seats", "draft",
    ]  # fmt: skip
    assert html.xpath("//button[@aria-busy='true']/text()") == ["Saving…"]
    invalid = html.xpath("//div[contains(@class, 'field-invalid')]//input")[0]
    assert invalid.get("aria-describedby") == "sample-colour-error"
    assert len(html.xpath("//table[contains(@class, 'responsive')]//td[@data-label='Country']")) == 2
    assert html.xpath("//svg[contains(@class, 'icon-calendar')]/@aria-hidden") == ["true", "true"]


async def test_a_delegate_is_told_there_is_no_such_page(client, database, demo_event):
    async with database.session() as db:
        delegate = await factories.person(db, await get_event(db, slug=demo_event), "Ana", attendance="online")

    refused = await client.get("/styleguide", cookies={"podium_session": delegate.token})

    assert refused.status_code == 404
    assert "There is no page at this address." in refused.text


async def test_signed_out_visitors_are_asked_to_sign_in(client):
    asked = await client.get("/styleguide")

    assert (asked.status_code, asked.headers["location"].split("?")[0]) == (303, "/signin")
