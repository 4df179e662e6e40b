"""Messages to participants: segments, language versions, preview, sending once, progress and statuses."""

from __future__ import annotations

import asyncio
import dataclasses
import re

import httpx
import pytest
from sqlmodel import col, select

from server.audit.models import AuditEntry
from server.db import Database
from server.mail.delivery import deliver_pending
from server.mail.models import Message, MessageRecipient, OutboxMail
from server.organising.messages import MAX_BODY
from server.organising.segments import Audience, Segment, recipients
from server.settings import Settings
from tests.support.factories import other_event, sessions_of
from tests.support.html import page
from tests.support.http import count, post, signed_in_as
from tests.support.message_cast import Cast, set_language
from tests.support.ports import free_port
from tests.support.smtp_sink import SmtpSink

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


async def compose(client: httpx.AsyncClient, slug: str) -> str:
    """Opens the compose form; its key."""
    form = page(await client.get(f"/{slug}/organiser/messages/new"))
    return form.xpath("//input[@name='form_key']/@value")[0]


async def submit(client: httpx.AsyncClient, slug: str, action: str, **fields: str) -> httpx.Response:
    values = {"segment": "registered", "subject": "Venue change", "body": "We meet in Hall B.", **fields}
    if "form_key" not in values:
        values["form_key"] = await compose(client, slug)
    return await post(client, f"/{slug}/organiser/messages/new", {**values, "action": action})


async def outbox(database: Database) -> list[OutboxMail]:
    async with database.session() as db:
        return list((await db.exec(select(OutboxMail).order_by(col(OutboxMail.recipient)))).all())


async def test_each_segment_reaches_exactly_its_people(database, cast: Cast):
    expected = {
        Segment.registered: cast.onsite + cast.online,
        Segment.onsite: cast.onsite,
        Segment.online: cast.online,
        Segment.session_confirmed: [cast.seated],
        Segment.session_waitlisted: [cast.waiting],
        Segment.speakers: cast.speakers,
        Segment.staff: cast.staff,
    }
    reached = {}
    async with database.session() as db:
        for segment in Segment:
            audience = Audience(segment, cast.session if segment.needs_session else None)
            reached[segment] = [person.address for person in await recipients(db, event=cast.event, audience=audience)]

    assert reached == {segment: sorted(addresses) for segment, addresses in expected.items()}
    assert not any(stray in addresses for stray in cast.stray for addresses in reached.values())


async def test_waitlist_message_goes_to_the_waitlist_only(client, database, cast: Cast):
    slug = cast.event.slug
    await signed_in_as(client, database, "organiser@example.org")

    sent = await submit(client, slug, "send", segment="session_waitlisted", session=str(cast.session.id))

    assert sent.status_code == 303
    shown = page(await client.get(sent.headers["location"]))
    assert shown.xpath("//table[@id='recipients']//tbody/tr/@data-address") == [cast.waiting]
    assert [mail.recipient for mail in await outbox(database)] == [cast.waiting]


async def test_preview_shows_the_count_and_the_mail_as_sent_and_queues_nothing(client, database, cast: Cast):
    slug = cast.event.slug
    await signed_in_as(client, database, "organiser@example.org")

    answer = await submit(client, slug, "preview", segment="onsite", body="Bring your badge <b>please</b>.")

    shown = page(answer)
    assert answer.status_code == 200
    assert shown.xpath("//p[@id='recipient-count']/@data-count") == ["3"]
    body = shown.xpath("//article[@class='mail-preview'][1]/pre[@class='mail-body']/text()")[0]
    assert body.startswith(
        "Bring your badge <b>please</b>.\n\n-- \nAsian Dialogue for Cultural Heritage Conservation\n"
    )
    assert body.endswith(
        "You receive this message because you are registered to attend Asian Dialogue for Cultural Heritage Conservation on site.\n"
    )
    assert shown.xpath("//textarea[@id='body']/text()") == ["Bring your badge <b>please</b>."]
    assert shown.xpath("//button[@value='send']/text()") == ["Send to 3 people"]
    assert await count(database, Message) == 0
    assert await count(database, OutboxMail) == 0


async def test_each_recipient_gets_their_language_version_or_the_default(client, database, cast: Cast):
    slug = cast.event.slug
    await set_language(database, cast.online[0], "zh-Hans")
    await signed_in_as(client, database, "organiser@example.org")

    sent = await submit(
        client, slug, "send", segment="online", **{"subject_zh-Hans": "场地变更", "body_zh-Hans": "我们在B厅见面。"}
    )

    assert sent.status_code == 303
    mails = {mail.recipient: mail for mail in await outbox(database)}
    assert (mails[cast.online[0]].subject, mails[cast.online[1]].subject) == ("场地变更", "Venue change")
    assert mails[cast.online[0]].body.startswith(
        "我们在B厅见面。\n\n-- \nAsian Dialogue for Cultural Heritage Conservation\n"
    )
    assert mails[cast.online[1]].body.startswith(
        "We meet in Hall B.\n\n-- \nAsian Dialogue for Cultural Heritage Conservation\n"
    )
    async with database.session() as db:
        languages = dict((await db.exec(select(MessageRecipient.address, MessageRecipient.language))).all())
    assert languages == {cast.online[0]: "zh-Hans", cast.online[1]: "en"}
    shown = page(await client.get(sent.headers["location"]))
    headings = [" ".join(h.split()) for h in shown.xpath("//article[@class='mail-preview']/h3/text()")]
    assert headings == ["English (1 recipient)", "简体中文 (1 recipient)"]
    assert shown.xpath("//article[@data-language='zh-Hans']/p[@class='mail-subject']/text()") == [" 场地变更"]


