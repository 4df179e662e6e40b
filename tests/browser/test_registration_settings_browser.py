"""An organiser sets up registration in Chromium (a limit, a required field, a question in two languages) and a
visitor meets the form it makes, with the refused answer's message beside the question."""

from __future__ import annotations

from typing import Any

import pytest

from server.accounts.models import Role
from server.db import Database
from server.events.services import get_event
from tests.support import factories
from tests.support.browser import PageProblems, assert_accessible, signed_in_page
from tests.support.servers import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_organiser_sets_up_the_form_and_a_visitor_meets_it(
    browser: Any, live_server: LiveServer, demo_event: str, database: Database
) -> None:
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        organiser = await factories.person(db, event, "Desk Organiser", role=Role.organiser)
    page, problems = await signed_in_page(browser, live_server.url, organiser.token)

    await page.goto(f"{live_server.url}/{demo_event}/organiser")
    async with page.expect_navigation():
        await page.get_by_role("link", name="Registration", exact=True).click()
    await assert_accessible(page)
    await page.fill("#onsite_limit", "200")
    await page.locator("tr[data-field='job_title'] input[value='required']").check()
    await page.fill("#confirmation_en", "Bring your passport.")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Preview the mail").click()
    assert "Bring your passport." in await page.locator("article[data-language='en'] .mail-body").inner_text()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Save").click()
    assert await page.locator(".message-success").inner_text() == "The registration settings are saved."

    async with page.expect_navigation():
        await page.get_by_role("link", name="Add a question").click()
    await assert_accessible(page)
    await page.get_by_role("radio", name="Choice").check()
    await page.fill("#label_en", "Meal")
    await page.fill("#label_zh", "餐食")
    await page.fill("#options_en", "Fish\nVegetables")
    await page.fill("#options_zh", "鱼\n蔬菜")
    await page.get_by_label("An answer is required").check()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Save the question").click()
    assert await page.locator("table.questions th[scope='row']").all_inner_texts() == ["Meal"]
    await assert_accessible(page)

    visitor = await (await browser.new_context(locale="zh-CN")).new_page()
    visitor_problems = PageProblems(visitor)
    await visitor.goto(f"{live_server.url}/{demo_event}/register")
    options = await visitor.locator("select[name^='q'] option").all_inner_texts()
    assert options[1:] == ["鱼", "蔬菜"]
    await visitor.fill("#reg-name", "Mei Lin")
    await visitor.fill("#reg-email", "mei@example.org")
    await visitor.select_option("#reg-country", "CN")
    await visitor.check("#reg-onsite")
    await visitor.fill("#reg-job-title", "Curator")
    # The browser would hold a required choice back: submit without its check, as a script or an old browser might.
    await visitor.evaluate("document.querySelector('form.stacked').noValidate = true")
    async with visitor.expect_navigation():
        await visitor.locator("form.stacked button[type='submit']").click()
    question_error = visitor.locator(".question .field-error")
    assert await question_error.count() == 1
    assert await visitor.input_value("#reg-name") == "Mei Lin"
    await assert_accessible(visitor)
    assert problems.messages == []
    # The refused form answers 400, which the browser logs; nothing else went wrong.
    assert [message for message in visitor_problems.messages if "400" not in message] == []
