"""Every interface language is complete: a person reading Korean or Arabic never meets an English sentence, and no
translation drops or invents a placeholder (which would show "%(name)s" or fail to format)."""

from __future__ import annotations

import pytest

from server.catalogue_check import report, translated_languages


@pytest.mark.parametrize("language", translated_languages(), ids=lambda language: language.code)
def test_catalogue_is_complete_with_the_english_placeholders(language):
    found = report(language)
    assert found.total > 1000
    assert not found.missing, f"{len(found.missing)} untranslated, e.g. {found.missing[:3]}"
    assert not found.broken, f"placeholders differ from the English in {found.broken[:5]}"
