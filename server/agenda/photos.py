"""Speakers' photos: an upload is decoded to prove it is a JPEG, PNG or WebP image, then stored as two re-encoded
JPEGs (the photo, at most 400×400, and a thumbnail) with no metadata left (GPS positions, camera serials)."""

from __future__ import annotations

import io
import secrets
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from server.errors import InvalidInput
from server.i18n import gettext as _

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a small file may still decode to a huge image: refuse it before decoding
PHOTO_SIZE = (400, 400)
THUMBNAIL_SIZE = (96, 96)
FORMATS = {"JPEG", "PNG", "WEBP"}
SIZES = {"photo": "", "thumbnail": "-thumb"}


def photos_dir(media_dir: Path) -> Path:
    return media_dir / "photos"


def photo_path(media_dir: Path, stored: str, size: str) -> Path:
    """Where the photo ``stored`` lives in the size ``size`` ("photo" or "thumbnail")."""
    return photos_dir(media_dir) / f"{stored}{SIZES[size]}.jpg"


def _decoded(data: bytes) -> Image.Image:
    refused = _("Please choose a photo in JPEG, PNG or WebP format.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise InvalidInput(refused)
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput(_("This photo has too many pixels; please send a smaller one."))
            image.load()  # decodes every byte: a truncated or forged file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning):
        raise InvalidInput(refused) from None
    return image


def store_photo(data: bytes, *, media_dir: Path) -> str:
    """Checks and stores one uploaded photo; returns its stored name. InvalidInput leaves nothing behind."""
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput(_("This photo is larger than %(size)d MB.") % {"size": MAX_PHOTO_BYTES // (1024 * 1024)})
    image = ImageOps.exif_transpose(_decoded(data))  # turn it upright before the orientation tag is dropped
    image = image.convert("RGB")  # a fresh image: no EXIF, XMP, ICC or text chunks come along
    stored = secrets.token_hex(16)
    folder = photos_dir(media_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for size, box in (("photo", PHOTO_SIZE), ("thumbnail", THUMBNAIL_SIZE)):
            copy = image.copy()
            copy.thumbnail(box)
            path = photo_path(media_dir, stored, size)
            copy.save(path, "JPEG", quality=85, optimize=True)
            written.append(path)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return stored


def discard_photo(stored: str, *, media_dir: Path) -> None:
    if stored:
        for size in SIZES:
            photo_path(media_dir, stored, size).unlink(missing_ok=True)
