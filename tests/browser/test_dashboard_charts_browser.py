"""The organiser dashboard's charts in Chromium: drawn, painted by the design tokens in both themes, axe-core clean,
no CSP complaint."""

from __future__ import annotations

from typing import Any

import pytest

from server.db import Database
from tests.support.browser import assert_accessible, signed_in_page
from tests.support.chart_data import ORGANISER, known_data_set
from tests.support.http import session_token
from tests.support.servers import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]


async def test_dashboard_charts_are_accessible_in_light_and_dark(
    browser: Any, live_server: LiveServer, demo_event: str, database: Database
) -> None:
    session = await known_data_set(database, demo_event)
    page, problems = await signed_in_page(browser, live_server.url, await session_token(database, ORGANISER))
    fills = {}
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        await page.goto(f"{live_server.url}/{demo_event}/organiser")
        bar = page.locator("figure[data-chart='countries'] rect[data-value]").first
        await bar.wait_for()
        fills[scheme] = await bar.evaluate("element => getComputedStyle(element).fill")
        assert await page.locator(f"figure[data-chart='live-{session.code}'] polyline").count() == 2
        await page.locator("figure[data-chart='arrivals'] summary").click()
        assert await page.locator("figure[data-chart='arrivals'] table tbody tr").count() == 3
        await assert_accessible(page)
    # The bars take the theme's accent, not one colour written into the picture.
    assert fills["light"] != fills["dark"] and "rgb(" in fills["light"]
    assert problems.messages == []
