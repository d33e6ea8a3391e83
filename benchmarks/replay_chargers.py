"""Chargers that go offline, queue what they would have sent, and replay it later.

Small OCPP clients on the `ocpp` library's client-side ChargePoint (every frame is built
and, unless told otherwise, validated by the library): a 1.6 charger and a 2.0.1 station,
each with one connector (EVSE 1), a clock of its own and an energy register in whole Wh.
They keep the truth of every session (register at start and at stop), so what a central
system counted can be compared with it to the Wh.

A transaction message that cannot go out (no link) or goes unanswered (the link dropped
while waiting) lands in the outbox, as in a real charger's offline queue; `replay` sends
the outbox later, in any order and with repeats. The fault benchmarks
(`benchmarks.restart_storm`, `benchmarks.offline_replay`) and their CI tests use them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import aiohttp
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16, call as call16, call_result as result16
from ocpp.v16.enums import (
    Action as Action16,
    ChargePointErrorCode,
    ChargePointStatus,
    ConfigurationStatus,
    Reason,
    TriggerMessageStatus,
)
from ocpp.v201 import ChargePoint as ChargePoint201, call as call201, call_result as result201
from ocpp.v201.enums import Action as Action201

from simulator.timeutil import to_iso
from simulator.uplink import basic_authorization
from simulator.v201.payload import build

# Where the chargers' clocks start: any fixed moment (the central system compares the
# charger's timestamps with each other, never with its own clock).
T0 = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
VOLTAGE = 230.0
PHASES = 3
# What a car draws unless told otherwise: 16 A on three phases.
FULL_POWER_W = 16 * VOLTAGE * PHASES
ID_TAG = "REPLAY-TAG"


class LinkLostError(ConnectionError):
    """No link to the central system, or it dropped before the answer came."""


@dataclass
class SessionTruth:
    """One charging session as the charger metered it."""

    charger_id: str
    # 1.6: the transaction id the central system handed out; 2.0.1: the station's own id.
    key: int | str
    meter_start: int
    started_at: datetime
    meter_stop: int | None = None
    stopped_at: datetime | None = None

    @property
    def energy(self) -> int:
        """Wh delivered in the session (so far, while it runs)."""
        return 0 if self.meter_stop is None else self.meter_stop - self.meter_start


@dataclass
class Reading:
    """One meter reading the charger took (and sent or queued)."""

    at: datetime
    register_wh: int
    power_w: float


class _Socket:
    """An aiohttp client websocket as the library's connection (async recv/send)."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self._websocket = websocket

    async def recv(self) -> str:
        message = await self._websocket.receive()
        if message.type is aiohttp.WSMsgType.TEXT:
            return str(message.data)
        raise LinkLostError(f"websocket {message.type.name}")

    async def send(self, text: str) -> None:
        if self._websocket.closed:
            raise LinkLostError("websocket closed")
        try:
            await self._websocket.send_str(text)
        except (aiohttp.ClientError, ConnectionError) as error:
            raise LinkLostError(str(error)) from error


@dataclass
class _Link:
    websocket: aiohttp.ClientWebSocketResponse
    charge_point: Any
    receiver: asyncio.Task[None]
    lost: asyncio.Future[None]


