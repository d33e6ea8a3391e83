"""The charger's websocket to the central system, and the tasks that live with it."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
import logging
import ssl
from typing import Any

import aiohttp
from aiohttp import hdrs

from .background import cancel
from .calllog import CallLog
from .connection import ConnectionClosedError, WebSocketConnection
from .ocpp16 import ChargePoint

_LOGGER = logging.getLogger(__package__)
SUBPROTOCOL = "ocpp1.6"

ChargePointFactory = Callable[[WebSocketConnection], ChargePoint]


def client_tls(ca: str | None, certificate: str | None, key: str | None) -> ssl.SSLContext | None:
    """The charger's TLS context for wss://: trust `ca`, show its own certificate (profile 3)."""
    if ca is None:
        return None
    context = ssl.create_default_context(cafile=ca)
    if certificate is not None:
        context.load_cert_chain(certificate, key)
    return context


def basic_authorization(user: str, password: str) -> str:
    """The HTTP Basic `Authorization` value (RFC 7617) of security profile 1."""
    # aiohttp 3.14 deprecates BasicAuth and 3.11 lacks its replacement: encode it here.
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


@dataclass
class _Link:
    """One websocket connection and what depends on it."""

    connection: WebSocketConnection
    charge_point: ChargePoint
    lost: bool = False
    accepted: bool = False  # BootNotification accepted, statuses reported
    waiting: set[asyncio.Timeout] = field(default_factory=set)


class Uplink:
    """Opens, uses and drops websocket connections; owns the charger's tasks.

    `on_lost(unexpected)` runs once per connection when it goes; `unexpected`
    is True when the central system (or the network) ended it.
    """

    def __init__(self, owner: object, calls: CallLog, on_lost: Callable[[bool], None]) -> None:
        """Work for `owner` (named in logs), recording the calls it answers in `calls`."""
        self._owner = owner
        self._calls = calls
        self._on_lost = on_lost
        self._session: aiohttp.ClientSession | None = None
        self._link: _Link | None = None
        self._link_tasks: set[asyncio.Task[None]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.closing = False

    @property
    def connected(self) -> bool:
        """Whether a connection is open."""
        return self._link is not None and not self._link.lost

    def mark_accepted(self) -> bool:
        """Mark the connection as booted; False if it already was."""
        link = self.live()
        if link.accepted:
            return False
        link.accepted = True
        return True

    @property
    def accepted(self) -> bool:
        """Whether the open connection is booted."""
        return self.connected and self.live().accepted

    async def open(
        self,
        url: str,
        authorization: str | None,
        make_charge_point: ChargePointFactory,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """Open a websocket to `url` (dropping any open one) and start serving it."""
        self.closing = False
        if self._link is not None:
            await self.drop()
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {} if authorization is None else {hdrs.AUTHORIZATION: authorization}
        ws = await self._session.ws_connect(
            url, protocols=(SUBPROTOCOL,), headers=headers, ssl=tls if tls is not None else True
        )
        if ws.protocol != SUBPROTOCOL:
            _LOGGER.warning("%s: server did not agree on %s", self._owner, SUBPROTOCOL)
        connection = WebSocketConnection(ws, self._calls.record)
        link = _Link(connection, make_charge_point(connection))
        self._link = link
        self.spawn(self._receive(link), link=True)
        _LOGGER.info("%s: connected to %s", self._owner, url)

    def live(self) -> _Link:
        """Return the open connection; ConnectionClosedError if there is none."""
        link = self._link
        if link is None or link.lost:
            raise ConnectionClosedError("not connected")
        return link

    @property
    def in_flight(self) -> int:
        """Calls to the central system still waiting for their answer."""
        link = self._link
        return 0 if link is None else len(link.waiting)

    async def request(self, payload: object) -> Any:
        """Call the central system; ConnectionClosedError if the link drops meanwhile."""
        link = self.live()
        try:
            async with asyncio.timeout(None) as deadline:
                # `_lose` expires this deadline: a caller never waits out a dead link.
                link.waiting.add(deadline)
                try:
                    return await link.charge_point.request(payload)
                finally:
                    link.waiting.discard(deadline)
        except TimeoutError:
            if link.lost:
                raise ConnectionClosedError("connection lost while waiting") from None
            raise

    def spawn(self, coro: Coroutine[Any, Any, None], *, link: bool = False) -> None:
        """Run `coro` as a task that `close()` (with `link`, losing the link) cancels."""
        if self.closing:
            coro.close()  # Closing: nothing new may start, or it would outlive close().
            return
        task = asyncio.create_task(coro)
        (self._link_tasks if link else self._tasks).add(task)
        task.add_done_callback(self._task_done)

    async def drop(self) -> None:
        """Close the connection and cancel the tasks that live with it."""
        link, self._link = self._link, None
        if link is not None:
            self._lose(link, unexpected=False)
        await cancel(self._link_tasks)
        if link is not None:
            await link.connection.close()

    async def close(self) -> None:
        """Drop the connection, cancel every task, close the HTTP session."""
        self.closing = True
        # Follow-ups first (a reset reconnecting would open new links), then the link.
        await cancel(self._tasks)
        await self.drop()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._link_tasks.discard(task)
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _LOGGER.error("%s: task failed", self._owner, exc_info=task.exception())

    async def _receive(self, link: _Link) -> None:
        try:
            await link.charge_point.serve()
        except ConnectionClosedError:
            _LOGGER.info("%s: connection closed", self._owner)
        finally:
            # Whatever ended the receive loop, nothing will answer on this link any more.
            self._lose(link, unexpected=self._link is link and not self.closing)

    def _lose(self, link: _Link, *, unexpected: bool) -> None:
        """Mark `link` dead and wake everyone waiting on it."""
        if link.lost:
            return
        link.lost = True
        for deadline in link.waiting:
            deadline.reschedule(asyncio.get_running_loop().time())
        self._on_lost(unexpected)
