"""Where a session's HLS rendition lives: one folder per stream key, named so that it cannot be guessed.

The relay writes ``<hls dir>/<key>-<mac>/index.m3u8`` and its segments (realtime/media/hls.py); the app (or nginx,
deploy/) serves that folder under ``/hls/``. The name carries an HMAC of the key under the secret key, so only
someone handed the address (the viewer pass does, to whoever may watch) finds it, while every viewer of a session
asks for the same URLs and any HTTP cache in front can serve them all. A segment's name is never reused (a random
prefix per run of the writer), so segments are cached as immutable; the playlist changes every segment and is cached
for one second.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

PLAYLIST = "index.m3u8"
URL_PREFIX = "/hls"
PLAYLIST_CACHE = "public, max-age=1"
SEGMENT_CACHE = "public, max-age=86400, immutable"
_FOLDER = re.compile(r"^[A-Za-z0-9_]{1,64}-[0-9a-f]{16}$")
_FILE = re.compile(r"^(index\.m3u8|[0-9a-f]{8}-(init\.mp4|[0-9]{1,12}\.(ts|m4s)))$")
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
}


def hls_folder_name(secret: str, key: str) -> str:
    """``<key>-<first 16 hex digits of HMAC-SHA256(secret, key)>``: stable for a key, unguessable without the
    secret."""
    mac = hmac.new(secret.encode("utf-8"), b"hls\x1f" + key.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{key}-{mac[:16]}"


def hls_folder(hls_dir: Path, secret: str, key: str) -> Path:
    return hls_dir / hls_folder_name(secret, key)


def playlist_url(secret: str, key: str) -> str:
    """The playlist's path on the site (relative: served by the app, or nginx in front of it)."""
    return f"{URL_PREFIX}/{hls_folder_name(secret, key)}/{PLAYLIST}"


def served_file(hls_dir: Path, folder: str, name: str) -> Path | None:
    """The file behind ``/hls/<folder>/<name>`` if the names are ones the relay writes and it exists, else None."""
    if not _FOLDER.match(folder) or not _FILE.match(name):
        return None
    path = hls_dir / folder / name
    return path if path.is_file() else None


def cache_control(name: str) -> str:
    return PLAYLIST_CACHE if name.endswith(".m3u8") else SEGMENT_CACHE


def content_type(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")
