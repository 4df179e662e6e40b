"""A push service on this machine for Web Push tests: it takes messages as a real one does (RFC 8030), checks the
sender's VAPID signature (RFC 8292) and decrypts each message with the browser's private key (RFC 8291, with the
``http_ece`` package: an implementation independent of Podium's). A browser's subscription to it is made here too."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """A browser's push subscription: its keys, as ``PushSubscription.toJSON()`` gives them to a site."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(raw)

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def fields(self) -> dict[str, str]:
        return {"endpoint": self.endpoint, "p256dh": self.p256dh, "auth": self.auth}


@dataclass
class Delivered:
    path: str
    headers: dict[str, str]
    claims: dict[str, Any]  # the VAPID token's, after its signature was checked against ``key``
    key: str  # the sender's VAPID public key (``k=``)
    message: dict[str, Any]  # the decrypted payload


def verified_vapid(authorization: str) -> tuple[dict[str, Any], str]:
    """The claims of a ``vapid t=…, k=…`` header whose ES256 signature checks out with ``k``."""
    scheme, _, rest = authorization.partition(" ")
    assert scheme == "vapid", authorization
    parts = dict(part.strip().split("=", 1) for part in rest.split(","))
    header, body, signature = parts["t"].split(".")
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, f"{header}.{body}".encode(), ec.ECDSA(hashes.SHA256()))  # raises on a bad signature
    assert json.loads(unb64url(header)) == {"typ": "JWT", "alg": "ES256"}
    return json.loads(unb64url(body)), parts["k"]


class PushService:
    """Answers each subscription's path with the status given in ``answers`` (201 by default)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.browsers: dict[str, Browser] = {}
        self.answers: dict[str, int] = {}
        self.delivered: list[Delivered] = []
        self.runner: web.AppRunner | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def browser(self, name: str, *, answer: int = 201) -> Browser:
        browser = Browser(endpoint=f"{self.origin}/push/{name}")
        self.browsers[f"/push/{name}"] = browser
        self.answers[f"/push/{name}"] = answer
        return browser

    async def receive(self, request: web.Request) -> web.Response:
        browser = self.browsers.get(request.path)
        if browser is None:
            return web.Response(status=404)
        status = self.answers[request.path]
        if status >= 400:
            return web.Response(status=status)
        claims, key = verified_vapid(request.headers["Authorization"])
        body = await request.read()
        plain = http_ece.decrypt(
            body, private_key=browser.private_key, auth_secret=browser.auth_secret, version="aes128gcm"
        )
        self.delivered.append(Delivered(request.path, dict(request.headers), claims, key, json.loads(plain)))
        return web.Response(status=status)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/push/{name}", self.receive)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
