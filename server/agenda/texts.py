"""Programme texts in the event's other languages: which fields have them, and checking what organisers give.

A table's own columns hold the event's default language (the first of ``Event.language_list``); the others'
values live in its ``translations`` column as {language: {field: text}}, read through ``server.i18n.localised``.
A language the event does not offer is refused; empty values are dropped, so a missing one falls back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from server.errors import InvalidInput
from server.events.models import Event
from server.i18n import gettext as _
from server.text import storable

# The translatable fields of each kind of thing, with their longest length (None: no limit beyond the body's).
SESSION_FIELDS: dict[str, int | None] = {"title": 300, "abstract": 20_000}
ROOM_FIELDS: dict[str, int | None] = {"name": 200, "description": 20_000}
TRACK_FIELDS: dict[str, int | None] = {"name": 200}
KIND_FIELDS: dict[str, int | None] = {"name": 200}
EVENT_FIELDS: dict[str, int | None] = {"title": 300, "description": 20_000, "venue": 300}


def other_languages(event: Event | Sequence[str]) -> list[str]:
    """The event's languages that take translations: all but its default (the first)."""
    return (event.language_list if isinstance(event, Event) else list(event))[1:]


def checked_text(field: str, language: str, text: Any, limit: int | None) -> str:
    """One translated text, stripped: text that can be stored and not longer than ``limit``; InvalidInput
    otherwise (the API, the event file and the forms give the same messages)."""
    if not isinstance(text, str):
        raise InvalidInput(_("The translation of '%(field)s' must be text.") % {"field": field})
    text = text.strip()
    if not storable(text):
        raise InvalidInput(
            _("The translation of '%(field)s' contains characters that cannot be stored.") % {"field": field}
        )
    if limit is not None and len(text) > limit:
        raise InvalidInput(
            _("The translation of '%(field)s' into '%(language)s' is longer than %(limit)s characters.")
            % {"field": field, "language": language, "limit": limit}
        )
    return text


def clean_translations(
    event: Event | Sequence[str], given: Any, fields: Mapping[str, int | None]
) -> dict[str, dict[str, str]]:
    """``given`` ({language: {field: text}}, from a form, the API or a file) checked: only the event's other
    languages and the named fields, text that can be stored and not too long; blanks dropped."""
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise InvalidInput(_("Translations must be an object of languages, each an object of texts."))
    languages = event.language_list if isinstance(event, Event) else list(event)
    offered = languages[1:]
    cleaned: dict[str, dict[str, str]] = {}
    for language, texts in given.items():
        if language not in offered:
            if language == (languages or [""])[0]:
                raise InvalidInput(
                    _("'%(language)s' is the event's default language: its texts go in the main fields.")
                    % {"language": str(language)[:20]}
                )
            raise InvalidInput(
                _("The event does not offer the language '%(language)s'; its languages are %(languages)s.")
                % {"language": str(language)[:20], "languages": ", ".join(languages)}
            )
        if not isinstance(texts, Mapping):
            raise InvalidInput(
                _("The translations into '%(language)s' must be an object of texts.") % {"language": language}
            )
        kept: dict[str, str] = {}
        for field, text in texts.items():
            if field not in fields:
                raise InvalidInput(_("'%(field)s' has no translations.") % {"field": str(field)[:40]})
            text = checked_text(field, language, text, fields[field])
            if text:
                kept[field] = text
        if kept:
            cleaned[language] = kept
    return cleaned


def form_translations(
    form: Mapping[str, Any], event: Event | Sequence[str], fields: Mapping[str, int | None]
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Translations from form fields named ``{field}__{language}`` (e.g. ``title__ja``) for the event's other
    languages, and the message for each such field that was refused, by its name."""
    errors: dict[str, str] = {}
    kept = read_form_translations(form, other_languages(event), fields, errors)
    return kept, errors


def form_field_name(field: str, language: str) -> str:
    """The form field of ``field`` in ``language`` (``title__ja``)."""
    return f"{field}__{language}"


def read_form_translations(
    form: Mapping[str, Any], languages: list[str], fields: Mapping[str, int | None], errors: dict[str, str]
) -> dict[str, dict[str, str]]:
    """The translations typed into a form (``{field}__{language}`` for each of ``languages``), checked by
    ``checked_text``: each refused one gets its message in ``errors`` under its own name; blanks are dropped."""
    cleaned: dict[str, dict[str, str]] = {}
    for language in languages:
        for field, limit in fields.items():
            name = form_field_name(field, language)
            raw = form.get(name, "")
            try:
                text = checked_text(field, language, str(raw).replace("\r\n", "\n"), limit)
            except InvalidInput as refusal:
                errors[name] = refusal.message
                continue
            if text:
                cleaned.setdefault(language, {})[field] = text
    return cleaned


def translation_form_values(translations: Mapping[str, Mapping[str, str]] | None) -> dict[str, str]:
    """A row's translations as its form shows them: ``{"title__ja": ...}``."""
    return {
        form_field_name(field, language): text
        for language, texts in (translations or {}).items()
        for field, text in texts.items()
    }
