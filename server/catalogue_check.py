"""Are the interface's catalogues complete? ``make messages`` prints this after merging new strings, and a test
holds every language to it: each message translated (every plural form), with the same placeholders."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from server.i18n import LANGUAGES, LOCALE_DIR, Language

PLACEHOLDER = re.compile(r"%\([A-Za-z_]+\)[sd]|\{[A-Za-z_]*\}")


@dataclass(frozen=True)
class CatalogueReport:
    language: Language
    total: int
    missing: tuple[str, ...]  # message ids with no translation, or a plural form left empty
    broken: tuple[str, ...]  # translations whose placeholders differ from the English

    @property
    def complete(self) -> bool:
        return not self.missing and not self.broken


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def _check(message: Message) -> tuple[bool, bool]:
    """(missing, broken) for one message of a catalogue."""
    ids = [str(text) for text in (message.id if isinstance(message.id, (tuple, list)) else (message.id,))]
    strings = [
        str(text or "") for text in (message.string if isinstance(message.string, (tuple, list)) else (message.string,))
    ]
    if not all(strings):
        return True, False
    expected = _placeholders(ids[-1])
    # A language with one plural form may leave out the count ("%(count)s"), as English's singular may.
    broken = any(set(_placeholders(text)) - set(expected) for text in strings) or (
        len(ids) == 1 and _placeholders(strings[0]) != expected
    )
    return False, broken


def catalogue(language: Language) -> Catalog | None:
    path = LOCALE_DIR / language.babel / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return None
    with path.open("rb") as po_file:
        return read_po(po_file, locale=language.babel)


def report(language: Language) -> CatalogueReport:
    found = catalogue(language)
    messages = [message for message in found if message.id] if found is not None else []
    missing: list[str] = []
    broken: list[str] = []
    for message in messages:
        is_missing, is_broken = _check(message)
        key = str(message.id[0] if isinstance(message.id, (tuple, list)) else message.id)
        if is_missing:
            missing.append(key)
        elif is_broken:
            broken.append(key)
    return CatalogueReport(language, len(messages), tuple(missing), tuple(broken))


def translated_languages() -> list[Language]:
    """Every interface language but English, whose catalogue is the source itself."""
    return [language for language in LANGUAGES if language.babel != "en"]


def main() -> int:
    reports = [report(language) for language in translated_languages()]
    for found in reports:
        print(
            f"{found.language.code}: {found.total - len(found.missing)} of {found.total} translated, "
            f"{len(found.missing)} missing, {len(found.broken)} with other placeholders than the English"
        )
    return 0 if all(found.complete for found in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
