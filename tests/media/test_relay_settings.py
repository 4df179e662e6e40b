"""A relay process reads the variables it shares with the app (PODIUM_ENV, PODIUM_SECRET_KEY,
PODIUM_DATABASE_URL, PODIUM_REDIS_URL, PODIUM_MEDIA_DIR) by the app's rules, and names every problem at once."""

from __future__ import annotations

import pytest

from realtime.media.config import RelaySettings
from server.settings import Settings, SettingsError

pytestmark = pytest.mark.unit


def problems_of(read: object, environ: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as refused:
        read(environ)  # type: ignore[operator]
    return refused.value.problems


@pytest.mark.parametrize(
    "environ",
    [
        {"PODIUM_ENV": "producton"},  # a typo must not start a relay in development mode
        {"PODIUM_ENV": "production", "PODIUM_SECRET_KEY": "short"},
        {"PODIUM_DATABASE_URL": "mysql://db/podium"},
    ],
)
def test_relay_refuses_what_the_app_refuses_in_the_same_words(environ: dict[str, str]) -> None:
    app = problems_of(Settings.from_env, environ)

    relay = problems_of(RelaySettings.from_env, environ)

    assert relay == app
    assert len(relay) == 1


def test_relay_names_every_problem_at_once() -> None:
    environ = {"PODIUM_RELAY_MAX_VIEWERS": "many", "PODIUM_REDIS_URL": "127.0.0.1:6379", "PODIUM_ENV": "stage"}

    problems = problems_of(RelaySettings.from_env, environ)

    assert problems == [
        "PODIUM_ENV must be development, production or test, not 'stage'",
        "PODIUM_RELAY_MAX_VIEWERS must be a number, not 'many'",
        "PODIUM_REDIS_URL must be a redis:// URL such as redis://127.0.0.1:6379/0, not '127.0.0.1:6379'",
    ]