class ReplayCharger:
    """What both versions share: the link, the clock, the register, the outbox."""

    version: ClassVar[str]
    subprotocol: ClassVar[str]

    def __init__(
        self,
        charger_id: str,
        url: str,
        http: aiohttp.ClientSession,
        *,
        register_wh: int = 0,
        start: datetime = T0,
        validate: bool = True,
        response_timeout: float = 10.0,
    ) -> None:
        """A charger at `url` (the central system's, without the id), idle, not connected.

        `validate`: check our own frames against the schemas before sending (the central
        system checks them anyway).
        """
        self.charger_id = charger_id
        self.url = url.rstrip("/")
        self.now = start
        self.register_wh = register_wh
        self.sessions: list[SessionTruth] = []
        self.readings: list[Reading] = []
        # Transaction messages waiting for a link (or whose answer never came).
        self.outbox: list[Any] = []
        self.replayed = 0
        self._http = http
        self._validate = validate
        self._response_timeout = response_timeout
        self._link: _Link | None = None
        self._power_w = 0.0
        # The password the central system installed (HTTP Basic auth from then on).
        self.password: str | None = None

    def __repr__(self) -> str:
        """Name the charger in logs and assertion messages."""
        return f"<{type(self).__name__} {self.charger_id}>"

    # --- the charger's own world ---------------------------------------------------------

    @property
    def session(self) -> SessionTruth | None:
        """The session running now, if any."""
        if self.sessions and self.sessions[-1].meter_stop is None:
            return self.sessions[-1]
        return None

    def run(self, seconds: float, power_w: float = FULL_POWER_W) -> None:
        """Let `seconds` pass; during a session the car draws `power_w` meanwhile."""
        self.now += timedelta(seconds=seconds)
        if self.session is not None:
            self.register_wh += round(power_w * seconds / 3600)
            self._power_w = power_w

    @property
    def power_w(self) -> float:
        """What the car draws now (0 without a session)."""
        return self._power_w if self.session is not None else 0.0

    def _reading(self) -> Reading:
        reading = Reading(self.now, self.register_wh, self.power_w)
        self.readings.append(reading)
        return reading

    def _end_session(self) -> SessionTruth:
        session = self.session
        if session is None:
            raise RuntimeError(f"{self}: no session to stop")
        session.meter_stop, session.stopped_at = self.register_wh, self.now
        self._power_w = 0.0
        return session

    # --- the link ------------------------------------------------------------------------

    @property
    def online(self) -> bool:
        """Whether a link is up."""
        return self._link is not None and not self._link.lost.done()

    async def connect(self, *, boot: bool = True) -> None:
        """Open a link; boot (or, without `boot`, only report the connector's status)."""
        await self.disconnect()
        headers = {}
        if self.password is not None:
            headers[aiohttp.hdrs.AUTHORIZATION] = basic_authorization(
                self.charger_id, self.password
            )
        websocket = await self._http.ws_connect(
            f"{self.url}/{self.charger_id}", protocols=(self.subprotocol,), headers=headers
        )
        if websocket.protocol != self.subprotocol:
            await websocket.close()
            raise LinkLostError(f"{self}: the central system refused {self.subprotocol}")
        charge_point = self._charge_point(_Socket(websocket))
        lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        receiver = asyncio.create_task(self._receive(charge_point, lost))
        self._link = _Link(websocket, charge_point, receiver, lost)
        if boot:
            await self.boot()
        await self.report_status()

    async def disconnect(self) -> None:
        """Drop the link (a network outage, or before reconnecting)."""
        link, self._link = self._link, None
        if link is None:
            return
        await link.websocket.close()
        link.receiver.cancel()
        await asyncio.wait({link.receiver})

    async def close(self) -> None:
        """Drop the link for good."""
        await self.disconnect()

    @staticmethod
    async def _receive(charge_point: Any, lost: asyncio.Future[None]) -> None:
        try:
            await charge_point.start()
        except LinkLostError:
            pass
        finally:
            if not lost.done():
                lost.set_result(None)

    async def call(self, payload: Any) -> Any:
        """Send a call and return its answer; LinkLostError when no answer can come."""
        link = self._link
        if link is None or link.lost.done():
            raise LinkLostError(f"{self}: offline")
        pending = asyncio.ensure_future(
            link.charge_point.call(
                payload, suppress=False, skip_schema_validation=not self._validate
            )
        )
        await asyncio.wait({pending, link.lost}, return_when=asyncio.FIRST_COMPLETED)
        if pending.done():
            return pending.result()
        pending.cancel()
        await asyncio.wait({pending})
        raise LinkLostError(f"{self}: link lost before the answer")

    async def send(self, payload: Any) -> Any | None:
        """Send a transaction message now, or queue it (offline, or the answer was lost)."""
        if not self.online:
            self.outbox.append(payload)
            return None
        try:
            return await self.call(payload)
        except LinkLostError:
            self.outbox.append(payload)
            return None

    async def replay(self, order: Sequence[int] | None = None) -> int:
        """Send the outbox (by `order`, indices into it, repeats allowed); return how many.

        What is still unanswered goes back to the outbox.
        """
        queued, self.outbox = self.outbox, []
        sequence = range(len(queued)) if order is None else order
        sent = 0
        for index in sequence:
            await self.send(queued[index])
            sent += 1
        self.replayed += sent
        return sent

    # --- what each version says ----------------------------------------------------------

    def _charge_point(self, socket: _Socket) -> Any:
        raise NotImplementedError

    async def boot(self) -> None:
        """BootNotification; it must be accepted."""
        raise NotImplementedError

    async def report_status(self) -> None:
        """The connector's status now."""
        raise NotImplementedError

    async def start_session(self) -> SessionTruth:
        """Start a transaction online; return its truth."""
        raise NotImplementedError

    def meter_message(self) -> Any:
        """A periodic meter reading of the running session, taken now."""
        raise NotImplementedError

    def stop_message(self, reason: str = "Local", *, with_meter: bool = True) -> Any:
        """End the running session now; return the message that tells it.

        `with_meter`: the message carries a meter reading besides the mandatory ones.
        """
        raise NotImplementedError


