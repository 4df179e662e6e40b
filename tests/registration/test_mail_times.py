"""A mail that names a session's time says it in the recipient's language and the event's zone, 24-hour as the
agenda: a seat freed by someone else reaches a Chinese-speaking delegate in Chinese."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from server import formats
from server.events.services import get_event
from server.mail.models import OutboxMail
from server.registration.models import Registration
from server.registration.seats import pick_session, unpick_session
from tests.support.factories import delegates, session_with_capacity

pytestmark = pytest.mark.integration


async def test_a_seat_mail_names_the_session_time_in_the_recipients_language_and_zone(database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        session = await session_with_capacity(db, event, 1)
        seated, waiting = await delegates(db, event, 2)
        registration = (await db.exec(select(Registration).where(Registration.account_id == waiting.id))).one()
        registration.language = "zh-Hans"
        db.add(registration)
        await db.commit()
    for account in (seated, waiting):
        async with database.session() as db:
            await pick_session(db, event=event, account=account, session_id=session.id or 0)

    async with database.session() as db:
        await unpick_session(db, event=event, account=seated, session_id=session.id or 0)
    async with database.session() as db:
        mail = (await db.exec(select(OutboxMail).where(col(OutboxMail.recipient) == waiting.email))).one()

    start = formats.in_zone(session.start, "Asia/Shanghai")
    end = formats.in_zone(session.end, "Asia/Shanghai")
    expected = f"2021年10月{start.day}日 {start:%H:%M}–{end:%H:%M}（Asia/Shanghai）"  # the catalogue writes full-width parentheses
    assert mail.subject.startswith("A seat is yours") is False  # Chinese, not the language of whoever freed it
    assert expected in mail.body
    assert formats.time_range(session.start, session.end, event.timezone, locale="zh_Hans") in mail.body
