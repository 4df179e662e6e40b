"""Signing in by emailed link, sessions and signing out, CSRF, and bad input over HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import col, select, update

from server.accounts.admin import grant_admin
from server.accounts.models import Account, AuthSession, SignInLink
from server.accounts.services import (
    LINKS_PER_EMAIL_PER_HOUR,
    LINKS_PER_IP_PER_10_MINUTES,
    create_sign_in_link,
)
from server.accounts.tokens import token_hash
from server.errors import Forbidden
from server.mail.models import OutboxMail
from server.registration.models import Registration
from server.registration.services import use_sign_in_link
from server.transport.auth import SESSION_COOKIE
from tests.support.factories import delegates, event_by_slug
from tests.support.html import error_message
from tests.support.http import count, csrf, last_link, post, sign_in, signed_in_as

pytestmark = pytest.mark.integration
EMAIL = "amara@example.org"


async def test_signin_link_works_once(client, database, browsers):
    asked = await post(client, "/signin", {"email": " Amara@Example.org ", "next": "/account"})
    assert (asked.status_code, asked.headers["location"]) == (303, "/signin/sent")
    link = await last_link(database, EMAIL)

    # Opening the link (as a mail scanner would) does not use it up.
    assert (await client.get(link)).status_code == 200
    assert (await client.get(link)).status_code == 200
    used = await post(client, link)

    assert (used.status_code, used.headers["location"]) == (303, "/account")
    cookie = used.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert {"HttpOnly", "SameSite=lax", "Max-Age=2592000", "Path=/"} <= {part.strip() for part in cookie.split(";")}
    account_page = await client.get("/account")
    assert account_page.status_code == 200
    assert EMAIL in account_page.text

    async with browsers() as other:
        replayed = await post(other, link)
        assert replayed.status_code == 400
        assert error_message(replayed) == "This sign-in link has expired or was already used. Please ask for a new one."
        assert SESSION_COOKIE not in other.cookies
    assert await count(database, AuthSession) == 1


async def test_signin_next_path_off_site_goes_home(client, database):
    await post(client, "/signin", {"email": EMAIL, "next": "//evil.example/steal"})
    used = await post(client, await last_link(database, EMAIL))
    assert used.headers["location"] == "/"


async def test_signin_expired_link_refused(client, database):
    await post(client, "/signin", {"email": EMAIL})
    link = await last_link(database, EMAIL)
    async with database.session() as db:
        await db.exec(update(SignInLink).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
        await db.commit()

    used = await post(client, link)

    assert used.status_code == 400
    assert "expired" in error_message(used)
    assert await count(database, AuthSession) == 0


async def test_signin_rate_limit_per_address(client, database):
    for _ in range(LINKS_PER_EMAIL_PER_HOUR):
        assert (await post(client, "/signin", {"email": EMAIL})).status_code == 303

    refused = await post(client, "/signin", {"email": EMAIL})

    assert refused.status_code == 429
    assert error_message(refused) == ("Too many sign-in links were sent to this address. Please try again in an hour.")
    assert await count(database, OutboxMail) == LINKS_PER_EMAIL_PER_HOUR


async def test_signin_rate_limit_per_ip(client, database):
    for n in range(LINKS_PER_IP_PER_10_MINUTES):
        assert (await post(client, "/signin", {"email": f"person{n}@example.org"})).status_code == 303

    refused = await post(client, "/signin", {"email": "one-more@example.org"})

    assert refused.status_code == 429
    assert error_message(refused) == "Too many sign-in requests from your network. Please try again in a few minutes."
    assert await count(database, SignInLink) == LINKS_PER_IP_PER_10_MINUTES


@pytest.mark.parametrize("email", ["", "no-at-sign", "two@@example.org", "a b@example.org", "x@" + "a" * 300 + ".org"])
async def test_signin_malformed_email_400(client, database, email):
    refused = await post(client, "/signin", {"email": email})
    assert refused.status_code == 400
    assert error_message(refused) in {"This is not a valid email address.", "Please enter your email address."}
    assert await count(database, SignInLink) == 0


async def test_session_cookie_forged_is_signed_out(client):
    client.cookies.set(SESSION_COOKIE, "forged-token-" + "x" * 30)
    answer = await client.get("/account")
    assert (answer.status_code, answer.headers["location"]) == (303, "/signin?next=%2Faccount")


async def test_session_cookie_expired_is_signed_out(client, database):
    await sign_in(client, database, EMAIL)
    async with database.session() as db:
        await db.exec(update(AuthSession).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        await db.commit()
    assert (await client.get("/account")).status_code == 303


async def test_sign_out_clears_cookie_and_ends_session(client, database, browsers):
    await sign_in(client, database, EMAIL)
    token = client.cookies[SESSION_COOKIE]

    signed_out = await post(client, "/signout")

    assert signed_out.status_code == 303
    assert SESSION_COOKIE not in client.cookies
    async with browsers() as thief:
        thief.cookies.set(SESSION_COOKIE, token)
        assert (await thief.get("/account")).status_code == 303


async def test_sign_out_everywhere_ends_other_sessions(client, database, browsers):
    async with browsers() as laptop:
        await sign_in(client, database, EMAIL)
        await sign_in(laptop, database, EMAIL)
        assert (await laptop.get("/account")).status_code == 200

        assert (await post(client, "/signout/everywhere")).status_code == 303

        assert (await laptop.get("/account")).status_code == 303
        assert (await client.get("/account")).status_code == 303
    async with database.session() as db:
        sessions = (await db.exec(select(AuthSession))).all()
    assert [session.revoked_at is not None for session in sessions] == [True, True]


async def test_disabled_account_sessions_end_at_once(client, database, demo_event, browsers):
    async with database.session() as db:
        current = await event_by_slug(db, demo_event)
        (delegate,) = await delegates(db, current, 1)
        await grant_admin(db, email="admin@example.org")
    await signed_in_as(client, database, delegate.email)
    assert (await client.get(f"/{demo_event}/registration")).status_code == 200

    async with browsers() as admin:
        await signed_in_as(admin, database, "admin@example.org")
        disabled = await post(admin, f"/admin/accounts/{delegate.id}/disable", {"q": "delegate"})
        assert (disabled.status_code, disabled.headers["location"]) == (303, "/admin/accounts?q=delegate")

        assert "signin-needed" in (await client.get(f"/{demo_event}/registration")).text
        await post(client, "/signin", {"email": delegate.email})
        refused = await post(client, await last_link(database, delegate.email))
        assert refused.status_code == 403
        assert error_message(refused) == "This account has been disabled by an administrator."

        assert (await post(admin, f"/admin/accounts/{delegate.id}/enable")).status_code == 303
    assert (await sign_in(client, database, delegate.email)).status_code == 303
    assert (await client.get(f"/{demo_event}/registration")).status_code == 200


@pytest.mark.parametrize("token", [None, "", "wrong-token-wrong-token-wrong"])
async def test_csrf_missing_or_wrong_refused_and_nothing_written(client, database, demo_event, token):
    await csrf(client)  # the browser holds a CSRF cookie; the form does not echo it
    form = {"email": EMAIL, "name": "Amara", "country": "NG", "attendance": "onsite"}
    if token is not None:
        form["csrf_token"] = token

    for path in ("/signin", f"/{demo_event}/register", "/signout/everywhere"):
        refused = await client.post(path, data=form)
        assert refused.status_code == 403, path
        assert error_message(refused) == "This form has expired. Please go back, reload the page and try again."

    for table in (SignInLink, OutboxMail, Account, Registration):
        assert await count(database, table) == 0


async def test_csrf_token_of_another_browser_refused(client, database, browsers):
    async with browsers() as other:
        foreign = await csrf(other)
    await csrf(client)
    refused = await client.post("/signin", data={"email": EMAIL, "csrf_token": foreign})
    assert refused.status_code == 403
    assert await count(database, SignInLink) == 0


GOOD = {
    "name": "Amara Okafor",
    "email": EMAIL,
    "country": "NG",
    "organisation": "National Commission for Museums",
    "job_title": "Curator",
    "attendance": "onsite",
    "language": "en",
    "accessibility_needs": "",
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "amara.example.org", "This is not a valid email address."),
        ("email", "a" * 250 + "@example.org", "This is not a valid email address."),
        ("name", "", "Please enter your name."),
        ("name", "A" * 201, "Name is too long (200 characters at most)."),
        ("organisation", "O" * 201, "Organisation is too long (200 characters at most)."),
        ("accessibility_needs", "x" * 1001, "Accessibility needs is too long (1000 characters at most)."),
        ("country", "XX", "Please choose your country from the list."),
        ("country", "Nigeria", "Please choose your country from the list."),
        ("attendance", "hybrid", "Please choose whether you attend on site or online."),
        ("language", "klingon", "Please choose a language from the list."),
    ],
)
async def test_register_bad_input_400_nothing_written(client, database, demo_event, field, value, message):
    refused = await post(client, f"/{demo_event}/register", {**GOOD, field: value})

    assert refused.status_code == 400
    assert error_message(refused) == message
    for table in (Account, Registration, SignInLink, OutboxMail):
        assert await count(database, table) == 0


async def test_register_rate_limited_writes_nothing(client, database, demo_event):
    async with database.session() as db:
        for n in range(LINKS_PER_EMAIL_PER_HOUR):
            db.add(
                SignInLink(
                    token_hash=token_hash(f"earlier-{n}"),
                    email=EMAIL,
                    expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
                )
            )
        await db.commit()

    refused = await post(client, f"/{demo_event}/register", GOOD)

    assert refused.status_code == 429
    assert await count(database, Account) == 0
    assert await count(database, Registration) == 0
    async with database.session() as db:
        assert (await db.exec(select(SignInLink).where(col(SignInLink.email) != EMAIL))).all() == []


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_a_refused_sign_in_of_a_disabled_account_changes_nothing(database):
    async with database.session() as db:
        db.add(Account(email="disabled@example.org", name="Disabled", disabled=True))
        token = await create_sign_in_link(db, email="disabled@example.org", requester_ip="192.0.2.1")
        await db.commit()

    async with database.session() as db:
        with pytest.raises(Forbidden):
            await use_sign_in_link(db, token=token)
    async with database.session() as db:
        link = (await db.exec(select(SignInLink).where(SignInLink.token_hash == token_hash(token)))).one()
        sessions = (await db.exec(select(AuthSession))).all()

    assert link.used_at is None
    assert sessions == []
