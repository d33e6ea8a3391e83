"""A simulated OCPP 2.1 bidirectional station (V2G/V2H): the 2.0.1 station with V2X on top.

What the 2.0.1 station does (boot, transactions, device model, profiles, sampling) goes on
here over `ocpp2.1`; its EVSEs follow 2.1 operation modes with a bidirectional car each,
discharging only while the transaction's allowed energy transfer includes AC_BPT / DC_BPT:
AuthorizeResponse.allowedEnergyTransfer at a local start (charging only when absent), then
NotifyAllowedEnergyTransfer. In 2.1 neither idTokenInfo nor TransactionEventResponse
carries allowedEnergyTransfer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
import logging
from types import ModuleType
from typing import Any, ClassVar

from ocpp.v21 import call

from ..connection import WebSocketConnection
from ..timeutil import to_iso
from ..v201.car import Car
from ..v201.evse import MIN_CURRENT, EvseState
from ..v201.payload import build
from ..v201.sampling import measurand_list
from ..v201.station import SimulatedStation201, StationError
from ..v201.variables import SMART, TX_ENDED_MEASURANDS, TX_UPDATED_MEASURANDS
from .car import V2XCar, default_car
from .electrics import BidiElectrics, BidiEvse
from .handlers import StationChargePoint21
from .needs import AC_BPT, AC_MODES, DC_BPT, Evse, charging_needs, energy_modes
from .operation import Operation, Rating
from .profiles import ProfileBook21, refusal
from .variables import ISO15118, TX_STARTED_MEASURANDS, V2X, DeviceModel21
from .wire import SUBPROTOCOL

__all__ = ["NEGATIVE_IMPORT_POWER", "SimulatedStation21"]

_LOGGER = logging.getLogger(__name__)
# Power.Active.Import goes negative while discharging, no Power.Active.Export (some stations).
NEGATIVE_IMPORT_POWER = "negative_import_power"
QUIRKS = frozenset({NEGATIVE_IMPORT_POWER})
_EVENT_MEASURANDS = {
    "Started": TX_STARTED_MEASURANDS,
    "Updated": TX_UPDATED_MEASURANDS,
    "Ended": TX_ENDED_MEASURANDS,
}
DEFAULT_DC_POWER = 22_000.0  # W


class SimulatedStation21(SimulatedStation201):
    """An OCPP 2.1 station whose EVSEs charge and discharge a V2XCar each."""

    messages: ClassVar[ModuleType] = call
    subprotocol: ClassVar[str] = SUBPROTOCOL

    def __init__(
        self,
        station_id: str,
        url: str,
        *,
        dc: bool = False,
        dc_power: float = DEFAULT_DC_POWER,
        discharge_power: float | None = None,
        car: V2XCar | None = None,
        quirks: frozenset[str] = frozenset(),
        authorize_local_start: bool = True,
        model: str = "Sim21",
        **options: Any,
    ) -> None:
        """Describe the station as SimulatedStation201 does (`options`), bidirectional.

        `discharge_power`: W an EVSE gives at most (default: what it charges with at most);
        `car`: copied onto every EVSE (default: `default_car`); `quirks`: the 2.0.1 ones
        and NEGATIVE_IMPORT_POWER. A local start asks Authorize first (unless not
        `authorize_local_start`) and takes its allowedEnergyTransfer.
        """
        super().__init__(
            station_id,
            url,
            dc=dc,
            dc_power=dc_power,
            quirks=quirks - QUIRKS,
            model=model,
            **options,
        )
        self.quirks = self.quirks | (quirks & QUIRKS)
        self.authorize_local_start = authorize_local_start
        charge_w = self.max_current * self.voltage * self.phases
        self.discharge_power = charge_w if discharge_power is None else discharge_power
        if self.discharge_power < 0:
            raise ValueError("discharge_power is a magnitude")
        self.rating = Rating(
            phases=self.phases,
            voltage=self.voltage,
            charge=self.max_current * self.voltage,
            discharge=self.discharge_power / self.phases,
            min_charge=0.0 if dc else MIN_CURRENT * self.voltage,
        )
        self.evse_spec = Evse(dc, self.phases, self.voltage, charge_w, self.discharge_power)
        stack_level = self.model.value((SMART, "ProfileStackLevel"))
        self.book = ProfileBook21(self.voltage, self.phases, {"A": self.max_current, "W": charge_w})
        self.book.store.before_change = self._meter_all
        self.profiles = self.book
        self.bidi = BidiElectrics(
            self.book,
            self.clock,
            self.rating,
            self._may_discharge,
            dc=dc,
            signed_power=NEGATIVE_IMPORT_POWER in self.quirks,
        )
        self.electrics = self.bidi
        now = self.clock.now()
        template = car or default_car(dc=dc)
        evses: dict[int, EvseState] = {
            n: BidiEvse(n, now, car=replace(template)) for n in self.evses
        }
        self.evses = evses
        self.model21 = DeviceModel21(
            ",".join(sorted(self.rate_units)),
            len(self.evses),
            charge_w,
            self._power_now,
            dc=dc,
            energy_modes=self._energy_modes(),
            phases=self.phases,
            max_discharge_w=self.discharge_power,
            discharge_now=self._discharge_now,
            before_change=self._meter_all,
        )
        self.model = self.model21
        self.model.set_internal((SMART, "ProfileStackLevel"), stack_level)

    def __repr__(self) -> str:
        """Name the station in logs."""
        return f"<SimulatedStation21 {self.station_id}>"

    # -- observation -------------------------------------------------------------------------

    def bidi_evse(self, evse_id: int) -> BidiEvse:
        """An EVSE's state; StationError if there is no such EVSE."""
        state = self.evse(evse_id)
        assert isinstance(state, BidiEvse)  # noqa: S101 - every EVSE of the station is one
        return state

    def car(self, evse_id: int) -> V2XCar:
        """The car on an EVSE (change its fields to set up a test)."""
        car = self.bidi_evse(evse_id).v2x_car()
        if car is None:
            raise StationError(f"no car on EVSE {evse_id}")
        return car

    def plug_in(self, evse_id: int, car: Car) -> None:
        """Put another V2XCar on an EVSE (between transactions)."""
        state = self.bidi_evse(evse_id)
        if not isinstance(car, V2XCar):
            raise StationError("a 2.1 station's cars are V2XCars")
        if state.transaction_id is not None:
            raise StationError(f"EVSE {evse_id} is charging")
        self.electrics.integrate(state)
        state.car = car

    def export_wh(self, evse_id: int) -> float:
        """The EVSE's export register now, Wh."""
        state = self.bidi_evse(evse_id)
        self.electrics.integrate(state)
        return state.export_wh

    def operation(self, evse_id: int) -> Operation:
        """What the profiles ask of the EVSE now (mode, caps and setpoint in W per phase)."""
        state = self.bidi_evse(evse_id)
        self.profiles.purge(self.now())
        return self.bidi.operation_at(state, self.now())

    def phase_power(self, evse_id: int) -> tuple[float, ...]:
        """W per phase the car transfers now (negative: discharging; DC: one value)."""
        return self.bidi.actual(self.bidi_evse(evse_id))

    def command(self, evse_id: int) -> float:
        """W the EVSE asks the car for now (the setpoint it executes; negative: discharge)."""
        return sum(self.bidi.command_at(self.bidi_evse(evse_id), self.now()))

    def discharge_allowed(self, evse_id: int) -> bool:
        """Whether the EVSE's transaction may discharge the car now."""
        return self._may_discharge(self.bidi_evse(evse_id))

    # -- the local controller and the CSMS ---------------------------------------------------

    def set_local_setpoint(self, evse_id: int, watts: float | None) -> None:
        """What a local controller (an EMS) asks for, W (ExternalSetpoint, ExternalLimits)."""
        state = self.bidi_evse(evse_id)
        self._meter_all()
        state.local_setpoint = watts
        self._wake.fire()

    def allow_energy_transfer(
        self, transaction_id: str, modes: list[str]
    ) -> tuple[str, str] | None:
        """NotifyAllowedEnergyTransfer: None (Accepted) or (reasonCode, why) it is Rejected."""
        evse_id = self.evse_of_transaction(transaction_id)
        if evse_id is None:
            return "InvalidValue", f"no transaction {transaction_id}"
        state = self.bidi_evse(evse_id)
        if self.model21.evse_value(V2X, evse_id, "Enabled") != "true":
            return "InvalidValue", "V2X is disabled on the EVSE"
        car = state.v2x_car()
        offered = set() if car is None else set(energy_modes(car, self.evse_spec))
        if not offered & set(modes):
            return "UnsupportedRequest", "the EV offers none of these energy transfer modes"
        self._meter_all()
        state.allowed = frozenset(modes)
        self._wake.fire()
        _LOGGER.info("%s: EVSE %d may use %s", self, evse_id, ", ".join(modes))
        return None

    def install_profile(self, evse_id: int, profile: Mapping[str, Any]) -> str | None:
        """Install a snake_case 2.1 chargingProfile; return why it is refused (None: installed)."""
        reason = refusal(profile, dc=self.dc)
        return reason if reason is not None else super().install_profile(evse_id, profile)

    async def start_transaction(
        self,
        evse_id: int,
        id_token: str = "SIMTAG",  # noqa: S107 - not a secret
        *,
        remote_start_id: int | None = None,
        id_token_type: str = "ISO14443",  # noqa: S107
        charging_profile: Mapping[str, Any] | None = None,
    ) -> str:
        """Authorize (a local start) for the allowed energy transfer, then start as 2.0.1."""
        state = self.bidi_evse(evse_id)
        if state.transaction_id is not None:
            raise StationError(f"EVSE {evse_id} already has a transaction")
        allowed: frozenset[str] = frozenset()
        if remote_start_id is None and self.authorize_local_start:
            token = {"id_token": id_token, "type": id_token_type}
            result = await self._link.request(build(call.Authorize, id_token=token))
            status = result.id_token_info["status"]
            if status != "Accepted":
                raise StationError(f"{id_token} not authorized: {status}")
            allowed = frozenset(result.allowed_energy_transfer or ())
        state.allowed, state.reported_mode = allowed, None
        return await super().start_transaction(
            evse_id,
            id_token,
            remote_start_id=remote_start_id,
            id_token_type=id_token_type,
            charging_profile=charging_profile,
        )

    async def stop_transaction(self, evse_id: int, reason: str = "Local") -> None:
        """End as 2.0.1 does; the permission to discharge ends with the transaction."""
        await super().stop_transaction(evse_id, reason)
        self.bidi_evse(evse_id).allowed = frozenset()

    async def send_car_needs(self, evse_id: int) -> str:
        """NotifyEVChargingNeeds with the car's V2X needs; departure: now + the car's stay."""
        car = self.car(evse_id)
        self.electrics.integrate(self.evse(evse_id))
        needs = charging_needs(car, self.evse_spec, self.now() + car.stay)
        result = await self._link.request(
            build(
                call.NotifyEVChargingNeeds,
                evse_id=evse_id,
                charging_needs=needs,
                timestamp=to_iso(self.now()),
            )
        )
        return str(result.status)

    async def send_meter_values(self, evse_id: int) -> None:
        """Report a changed operation mode first, then sample as 2.0.1 does."""
        await self.report_operation_changes()
        await super().send_meter_values(evse_id)

    async def report_operation_changes(self) -> None:
        """TransactionEvent Updated (OperationModeChanged) where the mode is not the one told."""
        for state in self.evses.values():
            if not isinstance(state, BidiEvse) or state.transaction_id is None:
                continue
            mode = self.bidi.operation_at(state, self.now()).mode
            if mode == state.reported_mode:
                continue
            state.reported_mode = mode
            _LOGGER.info("%s: EVSE %d operation mode %s", self, state.evse_id, mode)
            measurands = self.tx_measurands(state, "Updated")
            await self._transaction_event(
                state, "Updated", "OperationModeChanged", measurands, "Other"
            )

    # -- hooks of the 2.0.1 station --------------------------------------------------------

    def tx_measurands(self, state: EvseState, event: str) -> list[str]:
        """SampledDataCtrlr's measurands plus V2XChargingCtrlr's for the mode now."""
        names = measurand_list(self.model.value(_EVENT_MEASURANDS[event]))
        if state.transaction_id is not None:
            mode = self.bidi.operation_at(state, self.now()).mode
            variable = f"Tx{event}Measurands"
            names += measurand_list(self.model21.evse_value(V2X, state.evse_id, variable, mode))
        return list(dict.fromkeys(names))

    def transaction_extras(self, state: EvseState) -> dict[str, Any]:
        """The transaction's operationMode (remembered as told)."""
        if state.transaction_id is None or not isinstance(state, BidiEvse):
            return {}
        mode = self.bidi.operation_at(state, self.now()).mode
        state.reported_mode = mode
        return {"operation_mode": mode}

    def _charge_point(self, connection: WebSocketConnection) -> StationChargePoint21:
        return StationChargePoint21(
            self.station_id, connection, self, response_timeout=self.response_timeout
        )

    # -- internals ---------------------------------------------------------------------------

    def _energy_modes(self) -> tuple[str, ...]:
        if self.dc:
            return ("DC", DC_BPT)
        return (*(AC_MODES[n] for n in range(1, self.phases + 1)), AC_BPT)

    def _may_discharge(self, state: BidiEvse) -> bool:
        """V2X on, ISO 15118 on, and the transaction allowed the BPT mode the car offers."""
        car = state.v2x_car()
        if state.transaction_id is None or car is None or not car.bidirectional:
            return False
        bpt = DC_BPT if self.dc else AC_BPT
        return (
            self.model21.evse_value(V2X, state.evse_id, "Enabled") == "true"
            and self.model21.evse_value(ISO15118, state.evse_id, "Enabled") == "true"
            and bpt in state.allowed
        )

    def _power_now(self, evse_id: int) -> float:
        return max(0.0, self.electrics.reading(self.evse(evse_id)).power_w)

    def _discharge_now(self, evse_id: int) -> float:
        return max(0.0, -self.electrics.reading(self.evse(evse_id)).power_w)
