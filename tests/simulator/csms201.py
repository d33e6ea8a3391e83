"""A tiny OCPP 2.0.1 CSMS on 127.0.0.1 for the 2.0.1 station simulator's tests."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from ocpp.charge_point import camel_to_snake_case
from ocpp.routing import on
from ocpp.v201 import ChargePoint, call_result
from ocpp.v201.enums import Action

from simulator.calllog import CallLog
from simulator.connection import ConnectionClosedError, WebSocketConnection
from simulator.v201.payload import build
from simulator.wakeup import Wakeup

SUBPROTOCOL = "ocpp2.0.1"


def _now() -> str:
    return datetime.now(UTC).isoformat()


class CsmsChargePoint(ChargePoint):
    """The CSMS's side of one station connection; what the station sends lands in `log`."""

    def __init__(self, station_id: str, connection: WebSocketConnection, csms: Csms) -> None:
        """Serve one connection."""
        super().__init__(station_id, connection, response_timeout=5)  # type: ignore[no-untyped-call, unused-ignore]
        self.connection = connection
        self.csms = csms

    @on(Action.boot_notification)
    def on_boot_notification(self, **_: Any) -> call_result.BootNotification:
        """Accept (or the scripted status)."""
        return build(
            call_result.BootNotification,
            current_time=_now(),
            interval=self.csms.heartbeat_interval,
            status=self.csms.boot_status,
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        """Return the time."""
        return build(call_result.Heartbeat, current_time=_now())

    @on(Action.status_notification)
    def on_status_notification(self, **_: Any) -> call_result.StatusNotification:
        """Acknowledge."""
        return build(call_result.StatusNotification)

    @on(Action.transaction_event)
    def on_transaction_event(
        self, id_token: dict[str, Any] | None = None, **_: Any
    ) -> call_result.TransactionEvent:
        """Acknowledge; accept any idToken."""
        info = None if id_token is None else {"status": "Accepted"}
        return build(call_result.TransactionEvent, id_token_info=info)

    @on(Action.meter_values)
    def on_meter_values(self, **_: Any) -> call_result.MeterValues:
        """Acknowledge."""
        return build(call_result.MeterValues)

    @on(Action.notify_report)
    def on_notify_report(self, **_: Any) -> call_result.NotifyReport:
        """Acknowledge."""
        return build(call_result.NotifyReport)

    @on(Action.notify_ev_charging_needs)
    def on_notify_ev_charging_needs(self, **_: Any) -> call_result.NotifyEVChargingNeeds:
        """Answer the scripted status."""
        return build(call_result.NotifyEVChargingNeeds, status=self.csms.charging_needs_status)

    @on(Action.report_charging_profiles)
    def on_report_charging_profiles(self, **_: Any) -> call_result.ReportChargingProfiles:
        """Acknowledge."""
        return build(call_result.ReportChargingProfiles)

    async def send(self, payload: object) -> Any:
        """Call the station and return its call result (a CallError raises OCPPError)."""
        return await self.call(payload, suppress=False)


class Csms:
    """An aiohttp websocket server speaking OCPP 2.0.1, bound to 127.0.0.1."""

    def __init__(self) -> None:
        """Nothing runs until `start()`."""
        self.url = ""
        self.boot_status = "Accepted"
        self.heartbeat_interval = 300
        self.charging_needs_status = "Accepted"
        self.connections: list[CsmsChargePoint] = []
        self.logs: dict[str, CallLog] = {}
        self._connected = Wakeup()
        self._runner: web.AppRunner | None = None

    def log(self, station_id: str) -> CallLog:
        """The calls a station made (snake_case payloads), over all its connections."""
        return self.logs.setdefault(station_id, CallLog())

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_get("/{station_id}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"ws://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Close every connection and the server."""
        for charge_point in self.connections:
            await charge_point.connection.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_connected(self, count: int = 1, timeout: float = 5.0) -> CsmsChargePoint:
        """Wait for the `count`th connection and return it."""
        async with asyncio.timeout(timeout):
            while len(self.connections) < count:
                await self._connected.wait()
        return self.connections[count - 1]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        station_id = request.match_info["station_id"]
        ws = web.WebSocketResponse(protocols=(SUBPROTOCOL,))
        await ws.prepare(request)
        log = self.log(station_id)
        connection = WebSocketConnection(
            ws, lambda action, payload: log.record(action, camel_to_snake_case(payload))
        )
        charge_point = CsmsChargePoint(station_id, connection, self)
        self.connections.append(charge_point)
        self._connected.fire()
        with contextlib.suppress(ConnectionClosedError):
            await charge_point.start()
        return ws
