"""Socket.IO packets whose JSON nests at most ``MAX_DEPTH`` levels.

python-socketio decodes a packet's JSON before any handler runs; a payload nested 20,000 levels deep made
that decoding fail, and the client never got an answer. ``BoundedPacket`` (the server's ``serializer``)
refuses such a payload while decoding, but keeps the packet: a request still reaches the handlers, with
a payload no request takes (``None``), and is answered with an ``invalid`` error acknowledgement; a
handshake gets an auth no handshake takes, and is refused with ``connect_error {code: "invalid"}``."""

from __future__ import annotations

import json
import re
from typing import Any

from engineio import json as engineio_json
from socketio import packet

MAX_DEPTH = 32  # requests are flat objects; lists of ids are the deepest thing they hold
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")
_EVENT_NAME = re.compile(r'\[\s*("(?:[^"\\]|\\.)*")')


class TooDeep(ValueError):
    pass


def nesting(text: str) -> int:
    """How deep the JSON ``text`` nests arrays and objects (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


class BoundedJson:
    """The ``json`` module python-socketio's packets use, with a bounded ``loads``; its client managers use the
    packet class's module as well, for the messages between processes."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(text: str | bytes, **options: Any) -> Any:
        if isinstance(text, bytes | bytearray):  # the Redis manager reads its messages with this too
            text = text.decode("utf-8")
        # Counting first keeps the exact scan off every ordinary packet.
        if text.count("[") + text.count("{") > MAX_DEPTH and nesting(text) > MAX_DEPTH:
            raise TooDeep(f"the payload nests deeper than {MAX_DEPTH} levels")
        return engineio_json.loads(text, **options)  # which also refuses integers of over 100 digits


class BoundedPacket(packet.Packet):
    json = BoundedJson

    def decode(self, encoded_packet: Any) -> int:
        try:
            attachments: int = super().decode(encoded_packet)
        except (TooDeep, RecursionError):
            self._refuse(str(encoded_packet))
            return 0
        return attachments

    def _refuse(self, encoded: str) -> None:
        """Namespace and id are read before the JSON: keep them, so the refusal reaches the right request."""
        kind: int = self.packet_type  # type: ignore[has-type]
        refused: list[Any]
        if kind == packet.CONNECT:
            refused = [None]  # truthy (empty auth means "none sent"), and no handshake takes a list
        elif kind in (packet.EVENT, packet.BINARY_EVENT):
            self.packet_type = packet.EVENT
            refused = [_event_name(encoded), None]
        else:  # an acknowledgement from the client: no callback waits for a payload like this
            self.packet_type = packet.ACK
            refused = []
        self.data = refused


def _event_name(encoded: str) -> str:
    start = encoded.find("[")
    found = _EVENT_NAME.match(encoded, start) if start >= 0 else None
    if found is None:
        return ""
    try:
        name = json.loads(found.group(1))
    except ValueError:
        return ""
    return name if isinstance(name, str) else ""
