"""Every mail in its recipient's language: the one they picked on the language switch or their registration form
(kept on their account), else their registration's; a sign-in link in the language of the page that asked for it.

The interface catalogues are the translators' (server/locale); these tests mark each language's texts with a
catalogue of their own, so what they check is which language a mail was written in, not its wording. Dates come
from Babel's real locale data."""

from __future__ import annotations

import httpx
import pytest
from babel.support import NullTranslations
from sqlmodel import col, select

from server import i18n
from server.accounts.models import Account
from server.db import Database
from server.mail.models import OutboxMail
from server.settings import Settings
from tests.support.http import ClientMaker, client_maker, csrf, post, signed_in_as
from tests.support.message_cast import Cast

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]

REGISTRANT = "hanako@example.org"
FORM = {
    "name": "Hanako Sato",
    "email": REGISTRANT,
    "country": "JP",
    "organisation": "Kobe Port Authority",
    "job_title": "Planner",
    "attendance": "onsite",
    "language": "ja",
    "accessibility_needs": "",
    "listed": "yes",
}


class Marked(NullTranslations):
    """A catalogue that writes "[ja] " before each text: the mail says which language wrote it."""

    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code

    def ugettext(self, message: str) -> str:
        return f"[{self.code}] {message}"

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return f"[{self.code}] {singular if n == 1 else plural}"


@pytest.fixture
def browsers(settings: Settings, database: Database) -> ClientMaker:
    return client_maker(settings, database)


@pytest.fixture(autouse=True)
def marked_catalogues(monkeypatch: pytest.MonkeyPatch) -> None:
    english = NullTranslations()
    monkeypatch.setattr(
        i18n, "translations", lambda language: english if language.code == "en" else Marked(language.code)
    )


async def mails_to(database: Database, address: str) -> list[OutboxMail]:
    async with database.session() as db:
        query = select(OutboxMail).where(OutboxMail.recipient == address).order_by(col(OutboxMail.id))
        return list((await db.exec(query)).all())


async def language_of(database: Database, address: str) -> str:
    async with database.session() as db:
        return (await db.exec(select(Account.language).where(Account.email == address))).one()


async def test_registration_confirmation_reaches_a_japanese_registrant_in_japanese(
    client: httpx.AsyncClient, database: Database, demo_event: str, browsers: ClientMaker
) -> None:
    # Browsing in English, registering with Japanese as their language: the link to confirm comes in Japanese.
    answer = await post(client, f"/{demo_event}/register", FORM)
    assert answer.status_code == 303
    (confirm,) = await mails_to(database, REGISTRANT)
    assert confirm.subject.startswith("[ja] Confirm your registration: ")
    assert confirm.body.startswith("[ja] Please confirm your registration for ")
    # Signed in (the address proven), the registration is confirmed at once, and so is the mail.
    async with browsers() as signed_in:
        await signed_in_as(signed_in, database, "kenji@example.org")
        answer = await post(signed_in, f"/{demo_event}/register", {**FORM, "name": "Kenji Mori"})
        assert answer.status_code == 303

    (confirmed,) = await mails_to(database, "kenji@example.org")
    assert confirmed.subject.startswith("[ja] Registration confirmed: ")
    assert confirmed.body.startswith("[ja] You are registered for ")
    assert (await language_of(database, REGISTRANT), await language_of(database, "kenji@example.org")) == ("ja", "ja")


async def test_a_sign_in_link_asked_for_in_korean_comes_in_korean(
    client: httpx.AsyncClient, database: Database, demo_event: str
) -> None:
    async with database.session() as db:  # the account chose Arabic once; the page asking now is Korean
        db.add(Account(email="minjun@example.org", name="Minjun", language="ar"))
        await db.commit()

    await client.post(
        "/signin",
        data={"email": "minjun@example.org", "csrf_token": await csrf(client)},
        headers={"accept-language": "ko-KR,ko;q=0.9"},
    )
    await client.post(
        "/signin",
        data={"email": "new.visitor@example.org", "csrf_token": await csrf(client)},
        headers={"accept-language": "ko-KR,ko;q=0.9"},
    )

    assert [mail.subject for mail in await mails_to(database, "minjun@example.org")] == [
        "[ko] Your Podium sign-in link"
    ]
    assert [mail.subject for mail in await mails_to(database, "new.visitor@example.org")] == [
        "[ko] Your Podium sign-in link"
    ]


