"""Which interface language a browser's Accept-Language header and a ``?lang=`` tag choose (server/i18n.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from server import formats, i18n


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("ja-JP", "ja"),
        ("ko-KR", "ko"),
        ("id-ID", "id"),
        ("in", "id"),  # Indonesian's code before ISO 639 renamed it
        ("in-ID", "id"),
        ("ar-EG", "ar"),
        ("ar-SA", "ar"),
        ("AR_ae", "ar"),
        ("zh-Hans-CN", "zh-Hans"),
        ("zh-CN", "zh-Hans"),
        ("en-GB", "en"),
    ],
)
def test_find_language_reads_a_regional_tag_as_its_language(tag: str, expected: str) -> None:
    language = i18n.find_language(tag)

    assert language is not None
    assert language.code == expected


@pytest.mark.parametrize("tag", ["zh-TW", "zh-Hant", "fr", "arabic", "", "-", "ar-"])
def test_find_language_knows_no_other_language(tag: str) -> None:
    assert i18n.find_language(tag) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7", "ja"),
        ("ko-KR,ko;q=0.9", "ko"),
        ("id-ID,id;q=0.9,en;q=0.5", "id"),
        ("in", "id"),
        ("ar-EG,ar;q=0.9,en;q=0.8", "ar"),
        ("ar-SA", "ar"),
        ("fr-FR, de;q=0.9, ko-KR;q=0.5, en;q=0.4", "ko"),  # the best of ours, not the first of theirs
        ("en;q=0.2, ar-MA;q=0.8", "ar"),
        ("ja;q=0, ko;q=0.1", "ko"),  # q=0: "not this one"
        ("zh-TW", "zh-Hans"),  # another Chinese still reads Simplified better than English
        ("fr, de", "en"),
        ("id-ID;q=bad, ja-JP;q=0.3", "ja"),
    ],
)
def test_negotiate_chooses_the_new_languages_from_accept_language(header: str, expected: str) -> None:
    assert i18n.negotiate(header).code == expected


def test_arabic_is_the_one_right_to_left_language() -> None:
    directions = {language.code: language.direction for language in i18n.LANGUAGES}

    assert directions == {"en": "ltr", "zh-Hans": "ltr", "ja": "ltr", "ko": "ltr", "id": "ltr", "ar": "rtl"}


def test_arabic_times_and_numbers_use_the_digits_chromium_uses() -> None:
    """Babel (pages, mails) and Chromium's Intl (web/static/common/when.js) both write Arabic with Latin digits
    (CLDR's default for "ar"), so a chat line's time reads like the agenda's beside it; dates name the month."""
    moment = dt.datetime(2021, 10, 27, 9, 5, tzinfo=dt.UTC)

    assert formats.time(moment, "UTC", locale="ar") == "09:05"
    assert formats.number(12345, locale="ar") == "12,345"
    assert formats.datetime(moment, "UTC", locale="ar") == "27 أكتوبر 2021، 09:05"
