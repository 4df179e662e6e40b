"""The registry's settings (heartbeat, dead after, a relay's addresses) and where a new viewer goes, without a
database."""

from __future__ import annotations

import datetime as dt

import pytest

from realtime.media.config import RelaySettings, addressed
from server.relays.models import RelayNode
from server.relays.services import choose_relay
from server.settings import Settings, SettingsError

pytestmark = pytest.mark.unit

NOW = dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC)


def relay(name: str, *, role: str = "origin", viewers: int = 0, cpu: float = 5.0, **keys: list[str]) -> RelayNode:
    return RelayNode(
        name=name,
        role=role,
        internal_url=f"http://{name}:8100",
        viewers=viewers,
        max_viewers=100,
        cpu_percent=cpu,
        ingests=keys.get("ingests", []),
        carries=keys.get("carries", []),
        started_at=NOW,
        heartbeat_at=NOW,
    )


def test_a_relay_names_itself_by_its_address_unless_told_otherwise() -> None:
    plain = addressed(RelaySettings.from_env({}), host="10.0.0.5", port=8101)
    named = addressed(
        RelaySettings.from_env(
            {
                "PODIUM_RELAY_NAME": "edge1",
                "PODIUM_RELAY_INTERNAL_URL": "http://edge1.internal:8100/",
                "PODIUM_RELAY_PUBLIC_URL": "/relay/edge1/",
            }
        ),
        host="10.0.0.5",
        port=8101,
    )

    assert (plain.relay_name, plain.internal_url, plain.public_url) == ("10.0.0.5:8101", "http://10.0.0.5:8101", "")
    assert (named.relay_name, named.internal_url, named.public_url) == (
        "edge1",
        "http://edge1.internal:8100",
        "/relay/edge1",
    )
    assert (plain.heartbeat_interval, plain.dead_after) == (2.0, 6.0)


def test_bad_registry_settings_are_named_for_the_relay_and_the_app() -> None:
    environ = {
        "PODIUM_RELAY_HEARTBEAT": "5",
        "PODIUM_RELAY_DEAD_AFTER": "3",
        "PODIUM_RELAY_PUBLIC_URL": "edge1.example.org",
        "PODIUM_RELAY_INTERNAL_URL": "/relay/edge1",
    }

    with pytest.raises(SettingsError) as relay_refused:
        RelaySettings.from_env(environ)
    with pytest.raises(SettingsError) as app_refused:
        Settings.from_env(environ)

    assert relay_refused.value.problems == [
        "PODIUM_RELAY_DEAD_AFTER must be longer than PODIUM_RELAY_HEARTBEAT (5 s) and at most 600 seconds, not 3",
        "PODIUM_RELAY_PUBLIC_URL must be an http(s) address such as https://example.org/relay/edge1 or /relay/edge1, "
        "not 'edge1.example.org'",
        "PODIUM_RELAY_INTERNAL_URL must be an http(s) address such as http://10.0.0.5:8100, not '/relay/edge1'",
    ]
    assert app_refused.value.problems == relay_refused.value.problems[:1]


def test_a_full_or_cpu_bound_relay_gets_viewers_only_when_every_other_one_is_as_busy() -> None:
    origin = relay("origin", viewers=10, ingests=["12"], carries=["12"])
    full_edge = relay("edge-full", role="edge", viewers=100, carries=["12"])
    hot_edge = relay("edge-hot", role="edge", viewers=0, cpu=95.0, carries=["12"])

    roomy = choose_relay([origin, full_edge, hot_edge], "12")
    origin.viewers = 100
    origin.cpu_percent = 99.0
    crowded = choose_relay([origin, full_edge, hot_edge], "12")

    assert roomy is not None and (roomy.relay.name, roomy.crowded) == ("origin", False)
    # Every relay busy: still one (the least loaded), and the player learns that WebRTC is crowded.
    assert crowded is not None and (crowded.relay.name, crowded.crowded) == ("edge-hot", True)


def test_an_edge_can_pull_only_a_key_whose_origin_is_alive_and_a_key_nobody_has_goes_nowhere() -> None:
    edge = relay("edge1", role="edge")
    origin = relay("origin", viewers=50, ingests=["12"])

    placed = choose_relay([origin, edge], "12")

    assert placed is not None and (placed.relay.name, placed.carries) == ("edge1", False)
    assert choose_relay([edge], "12") is None
    assert choose_relay([origin, edge], "13") is None
