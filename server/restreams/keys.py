"""Stream keys at rest: encrypted with a key derived from the secret key (HKDF-SHA256 into Fernet: AES-128-CBC
with HMAC-SHA256), shown only masked (``••••abcd``). A key never appears in a page, a log or an audit entry."""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MASK = "••••"
SHOWN = 4  # last characters of a key shown to tell keys apart
PURPOSE = b"podium restream stream keys v1"


class UnreadableKey(Exception):
    """The stored key cannot be decrypted: the secret key changed since it was saved."""


@functools.lru_cache(maxsize=8)
def _fernet(secret: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(secret.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_key(secret: str, key: str) -> str:
    return _fernet(secret).encrypt(key.encode("utf-8")).decode("ascii")


def decrypt_key(secret: str, encrypted: str) -> str:
    try:
        return _fernet(secret).decrypt(encrypted.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        raise UnreadableKey("the stream key cannot be decrypted with this secret key") from None


def masked(key: str) -> str:
    """``••••abcd``: the last four characters of a key of twelve or more, nothing of a shorter one."""
    return MASK + key[-SHOWN:] if len(key) >= 3 * SHOWN else MASK


def masked_key(secret: str, encrypted: str) -> str:
    try:
        return masked(decrypt_key(secret, encrypted))
    except UnreadableKey:
        return MASK
