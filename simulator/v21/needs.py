"""What a bidirectional car tells in NotifyEVChargingNeeds (OCPP 2.1, snake_case)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..timeutil import to_iso
from ..v201.evse import MIN_CURRENT
from ..v201.needs import car_parameters, without_nones
from .car import V2XCar

AC_BPT = "AC_BPT"
DC_BPT = "DC_BPT"
BPT_MODES = frozenset({AC_BPT, DC_BPT})
AC_MODES = {1: "AC_single_phase", 2: "AC_two_phase", 3: "AC_three_phase"}


@dataclass(frozen=True)
class Evse:
    """What the EVSE can do: maxima in W (positive), its voltage and phases (DC: 1)."""

    dc: bool
    phases: int
    voltage: float
    max_charge: float
    max_discharge: float


def energy_modes(car: V2XCar, evse: Evse) -> list[str]:
    """The car's availableEnergyTransfer on this EVSE, the one it requests first."""
    plain = "DC" if evse.dc else AC_MODES.get(evse.phases, "AC_three_phase")
    if not car.bidirectional:
        return [plain]
    return [DC_BPT if evse.dc else AC_BPT, plain]


def charging_needs(car: V2XCar, evse: Evse, departure: datetime) -> dict[str, Any]:
    """ChargingNeeds: energy transfer modes, control mode, V2X and AC or DC parameters."""
    modes = energy_modes(car, evse)
    needs: dict[str, Any] = {
        "requested_energy_transfer": modes[0],
        "available_energy_transfer": modes,
        "control_mode": car.control_mode,
        "mobility_needs_mode": "EVCC",
        "departure_time": to_iso(departure),
        "v2x_charging_parameters": v2x_parameters(car, evse),
    }
    if evse.dc:
        needs["dc_charging_parameters"] = car_parameters(car, None, None, None)
    else:
        needs["ac_charging_parameters"] = {
            "energy_amount": round(car.needed_wh()),
            "ev_min_current": round(MIN_CURRENT),
            "ev_max_current": round(car.max_current),
            "ev_max_voltage": round(evse.voltage),
        }
    return without_nones(needs)


def v2x_parameters(car: V2XCar, evse: Evse) -> dict[str, Any]:
    """V2XChargingParameters: powers as min(EV, EVSE), positive; energies to the car's SoCs."""
    volts = evse.voltage * evse.phases
    charge = min(car.ceiling(volts), evse.max_charge)
    discharge = min(car.discharge_ceiling(volts), evse.max_discharge) if car.bidirectional else 0
    params: dict[str, Any] = {
        "max_charge_power": round(charge),
        "max_discharge_power": round(discharge) if car.bidirectional else None,
        "ev_target_energy_request": round(car.energy_to(car.target_soc)),
        "ev_min_energy_request": round(max(0.0, car.energy_to(car.min_v2x_soc))),
        "ev_max_energy_request": round(car.energy_to(car.full_soc)),
        "ev_min_v2x_energy_request": round(car.energy_to(car.min_v2x_soc)),
        "ev_max_v2x_energy_request": round(car.energy_to(car.max_v2x_soc)),
        "target_soc": round(car.target_soc),
    }
    if evse.dc:
        params["max_charge_current"] = round(car.max_current)
        params["max_discharge_current"] = round(car.max_current) if car.bidirectional else None
        params["max_voltage"] = round(car.max_voltage)
    else:
        params["min_charge_power"] = round(MIN_CURRENT * volts)
    if car.per_phase_needs and not evse.dc and evse.phases > 1:
        # Per phase: the plain fields are phase L1's.
        for name in ("max_charge_power", "max_discharge_power", "min_charge_power"):
            if params.get(name) is not None:
                share = round(params[name] / evse.phases)
                params[name] = params[f"{name}_l2"] = params[f"{name}_l3"] = share
    return params
