"""Gallery images: an upload is decoded to prove it is a JPEG, PNG or WebP image (whatever its name says), turned
upright, and stored as re-encoded JPEGs in a few widths for phones and screens, with no metadata left (EXIF,
GPS positions, camera serials). A decompression bomb or a truncated file is refused before anything is written."""

from __future__ import annotations

import io
import re
import secrets
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from server.errors import InvalidInput
from server.i18n import gettext as _

MAX_IMAGE_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a small file may still decode to a huge image: refused before decoding
WIDTHS = (480, 960, 1600)  # phone, tablet or laptop, large screen
FORMATS = {"JPEG", "PNG", "WEBP"}
STORED = re.compile(r"[0-9a-f]{32}")


def images_dir(media_dir: Path) -> Path:
    return media_dir / "exhibitions"


def image_path(media_dir: Path, stored: str, width: int) -> Path:
    return images_dir(media_dir) / f"{stored}-{width}.jpg"


def _decoded(data: bytes, name: str) -> Image.Image:
    refused = _("%(name)s is not an image in JPEG, PNG or WebP format.") % {"name": name}
    too_large = _("%(name)s has too many pixels; please send a smaller image.") % {"name": name}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise InvalidInput(refused)
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput(too_large)
            image.load()  # decodes every byte: a truncated or forged file fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(too_large) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Warning):
        raise InvalidInput(refused) from None
    return image


def checked_image(data: bytes, name: str) -> Image.Image:
    """The upright, metadata-free RGB image of an upload; InvalidInput (with the file's name) otherwise."""
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidInput(
            _("%(name)s is larger than %(size)d MB.") % {"name": name, "size": MAX_IMAGE_BYTES // (1024 * 1024)}
        )
    image = ImageOps.exif_transpose(_decoded(data, name))  # upright before the orientation tag is dropped
    return image.convert("RGB")  # a fresh image: no EXIF, XMP, ICC or text chunks come along


def stored_widths(width: int) -> list[int]:
    """The widths kept of an image ``width`` pixels wide: never enlarged; a small image is kept as it is."""
    kept = [w for w in WIDTHS if w < width]
    largest = min(width, WIDTHS[-1])
    return kept if largest in kept else [*kept, largest]


def store_image(image: Image.Image, *, media_dir: Path) -> tuple[str, list[int], int, int]:
    """Writes the image in its widths; returns (stored name, widths, largest width, its height)."""
    stored = secrets.token_hex(16)
    folder = images_dir(media_dir)
    folder.mkdir(parents=True, exist_ok=True)
    widths = stored_widths(image.width)
    written: list[Path] = []
    size = (image.width, image.height)
    try:
        for width in widths:
            height = max(1, round(image.height * width / image.width))
            copy = image.resize((width, height), Image.Resampling.LANCZOS) if width != image.width else image
            path = image_path(media_dir, stored, width)
            copy.save(path, "JPEG", quality=82, optimize=True, progressive=True)
            written.append(path)
            size = (width, height)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return stored, widths, size[0], size[1]


def discard_image(stored: str, widths: list[int], *, media_dir: Path) -> None:
    for width in widths:
        image_path(media_dir, stored, width).unlink(missing_ok=True)
