"""A simulated OCPP 2.0.1 charging station for tests: EVSEs with a car each, obeying profiles."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
import logging
from types import ModuleType
from typing import Any, ClassVar
import uuid

from ocpp.v201 import call

from ..background import cancel, logged
from ..calllog import CallLog
from ..connection import WebSocketConnection
from ..meter import ENERGY, SOC
from ..observed import Observed
from ..profiles import ProfileError
from ..schedule import TX_PROFILE
from ..timeutil import SimClock, to_iso
from ..uplink import basic_authorization
from ..wakeup import Wakeup
from .car import Car
from .evse import DcElectrics, Electrics, EvseState
from .handlers import StationChargePoint
from .link import SUBPROTOCOL, Link
from .needs import charging_needs
from .payload import build
from .profiles import Capabilities, ProfileBook, refusal
from .quirks import (
    LOSE_STARTED,
    NO_CHARGING_STATE,
    NO_TX_METER_VALUES,
    SEQ_NO_RESTARTS,
    checked,
    quirk_refusal,
)
from .sampling import charging_state, measurand_list, meter_values, next_boundary
from .variables import (
    ALIGNED_ENABLED,
    ALIGNED_INTERVAL,
    ALIGNED_MEASURANDS,
    BASIC_AUTH_PASSWORD,
    HEARTBEAT_INTERVAL,
    ITEMS_PER_MESSAGE,
    SMART,
    TX_ENDED_MEASURANDS,
    TX_UPDATED_INTERVAL,
    TX_UPDATED_MEASURANDS,
    DeviceModel,
    Key,
)

__all__ = ["SimulatedStation201", "StationError"]

_LOGGER = logging.getLogger(__name__)
ACCEPTED = "Accepted"
_RUNNING = 1  # the ProfileStore only needs to know that a transaction runs
_PERIODIC = (HEARTBEAT_INTERVAL, TX_UPDATED_INTERVAL, ALIGNED_INTERVAL)
DEFAULT_DC_POWER = 50_000.0  # W
DC_VOLTAGE = 400.0  # V
AC_VOLTAGE = 230.0  # V
# stoppedReason -> triggerReason of the TransactionEvent Ended.
_STOP_TRIGGERS = {
    "Remote": "RemoteStop",
    "ImmediateReset": "ResetCommand",
    "EVDisconnected": "EVCommunicationLost",
    "DeAuthorized": "Deauthorized",
    "EnergyLimitReached": "EnergyLimitReached",
    "TimeLimitReached": "TimeLimitReached",
}


class StationError(RuntimeError):
    """An action that the station's state does not allow."""


