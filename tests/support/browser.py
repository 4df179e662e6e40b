"""Chromium for browser tests: the system's own binary driven by playwright, the problems a page shows, and
axe-core's check of each page."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests.support.requirements import require
from web import NODE_MODULES_DIR

CHROMIUM = Path(os.environ.get("PODIUM_CHROMIUM", "/usr/bin/chromium"))
AXE = NODE_MODULES_DIR / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BLOCKING_IMPACTS = {"serious", "critical"}


@contextlib.asynccontextmanager
async def chromium(*extra_args: str) -> AsyncIterator[Any]:
    """The system's Chromium driven by playwright; skips (or fails in CI) where either is missing."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        async_playwright = None  # type: ignore[assignment]
    require("playwright", async_playwright is not None)
    require("Chromium", CHROMIUM.exists())
    assert async_playwright is not None
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + list(extra_args))
        try:
            yield browser
        finally:
            await browser.close()


class PageProblems:
    """Console errors (a CSP violation shows up there) and failed requests seen while a test runs."""

    def __init__(self, page: Any) -> None:
        self.messages: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"page error: {error}"))
        page.on("response", self._response)

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.messages.append(f"{response.status} from {response.url}")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.messages.append(f"console: {message.text}")


async def assert_accessible(page: Any) -> None:
    """Runs axe-core on the page and fails on serious or critical violations, naming each one."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated rather than added as a <script>: the page's CSP rightly refuses inline scripts.
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    results = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    blocking = [violation for violation in results["violations"] if violation["impact"] in BLOCKING_IMPACTS]
    report = [
        f"{violation['impact']}: {violation['id']} ({violation['help']}) at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:5])
        for violation in blocking
    ]
    assert report == [], f"axe-core on {page.url}:\n" + "\n".join(report)


async def signed_in_page(browser: Any, site_url: str, session_token: str) -> tuple[Any, PageProblems]:
    """A new page in its own context, signed in with a session token, and the problems it will collect."""
    context = await browser.new_context(locale="en-GB")
    await context.add_cookies([{"name": "podium_session", "value": session_token, "url": site_url}])
    page = await context.new_page()
    return page, PageProblems(page)
