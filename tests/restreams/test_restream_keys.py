"""Stream keys at rest: encrypted with a key derived from the secret key, readable only with that secret, shown
masked; RTMP(S) addresses checked as an organiser types them."""

from __future__ import annotations

import pytest

from realtime.media.restream_push import scrubbed
from server.restreams.keys import MASK, UnreadableKey, decrypt_key, encrypt_key, masked
from server.restreams.services import Pushable, url_problem

pytestmark = pytest.mark.unit


def test_a_key_is_encrypted_differently_each_time_and_read_back_only_with_the_same_secret() -> None:
    first, second = encrypt_key("secret-one", "live-key-1234"), encrypt_key("secret-one", "live-key-1234")

    assert first != second and "live-key-1234" not in first
    assert decrypt_key("secret-one", first) == decrypt_key("secret-one", second) == "live-key-1234"
    with pytest.raises(UnreadableKey):
        decrypt_key("secret-two", first)
    with pytest.raises(UnreadableKey):
        decrypt_key("secret-one", "not a token")


def test_a_key_is_shown_by_its_last_four_characters_and_a_short_one_not_at_all() -> None:
    assert masked("xxxx-yyyy-zzzz-abcd") == "••••abcd"
    assert masked("short-key") == MASK
    assert masked("") == MASK


def test_an_ffmpeg_error_quoting_the_address_loses_the_key() -> None:
    address = Pushable(1, 2, 1, "YouTube", "rtmp://a.rtmp.youtube.com/live2/", "abcd-efgh-ijkl-mnop").address

    shown = scrubbed(f"[Errno 5] Input/output error: '{address}'", address)

    assert address == "rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop"
    assert shown == "[Errno 5] Input/output error: 'rtmp://a.rtmp.youtube.com/live2/••••mnop'"


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("rtmp://a.rtmp.youtube.com/live2", True),
        ("rtmps://live-api-s.facebook.com:443/rtmp/", True),
        ("RTMP://127.0.0.1:1935/live", True),
        ("http://a.rtmp.youtube.com/live2", False),
        ("rtmp://", False),
        ("rtmp://host:99999/live", False),
        ("rtmp://host/live?key=1", False),
        ("rtmp://us er@host/live", False),
    ],
)
def test_only_an_rtmp_or_rtmps_address_with_a_host_is_accepted(url: str, accepted: bool) -> None:
    assert (url_problem(url) == "") is accepted
