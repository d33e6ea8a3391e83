"""Adapt an aiohttp websocket to the `recv()`/`send()` pair the ocpp library uses.

Besides plain transport the adapter watches the frames going by, because only
here are the raw frames visible: it records each call from the other side once
it is answered, runs callbacks after a given answer is sent, and diverts the
answers to frames sent with `send_raw` away from the library's router.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import json
from typing import Any, Protocol

from aiohttp import ClientError, WSMessage, WSMsgType

CALL, CALL_RESULT, CALL_ERROR = 2, 3, 4
_CALL_LENGTH = 4  # [2, id, action, payload]
_MIN_LENGTH = 3  # [3, id, payload]
_CLOSING_TYPES = frozenset({WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR})

CallRecorder = Callable[[str, dict[str, Any]], None]


class ConnectionClosedError(ConnectionError):
    """The websocket is closed: nothing more can be received or sent."""


class WebSocketLike(Protocol):
    """The part of aiohttp's client and server websockets that is used."""

    @property
    def closed(self) -> bool:
        """Whether the socket is closed."""
        ...

    async def receive(self) -> WSMessage:
        """Return the next message."""
        ...

    async def send_str(self, data: str, compress: int | None = None) -> None:
        """Send a text frame."""
        ...

    async def close(self) -> bool:
        """Close the socket."""
        ...


def _frame_head(text: str) -> tuple[int, str, list[Any]] | None:
    """Return (message type, unique id, frame) of an OCPP-J frame, else None."""
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    if (
        isinstance(frame, list)
        and len(frame) >= _MIN_LENGTH
        and frame[0] in (CALL, CALL_RESULT, CALL_ERROR)
        and isinstance(frame[1], str)
    ):
        return frame[0], frame[1], frame
    return None


class WebSocketConnection:
    """One websocket, seen by the ocpp library as a `recv()`/`send()` connection."""

    def __init__(self, ws: WebSocketLike, on_call_handled: CallRecorder | None = None) -> None:
        """Wrap `ws`; `on_call_handled(action, payload)` runs once a call is answered."""
        self._ws = ws
        self._on_call_handled = on_call_handled
        self._incoming_calls: dict[str, tuple[str, dict[str, Any]]] = {}
        self._after_reply: dict[str, Callable[[], None]] = {}
        self._own_call_ids: set[str] = set()
        self._raw_call_ids: set[str] = set()
        self._raw_without_id = 0
        self._raw_responses: asyncio.Queue[str] = asyncio.Queue()

    @property
    def closed(self) -> bool:
        """Whether the socket is closed."""
        return self._ws.closed

    async def recv(self) -> str:
        """Return the next text frame meant for the library.

        Raises ConnectionClosedError once the socket closes.
        """
        while True:
            message = await self._ws.receive()
            if message.type in _CLOSING_TYPES:
                raise ConnectionClosedError("websocket closed")
            if message.type is not WSMsgType.TEXT:
                continue
            text: str = message.data
            if not self._divert(text):
                return text

    async def send(self, message: str) -> None:
        """Send a frame from the library; answers to recorded calls are logged."""
        head = _frame_head(message)
        if head is not None and head[0] == CALL:
            self._own_call_ids.add(head[1])
        await self._send(message)
        if head is not None and head[0] in (CALL_RESULT, CALL_ERROR):
            self._answered(head[1])

    async def send_raw(self, text: str) -> None:
        """Send an arbitrary frame; its answer goes to `next_raw_incoming`."""
        head = _frame_head(text)
        if head is not None and head[0] == CALL:
            self._raw_call_ids.add(head[1])
        elif head is None:
            self._raw_without_id += 1
        await self._send(text)

    async def next_raw_incoming(self, timeout: float) -> str:  # noqa: ASYNC109
        """Return the next answer to a raw frame; TimeoutError if none comes."""
        async with asyncio.timeout(timeout):
            return await self._raw_responses.get()

    def after_reply(self, unique_id: str, callback: Callable[[], None]) -> None:
        """Run `callback` right after the answer to call `unique_id` is sent."""
        self._after_reply[unique_id] = callback

    async def close(self) -> None:
        """Close the socket (idempotent)."""
        with contextlib.suppress(ClientError, ConnectionError):
            await self._ws.close()

    async def _send(self, text: str) -> None:
        if self._ws.closed:
            raise ConnectionClosedError("websocket closed")
        try:
            await self._ws.send_str(text)
        except (ClientError, ConnectionError) as err:
            raise ConnectionClosedError(str(err)) from err

    def _divert(self, text: str) -> bool:
        """Note an incoming frame; return True if it answers a raw frame."""
        head = _frame_head(text)
        if head is None:
            return False
        kind, unique_id, frame = head
        if kind == CALL:
            if (
                isinstance(frame[2], str)
                and len(frame) >= _CALL_LENGTH
                and isinstance(frame[3], dict)
            ):
                self._incoming_calls[unique_id] = (frame[2], frame[3])
            return False
        if unique_id in self._raw_call_ids:
            self._raw_call_ids.discard(unique_id)
        elif unique_id not in self._own_call_ids and self._raw_without_id > 0:
            # An answer to a raw frame whose id could not be read (bad JSON...).
            self._raw_without_id -= 1
        else:
            self._own_call_ids.discard(unique_id)
            return False
        self._raw_responses.put_nowait(text)
        return True

    def _answered(self, unique_id: str) -> None:
        call = self._incoming_calls.pop(unique_id, None)
        if call is not None and self._on_call_handled is not None:
            self._on_call_handled(*call)
        callback = self._after_reply.pop(unique_id, None)
        if callback is not None:
            callback()
