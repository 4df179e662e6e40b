"""An SMTP server for tests: it keeps every mail it accepts (a mail counts once the server has answered 250 to
its data, as a real server's acceptance), and can hold its answer to the n-th mail so a test can kill the
sender in the middle of a delivery."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message


@dataclass
class SmtpSink:
    accepted: list[Message] = field(default_factory=list)
    hold_at: int | None = None  # hold the answer to this mail (1-based) until ``release`` is set
    holding: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0
    _server: asyncio.Server | None = None
    _received: int = 0

    async def start(self) -> SmtpSink:
        self._server = await asyncio.start_server(self._conversation, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def recipients(self) -> list[str]:
        return [str(mail["To"]) for mail in self.accepted]

    async def _conversation(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        try:
            await say("220 sink ESMTP")
            while line := await reader.readline():
                verb = line.decode("latin-1").strip().split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    await say("250 sink")
                elif verb == "DATA":
                    await say("354 end with <CRLF>.<CRLF>")
                    data = b""
                    while (chunk := await reader.readline()) not in (b".\r\n", b""):
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    self._received += 1
                    if self._received == self.hold_at:
                        self.holding.set()
                        await self.release.wait()
                        continue  # the sender is gone: no answer, not accepted
                    self.accepted.append(message_from_bytes(data))
                    await say("250 accepted")
                elif verb == "QUIT":
                    await say("221 bye")
                    break
                else:
                    await say("250 ok")
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