class SimulatedStation201(Observed):
    """An OCPP 2.0.1 charging station: boots, charges on each EVSE, obeys charging profiles."""

    # The library module whose payload classes the station's own calls are built from, and
    # the websocket subprotocol: a later OCPP version's station subclass replaces both.
    messages: ClassVar[ModuleType] = call
    subprotocol: ClassVar[str] = SUBPROTOCOL

    def __init__(
        self,
        station_id: str,
        url: str,
        *,
        evses: int = 1,
        phases: int = 3,
        max_current: float = 16.0,
        voltage: float | None = None,
        rate_unit: str | None = None,
        vendor: str = "Simulated",
        model: str = "Sim201",
        response_timeout: float = 5.0,
        max_stack_level: int = 8,
        quirks: frozenset[str] = frozenset(),
        validate_own_calls: bool = True,
        dc: bool = False,
        dc_power: float = DEFAULT_DC_POWER,
        car: Car | None = None,
        clock: SimClock | None = None,
    ) -> None:
        """Describe the station; `url` is the CSMS's, without the station id.

        An AC station has `phases` and `max_current` (A per phase) at `voltage` (230 V).
        A DC station (`dc`) has `dc_power` (W) per EVSE at `voltage` (400 V DC) instead,
        RateUnit W, a cCCS2 connector and a car per EVSE (a copy of `car`, by default a
        `Car()`) whose state of charge it meters; `phases` and `max_current` do not apply.
        `rate_unit` is SmartChargingCtrlr.RateUnit (AC "A,W", DC "W").
        `max_stack_level` is what SmartChargingCtrlr.ProfileStackLevel reports; `quirks`
        (names in simulator.v201.quirks) imitate stations seen in the field. Without
        `validate_own_calls` the station skips checking its own calls against the schemas
        (a load generator that must not be slower than the CSMS it measures). `clock`:
        the station's clock (by default real time; a SimClock with a start is virtual).
        """
        self.quirks = checked(quirks)
        self.station_id = station_id
        self.url = url.rstrip("/")
        self.dc = dc
        if dc and dc_power <= 0:
            raise ValueError("a DC station needs a positive dc_power")
        self.voltage = voltage if voltage is not None else (DC_VOLTAGE if dc else AC_VOLTAGE)
        self.phases = 1 if dc else phases
        self.max_current = dc_power / self.voltage if dc else max_current
        rate_unit = rate_unit if rate_unit is not None else ("W" if dc else "A,W")
        self.rate_units = frozenset(unit.strip() for unit in rate_unit.split(","))
        self.vendor = vendor
        self.model_name = model
        self.response_timeout = response_timeout
        self.boot_status: str | None = None
        self.clock = clock if clock is not None else SimClock()
        self.profiles = ProfileBook(self.voltage, self.phases)
        self.profiles.store.before_change = self._meter_all  # a limit change ends a period
        self.electrics: Electrics
        if dc:
            self.electrics = DcElectrics(
                self.profiles, self.clock, max_power=dc_power, voltage=self.voltage
            )
        else:
            self.electrics = Electrics(
                self.profiles,
                self.clock,
                max_current=max_current,
                voltage=self.voltage,
                phases=phases,
            )
        now = self.clock.now()
        self.evses = {n: EvseState(n, now) for n in range(1, evses + 1)}
        if dc:
            for state in self.evses.values():
                state.car = replace(car or Car())
        self.model = DeviceModel(
            rate_unit,
            evses,
            self.max_current * self.voltage * self.phases,
            self._power_now,
            dc=dc,
        )
        self.model.set_internal((SMART, "ProfileStackLevel"), str(max_stack_level))
        self.call_log = CallLog()
        self._link = Link(
            self,
            self.call_log,
            self._lost,
            validate=validate_own_calls,
            subprotocol=self.subprotocol,
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._accepted = asyncio.Event()
        self._wake = Wakeup()
        self._due: dict[Key, float | None] = dict.fromkeys(_PERIODIC)

    def __repr__(self) -> str:
        """Name the station in logs."""
        return f"<SimulatedStation201 {self.station_id}>"

    # -- observation -------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether a websocket connection is open."""
        return self._link.connected

    def evse(self, evse_id: int) -> EvseState:
        """An EVSE's state; StationError if there is no such EVSE."""
        try:
            return self.evses[evse_id]
        except KeyError:
            raise StationError(f"no EVSE {evse_id}") from None

    def advance(self, seconds: float) -> None:
        """Move the station's clock forward, metering the skipped time, without sleeping."""
        self._meter_all()
        self.clock.advance(seconds)
        self._meter_all()
        self._wake.fire()

    def effective_limit(self, evse_id: int) -> float | None:
        """The profiles' limit on an EVSE now, A per phase (DC: A DC; None: unlimited)."""
        state = self.evse(evse_id)
        self.profiles.purge(self.now())
        return self.electrics.limit_at(state, self.now())

    def effective_power_limit(self, evse_id: int) -> float | None:
        """The profiles' limit on an EVSE now, W (None: unlimited)."""
        state = self.evse(evse_id)
        self.profiles.purge(self.now())
        return self.electrics.limit_w_at(state, self.now())

    def draw(self, evse_id: int) -> float:
        """A per phase the car draws now: 0 below 6 A or without a transaction (DC: A DC)."""
        return self.electrics.draw_at(self.evse(evse_id), self.now())

    def power(self, evse_id: int) -> float:
        """W the car draws now."""
        return self.electrics.reading(self.evse(evse_id)).power_w

    def car(self, evse_id: int) -> Car:
        """The car on a DC station's EVSE (change its fields to set up a test)."""
        car = self.evse(evse_id).car
        if car is None:
            raise StationError(f"no car on EVSE {evse_id}: not a DC station")
        return car

    def plug_in(self, evse_id: int, car: Car) -> None:
        """Put another car on a DC station's EVSE (between transactions)."""
        state = self.evse(evse_id)
        if not self.dc:
            raise StationError("only a DC station meters its car")
        if state.transaction_id is not None:
            raise StationError(f"EVSE {evse_id} is charging")
        self.electrics.integrate(state)
        state.car = car

    def soc(self, evse_id: int) -> float | None:
        """The state of charge of a DC station's car now, % (None: AC)."""
        state = self.evse(evse_id)
        self.electrics.integrate(state)
        return None if state.car is None else state.car.soc

    def energy_wh(self, evse_id: int) -> float:
        """The EVSE's energy register now, Wh."""
        state = self.evse(evse_id)
        self.electrics.integrate(state)
        return state.register_wh

    def transaction_id(self, evse_id: int) -> str | None:
        """The transaction running on an EVSE, if any."""
        return self.evse(evse_id).transaction_id

    # -- connection --------------------------------------------------------------------------

    async def _open(self) -> None:
        """Connect, with HTTP Basic authentication once the CSMS set a password."""
        password = self.model.value(BASIC_AUTH_PASSWORD)
        authorization = basic_authorization(self.station_id, password) if password else None
        await self._link.open(f"{self.url}/{self.station_id}", self._charge_point, authorization)

    async def connect(self, boot: bool = True) -> str | None:
        """Open the websocket and (with `boot`) send BootNotification PowerUp; return its status.

        Without `boot` the station reports its statuses at once and returns None.
        """
        await self._open()
        if not boot:
            await self._on_accepted()
            return None
        return await self.send_boot_notification("PowerUp")

    async def close(self) -> None:
        """Stop every task, close the socket and the HTTP session."""
        await cancel(self._tasks)
        await self._link.close()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run follow-up work (after an answer) as a task; its link errors are logged."""

        async def run() -> None:
            with logged(self, "follow-up"):
                await coro

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- messages to the CSMS ---------------------------------------------------------------

    async def send_boot_notification(self, reason: str = "PowerUp") -> str:
        """Send BootNotification; once Accepted, report every connector's status."""
        result = await self._link.request(
            build(
                self.messages.BootNotification,
                charging_station={"vendor_name": self.vendor, "model": self.model_name},
                reason=reason,
            )
        )
        self.boot_status = str(result.status)
        if self.boot_status == ACCEPTED:
            self.model.set_internal(HEARTBEAT_INTERVAL, str(int(result.interval)))
            await self._on_accepted()
        return self.boot_status

    async def send_heartbeat(self) -> None:
        """Send Heartbeat."""
        await self._link.request(build(self.messages.Heartbeat))

    async def request(self, payload: object) -> Any:
        """Send a call built by the caller, as it is; return the CSMS's answer."""
        return await self._link.request(payload)

    async def send_status(self, evse_id: int, status: str, connector_id: int = 1) -> None:
        """Report (and remember) a connector's status."""
        self.evse(evse_id).status = status
        await self._link.request(
            build(
                self.messages.StatusNotification,
                timestamp=to_iso(self.now()),
                connector_status=status,
                evse_id=evse_id,
                connector_id=connector_id,
            )
        )

    async def start_transaction(
        self,
        evse_id: int,
        id_token: str = "SIMTAG",  # noqa: S107 - not a secret
        *,
        remote_start_id: int | None = None,
        id_token_type: str = "ISO14443",  # noqa: S107
        charging_profile: Mapping[str, Any] | None = None,
    ) -> str:
        """Occupied, then TransactionEvent Started; return the new transactionId.

        `charging_profile` (RequestStartTransaction's) is installed as the
        transaction's TxProfile before the TransactionEvent goes out.
        """
        state = self.evse(evse_id)
        if state.transaction_id is not None:
            raise StationError(f"EVSE {evse_id} already has a transaction")
        await self.send_status(evse_id, "Occupied")
        self.electrics.integrate(state)
        state.transaction_id, state.started_at, state.seq_no = str(uuid.uuid4()), self.now(), 0
        state.starting = False
        if charging_profile is not None:
            tx_profile = {**charging_profile, "transaction_id": state.transaction_id}
            reason = self.install_profile(evse_id, tx_profile)
            if reason is not None:
                _LOGGER.warning("%s: TxProfile of the remote start refused: %s", self, reason)
        self._wake.fire()
        transaction_id = state.transaction_id
        if LOSE_STARTED in self.quirks:
            state.next_seq_no()  # sent into the void
            _LOGGER.info("%s: TransactionEvent Started of %s lost", self, transaction_id)
        else:
            info: dict[str, Any] = {"remote_start_id": remote_start_id}
            await self._transaction_event(
                state,
                "Started",
                "Authorized" if remote_start_id is None else "RemoteStart",
                self.tx_measurands(state, "Started"),
                "Transaction.Begin",
                info,
                id_token={"id_token": id_token, "type": id_token_type},
            )
        if state.car is not None and state.transaction_id == transaction_id:
            # The car tells what it needs (ISO 15118 ChargeParameterDiscovery).
            with logged(self, "NotifyEVChargingNeeds"):
                await self.send_car_needs(evse_id)
        return transaction_id

    async def send_meter_values(self, evse_id: int) -> None:
        """TransactionEvent Updated (MeterValuePeriodic) during a transaction, else MeterValues.

        With `no_tx_meter_values` the samples go out as MeterValues during a transaction too.
        """
        state = self.evse(evse_id)
        if state.transaction_id is None or NO_TX_METER_VALUES in self.quirks:
            await self._meter_values_message(state, "Sample.Periodic", list(self.model.measurands))
            return
        await self._transaction_event(
            state,
            "Updated",
            "MeterValuePeriodic",
            self.tx_measurands(state, "Updated"),
            "Sample.Periodic",
        )

    async def stop_transaction(self, evse_id: int, reason: str = "Local") -> None:
        """TransactionEvent Ended (with stoppedReason), then StatusNotification Available."""
        state = self.evse(evse_id)
        transaction_id = state.transaction_id
        if transaction_id is None:
            raise StationError(f"no transaction on EVSE {evse_id}")
        self.electrics.integrate(state)
        measurands = self.tx_measurands(state, "Ended")
        reading = self.electrics.reading(state)
        state.transaction_id = state.started_at = None
        self.profiles.clear(evse_id=evse_id, purpose=TX_PROFILE)
        self._wake.fire()
        info = {"charging_state": "EVConnected", "stopped_reason": reason}
        if NO_CHARGING_STATE in self.quirks:
            del info["charging_state"]
        if NO_TX_METER_VALUES in self.quirks:
            measurands = []
        await self._link.request(
            build(
                self.messages.TransactionEvent,
                event_type="Ended",
                timestamp=to_iso(self.now()),
                trigger_reason=_STOP_TRIGGERS.get(reason, "StopAuthorized"),
                seq_no=state.next_seq_no(),
                transaction_info={"transaction_id": transaction_id, **info},
                meter_value=meter_values(reading, measurands, "Transaction.End", self.now()),
                evse={"id": evse_id, "connector_id": 1},
            )
        )
        await self.send_status(evse_id, "Available" if state.operative else "Unavailable")

    async def send_charging_needs(
        self,
        evse_id: int,
        *,
        departure: datetime | None,
        energy_wh: float | None,
        max_current: float | None = None,
        min_current: float | None = None,
        soc: float | None = None,
        car: Car | None = None,
    ) -> str:
        """NotifyEVChargingNeeds (AC; DC when `soc` or `car` is given); return the status.

        With `car` the DC parameters are the car's: maxima, battery, SoC, the energy it
        needs to full_soc (`max_current`, `soc` and `energy_wh` override its values).
        """
        self.evse(evse_id)
        needs = charging_needs(
            phases=self.phases,
            voltage=self.voltage,
            station_max_current=self.max_current,
            max_current=max_current,
            min_current=min_current,
            departure=departure,
            energy_wh=energy_wh,
            soc=soc,
            car=car,
        )
        result = await self._link.request(
            build(self.messages.NotifyEVChargingNeeds, charging_needs=needs, evse_id=evse_id)
        )
        return str(result.status)

    async def send_car_needs(self, evse_id: int) -> str:
        """NotifyEVChargingNeeds DC with the EVSE's car; departure: now + the car's stay."""
        car = self.car(evse_id)
        self.electrics.integrate(self.evse(evse_id))
        return await self.send_charging_needs(
            evse_id, departure=self.now() + car.stay, energy_wh=None, car=car
        )

    async def send_aligned_meter_values(self) -> None:
        """Clock-aligned meter data on every EVSE (AlignedDataCtrlr.Measurands, Sample.Clock).

        During a transaction as TransactionEvent Updated (MeterValueClock), else as
        MeterValues; nothing without measurands.
        """
        measurands = measurand_list(self.model.value(ALIGNED_MEASURANDS))
        if not measurands:
            return
        for state in self.evses.values():
            if state.transaction_id is None or NO_TX_METER_VALUES in self.quirks:
                await self._meter_values_message(state, "Sample.Clock", measurands)
            else:
                await self._transaction_event(
                    state, "Updated", "MeterValueClock", measurands, "Sample.Clock"
                )

    # -- reactions to the CSMS (used by the handlers) ----------------------------------------

    def variable_changed(self, key: Key) -> None:
        """A new interval starts its period afresh."""
        if key == ALIGNED_ENABLED:
            key = ALIGNED_INTERVAL
        if key in self._due:
            self._schedule(key)
        self._wake.fire()

    def install_profile(self, evse_id: int, profile: Mapping[str, Any]) -> str | None:
        """Install a snake_case chargingProfile; return why it is refused (None: installed)."""
        if self.model.value((SMART, "Enabled")) != "true":
            return "smart charging is disabled"
        capabilities = Capabilities(
            evse_count=len(self.evses),
            rate_units=self.rate_units,
            max_stack_level=self.model.integer((SMART, "ProfileStackLevel")),
            max_periods=self.model.integer((SMART, "PeriodsPerSchedule")),
        )
        state = self.evses.get(evse_id)
        running = None if state is None else state.transaction_id
        reason = quirk_refusal(self.quirks, profile) or refusal(
            evse_id, profile, capabilities, running
        )
        if reason is not None:
            return reason
        try:
            self.profiles.install(evse_id, profile, self.now())
        except ProfileError as err:
            return str(err)
        self._wake.fire()
        return None

    def clear_profiles(
        self,
        *,
        profile_id: int | None,
        evse_id: int | None,
        purpose: str | None,
        stack_level: int | None,
    ) -> int:
        """ClearChargingProfile; return how many profiles went."""
        removed = self.profiles.clear(
            profile_id=profile_id, evse_id=evse_id, purpose=purpose, stack_level=stack_level
        )
        self._wake.fire()
        return removed

    def find_profiles(
        self, evse_id: int | None, criteria: Mapping[str, Any]
    ) -> dict[int, list[dict[str, Any]]]:
        """The profiles GetChargingProfiles asks for, per EVSE."""
        sources = criteria.get("charging_limit_source")
        if sources is not None and "CSO" not in sources:
            return {}
        self.profiles.purge(self.now())
        return self.profiles.find(
            evse_id,
            criteria.get("charging_profile_id"),
            criteria.get("charging_profile_purpose"),
            criteria.get("stack_level"),
        )

    async def report_profiles(
        self, request_id: int, found: Mapping[int, list[dict[str, Any]]]
    ) -> None:
        """One ReportChargingProfiles per EVSE, tbc on all but the last."""
        items = sorted(found.items())
        for index, (evse_id, profiles) in enumerate(items):
            await self._link.request(
                build(
                    self.messages.ReportChargingProfiles,
                    request_id=request_id,
                    charging_limit_source="CSO",
                    charging_profile=profiles,
                    evse_id=evse_id,
                    tbc=True if index < len(items) - 1 else None,
                )
            )

    def composite_schedule(
        self, evse_id: int, duration: int, unit: str | None
    ) -> dict[str, Any] | str:
        """GetCompositeSchedule's schedule from now (a str says why it cannot be given)."""
        if evse_id != 0 and evse_id not in self.evses:
            return f"no EVSE {evse_id}"
        unit = unit or ("A" if "A" in self.rate_units else "W")
        if unit not in self.rate_units:
            return f"chargingRateUnit {unit} not supported"
        now = self.now()
        self.profiles.purge(now)
        state = self.evses.get(evse_id)
        running = state is not None and state.transaction_id is not None
        periods = self.profiles.store.composite_schedule(
            evse_id,
            now,
            duration,
            transaction_id=_RUNNING if running else None,
            transaction_start=None if state is None else state.started_at,
            unit=unit,
            ceiling=self.max_current,
        )
        return {
            "evse_id": evse_id,
            "duration": duration,
            "schedule_start": to_iso(now),
            "charging_rate_unit": unit,
            "charging_schedule_period": [
                {
                    "start_period": period.start_period,
                    "limit": round(period.limit.value, 1),
                    # DC has no phases
                    "number_phases": None if self.dc else period.limit.number_phases,
                }
                for period in periods
                if period.limit is not None
            ],
        }

    def reserve_for_start(self, evse_id: int | None) -> bool:
        """Mark a free EVSE (`evse_id`, else the first free one) for a remote start."""
        candidates = sorted(self.evses) if evse_id is None else [evse_id]
        for number in candidates:
            state = self.evses.get(number)
            if state is not None and state.operative and state.transaction_id is None:
                if state.starting:
                    continue
                state.starting = True
                return True
        return False

    def reserved_evse(self, evse_id: int | None) -> int | None:
        """The EVSE `reserve_for_start` marked, if any."""
        candidates = sorted(self.evses) if evse_id is None else [evse_id]
        return next((n for n in candidates if n in self.evses and self.evses[n].starting), None)

    async def remote_start(
        self,
        evse_id: int,
        id_token: Mapping[str, Any],
        remote_start_id: int,
        charging_profile: Mapping[str, Any] | None,
    ) -> None:
        """Start a RequestStartTransaction's transaction; install its TxProfile."""
        try:
            await self.start_transaction(
                evse_id,
                str(id_token["id_token"]),
                remote_start_id=remote_start_id,
                id_token_type=str(id_token["type"]),
                charging_profile=charging_profile,
            )
        finally:
            self.evse(evse_id).starting = False

    def evse_of_transaction(self, transaction_id: str) -> int | None:
        """The EVSE running `transaction_id`."""
        return next((n for n, s in self.evses.items() if s.transaction_id == transaction_id), None)

    def busy(self, evse_id: int | None) -> bool:
        """Whether a transaction runs on the EVSE (None or 0: on any)."""
        return any(
            state.transaction_id is not None
            for number, state in self.evses.items()
            if evse_id in (None, 0, number)
        )

    def availability_answer(self, evse_id: int, operative: bool) -> str:
        """Apply ChangeAvailability to the EVSEs' flags; Scheduled while charging."""
        if evse_id != 0 and evse_id not in self.evses:
            return "Rejected"
        for number, state in self.evses.items():
            if evse_id in (0, number):
                state.operative = operative
        return "Scheduled" if not operative and self.busy(evse_id) else ACCEPTED

    async def change_availability(self, evse_id: int, operative: bool) -> None:
        """Report the statuses ChangeAvailability changed (idle EVSEs only)."""
        del operative  # the flags are already set
        for number, state in self.evses.items():
            if evse_id not in (0, number) or state.transaction_id is not None:
                continue
            wanted = "Available" if state.operative else "Unavailable"
            if state.status != wanted:
                await self.send_status(number, wanted)

    async def reset(self, evse_id: int | None) -> None:
        """Stop the transactions; without an EVSE, reconnect and boot (RemoteReset)."""
        for number, state in self.evses.items():
            if evse_id in (None, 0, number) and state.transaction_id is not None:
                await self.stop_transaction(number, reason="ImmediateReset")
        if evse_id in (None, 0):
            self._accepted.clear()
            await self._open()
            await self.send_boot_notification("RemoteReset")

    async def reboot(self) -> None:
        """Power cycle: reconnect and boot (PowerUp); running transactions go on.

        The energy drawn meanwhile is metered as usual. With `seq_no_restarts` each running
        transaction's next TransactionEvent has seqNo 0 again.
        """
        self._meter_all()
        if SEQ_NO_RESTARTS in self.quirks:
            for state in self.evses.values():
                if state.transaction_id is not None:
                    state.seq_no = 0
        self._accepted.clear()
        await self._open()
        await self.send_boot_notification("PowerUp")

    async def triggered(self, message: str, evse_id: int | None) -> None:
        """Send a message TriggerMessage asked for."""
        targets = [state for number, state in self.evses.items() if evse_id in (None, number)]
        if message == "BootNotification":
            await self.send_boot_notification("Triggered")
        elif message == "Heartbeat":
            await self.send_heartbeat()
        elif message == "StatusNotification":
            for state in targets:
                await self.send_status(state.evse_id, state.status)
        elif message == "MeterValues":
            for state in targets:
                await self._meter_values_message(state, "Trigger", list(self.model.measurands))
        else:
            for state in targets:
                if state.transaction_id is not None:
                    measurands = self.tx_measurands(state, "Updated")
                    await self._transaction_event(
                        state, "Updated", "Trigger", measurands, "Trigger"
                    )

    async def send_report(self, request_id: int) -> None:
        """NotifyReport with the whole device model, ItemsPerMessage items a message."""
        data = self.model.report()
        size = self.model.integer(ITEMS_PER_MESSAGE)
        chunks = [data[start : start + size] for start in range(0, len(data), size)]
        for seq_no, chunk in enumerate(chunks):
            await self._link.request(
                build(
                    self.messages.NotifyReport,
                    request_id=request_id,
                    generated_at=to_iso(self.now()),
                    seq_no=seq_no,
                    report_data=chunk,
                    tbc=True if seq_no < len(chunks) - 1 else None,
                )
            )

    # -- hooks for later OCPP versions -------------------------------------------------------

    def tx_measurands(self, state: EvseState, event: str) -> list[str]:
        """The measurands of a TransactionEvent `event` (Started, Updated, Ended) on the EVSE."""
        del state  # the same on every EVSE
        if event == "Started":
            return [ENERGY, SOC] if self.dc else [ENERGY]
        key = TX_ENDED_MEASURANDS if event == "Ended" else TX_UPDATED_MEASURANDS
        return measurand_list(self.model.value(key))

    def transaction_extras(self, state: EvseState) -> dict[str, Any]:
        """More transactionInfo fields of the EVSE's TransactionEvents (snake_case)."""
        del state
        return {}

    # -- internals ---------------------------------------------------------------------------

    def _charge_point(self, connection: WebSocketConnection) -> StationChargePoint:
        return StationChargePoint(
            self.station_id, connection, self, response_timeout=self.response_timeout
        )

    def _lost(self) -> None:
        self._accepted.clear()

    def _meter_all(self) -> None:
        for state in self.evses.values():
            self.electrics.integrate(state)

    def _power_now(self, evse_id: int) -> float:
        return self.electrics.reading(self.evse(evse_id)).power_w

    async def _on_accepted(self) -> None:
        """Report every connector, start the periodic messages."""
        for state in self.evses.values():
            await self.send_status(state.evse_id, state.status)
        if not self._accepted.is_set():
            for key in _PERIODIC:
                self._schedule(key)
            self._link.spawn(self._periodic())
        self._accepted.set()

    async def _transaction_event(
        self,
        state: EvseState,
        event_type: str,
        trigger: str,
        measurands: list[str],
        context: str,
        info: dict[str, Any] | None = None,
        id_token: dict[str, Any] | None = None,
    ) -> None:
        transaction_id = state.transaction_id
        if transaction_id is None:
            raise StationError(f"no transaction on EVSE {state.evse_id}")
        reading = self.electrics.reading(state)
        transaction_info: dict[str, Any] = {"transaction_id": transaction_id}
        if NO_CHARGING_STATE not in self.quirks:
            transaction_info["charging_state"] = charging_state(state, reading)
        if NO_TX_METER_VALUES in self.quirks:
            measurands = []
        transaction_info.update(self.transaction_extras(state))
        transaction_info.update({k: v for k, v in (info or {}).items() if v is not None})
        await self._link.request(
            build(
                self.messages.TransactionEvent,
                event_type=event_type,
                timestamp=to_iso(self.now()),
                trigger_reason=trigger,
                seq_no=state.next_seq_no(),
                transaction_info=transaction_info,
                meter_value=meter_values(reading, measurands, context, self.now()),
                evse={"id": state.evse_id, "connector_id": 1},
                id_token=id_token,
            )
        )

    async def _meter_values_message(
        self, state: EvseState, context: str, measurands: list[str]
    ) -> None:
        """MeterValues on the EVSE; none when no measurand has a value (SoC without a car)."""
        reading = self.electrics.reading(state)
        values = meter_values(reading, measurands, context, self.now())
        if values is None:
            return
        await self._link.request(
            build(self.messages.MeterValues, evse_id=state.evse_id, meter_value=values)
        )

    async def _periodic(self) -> None:
        """Heartbeats, TransactionEvent Updated and aligned data at their intervals (0: off)."""
        work = {
            HEARTBEAT_INTERVAL: self._heartbeat,
            TX_UPDATED_INTERVAL: self._sample,
            ALIGNED_INTERVAL: self.send_aligned_meter_values,
        }
        while True:
            for key, send in work.items():
                due = self._due[key]
                if due is not None and due <= self.clock.monotonic():
                    self._schedule(key, first=False)
                    with logged(self, ".".join(key)):
                        await send()
            now = self.clock.monotonic()
            waits = [due - now for due in self._due.values() if due is not None]
            await self._wake.wait_at_most(max(min(waits), 0) if waits else None)

    def _schedule(self, key: Key, *, first: bool = True) -> None:
        """Set when the periodic message of interval `key` is next due (0: never).

        Aligned data fall due at multiples of their interval since midnight (UTC) on the
        station's clock: after a message at the next one, else (`first`: boot, a new
        Interval) at the first one a whole interval ahead, so that only whole intervals
        are reported and nothing comes before one interval has passed.
        """
        interval = self.model.integer(key)
        if interval <= 0 or (
            key == ALIGNED_INTERVAL and self.model.value(ALIGNED_ENABLED) != "true"
        ):
            self._due[key] = None
            return
        wait: float = interval
        if key == ALIGNED_INTERVAL:
            now = self.now()
            if first:
                boundary = next_boundary(
                    now + timedelta(seconds=interval), interval, inclusive=True
                )
            else:
                boundary = next_boundary(now, interval)
            wait = (boundary - now).total_seconds()
        self._due[key] = self.clock.monotonic() + wait

    async def _heartbeat(self) -> None:
        await self.send_heartbeat()

    async def _sample(self) -> None:
        for state in self.evses.values():
            if state.transaction_id is not None:
                await self.send_meter_values(state.evse_id)
