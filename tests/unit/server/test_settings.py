import pytest

from server.settings import DEVELOPMENT_SECRET, Settings, SettingsError

pytestmark = pytest.mark.unit


def test_settings_defaults_to_sqlite_in_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'podium.db'}"
    assert settings.redis_url is None
    assert settings.secret_key == DEVELOPMENT_SECRET
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.is_production is False


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://podium@db.internal/podium", "postgresql+asyncpg://podium@db.internal/podium"),
        ("postgres://podium@db.internal/podium", "postgresql+asyncpg://podium@db.internal/podium"),
        ("sqlite:///var/lib/podium.db", "sqlite+aiosqlite:///var/lib/podium.db"),
    ],
)
def test_settings_database_url_maps_to_async_driver(given, expected):
    assert Settings.from_env({"PODIUM_DATABASE_URL": given}).database_url == expected


def test_settings_production_refuses_development_secret():
    with pytest.raises(SettingsError, match="PODIUM_SECRET_KEY must be set"):
        Settings.from_env({"PODIUM_ENV": "production"})


def test_settings_production_refuses_short_secret():
    with pytest.raises(SettingsError, match="at least 32 characters"):
        Settings.from_env({"PODIUM_ENV": "production", "PODIUM_SECRET_KEY": "short"})


def test_settings_production_accepts_real_secret():
    settings = Settings.from_env(
        {"PODIUM_ENV": "production", "PODIUM_SECRET_KEY": "x" * 40, "PODIUM_BASE_URL": "https://podium.example.org/"}
    )
    assert settings.is_production is True
    assert settings.base_url == "https://podium.example.org"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PODIUM_ENV", "staging", "PODIUM_ENV must be"),
        ("PODIUM_DATABASE_URL", "mysql://db/podium", "PODIUM_DATABASE_URL must be"),
        ("PODIUM_BASE_URL", "podium.example.org", "PODIUM_BASE_URL must be"),
    ],
)
def test_settings_bad_values_are_named(name, value, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({name: value})


def test_settings_redis_url_is_optional():
    assert Settings.from_env({"PODIUM_REDIS_URL": "redis://127.0.0.1:6379/0"}).redis_url == "redis://127.0.0.1:6379/0"


def test_recordings_live_next_to_the_sqlite_database_and_relay_processes_see_the_same_folder(tmp_path, monkeypatch):
    from realtime.media.config import RelaySettings

    monkeypatch.chdir(tmp_path)
    environ = {"PODIUM_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'podium.db'}"}

    assert Settings.from_env({}).media_dir == tmp_path / "media"
    assert Settings.from_env(environ).media_dir == tmp_path / "data" / "media"
    assert RelaySettings.from_env(environ).media_dir == tmp_path / "data" / "media"
    chosen = environ | {"PODIUM_MEDIA_DIR": "/srv/podium-media"}
    assert Settings.from_env(chosen).media_dir == RelaySettings.from_env(chosen).media_dir
    assert str(Settings.from_env(chosen).media_dir) == "/srv/podium-media"
    assert Settings.from_env({}).relay_url == ""
    assert Settings.from_env({"PODIUM_RELAY_URL": "http://10.0.0.5:8100/"}).relay_url == "http://10.0.0.5:8100"
    live = {"PODIUM_RELAY_LIVE_URLS": " http://10.0.0.5:8101/, http://10.0.0.6:8101 ,"}
    assert Settings.from_env(live).relay_live_urls == ("http://10.0.0.5:8101", "http://10.0.0.6:8101")
    assert Settings.from_env({}).relay_live_urls == ()


def test_settings_name_a_bad_relay_address_and_upload_limit():
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(
            {
                "PODIUM_RELAY_URL": "relay:8100",
                "PODIUM_MEDIA_MAX_UPLOAD_BYTES": "4g",
                "PODIUM_RELAY_LIVE_URLS": "http://127.0.0.1:8101,relay:8102",
            }
        )

    assert refused.value.problems == [
        "PODIUM_MEDIA_MAX_UPLOAD_BYTES must be a positive number of bytes such as 4294967296",
        "PODIUM_RELAY_URL must be an http(s) URL such as http://127.0.0.1:8100, not 'relay:8100'",
        "PODIUM_RELAY_LIVE_URLS must be http(s) URLs separated by commas, such as "
        "http://127.0.0.1:8101,http://127.0.0.1:8102, not 'relay:8102'",
    ]


def test_settings_every_problem_is_named_at_once():
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(
            {
                "PODIUM_ENV": "production",
                "PODIUM_DATABASE_URL": "mysql://db/podium",
                "PODIUM_BASE_URL": "podium.example.org",
                "PODIUM_SMTP_PORT": "many",
            }
        )

    assert raised.value.problems == [
        "PODIUM_DATABASE_URL must be an sqlite:/// or postgresql:// URL",
        "PODIUM_SECRET_KEY must be set to a secret of your own when PODIUM_ENV=production",
        "PODIUM_BASE_URL must be an http(s) URL such as https://podium.example.org, not 'podium.example.org'",
        "PODIUM_SMTP_PORT must be a port number such as 587",
    ]
    assert str(raised.value) == "\n".join(raised.value.problems)


def test_settings_log_format_defaults_to_json_in_production():
    production = Settings.from_env({"PODIUM_ENV": "production", "PODIUM_SECRET_KEY": "s" * 40})
    development = Settings.from_env({})
    assert (production.log_format, development.log_format) == ("json", "text")


@pytest.mark.parametrize("value", ["0", "-5", "many", "1000001"])
def test_settings_guests_per_address_must_be_a_sensible_whole_number(value):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"PODIUM_LIVE_GUESTS_PER_ADDRESS": value})

    assert refused.value.problems == [
        "PODIUM_LIVE_GUESTS_PER_ADDRESS must be a whole number from 1 to 1000000, such as 500"
    ]


def test_settings_guests_per_address_defaults_to_a_hall_of_500():
    assert Settings.from_env({}).live_guests_per_address == 500
    assert Settings.from_env({"PODIUM_LIVE_GUESTS_PER_ADDRESS": "2000"}).live_guests_per_address == 2000


def test_settings_event_creators_are_anyone_or_addresses_and_none_by_default():
    nobody = Settings.from_env({}).event_creators
    anyone = Settings.from_env({"PODIUM_EVENT_CREATORS": " Anyone "}).event_creators
    listed = Settings.from_env({"PODIUM_EVENT_CREATORS": "Chair@Example.org, desk@example.org,"}).event_creators

    assert (nobody.include("chair@example.org"), anyone.include("chair@example.org")) == (False, True)
    assert listed.emails == frozenset({"chair@example.org", "desk@example.org"})
    assert (listed.include("CHAIR@example.org"), listed.include("other@example.org")) == (True, False)


def test_settings_event_creators_refuse_what_is_not_an_address():
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"PODIUM_EVENT_CREATORS": "chair@example.org, everyone"})

    assert refused.value.problems == [
        "PODIUM_EVENT_CREATORS must be anyone or email addresses separated by commas, not 'everyone'"
    ]


def test_replays_go_through_nginx_only_at_an_internal_path():
    assert Settings.from_env({}).accel_redirect == ""
    assert Settings.from_env({"PODIUM_ACCEL_REDIRECT": "/internal/replays/"}).accel_redirect == "/internal/replays/"
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"PODIUM_ACCEL_REDIRECT": "internal/replays"})

    assert refused.value.problems == [
        "PODIUM_ACCEL_REDIRECT must be a path such as /internal/replays/, not 'internal/replays'"
    ]
