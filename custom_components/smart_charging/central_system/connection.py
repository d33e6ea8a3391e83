"""An aiohttp WebSocket as the `ocpp` library's connection (async recv/send)."""

from __future__ import annotations

from aiohttp import WSCloseCode, WSMsgType, web


class ConnectionClosedError(Exception):
    """The WebSocket closed; the charger is gone."""


class WebSocketConnection:
    """Adapter from `aiohttp.web.WebSocketResponse` to `recv()`/`send()`."""

    def __init__(self, websocket: web.WebSocketResponse) -> None:
        """Wrap an open server-side WebSocket."""
        self._websocket = websocket
        # Whether the frame `recv` returned last came binary (answered as malformed).
        self.last_frame_binary = False

    async def recv(self) -> str:
        """Return the next text frame; raise `ConnectionClosedError` at the end."""
        while True:
            message = await self._websocket.receive()
            self.last_frame_binary = message.type is WSMsgType.BINARY
            if message.type is WSMsgType.TEXT:
                return str(message.data)
            if message.type is WSMsgType.BINARY:
                # OCPP-J is text; a binary frame is answered as a malformed message.
                return bytes(message.data).decode("utf-8", errors="replace")
            if message.type in (
                WSMsgType.CLOSE,
                WSMsgType.CLOSING,
                WSMsgType.CLOSED,
                WSMsgType.ERROR,
            ):
                raise ConnectionClosedError

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