# --- OCPP 1.6 ---------------------------------------------------------------------------------


class _Answers16(ChargePoint16):
    """What the central system's setup asks a 1.6 charger."""

    owner: ReplayCharger

    @on(Action16.get_configuration)
    def on_get_configuration(self, **_: Any) -> result16.GetConfiguration:
        return result16.GetConfiguration(configuration_key=[])

    @on(Action16.change_configuration)
    def on_change_configuration(
        self, key: str, value: str, **_: Any
    ) -> result16.ChangeConfiguration:
        if key == "AuthorizationKey":
            self.owner.password = value
        return result16.ChangeConfiguration(status=ConfigurationStatus.accepted)

    @on(Action16.trigger_message)
    def on_trigger_message(self, **_: Any) -> result16.TriggerMessage:
        return result16.TriggerMessage(status=TriggerMessageStatus.rejected)


def sampled_values_16(reading: Reading) -> list[dict[str, Any]]:
    """A 1.6 sampledValue list: the register, the power and three phase currents."""
    current = reading.power_w / (VOLTAGE * PHASES)
    return [
        {"value": str(reading.register_wh), "measurand": "Energy.Active.Import.Register"},
        {"value": f"{reading.power_w:.0f}", "measurand": "Power.Active.Import", "unit": "W"},
        *(
            {
                "value": f"{current:.1f}",
                "measurand": "Current.Import",
                "unit": "A",
                "phase": f"L{phase}",
            }
            for phase in range(1, PHASES + 1)
        ),
    ]


class Charger16(ReplayCharger):
    """An OCPP 1.6 charger with connector 1."""

    version = "1.6"
    subprotocol = "ocpp1.6"

    def _charge_point(self, socket: _Socket) -> Any:
        charge_point = _Answers16(  # type: ignore[no-untyped-call]
            self.charger_id, socket, self._response_timeout
        )
        charge_point.owner = self
        return charge_point

    @property
    def transaction_id(self) -> int | None:
        """The running session's transaction id."""
        session = self.session
        return None if session is None else int(session.key)

    async def boot(self) -> None:
        """BootNotification; it must be accepted."""
        answer = await self.call(
            call16.BootNotification(charge_point_vendor="Replay", charge_point_model="R16")
        )
        if answer.status != "Accepted":
            raise RuntimeError(f"{self}: boot {answer.status}")

    async def report_status(self) -> None:
        """StatusNotification of connector 1: Charging during a session, else Available."""
        status = ChargePointStatus.charging if self.session else ChargePointStatus.available
        await self.call(
            call16.StatusNotification(
                connector_id=1,
                error_code=ChargePointErrorCode.no_error,
                status=status,
                timestamp=to_iso(self.now),
            )
        )

    async def start_session(self) -> SessionTruth:
        """StartTransaction; the central system's id is the session's key."""
        if self.session is not None:
            raise RuntimeError(f"{self}: a session runs")
        answer = await self.call(
            call16.StartTransaction(
                connector_id=1,
                id_tag=ID_TAG,
                meter_start=self.register_wh,
                timestamp=to_iso(self.now),
            )
        )
        session = SessionTruth(
            self.charger_id, int(answer.transaction_id), self.register_wh, self.now
        )
        self.sessions.append(session)
        await self.report_status()
        return session

    def meter_message(self) -> call16.MeterValues:
        """MeterValues of the running transaction, taken now."""
        return self.meter_values(self._reading())

    def meter_values(self, reading: Reading) -> call16.MeterValues:
        """MeterValues of the running (or last) transaction with `reading`."""
        session = self.sessions[-1]
        return call16.MeterValues(
            connector_id=1,
            transaction_id=int(session.key),
            meter_value=[
                {
                    "timestamp": to_iso(reading.at),
                    "sampledValue": [
                        {**sample, "context": "Sample.Periodic"}
                        for sample in sampled_values_16(reading)
                    ],
                }
            ],
        )

    def stop_message(
        self, reason: str = "Local", *, with_meter: bool = True
    ) -> call16.StopTransaction:
        """StopTransaction now; with `with_meter` its transactionData has the last reading."""
        reading = self._reading()
        session = self._end_session()
        data = None
        if with_meter:
            end = {"value": str(reading.register_wh), "context": "Transaction.End"}
            data = [{"timestamp": to_iso(reading.at), "sampledValue": [end]}]
        return call16.StopTransaction(
            meter_stop=self.register_wh,
            timestamp=to_iso(self.now),
            transaction_id=int(session.key),
            reason=Reason(reason),
            id_tag=ID_TAG,
            transaction_data=data,
        )


