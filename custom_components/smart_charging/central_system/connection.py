"""An aiohttp WebSocket as the `ocpp` library's connection (async recv/send)."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import WSCloseCode, WSMsgType, web

from .security.message_rate import MessageRate

_LOGGER = logging.getLogger(__name__)
# A charger slowed down for its message rate is logged at most once in this many seconds.
_SLOWED_LOG_EVERY = 60.0


class ConnectionClosedError(Exception):
    """The WebSocket closed; the charger is gone."""


class WebSocketConnection:
    """Adapter from `aiohttp.web.WebSocketResponse` to `recv()`/`send()`."""

    def __init__(
        self,
        websocket: web.WebSocketResponse,
        rate: MessageRate | None = None,
        charger_id: str = "",
    ) -> None:
        """Wrap an open server-side WebSocket; `rate` slows a charger that floods."""
        self._websocket = websocket
        self._rate = rate
        self._charger_id = charger_id
        self._slowed_at: float | None = None
        # Whether the frame `recv` returned last came binary (answered as malformed).
        self.last_frame_binary = False

    async def recv(self) -> str:
        """Return the next text frame; raise `ConnectionClosedError` at the end."""
        while True:
            await self._keep_rate()
            message = await self._websocket.receive()
            self.last_frame_binary = message.type is WSMsgType.BINARY
            if message.type is WSMsgType.TEXT:
                return str(message.data)
            if message.type is WSMsgType.BINARY:
                # OCPP-J is text; a binary frame is answered as a malformed message.
                return bytes(message.data).decode("utf-8", errors="replace")
            if message.type is WSMsgType.ERROR:
                # aiohttp closed the socket itself: a frame above the size limit, a bad frame.
                _LOGGER.warning("%s: connection closed: %s", self._charger_id, message.data)
            if message.type in (
                WSMsgType.CLOSE,
                WSMsgType.CLOSING,
                WSMsgType.CLOSED,
                WSMsgType.ERROR,
            ):
                # aiohttp 3.11 re-arms its ping timer on a socket its heartbeat closed.
                self._websocket._cancel_heartbeat()
                raise ConnectionClosedError

    async def _keep_rate(self) -> None:
        if self._rate is None:
            return
        now = asyncio.get_running_loop().time()
        wait = self._rate.wait(now)
        if wait <= 0:
            return
        if self._slowed_at is None or now - self._slowed_at >= _SLOWED_LOG_EVERY:
            self._slowed_at = now
            _LOGGER.warning(
                "%s: more than %g messages a second: reading slowed down",
                self._charger_id,
                self._rate.rate,
            )
        await asyncio.sleep(wait)

    async def send(self, message: str) -> None:
        """Send a text frame."""
        if self._websocket.closed:
            raise ConnectionClosedError
        try:
            await self._websocket.send_str(message)
        except ConnectionResetError as error:
            raise ConnectionClosedError from error

    async def close(self, code: int = WSCloseCode.OK) -> None:
        """Close the WebSocket (safe to call from another task than the reader)."""
        await self._websocket.close(code=code)
        # aiohttp 3.11 re-arms its ping timer when close() interrupts a pending receive()
        # in another task; cancel it again so a closed socket leaves no timer behind.
        self._websocket._cancel_heartbeat()