async def test_progress_and_statuses_follow_delivery(client, database, settings: Settings, cast: Cast):
    slug = cast.event.slug
    await signed_in_as(client, database, "organiser@example.org")

    sent = await submit(client, slug, "send", segment="online")
    before = page(await client.get(sent.headers["location"]))
    polled_before = (await client.get(sent.headers["location"] + "/progress")).json()
    await deliver_pending(database, settings)
    after = page(await client.get(sent.headers["location"]))
    polled_after = (await client.get(sent.headers["location"] + "/progress")).json()
    log = page(await client.get(f"/{slug}/organiser/messages"))

    assert before.xpath("//p[@id='progress']/@data-sent") == ["0"]
    assert before.xpath("//p[@id='progress']/@data-done") == ["false"]  # the page's script keeps polling
    assert before.xpath("//table[@id='recipients']//tbody/tr/@data-status") == ["queued", "queued"]
    assert re.sub(r"\s+", " ", after.xpath("string(//p[@id='progress'])")).strip() == "Sent 2 of 2, failed 0."
    assert after.xpath("//p[@id='progress']/@data-done") == ["true"]
    assert polled_before == {"total": 2, "sent": 0, "failed": 0, "done": False, "text": "Sent 0 of 2, failed 0."}
    assert polled_after == {"total": 2, "sent": 2, "failed": 0, "done": True, "text": "Sent 2 of 2, failed 0."}
    assert after.xpath("//table[@id='recipients']//tbody/tr/@data-status") == ["sent", "sent"]
    row = log.xpath("//table[@id='message-log']//tbody/tr")[0]
    assert [row.xpath(f"string(td[@data-count='{name}'])") for name in ("total", "sent", "failed")] == ["2", "2", "0"]
    assert row.xpath("string(th/a)") == "Venue change"
    async with database.session() as db:
        entry = (await db.exec(select(AuditEntry).where(AuditEntry.action == "message.send"))).one()
    assert entry.after == {"subject": "Venue change", "segment": "Registered online", "count": 2}
    assert entry.actor_email == "organiser@example.org"


async def test_failed_delivery_shows_failed_with_the_error_and_can_be_sent_again(
    client, database, settings: Settings, cast: Cast
):
    slug = cast.event.slug
    await signed_in_as(client, database, "organiser@example.org")
    nobody_listens = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_starttls=False)
    sink = await SmtpSink().start()
    listening = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=sink.port, smtp_starttls=False)

    sent = await submit(client, slug, "send", segment="online")
    await deliver_pending(database, nobody_listens)
    failed = page(await client.get(sent.headers["location"]))
    retried = await post(client, sent.headers["location"] + "/retry")
    await deliver_pending(database, listening)
    await deliver_pending(database, listening)  # nothing more to send: no mail goes twice
    await sink.stop()
    after = page(await client.get(sent.headers["location"]))

    assert failed.xpath("//p[@id='progress']/@data-failed") == ["2"]
    assert failed.xpath("//table[@id='recipients']//tbody/tr/@data-status") == ["failed", "failed"]
    errors = failed.xpath("//table[@id='recipients']//td[@class='mail-error']/text()")
    assert len(errors) == 2 and all("connect" in error.lower() for error in errors), errors
    assert failed.xpath("//p[@id='progress']/@data-done") == ["true"]
    assert (
        failed.xpath("normalize-space(//button[contains(., 'Send again')])") == "Send again to the 2 failed recipients"
    )
    assert retried.status_code == 303
    assert after.xpath("//table[@id='recipients']//tbody/tr/@data-status") == ["sent", "sent"]
    assert sorted(sink.recipients()) == sorted(cast.online)
    assert after.xpath("//button[contains(., 'Send again')]") == []
    async with database.session() as db:
        actions = (await db.exec(select(AuditEntry.action).order_by(col(AuditEntry.id)))).all()
    assert actions == ["message.send", "message.retry"]