# --- OCPP 2.0.1 -------------------------------------------------------------------------------

_DEVICE_MODEL = {
    ("SmartChargingCtrlr", "Enabled"): "true",
    ("SmartChargingCtrlr", "RateUnit"): "A,W",
    ("SmartChargingCtrlr", "ProfileStackLevel"): "4",
    ("SmartChargingCtrlr", "PeriodsPerSchedule"): "12",
}
_PASSWORD = ("SecurityCtrlr", "BasicAuthPassword")


def _names(item: dict[str, Any]) -> dict[str, Any]:
    return {"component": item["component"], "variable": item["variable"]}


class _Answers201(ChargePoint201):
    """What the central system's setup asks a 2.0.1 station."""

    owner: ReplayCharger

    @on(Action201.get_variables)
    def on_get_variables(
        self, get_variable_data: list[dict[str, Any]], **_: Any
    ) -> result201.GetVariables:
        results: list[dict[str, Any]] = []
        for item in get_variable_data:
            value = _DEVICE_MODEL.get((item["component"]["name"], item["variable"]["name"]))
            if value is None:
                results.append({**_names(item), "attribute_status": "UnknownVariable"})
            else:
                results.append(
                    {**_names(item), "attribute_status": "Accepted", "attribute_value": value}
                )
        return build(result201.GetVariables, get_variable_result=results)

    @on(Action201.set_variables)
    def on_set_variables(
        self, set_variable_data: list[dict[str, Any]], **_: Any
    ) -> result201.SetVariables:
        results = [{**_names(item), "attribute_status": "Accepted"} for item in set_variable_data]
        for item in set_variable_data:
            if (item["component"]["name"], item["variable"]["name"]) == _PASSWORD:
                self.owner.password = str(item["attribute_value"])
        return build(result201.SetVariables, set_variable_result=results)

    @on(Action201.get_base_report)
    def on_get_base_report(self, **_: Any) -> result201.GetBaseReport:
        return build(result201.GetBaseReport, status="Accepted")

    @on(Action201.trigger_message)
    def on_trigger_message(self, **_: Any) -> result201.TriggerMessage:
        return build(result201.TriggerMessage, status="Rejected")


def meter_value_201(reading: Reading, context: str) -> dict[str, Any]:
    """A 2.0.1 meterValue element: the register, the power and three phase currents."""
    current = round(reading.power_w / (VOLTAGE * PHASES), 1)

    def sample(value: float, measurand: str, unit: str, phase: str | None = None) -> dict[str, Any]:
        item: dict[str, Any] = {
            "value": value,
            "measurand": measurand,
            "context": context,
            "unit_of_measure": {"unit": unit},
        }
        if phase is not None:
            item["phase"] = phase
        return item

    return {
        "timestamp": to_iso(reading.at),
        "sampled_value": [
            sample(reading.register_wh, "Energy.Active.Import.Register", "Wh"),
            sample(round(reading.power_w), "Power.Active.Import", "W"),
            *(
                sample(current, "Current.Import", "A", f"L{phase}")
                for phase in range(1, PHASES + 1)
            ),
        ],
    }


