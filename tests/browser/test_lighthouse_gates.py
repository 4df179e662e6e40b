"""Lighthouse's quality gates (issue #13): the agenda, a session page, the live room, the register form and the
organiser's dashboard score at least 95 for performance, accessibility and best practices on Lighthouse's phone
profile, run by the pinned Lighthouse (tests/tools) with Debian's Chromium against the real site."""

from __future__ import annotations

import statistics
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from server.accounts.models import Role
from server.db import Database
from tests.support import factories
from tests.support.factories import ONLINE
from tests.support.lighthouse import CATEGORIES, Report, lighthouse
from tests.support.servers import LiveSite

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FLOOR = 0.95


@pytest.fixture
async def pages(database_url: str, database: Database, demo_event: str) -> AsyncIterator[list[tuple[str, str, str]]]:
    """Each gated page as (name, address, the cookie of the person who opens it)."""
    async with database.session() as db:
        event = await factories.event_by_slug(db, demo_event)
        session = (await factories.sessions_of(db, event))[1]
        delegate = await factories.person(db, event, "Online Delegate", attendance=ONLINE, country="ID")
        organiser = await factories.person(db, event, "Organiser One", role=Role.organiser)
    site = LiveSite(database_url)
    site.start()
    base = f"{site.url}/{event.slug}"
    yield [
        ("agenda", f"{base}/", ""),
        ("session", f"{base}/sessions/{session.code}", ""),
        ("room", f"{base}/sessions/{session.code}/room", f"podium_session={delegate.token}"),
        ("register", f"{base}/register", ""),
        ("dashboard", f"{base}/organiser", f"podium_session={organiser.token}"),
    ]
    site.stop()


def steady_report(url: str, name: str, cookie: str) -> Report:
    """One run, or where it falls below the floor, the median of three: Lighthouse's scores vary from run to run
    with what else the machine does (its own advice is to take the median of several)."""
    first = lighthouse(url, name=name, cookie=cookie)
    if not first.below(FLOOR):
        return first
    runs = [first] + [lighthouse(url, name=f"{name}-{again}", cookie=cookie) for again in (2, 3)]
    scores = {category: statistics.median(run.scores[category] for run in runs) for category in CATEGORIES}
    return replace(first, scores=scores)


async def test_gated_pages_score_at_least_95_on_the_phone_profile(pages: list[tuple[str, str, str]]) -> None:
    reports = {name: steady_report(url, name, cookie) for name, url, cookie in pages}
    assert {name: (report.status, report.final_url) for name, report in reports.items()} == {
        name: (200, url) for name, url, _ in pages
    }
    for name, report in reports.items():
        print(name, " ".join(f"{category}={report.scores[category]:.2f}" for category in CATEGORIES))
    failing = {
        name: {category: (score, report.losses.get(category, [])) for category, score in report.below(FLOOR).items()}
        for name, report in reports.items()
        if report.below(FLOOR)
    }
    assert failing == {}
