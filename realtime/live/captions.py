"""Socket.IO requests of live captions (PROTOCOL.md, "Live captions"): a captioner sends lines, a viewer follows
one language. Lines go out as ``caption`` to the viewers of their language, with their own ``seq``."""

from __future__ import annotations

from realtime.live.actions import Call, room_action
from realtime.live.payloads import Kind, optional, required
from realtime.live.sioserver import LiveSocketServer
from server.broadcast import Outcome
from server.captions import services as captions
from server.errors import PodiumError

TEXT = required(Kind.text)
NAMESPACE = "/live"  # server.py's, which imports this module


@room_action("caption.send", limit="caption", language=TEXT, text=TEXT, client_id=TEXT)
async def send(call: Call) -> Outcome:
    p = call.payload
    return await captions.add_caption_line(
        call.db,
        actor=call.actor,
        session_id=call.session_id,
        language=p["language"],
        text=p["text"],
        client_id=p["client_id"],
    )


@room_action("caption.follow", language=TEXT, since=optional(Kind.int_or_null))
async def follow(call: Call) -> Outcome:
    language = call.payload["language"][: captions.MAX_LANGUAGE]
    # In the language's group before reading its lines, so no line committed meanwhile falls between the two.
    await follow_language(call, language)
    try:
        return await captions.follow_captions(
            call.db, actor=call.actor, session_id=call.session_id, language=language, since=call.payload.get("since")
        )
    except PodiumError:
        await follow_language(call, "")
        raise


async def follow_language(call: Call, language: str) -> None:
    """The connection's caption group in this room: the one of ``language``, or none."""
    sid, sio = call.connection.sid, call.live.sio
    await leave_captions(sio, sid, call.session_id)
    if language:
        await sio.enter_room(sid, captions.audience(call.session_id, language), namespace=NAMESPACE)


async def leave_captions(sio: LiveSocketServer, sid: str, session_id: int) -> None:
    """Out of the room's caption group (on leaving the room too: server.py)."""
    for group in sio.rooms(sid, namespace=NAMESPACE):
        if group.startswith(captions.audience(session_id, "")):
            await sio.leave_room(sid, group, namespace=NAMESPACE)


ACTIONS = [send, follow]
