"""What an organiser types into the event form, checked field by field: every problem is named next to its field,
and nothing is written until all of them are gone. The logo is checked here too (its bytes, not its name)."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import available_timezones

from babel.numbers import format_decimal

from server import i18n
from server.agenda.texts import EVENT_FIELDS as EVENT_TEXTS
from server.agenda.texts import form_translations
from server.errors import InvalidInput
from server.i18n import gettext as _
from server.organising.colours import AA_TEXT, WHITE, contrast
from server.text import storable
from server.years import YEARS

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# The site's own first path segments: an event called so would hide the page (or be hidden by it).
RESERVED_SLUGS = frozenset(
    {
        "api",
        "account",
        "admin",
        "events",
        "signin",
        "signout",
        "static",
        "styleguide",
        "media",
        "metrics",
        "health",
        "whip",
        "whep",
        "j",
    }
)
ATTENDANCE_MODES = ("on-site", "online", "hybrid")
MAX_DAYS = 31  # a conference, not a season: the agenda shows one column of rooms per day
MAX_DESCRIPTION = 20_000
MAX_LOGO_BYTES = 512 * 1024
MAX_BANNER_BYTES = 1024 * 1024
# The languages sessions may be held in (BCP 47): the United Nations' six and the region's most spoken.
LANGUAGE_CODES = (
    "en", "fr", "es", "ar", "ru", "zh", "zh-Hans", "zh-Hant", "ja", "ko", "hi", "bn", "ur", "fa", "id", "ms", "th",
    "vi", "tl", "km", "lo", "my", "ne", "si", "ta", "mn", "kk", "uz", "tr", "de", "pt", "it", "nl", "sw",
)  # fmt: skip
LIMITS = {"title": 300, "acronym": 40, "slug": 64, "venue": 300, "address": 500, "contact_email": 254}


class FieldErrors(InvalidInput):
    """The form's problems, one message per field name (``__all__`` for the form as a whole)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(_("Please correct the fields marked below."))
        self.errors = dict(errors)


@dataclass(frozen=True, slots=True)
class EventFields:
    """An event's own fields as an organiser sets them (the programme is edited elsewhere)."""

    title: str
    acronym: str
    start_date: dt.date
    end_date: dt.date
    timezone: str
    venue: str
    address: str
    attendance: str
    languages: tuple[str, ...]
    description: str
    primary_color: str
    secondary_color: str
    contact_email: str
    # Title, description and venue in the event's other languages (server/agenda/texts.py).
    translations: dict[str, dict[str, str]] = field(default_factory=dict)

    def values(self) -> dict[str, object]:
        """As the Event's columns hold them."""
        return {
            **{name: getattr(self, name) for name in self.__slots__ if name != "languages"},
            "languages": ",".join(self.languages),
        }


@dataclass(frozen=True, slots=True)
class Logo:
    content_type: str
    data: bytes


