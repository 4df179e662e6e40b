"""A bare python-socketio broadcast server speaking just enough of the live-room protocol for
bench_live.py: the yardstick Podium's live rooms are measured against (no database, no checks)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import socketio

NAMESPACE = "/live"
ROOM = "audience"

sio = socketio.AsyncServer(
    async_mode="asgi", transports=["websocket"], cors_allowed_origins=[], logger=False, engineio_logger=False
)
state: dict[str, Any] = {"seq": 0, "votes": {}, "dirty": set(), "flusher": None}


async def _flush_counts() -> None:
    while True:
        await asyncio.sleep(0.3)
        dirty, state["dirty"] = state["dirty"], set()
        if dirty:
            votes = {str(question): len(state["votes"][question]) for question in dirty}
            await sio.emit("counts", {"session": 1, "votes": votes}, to=ROOM, namespace=NAMESPACE)


@sio.on("connect", namespace=NAMESPACE)
async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
    if state["flusher"] is None:
        state["flusher"] = asyncio.create_task(_flush_counts())


@sio.on("join", namespace=NAMESPACE)
async def join(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    await sio.enter_room(sid, ROOM, namespace=NAMESPACE)
    return {"ok": True, "session": data["session"], "seq": state["seq"], "mode": "snapshot"}


@sio.on("question.ask", namespace=NAMESPACE)
async def ask(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    question = len(state["votes"]) + 1
    state["votes"][question] = set()
    return {"ok": True, "question": {"id": question, "text": data["text"]}}


@sio.on("question.highlight", namespace=NAMESPACE)
async def highlight(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    state["seq"] += 1
    room = {"session": data["session"], "highlighted": {"id": data["question"], "text": "Highlighted"}}
    event = {"session": data["session"], "seq": state["seq"], "kind": "room", "data": room}
    await sio.emit("room_event", event, to=ROOM, namespace=NAMESPACE)
    return {"ok": True, "room": room}


@sio.on("question.vote", namespace=NAMESPACE)
async def vote(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    voters = state["votes"].setdefault(data["question"], set())
    voters.add(sid)
    state["dirty"].add(data["question"])
    return {"ok": True, "question": data["question"], "votes": len(voters), "voted": True}


app = socketio.ASGIApp(sio)

if os.environ.get("PODIUM_BENCH_BARE_GC"):
    # The same collector settings as Podium's server, to compare like with like.
    from realtime.live.asgi import settle_garbage_collector

    settle_garbage_collector()
