"""Web Push by hand, with ``cryptography``: a message encrypted for one browser (RFC 8291, ``aes128gcm`` of
RFC 8188) and signed for the push service with the site's VAPID key (RFC 8292)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

RECORD_SIZE = 4096
PUBLIC_KEY_BYTES = 65  # an uncompressed P-256 point
AUTH_SECRET_BYTES = 16
VAPID_LIFETIME_SECONDS = 12 * 3600  # RFC 8292 allows at most 24 hours


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Decodes base64url with or without padding; raises ValueError on anything else."""
    cleaned = text.strip()
    if not cleaned or any(
        char not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=" for char in cleaned
    ):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(cleaned.rstrip("=") + "=" * (-len(cleaned.rstrip("=")) % 4))


def public_bytes(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def browser_key(p256dh: str) -> ec.EllipticCurvePublicKey:
    """A subscription's public key; ValueError when it is not a P-256 point."""
    raw = unb64url(p256dh)
    if len(raw) != PUBLIC_KEY_BYTES:
        raise ValueError("a P-256 public key has 65 bytes")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA-256 for one block (every length here is at most 32 bytes)."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()[:length]


def encrypt(
    payload: bytes,
    *,
    p256dh: str,
    auth: str,
    salt: bytes | None = None,
    sender: ec.EllipticCurvePrivateKey | None = None,
) -> bytes:
    """The body of a push message: the ``aes128gcm`` header (salt, record size, our ephemeral public key) and one
    record holding ``payload``, readable only with the browser's private key and authentication secret. ``salt``
    and ``sender`` are random for every message; a test gives RFC 8291's to check its example."""
    receiver = browser_key(p256dh)
    auth_secret = unb64url(auth)
    if len(auth_secret) != AUTH_SECRET_BYTES:
        raise ValueError("an authentication secret has 16 bytes")
    if len(payload) > RECORD_SIZE - 17 - 86:  # one record: its tag, the delimiter and the header fit in 4096
        raise ValueError("the payload is too long for one record")
    sender = sender or ec.generate_private_key(ec.SECP256R1())
    sender_public = public_bytes(sender.public_key())
    receiver_public = public_bytes(receiver)
    shared = sender.exchange(ec.ECDH(), receiver)
    ikm = _hkdf(auth_secret, shared, b"WebPush: info\x00" + receiver_public + sender_public, 32)
    salt = salt or os.urandom(16)
    key = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = _hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    record = AESGCM(key).encrypt(nonce, payload + b"\x02", None)  # 0x02: the last (and only) record
    header = salt + struct.pack("!IB", RECORD_SIZE, len(sender_public)) + sender_public
    return header + record


@dataclass(frozen=True)
class VapidKey:
    """The site's identity towards push services."""

    private: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> VapidKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_text(cls, text: str) -> VapidKey:
        value = int.from_bytes(unb64url(text), "big")
        return cls(ec.derive_private_key(value, ec.SECP256R1()))

    def to_text(self) -> str:
        return b64url(self.private.private_numbers().private_value.to_bytes(32, "big"))

    @property
    def public_key(self) -> str:
        """What a browser's ``pushManager.subscribe`` takes as ``applicationServerKey``."""
        return b64url(public_bytes(self.private.public_key()))

    def authorization(self, endpoint: str, *, subject: str, now: float | None = None) -> str:
        """The ``Authorization`` header for a message to ``endpoint``: a JWT (ES256) for the endpoint's origin."""
        parts = urlsplit(endpoint)
        claims = {
            "aud": f"{parts.scheme}://{parts.netloc}",
            "exp": int((now or time.time()) + VAPID_LIFETIME_SECONDS),
            "sub": subject,
        }
        header = b64url(json.dumps({"typ": "JWT", "alg": "ES256"}, separators=(",", ":")).encode())
        body = b64url(json.dumps(claims, separators=(",", ":")).encode())
        signed = f"{header}.{body}".encode("ascii")
        r, s = decode_dss_signature(self.private.sign(signed, ec.ECDSA(hashes.SHA256())))
        token = f"{header}.{body}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
        return f"vapid t={token}, k={self.public_key}"