@functools.cache
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def suggested_slug(title: str) -> str:
    """A slug from a name: "Asian Dialogue 2027" gives "asian-dialogue-2027" (empty when nothing is left)."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:64].strip("-")


def _text(raw: Mapping[str, str], name: str, errors: dict[str, str], *, limit: int, required: bool = False) -> str:
    value = raw.get(name, "").strip()
    if not storable(value):
        errors[name] = _("This field contains characters Podium cannot accept, such as a NUL byte.")
    elif len(value) > limit:
        errors[name] = _("Please use at most %(limit)s characters (this has %(count)s).") % {
            "limit": limit,
            "count": len(value),
        }
    elif required and not value:
        errors[name] = _("Please fill this in.")
    return value


def _date(raw: Mapping[str, str], name: str, errors: dict[str, str]) -> dt.date | None:
    value = raw.get(name, "").strip()
    try:
        day = dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None or day.year not in YEARS:
        errors[name] = _("Please give a date like 2027-05-21.")
        return None
    return day


def check_slug(value: str, errors: dict[str, str]) -> str:
    slug = value.strip()
    if not storable(slug) or not SLUG.fullmatch(slug):
        errors["slug"] = _(
            "Use 1 to 64 lower-case letters, digits and hyphens, starting and ending with a letter or digit."
        )
    elif slug in RESERVED_SLUGS:
        errors["slug"] = _("'%(slug)s' is one of Podium's own addresses; please choose another.") % {"slug": slug}
    return slug


def check_dates(raw: Mapping[str, str], errors: dict[str, str]) -> tuple[dt.date, dt.date]:
    start = _date(raw, "start_date", errors)
    end = _date(raw, "end_date", errors)
    if start is not None and end is not None:
        if end < start:
            errors["end_date"] = _("The event cannot end before it starts.")
        elif (end - start).days >= MAX_DAYS:
            errors["end_date"] = _("An event lasts at most %(days)s days.") % {"days": MAX_DAYS}
    fallback = dt.date(2000, 1, 1)
    return start or fallback, end or fallback


def parse_event_fields(raw: Mapping[str, str], languages: Sequence[str]) -> EventFields:
    """The form's fields, or FieldErrors naming every problem at once."""
    errors: dict[str, str] = {}
    title = _text(raw, "title", errors, limit=LIMITS["title"], required=True)
    acronym = _text(raw, "acronym", errors, limit=LIMITS["acronym"])
    start, end = check_dates(raw, errors)
    zone = raw.get("timezone", "").strip()
    if zone not in time_zones():
        errors["timezone"] = _("Please choose a time zone by its IANA name, such as Asia/Bangkok.")
    venue = _text(raw, "venue", errors, limit=LIMITS["venue"])
    address = _text(raw, "address", errors, limit=LIMITS["address"])
    attendance = raw.get("attendance", "")
    if attendance not in ATTENDANCE_MODES:
        errors["attendance"] = _("Please choose on-site only, online only or hybrid.")
    chosen = tuple(code for code in LANGUAGE_CODES if code in set(languages))
    if not chosen or len(chosen) != len(set(languages)):
        errors["languages"] = _("Please choose at least one language from the list.")
    description = _text(raw, "description", errors, limit=MAX_DESCRIPTION)
    colours = {}
    for name in ("primary_color", "secondary_color"):
        colour = raw.get(name, "").strip()
        if colour and not COLOUR.fullmatch(colour):
            errors[name] = _("Please give a colour as # and six hexadecimal digits, such as #1f6feb.")
        colours[name] = colour.lower()
    if "primary_color" not in errors and colours["primary_color"]:
        _check_contrast(colours["primary_color"], errors)
    contact = _text(raw, "contact_email", errors, limit=LIMITS["contact_email"])
    local, at, domain = contact.partition("@")
    if contact and (not (local and at and "." in domain) or any(char.isspace() for char in contact)):
        errors.setdefault("contact_email", _("Please give an email address such as secretariat@example.org."))
    translations, refused = form_translations(raw, chosen, EVENT_TEXTS)
    errors.update(refused)
    if errors:
        raise FieldErrors(errors)
    return EventFields(
        title=title,
        acronym=acronym,
        start_date=start,
        end_date=end,
        timezone=zone,
        venue=venue,
        address=address,
        attendance=attendance,
        languages=chosen,
        description=description,
        primary_color=colours["primary_color"],
        secondary_color=colours["secondary_color"],
        contact_email=contact.lower(),
        translations=translations,
    )


def _ratio(value: float) -> str:
    """A contrast ratio as people read it, cut (not rounded) to two decimals: 4.499 never shows as 4.5."""
    return format_decimal(int(value * 100) / 100, format="0.0#", locale=i18n.current_locale())


def _check_contrast(colour: str, errors: dict[str, str]) -> None:
    """The main colour is text on white (links) and carries white text (buttons): WCAG AA asks 4.5:1 of both."""
    ratio = contrast(colour, WHITE)
    if ratio < AA_TEXT:
        errors["primary_color"] = _(
            "This colour has a contrast of %(ratio)s:1 with white; links in it and white text on its buttons need "
            "at least %(needed)s:1 to be readable (WCAG AA). Please choose a darker colour."
        ) % {"ratio": _ratio(ratio), "needed": _ratio(AA_TEXT)}


def _png(data: bytes) -> bool:
    return data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"


def _jpeg(data: bytes) -> bool:
    return data.startswith(b"\xff\xd8\xff")


def _webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP" and data[12:15] == b"VP8"


IMAGE_KINDS = (("image/png", _png), ("image/jpeg", _jpeg), ("image/webp", _webp))


def _image(data: bytes) -> Logo | None:
    """A PNG, JPEG or WebP image known by its bytes (never by its name or the type the browser claims)."""
    for content_type, looks_like in IMAGE_KINDS:
        if looks_like(data):
            return Logo(content_type=content_type, data=data)
    return None


def check_logo(data: bytes) -> Logo:
    """A PNG, JPEG or WebP image of at most MAX_LOGO_BYTES. SVG is refused: it may carry scripts and links, and
    no sanitiser is trusted here."""
    if len(data) > MAX_LOGO_BYTES:
        raise FieldErrors(
            {"logo": _("The logo may be at most %(size)s KB; this file is larger.") % {"size": MAX_LOGO_BYTES // 1024}}
        )
    image = _image(data)
    if image is None:
        raise FieldErrors({"logo": _("The logo must be a PNG, JPEG or WebP image (SVG is not accepted).")})
    return image


def check_banner(data: bytes) -> Logo:
    """The banner: checked as the logo is, with room for a wide photograph."""
    if len(data) > MAX_BANNER_BYTES:
        raise FieldErrors(
            {
                "banner": _("The banner may be at most %(size)s KB; this file is larger.")
                % {"size": MAX_BANNER_BYTES // 1024}
            }
        )
    image = _image(data)
    if image is None:
        raise FieldErrors({"banner": _("The banner must be a PNG, JPEG or WebP image (SVG is not accepted).")})
    return image
