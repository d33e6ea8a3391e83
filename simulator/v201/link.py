"""The station's websocket to the CSMS: open, serve, call, drop (OCPP 2.0.1)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
from typing import Any

import aiohttp
from ocpp.charge_point import camel_to_snake_case
from ocpp.v201 import ChargePoint

from ..background import cancel
from ..calllog import CallLog
from ..connection import ConnectionClosedError, WebSocketConnection

_LOGGER = logging.getLogger(__name__)
SUBPROTOCOL = "ocpp2.0.1"

ChargePointFactory = Callable[[WebSocketConnection], ChargePoint]


class Link:
    """One websocket connection at a time, its receive loop and the tasks tied to it."""

    def __init__(
        self,
        owner: object,
        calls: CallLog,
        on_lost: Callable[[], None],
        *,
        validate: bool = True,
        subprotocol: str = SUBPROTOCOL,
    ) -> None:
        """Record the calls answered in `calls`; `on_lost()` runs when a connection goes.

        `validate`: check our own calls against the schemas before they go out;
        `subprotocol`: the websocket subprotocol to ask for.
        """
        self._owner = owner
        self._subprotocol = subprotocol
        self._validate = validate
        self._calls = calls
        self._on_lost = on_lost
        self._session: aiohttp.ClientSession | None = None
        self._connection: WebSocketConnection | None = None
        self._charge_point: ChargePoint | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def connected(self) -> bool:
        """Whether a connection is open."""
        return self._connection is not None and not self._connection.closed

    async def open(
        self, url: str, make_charge_point: ChargePointFactory, authorization: str | None = None
    ) -> None:
        """Connect to `url` (dropping any open connection) and serve it."""
        await self.drop()
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {} if authorization is None else {"Authorization": authorization}
        ws = await self._session.ws_connect(url, protocols=(self._subprotocol,), headers=headers)
        if ws.protocol != self._subprotocol:
            _LOGGER.warning("%s: the CSMS did not agree on %s", self._owner, self._subprotocol)
        self._connection = WebSocketConnection(ws, self._record)
        self._charge_point = make_charge_point(self._connection)
        self.spawn(self._serve(self._charge_point))

    async def request(self, payload: object) -> Any:
        """Call the CSMS and return its call result; a CallError raises OCPPError."""
        if self._charge_point is None or not self.connected:
            raise ConnectionClosedError("not connected")
        return await self._charge_point.call(
            payload, suppress=False, skip_schema_validation=not self._validate
        )

    def spawn(self, coro: Any) -> None:
        """Run `coro` as a task that `drop()` cancels."""
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    async def drop(self) -> None:
        """Cancel the connection's tasks and close it."""
        await cancel(self._tasks)
        connection, self._connection, self._charge_point = self._connection, None, None
        if connection is not None:
            await connection.close()

    async def close(self) -> None:
        """Drop the connection and close the HTTP session."""
        await self.drop()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _record(self, action: str, payload: dict[str, Any]) -> None:
        self._calls.record(action, camel_to_snake_case(payload))

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _LOGGER.error("%s: task failed", self._owner, exc_info=task.exception())

    async def _serve(self, charge_point: ChargePoint) -> None:
        try:
            await charge_point.start()
        except ConnectionClosedError:
            _LOGGER.info("%s: connection closed", self._owner)
        finally:
            self._on_lost()
