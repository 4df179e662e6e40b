"""A WHEP viewer in a process of its own, for tests that kill it as a browser closing without a DELETE would vanish.

python -m tests.media.vanishing_viewer URL TOKEN   # prints "connected", then watches until killed
"""

from __future__ import annotations

import asyncio
import sys

import httpx

from realtime.media.internals import restrict_host_addresses
from tests.media.clients import wait_connected, watch


async def main(url: str, token: str) -> None:
    restrict_host_addresses(["127.0.0.1"])
    async with httpx.AsyncClient(timeout=20) as client:
        viewer = await watch(client, url, token)
    await wait_connected(viewer.pc, timeout=20)
    print("connected", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