async def test_a_double_submit_sends_one_message(client, database, cast: Cast):
    slug = cast.event.slug
    await signed_in_as(client, database, "organiser@example.org")
    key, twin_key = await compose(client, slug), await compose(client, slug)

    first = await submit(client, slug, "send", segment="onsite", form_key=key)
    second = await submit(client, slug, "send", segment="onsite", form_key=key)
    twins = await asyncio.gather(*(submit(client, slug, "send", segment="online", form_key=twin_key) for _ in range(2)))

    assert (first.status_code, second.status_code) == (303, 303)
    assert first.headers["location"] == second.headers["location"]
    assert [twin.status_code for twin in twins] == [303, 303]
    assert twins[0].headers["location"] == twins[1].headers["location"]
    assert await count(database, Message) == 2
    assert sorted(mail.recipient for mail in await outbox(database)) == sorted(cast.onsite + cast.online)


async def test_bad_input_is_refused_next_to_its_field_and_nothing_is_sent(client, database, cast: Cast):
    slug = cast.event.slug
    await signed_in_as(client, database, "organiser@example.org")
    async with database.session() as db:
        _other, foreign_session = await other_event(db)

    empty = await submit(client, slug, "send", subject="  ", body="Typed text stays.")
    huge = await submit(client, slug, "preview", body="x" * (MAX_BODY + 1))
    huge_version = await submit(
        client, slug, "preview", **{"subject_zh-Hans": "场地", "body_zh-Hans": "场" * (MAX_BODY + 1)}
    )
    nul = await submit(client, slug, "send", body="a\x00b")
    injected = await submit(client, slug, "send", subject="Hi\r\nBcc: all@example.org")
    foreign = await submit(client, slug, "send", segment="session_waitlisted", session=str(foreign_session.id))
    no_session = await submit(client, slug, "send", segment="session_confirmed")
    unknown = await submit(client, slug, "send", segment="everyone-ever")

    assert empty.status_code == 400
    assert page(empty).xpath("//p[@id='subject-error']/text()") == ["Please write a subject."]
    assert page(empty).xpath("//textarea[@id='body']/text()") == ["Typed text stays."]
    assert huge.status_code == 400
    assert page(huge).xpath("//p[@id='body-error']/text()") == ["The message is too long (20000 characters at most)."]
    assert huge_version.status_code == 400
    assert page(huge_version).xpath("//p[@id='body_zh-Hans-error']/text()") == [
        "The message is too long (20000 characters at most)."
    ]
    assert nul.status_code == 400
    assert injected.status_code == 400
    assert page(injected).xpath("//p[@id='subject-error']/text()") == ["The subject must be one line of text."]
    assert foreign.status_code == 404
    assert no_session.status_code == 400
    assert page(no_session).xpath("//p[@id='session-error']/text()") == ["Please choose the session."]
    assert unknown.status_code == 400
    assert page(unknown).xpath("//p[@id='segment-error']/text()") == ["Please choose who the message goes to."]
    assert await count(database, Message) == 0
    assert await count(database, OutboxMail) == 0


async def test_an_empty_segment_is_refused_with_a_message(client, database, cast: Cast):
    slug = cast.event.slug
    await signed_in_as(client, database, "organiser@example.org")
    async with database.session() as db:
        unpicked = [session for session in await sessions_of(db, cast.event) if session.id != cast.session.id][0]

    answer = await submit(client, slug, "send", segment="session_confirmed", session=str(unpicked.id))

    assert answer.status_code == 400
    assert page(answer).xpath("//p[@id='segment-error']/text()") == [
        "Nobody is in this segment yet: the message was not sent."
    ]
    assert await count(database, Message) == 0


async def test_sending_is_limited_per_organiser(client, database, cast: Cast):
    slug = cast.event.slug
    await signed_in_as(client, database, "organiser@example.org")

    answers = [(await submit(client, slug, "send", segment="staff")).status_code for _ in range(4)]

    assert answers == [303, 303, 303, 429]
    assert await count(database, Message) == 3


async def test_only_organisers_of_the_event_see_messages(client, database, cast: Cast):
    slug = cast.event.slug
    await signed_in_as(client, database, "organiser@example.org")
    sent = await submit(client, slug, "send", segment="staff")
    message_path = sent.headers["location"]
    key = await compose(client, slug)
    async with database.session() as db:
        other, _session = await other_event(db)
    paths = [f"/{slug}/organiser/messages", f"/{slug}/organiser/messages/new", message_path, message_path + "/progress"]
    answers = {}
    for email in (None, cast.onsite[0], "speaker@example.org", "moderator@example.org"):
        client.cookies.clear()
        if email is not None:
            await signed_in_as(client, database, email)
        seen = [(await client.get(path)).status_code for path in paths]
        posted = await submit(client, slug, "send", segment="staff", form_key=key)
        retried = await post(client, message_path + "/retry")
        answers[email] = [*seen, posted.status_code, retried.status_code]
    client.cookies.clear()
    await signed_in_as(client, database, "organiser@example.org")
    elsewhere = (await client.get(message_path.replace(f"/{slug}/", f"/{other.slug}/"))).status_code

    # Signed out, the pages ask to sign in; the progress JSON and the posts are not found.
    assert answers == {who: [303, 303, 303, 404, 404, 404] if who is None else [404] * 6 for who in answers}
    assert elsewhere == 404
    assert await count(database, Message) == 1
