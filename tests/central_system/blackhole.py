"""A TCP relay on 127.0.0.1 whose link can be cut silently, like a pulled cable or lost Wi-Fi.

Chargers connect to the relay, which forwards every byte to the central system and back.
`cut()` stops forwarding in both directions and keeps every socket open: nothing is closed,
no FIN or RST reaches either side, frames simply stop arriving. Only a heartbeat finds that.
"""

from __future__ import annotations

import asyncio
import contextlib

PING = 0.5  # s: the heartbeat interval in the tests of dead links (`server.PING_INTERVAL`)
# A dead link is found within 1.5 intervals of its last frame; the rest is for a busy machine.
FOUND_WITHIN = 2 * PING


class BlackHoleRelay:
    """Forwards connections to `port`; `cut()` turns every link into a black hole."""

    def __init__(self, port: int) -> None:
        """Relay to the central system on 127.0.0.1:`port`; `start` opens the relay's port."""
        self._target = port
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self.port = 0

    @property
    def url(self) -> str:
        """The URL chargers connect to (without the charge point id)."""
        return f"ws://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on 127.0.0.1, on a free port."""
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self._target)
        self._writers += [writer, upstream_writer]
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()

    async def cut(self) -> None:
        """Stop forwarding anything, either way, and close nothing."""
        pipes = list(self._pipes)
        for task in pipes:
            task.cancel()
        await asyncio.gather(*pipes, return_exceptions=True)

    async def close(self) -> None:
        """Cut, then close every socket and the relay's port."""
        await self.cut()
        for writer in self._writers:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
