"""A tiny OCPP 2.1 CSMS on 127.0.0.1 for the 2.1 station simulator's tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from ocpp.charge_point import camel_to_snake_case
from ocpp.routing import on
from ocpp.v21 import call, call_result
from ocpp.v21.enums import Action

from simulator.calllog import CallLog
from simulator.connection import ConnectionClosedError, WebSocketConnection
from simulator.timeutil import SimClock
from simulator.v21 import SimulatedStation21, ac_wallbox, dc_station
from simulator.v21.wire import SUBPROTOCOL, ChargePoint21
from simulator.v201.payload import build
from simulator.wakeup import Wakeup


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Csms21ChargePoint(ChargePoint21):
    """The CSMS's side of one 2.1 station connection; what it sends lands in the log."""

    def __init__(self, station_id: str, connection: WebSocketConnection, csms: Csms21) -> None:
        """Serve one connection."""
        super().__init__(station_id, connection, response_timeout=5)
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

    @on(Action.authorize)
    def on_authorize(self, **_: Any) -> call_result.Authorize:
        """The scripted status and allowedEnergyTransfer (None: left out)."""
        return build(
            call_result.Authorize,
            id_token_info={"status": self.csms.authorize_status},
            allowed_energy_transfer=self.csms.allowed_energy_transfer,
        )

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


class Csms21:
    """An aiohttp websocket server speaking OCPP 2.1 (subprotocol ocpp2.1), on 127.0.0.1."""

    def __init__(self) -> None:
        """Nothing runs until `start()`; Authorize accepts, allowing charging only."""
        self.url = ""
        self.boot_status = "Accepted"
        self.heartbeat_interval = 300
        self.charging_needs_status = "Accepted"
        self.authorize_status = "Accepted"
        self.allowed_energy_transfer: list[str] | None = None
        self.connections: list[Csms21ChargePoint] = []
        self.logs: dict[str, CallLog] = {}
        self.protocols: list[str | None] = []  # the subprotocol of each connection
        self.raw: list[tuple[str, dict[str, Any]]] = []  # (action, camelCase payload) answered
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
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"ws://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Close every connection and the server."""
        for charge_point in self.connections:
            await charge_point.connection.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_connected(self, count: int = 1, timeout: float = 5.0) -> Csms21ChargePoint:
        """Wait for the `count`th connection and return it."""
        async with asyncio.timeout(timeout):
            while len(self.connections) < count:
                await self._connected.wait()
        return self.connections[count - 1]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        station_id = request.match_info["station_id"]
        ws = web.WebSocketResponse(protocols=(SUBPROTOCOL,))
        await ws.prepare(request)
        self.protocols.append(ws.ws_protocol)
        log = self.log(station_id)

        def record(action: str, payload: dict[str, Any]) -> None:
            self.raw.append((action, payload))
            log.record(action, camel_to_snake_case(payload))

        connection = WebSocketConnection(ws, record)
        charge_point = Csms21ChargePoint(station_id, connection, self)
        self.connections.append(charge_point)
        self._connected.fire()
        with contextlib.suppress(ConnectionClosedError):
            await charge_point.start()
        return ws


START = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


class Rig:
    """A running Csms21 and the 2.1 stations connected to it, on a virtual clock."""

    def __init__(self) -> None:
        """Nothing runs until entered."""
        self.csms = Csms21()
        self.stations: list[SimulatedStation21] = []

    async def __aenter__(self) -> Rig:
        """Start the CSMS."""
        await self.csms.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        """Close the stations and the CSMS."""
        for station in self.stations:
            await station.close()
        await self.csms.stop()

    async def station(
        self, station_id: str = "V2X", *, dc: bool = False, **options: Any
    ) -> tuple[SimulatedStation21, Csms21ChargePoint]:
        """Boot an AC wallbox (`dc`: a DC station) on the virtual clock; it and the CSMS side."""
        options.setdefault("clock", SimClock(START))
        make = dc_station if dc else ac_wallbox
        station = make(station_id, self.csms.url, **options)
        self.stations.append(station)
        count = len(self.csms.connections) + 1
        assert await station.connect() == "Accepted"
        await station.wait_accepted()
        return station, await self.csms.wait_connected(count)

    def log(self, station_id: str = "V2X") -> CallLog:
        """What the station sent."""
        return self.csms.log(station_id)


def period(mode: str | None = None, **fields: float) -> dict[str, Any]:
    """A snake_case 2.1 schedule period from 0 s (`limit_l2`... as keyword arguments)."""
    data: dict[str, Any] = {"start_period": 0, **fields}
    if mode is not None:
        data["operation_mode"] = mode
    return data


def profile(
    profile_id: int,
    purpose: str,
    *periods: dict[str, Any],
    unit: str = "W",
    stack_level: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    """A snake_case Relative chargingProfile (schedule fields via `schedule`)."""
    schedule = {
        "id": profile_id,
        "charging_rate_unit": unit,
        "charging_schedule_period": list(periods),
        **extra.pop("schedule", {}),
    }
    return {
        "id": profile_id,
        "stack_level": stack_level,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": "Relative",
        "charging_schedule": [schedule],
        **extra,
    }


async def set_profile(cp: Csms21ChargePoint, evse_id: int, data: dict[str, Any]) -> str:
    """SetChargingProfile; return the status."""
    result = await cp.send(build(call.SetChargingProfile, evse_id=evse_id, charging_profile=data))
    return str(result.status)


def variable(component: str, name: str, evse: int | None = None, **extra: Any) -> dict[str, Any]:
    """A GetVariableData / SetVariableData item (`instance` goes on the variable)."""
    comp: dict[str, Any] = {"name": component}
    if evse is not None:
        comp["evse"] = {"id": evse}
    named: dict[str, Any] = {"name": name}
    if "instance" in extra:
        named["instance"] = extra.pop("instance")
    return {"component": comp, "variable": named, **extra}


def samples(event: dict[str, Any]) -> dict[tuple[str, str | None], float]:
    """The sampled values of a payload's first meterValue, by (measurand, phase)."""
    return {
        (value["measurand"], value.get("phase")): value["value"]
        for value in event["meter_value"][0]["sampled_value"]
    }


def updated(trigger: str = "MeterValuePeriodic") -> Callable[[dict[str, Any]], bool]:
    """A predicate: a TransactionEvent Updated with this triggerReason."""

    def check(event: dict[str, Any]) -> bool:
        return bool(event["event_type"] == "Updated" and event["trigger_reason"] == trigger)

    return check