async def test_the_language_switch_is_remembered_on_a_signed_in_account_only(
    client: httpx.AsyncClient, database: Database, cast: Cast
) -> None:
    slug = cast.event.slug
    anonymous = await client.get(f"/{slug}/", params={"lang": "ko"})
    assert anonymous.status_code == 200

    await signed_in_as(client, database, cast.onsite[0])
    switched = await client.get(f"/{slug}/", params={"lang": "ar"})
    refused = await client.get(f"/{slug}/", params={"lang": "xx"})

    assert (switched.status_code, refused.status_code) == (200, 400)
    assert await language_of(database, cast.onsite[0]) == "ar"
    assert await language_of(database, cast.onsite[1]) == ""


async def test_a_message_to_two_people_reaches_each_in_their_language(
    client: httpx.AsyncClient, database: Database, cast: Cast, browsers: ClientMaker
) -> None:
    slug = cast.event.slug
    japanese, arabic = cast.online  # the "online" segment: these two exactly
    async with browsers() as theirs:  # one picks Japanese on the switch, signed in
        await signed_in_as(theirs, database, japanese)
        assert (await theirs.get(f"/{slug}/", params={"lang": "ja"})).status_code == 200
    async with database.session() as db:  # the other registered in Arabic
        account = (await db.exec(select(Account).where(Account.email == arabic))).one()
        account.language = "ar"
        db.add(account)
        await db.commit()
    await signed_in_as(client, database, "organiser@example.org")
    form = await client.get(f"/{slug}/organiser/messages/new")
    form_key = form.text.split('name="form_key" value="', 1)[1].split('"', 1)[0]

    sent = await post(
        client,
        f"/{slug}/organiser/messages/new",
        {
            "segment": "online",
            "subject": "Stream link",
            "body": "The stream opens at nine.",
            "form_key": form_key,
            "action": "send",
        },
    )

    assert sent.status_code == 303
    (to_japanese,), (to_arabic,) = await mails_to(database, japanese), await mails_to(database, arabic)
    # The organiser's words as written (no version in these languages); the footer in each reader's language.
    assert to_japanese.body.startswith("The stream opens at nine.")
    assert "[ja] " in to_japanese.body and "[ar] " not in to_japanese.body
    assert "2021年10月" in to_japanese.body  # the event's dates as Japanese write them
    assert "[ar] " in to_arabic.body and "[ja] " not in to_arabic.body
    assert "أكتوبر" in to_arabic.body  # October, in Arabic


async def test_a_staff_invitation_goes_in_the_invitees_language_else_the_events(
    client: httpx.AsyncClient, database: Database, cast: Cast
) -> None:
    slug = cast.event.slug
    async with database.session() as db:
        db.add(Account(email="jiwoo@example.org", name="Jiwoo", language="ko"))
        await db.commit()
    await signed_in_as(client, database, "organiser@example.org")
    client.headers["accept-language"] = "zh-CN"  # the organiser reads Chinese: nobody invited asked for it

    for address in ("jiwoo@example.org", "stranger@example.org"):
        invited = await post(client, f"/{slug}/organiser/staff", {"email": address, "role": "checkin"})
        assert invited.status_code == 303

    (to_korean,), (to_stranger,) = (
        await mails_to(database, "jiwoo@example.org"),
        await mails_to(database, "stranger@example.org"),
    )
    assert to_korean.subject.startswith("[ko] Invitation: ")
    assert to_stranger.subject.startswith("Invitation: ")  # the event's first language, English