class Station201(ReplayCharger):
    """An OCPP 2.0.1 station with EVSE 1; it names its transactions itself."""

    version = "2.0.1"
    subprotocol = "ocpp2.0.1"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """See `ReplayCharger`; no transaction yet."""
        super().__init__(*args, **kwargs)
        self.seq_no = 0

    def _charge_point(self, socket: _Socket) -> Any:
        charge_point = _Answers201(  # type: ignore[no-untyped-call]
            self.charger_id, socket, self._response_timeout
        )
        charge_point.owner = self
        return charge_point

    async def boot(self) -> None:
        """BootNotification PowerUp; it must be accepted."""
        answer = await self.call(
            build(
                call201.BootNotification,
                charging_station={"vendor_name": "Replay", "model": "R201"},
                reason="PowerUp",
            )
        )
        if answer.status != "Accepted":
            raise RuntimeError(f"{self}: boot {answer.status}")

    async def report_status(self) -> None:
        """StatusNotification of EVSE 1: Occupied during a session, else Available."""
        await self.call(
            build(
                call201.StatusNotification,
                timestamp=to_iso(self.now),
                connector_status="Occupied" if self.session else "Available",
                evse_id=1,
                connector_id=1,
            )
        )

    def _event(
        self,
        event_type: str,
        trigger: str,
        session: SessionTruth,
        context: str,
        *,
        with_meter: bool = True,
        **info: Any,
    ) -> call201.TransactionEvent:
        reading = self._reading()
        fields: dict[str, Any] = {}
        if event_type == "Started":
            fields["id_token"] = {"id_token": ID_TAG, "type": "ISO14443"}
        if not self.online:
            fields["offline"] = True
        seq_no, self.seq_no = self.seq_no, self.seq_no + 1
        return build(
            call201.TransactionEvent,
            event_type=event_type,
            timestamp=to_iso(reading.at),
            trigger_reason=trigger,
            seq_no=seq_no,
            transaction_info={"transaction_id": str(session.key), **info},
            meter_value=[meter_value_201(reading, context)] if with_meter else None,
            evse={"id": 1, "connector_id": 1},
            **fields,
        )

    def begin_session(self) -> call201.TransactionEvent:
        """Start a transaction now (online or not); return its TransactionEvent Started."""
        if self.session is not None:
            raise RuntimeError(f"{self}: a session runs")
        number = len(self.sessions) + 1
        session = SessionTruth(
            self.charger_id, f"{self.charger_id}-tx{number}", self.register_wh, self.now
        )
        self.sessions.append(session)
        self.seq_no = 0
        return self._event(
            "Started", "Authorized", session, "Transaction.Begin", charging_state="Charging"
        )

    async def start_session(self) -> SessionTruth:
        """TransactionEvent Started, online."""
        await self.call(self.begin_session())
        await self.report_status()
        return self.sessions[-1]

    def meter_message(self) -> call201.TransactionEvent:
        """TransactionEvent Updated (MeterValuePeriodic) of the running transaction."""
        session = self.session
        if session is None:
            raise RuntimeError(f"{self}: no session")
        return self._event(
            "Updated",
            "MeterValuePeriodic",
            session,
            "Sample.Periodic",
            charging_state="Charging",
        )

    def stop_message(
        self, reason: str = "Local", *, with_meter: bool = True
    ) -> call201.TransactionEvent:
        """TransactionEvent Ended; with `with_meter` it carries the end reading."""
        session = self.session
        if session is None:
            raise RuntimeError(f"{self}: no session")
        event = self._event(
            "Ended",
            "StopAuthorized",
            session,
            "Transaction.End",
            with_meter=with_meter,
            stopped_reason=reason,
        )
        self._end_session()
        return event

    def charging_needs(self, departure: datetime, energy_wh: int) -> call201.NotifyEVChargingNeeds:
        """NotifyEVChargingNeeds of the car on EVSE 1 (AC, three phases)."""
        return build(
            call201.NotifyEVChargingNeeds,
            evse_id=1,
            charging_needs={
                "requested_energy_transfer": "AC_three_phase",
                "departure_time": to_iso(departure),
                "ac_charging_parameters": {
                    "energy_amount": energy_wh,
                    "ev_min_current": 6,
                    "ev_max_current": 16,
                    "ev_max_voltage": 400,
                },
            },
        )


def version_of(index: int, share_201: float) -> str:
    """The OCPP version of charger `index` in a fleet where `share_201` speak 2.0.1.

    By blocks of four, so that chargers given a role by `index % 4` come in both versions.
    """
    block = index // 4
    return "2.0.1" if int((block + 1) * share_201) > int(block * share_201) else "1.6"


def make_charger(
    version: str, charger_id: str, url: str, http: aiohttp.ClientSession, **options: Any
) -> ReplayCharger:
    """A charger of OCPP `version` ("1.6" or "2.0.1")."""
    kind: type[ReplayCharger] = Charger16 if version == "1.6" else Station201
    return kind(charger_id, url, http, **options)


def make_fleet(
    prefix: str,
    chargers: int,
    share_201: float,
    url: str,
    http: aiohttp.ClientSession,
    *,
    validate: bool,
) -> list[ReplayCharger]:
    """`chargers` chargers PREFIX-0000, ..., `share_201` of them 2.0.1.

    Each meters from its own register: 10 kWh plus 1 kWh per index.
    """
    return [
        make_charger(
            version_of(index, share_201),
            f"{prefix}-{index:04d}",
            url,
            http,
            register_wh=10_000 + 1_000 * index,
            validate=validate,
        )
        for index in range(chargers)
    ]
