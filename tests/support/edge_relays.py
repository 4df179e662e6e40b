"""Relays served over real HTTP on the test's event loop (an origin and its edges in one process), and what an
edge's tests ask of them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette

from tests.media.clients import Peer
from tests.support.ports import free_port


@asynccontextmanager
async def served(app: Starlette) -> AsyncIterator[str]:
    """``app`` on a free loopback port, served by uvicorn on this event loop; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


async def decoded(viewer: Peer, count: int) -> tuple[int, tuple[int, int]]:
    """The first ``count`` frames the viewer decodes (within 15 s on a loaded machine): how many, and their size."""
    frames = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(15):
            while len(frames) < count:
                frames.append(await viewer.tracks["video"].recv())
    return len(frames), (frames[-1].width, frames[-1].height) if frames else (0, 0)
