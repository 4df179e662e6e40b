"""Web Push for reminders, against a push service on this machine that checks the VAPID signature and decrypts
each message with the browser's private key: real crypto over real HTTP. A push service's 410 deletes the
subscription; bad subscriptions are refused with a reason; an account keeps at most ten browsers."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import col, select

from server.errors import InvalidInput
from server.reminders.models import PushSubscription
from server.reminders.services import MAX_PUSH_SUBSCRIPTIONS, checked_endpoint
from tests.support.html import page
from tests.support.http import as_person, post
from tests.support.ports import free_port
from tests.support.push_service import PushService
from tests.support.reminders import SITE, remind, scheduler

pytestmark = pytest.mark.integration
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
async def push_service():
    service = PushService(free_port())
    await service.start()
    yield service
    await service.stop()


async def endpoints(database) -> list[str]:
    async with database.session() as db:
        rows = await db.exec(select(PushSubscription.endpoint).order_by(col(PushSubscription.id)))
        return list(rows.all())


@BOTH_BACKENDS
async def test_reminder_arrives_encrypted_and_signed_at_the_browsers_push_service(
    client, database, picked, push_service
):
    slug, code = picked.event.slug, picked.session.code
    phone = push_service.browser("phone")
    as_person(client, picked.delegate)
    await remind(database, picked, minutes=5, by_mail=False, by_push=True)
    reminder_page = await client.get(f"/{slug}/sessions/{code}/reminder")
    site_key = page(reminder_page).xpath("//section[contains(@class, 'push-setup')]/@data-key")[0]

    subscribed = await post(client, f"/{slug}/push/subscriptions", phone.fields())
    sent = await scheduler(database).tick(now=picked.session.start - dt.timedelta(minutes=5))

    assert (subscribed.status_code, subscribed.json()) == (200, {"subscribed": True})
    assert (len(sent.mails), sent.pushes, sent.gone) == (1, 1, 0)
    (delivered,) = push_service.delivered
    assert delivered.message == {
        "title": picked.session.title,
        "body": delivered.message["body"],
        "url": f"{SITE}/{slug}/sessions/{code}",
        "tag": f"podium-reminder-{picked.session.id}",
    }
    assert delivered.message["body"].startswith("Starts at ")
    assert delivered.key == site_key
    assert (delivered.claims["aud"], delivered.claims["sub"]) == (push_service.origin, "mailto:podium@example.org")
    assert 0 < delivered.claims["exp"] - dt.datetime.now(dt.UTC).timestamp() <= 24 * 3600
    assert delivered.headers["Content-Encoding"] == "aes128gcm"
    assert delivered.headers["TTL"] == "300"


@BOTH_BACKENDS
async def test_push_service_saying_gone_deletes_that_subscription_only(client, database, picked, push_service):
    slug = picked.event.slug
    kept, gone = push_service.browser("laptop"), push_service.browser("old-phone", answer=410)
    as_person(client, picked.delegate)
    for browser in (kept, gone):
        assert (await post(client, f"/{slug}/push/subscriptions", browser.fields())).status_code == 200
    await remind(database, picked, minutes=15, by_mail=False, by_push=True)

    sent = await scheduler(database).tick(now=picked.session.start - dt.timedelta(minutes=10))

    assert (sent.pushes, sent.gone) == (1, 1)
    assert [each.path for each in push_service.delivered] == ["/push/laptop"]
    assert await endpoints(database) == [kept.endpoint]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"endpoint": "javascript:alert(1)"}, "This browser's notification address is not one Podium can use."),
        (
            {"endpoint": "http://127.0.0.1/" + "x" * 1000},
            "This browser's notification address is not one Podium can use.",
        ),
        ({"p256dh": "bm90IGEga2V5"}, "This browser's notification keys are not ones Podium can use."),
        (
            {"p256dh": "BA" + "A" * 85},
            "This browser's notification keys are not ones Podium can use.",
        ),  # not on the curve
        ({"auth": "c2hvcnQ"}, "This browser's notification keys are not ones Podium can use."),
        ({"auth": "not base64!"}, "This browser's notification keys are not ones Podium can use."),
    ],
)
async def test_bad_subscription_is_refused_with_a_reason_and_nothing_stored(
    client, database, picked, push_service, change, reason
):
    as_person(client, picked.delegate)

    refused = await post(
        client, f"/{picked.event.slug}/push/subscriptions", push_service.browser("x").fields() | change
    )

    assert (refused.status_code, refused.json()) == (400, {"error": reason})
    assert await endpoints(database) == []


async def test_subscription_needs_a_signed_in_account(client, database, picked, push_service):
    as_person(client, None)

    refused = await post(client, f"/{picked.event.slug}/push/subscriptions", push_service.browser("x").fields())

    assert refused.status_code == 404
    assert await endpoints(database) == []


async def test_eleventh_browser_pushes_out_the_oldest_and_unsubscribing_removes_one(
    client, database, picked, push_service
):
    slug = picked.event.slug
    as_person(client, picked.delegate)
    browsers = [push_service.browser(f"b{n}") for n in range(MAX_PUSH_SUBSCRIPTIONS + 1)]
    for browser in browsers:
        assert (await post(client, f"/{slug}/push/subscriptions", browser.fields())).status_code == 200

    after_eleven = await endpoints(database)
    left = await post(client, f"/{slug}/push/subscriptions/delete", {"endpoint": browsers[5].endpoint})

    assert after_eleven == [browser.endpoint for browser in browsers[1:]]
    assert (left.status_code, left.json()) == (200, {"subscribed": False})
    assert await endpoints(database) == [b.endpoint for b in browsers[1:] if b is not browsers[5]]


async def test_sites_vapid_key_is_made_once_and_kept(client, database, picked):
    as_person(client, picked.delegate)
    path = f"/{picked.event.slug}/sessions/{picked.session.code}/reminder"

    keys = [
        page(await client.get(path)).xpath("//section[contains(@class, 'push-setup')]/@data-key")[0] for _ in range(2)
    ]

    assert keys[0] == keys[1] and len(keys[0]) == 87  # a P-256 public key, base64url


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://push.example.org/a",  # push services speak https
        "https://127.0.0.1/a",
        "https://10.1.2.3/a",
        "https://[::1]/a",
        "https://localhost/a",
        "https://[not-an-address/a",
        "https://push.example.org:port/a",
    ],
)
def test_production_takes_only_public_https_push_services(endpoint):
    with pytest.raises(InvalidInput) as refused:
        checked_endpoint(endpoint, allow_http=False)

    assert refused.value.message == "This browser's notification address is not one Podium can use."


def test_production_takes_a_browsers_real_push_service():
    endpoint = "https://push.example.org/send/abc:def"

    assert checked_endpoint(endpoint, allow_http=False) == endpoint
