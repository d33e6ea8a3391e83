"""A tiny OCPP 1.6J central system on 127.0.0.1 for the simulator's own tests."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
import contextlib
from datetime import UTC, datetime
import itertools
from typing import Any

from aiohttp import web

from simulator.calllog import CallLog
from simulator.charger import SimulatedCharger
from simulator.connection import ConnectionClosedError, WebSocketConnection
from simulator.ocpp16 import ChargePoint, call_result, datatypes, enums, on
from simulator.wakeup import Wakeup

Action = enums.Action
BLOCKED_TAG = "BLOCKED"  # Authorize answers Blocked for this idTag
INVALID_TAG = "INVALID"  # StartTransaction answers Invalid for this idTag


def _now() -> str:
    return datetime.now(UTC).isoformat()


class CentralSystemChargePoint(ChargePoint):
    """The central system's side of one charger connection."""

    def __init__(
        self, charge_point_id: str, connection: WebSocketConnection, server: CentralSystem
    ) -> None:
        """Serve one connection; calls from the charger land in `log`."""
        super().__init__(charge_point_id, connection, response_timeout=5)
        self.charge_point_id = charge_point_id
        self.connection = connection
        self.server = server

    @property
    def log(self) -> CallLog:
        """The calls this charger made on this connection."""
        return self.server.logs[self.charge_point_id]

    @on(Action.boot_notification)
    def on_boot_notification(self, **_: object) -> call_result.BootNotification:
        """Answer with the next scripted status (Accepted when none is left)."""
        status = self.server.boot_statuses.pop(0) if self.server.boot_statuses else "Accepted"
        return call_result.BootNotification(
            current_time=_now(),
            interval=self.server.heartbeat_interval,
            status=enums.RegistrationStatus(status),
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **_: object) -> call_result.Heartbeat:
        """Return the time."""
        return call_result.Heartbeat(current_time=_now())

    @on(Action.status_notification)
    def on_status_notification(self, **_: object) -> call_result.StatusNotification:
        """Acknowledge."""
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_tag: str, **_: object) -> call_result.Authorize:
        """Accept every idTag but BLOCKED."""
        await self.server.hold(Action.authorize)
        status = "Blocked" if id_tag == BLOCKED_TAG else "Accepted"
        return call_result.Authorize(
            id_tag_info=datatypes.IdTagInfo(status=enums.AuthorizationStatus(status))
        )

    @on(Action.start_transaction)
    def on_start_transaction(self, id_tag: str, **_: object) -> call_result.StartTransaction:
        """Hand out the next transaction id."""
        status = "Invalid" if id_tag == INVALID_TAG else "Accepted"
        return call_result.StartTransaction(
            transaction_id=next(self.server.transaction_ids),
            id_tag_info=datatypes.IdTagInfo(status=enums.AuthorizationStatus(status)),
        )

    @on(Action.stop_transaction)
    async def on_stop_transaction(self, **_: object) -> call_result.StopTransaction:
        """Acknowledge."""
        await self.server.hold(Action.stop_transaction)
        return call_result.StopTransaction()

    @on(Action.meter_values)
    def on_meter_values(self, **_: object) -> call_result.MeterValues:
        """Acknowledge."""
        return call_result.MeterValues()

    async def send(self, payload: object) -> Any:
        """Call the charger and return its answer."""
        return await self.request(payload)


class CentralSystem:
    """An aiohttp websocket server speaking OCPP 1.6J, bound to 127.0.0.1."""

    def __init__(self) -> None:
        """Nothing runs until `start()`."""
        self.url = ""
        self.password: str | None = None  # require HTTP Basic auth when set
        self.boot_statuses: list[str] = []
        self.heartbeat_interval = 300
        self.transaction_ids = itertools.count(1000)
        self.subprotocols: tuple[str, ...] = ("ocpp1.6",)
        self.stall_actions: set[str] = set()  # answer these only once `release` is set
        self.release = asyncio.Event()
        self.stalled = asyncio.Event()  # set once a stalled call arrived
        self.connections: list[CentralSystemChargePoint] = []
        self.logs: dict[str, CallLog] = {}
        self._connected = Wakeup()
        self._runner: web.AppRunner | None = None

    async def hold(self, action: str) -> None:
        """Sit on a call of `action` (blocking this connection) if it is to stall."""
        if action in self.stall_actions:
            self.stalled.set()
            await self.release.wait()

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_get("/{charge_point_id}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"ws://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Close every connection and the server."""
        for charge_point in self.connections:
            await charge_point.connection.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_connected(
        self, count: int = 1, timeout: float = 5.0
    ) -> CentralSystemChargePoint:
        """Wait for the `count`th connection and return it."""
        async with asyncio.timeout(timeout):
            while len(self.connections) < count:
                await self._connected.wait()
        return self.connections[count - 1]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        charge_point_id = request.match_info["charge_point_id"]
        if self.password is not None:
            scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
            expected = f"{charge_point_id}:{self.password}".encode()
            if scheme != "Basic" or base64.b64decode(credentials) != expected:
                raise web.HTTPUnauthorized
        ws = web.WebSocketResponse(protocols=self.subprotocols)
        await ws.prepare(request)
        log = self.logs.setdefault(charge_point_id, CallLog())
        connection = WebSocketConnection(ws, log.record)
        charge_point = CentralSystemChargePoint(charge_point_id, connection, self)
        self.connections.append(charge_point)
        self._connected.fire()
        with contextlib.suppress(ConnectionClosedError):
            await charge_point.serve()
        return ws


ChargerFactory = Callable[..., SimulatedCharger]
