"""Web Push by hand (server/reminders/webpush.py): RFC 8291's own example message, byte for byte, and a VAPID
header whose signature checks out with the public key it names."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from server.reminders.webpush import VapidKey, b64url, encrypt, unb64url
from tests.support.push_service import verified_vapid

pytestmark = pytest.mark.unit

# RFC 8291, Section 5: the application server's key pair, the browser's public key and secret, the salt.
SENDER = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
BROWSER_PUBLIC = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
AUTH_SECRET = "BTBZMqHH6r4Tts7J_aSIgg"
SALT = "DGv6ra1nlYgDCS1FRnbzlw"
MESSAGE = (
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru"
    "3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
)


def test_encrypt_gives_the_rfc_8291_example_message():
    sender = VapidKey.from_text(SENDER).private  # any P-256 private value: here the RFC's

    body = encrypt(
        b"When I grow up, I want to be a watermelon",
        p256dh=BROWSER_PUBLIC,
        auth=AUTH_SECRET,
        salt=unb64url(SALT),
        sender=sender,
    )

    assert b64url(body) == MESSAGE


@pytest.mark.parametrize(
    ("p256dh", "auth"),
    [("BA" + "A" * 85, AUTH_SECRET), (BROWSER_PUBLIC, "c2hvcnQ"), ("not base64!", AUTH_SECRET)],
    ids=["not on the curve", "short secret", "not base64url"],
)
def test_encrypt_refuses_keys_that_are_not_a_browsers(p256dh, auth):
    with pytest.raises(ValueError):
        encrypt(b"hello", p256dh=p256dh, auth=auth)


def test_vapid_header_is_signed_for_the_push_services_origin():
    key = VapidKey.generate()

    claims, named = verified_vapid(
        key.authorization("https://push.example.org/send/abc", subject="mailto:podium@example.org", now=1_000_000)
    )

    assert claims == {
        "aud": "https://push.example.org",
        "exp": 1_000_000 + 12 * 3600,
        "sub": "mailto:podium@example.org",
    }
    assert named == key.public_key
    assert VapidKey.from_text(key.to_text()).public_key == key.public_key


def test_vapid_public_key_is_an_uncompressed_p256_point():
    raw = unb64url(VapidKey.generate().public_key)

    assert (len(raw), raw[0]) == (65, 4)
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
