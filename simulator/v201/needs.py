"""What a simulated 2.0.1 station's car tells in NotifyEVChargingNeeds (snake_case)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..timeutil import to_iso
from .car import Car
from .evse import MIN_CURRENT

_ENERGY_TRANSFER = {1: "AC_single_phase", 2: "AC_two_phase", 3: "AC_three_phase"}


def charging_needs(
    *,
    phases: int,
    voltage: float,
    station_max_current: float,
    max_current: float | None,
    min_current: float | None,
    departure: datetime | None,
    energy_wh: float | None,
    soc: float | None,
    car: Car | None,
) -> dict[str, Any]:
    """ChargingNeeds: AC; DC when `soc` or `car` is given (with `car`, its parameters).

    `max_current`, `soc` and `energy_wh` override what the car or the station would tell.
    """
    top = station_max_current if max_current is None else max_current
    needs: dict[str, Any] = {}
    if car is not None:
        needs["requested_energy_transfer"] = "DC"
        needs["dc_charging_parameters"] = car_parameters(car, max_current, energy_wh, soc)
    elif soc is None:
        needs["requested_energy_transfer"] = _ENERGY_TRANSFER.get(phases, "AC_three_phase")
        needs["ac_charging_parameters"] = {
            "energy_amount": round(energy_wh or 0),
            "ev_min_current": round(MIN_CURRENT if min_current is None else min_current),
            "ev_max_current": round(top),
            "ev_max_voltage": round(voltage),
        }
    else:
        needs["requested_energy_transfer"] = "DC"
        needs["dc_charging_parameters"] = {
            "ev_max_current": round(top),
            "ev_max_voltage": round(voltage),
            "energy_amount": None if energy_wh is None else round(energy_wh),
            "state_of_charge": round(soc),
        }
    if departure is not None:
        needs["departure_time"] = to_iso(departure)
    return without_nones(needs)


def car_parameters(
    car: Car, max_current: float | None, energy_wh: float | None, soc: float | None
) -> dict[str, Any]:
    """A car's DCChargingParameters (snake_case, integers as the schema wants)."""
    return {
        "ev_max_current": round(car.max_current if max_current is None else max_current),
        "ev_max_voltage": round(car.max_voltage),
        "energy_amount": round(car.needed_wh() if energy_wh is None else energy_wh),
        "ev_max_power": round(car.max_power),
        "state_of_charge": round(car.soc if soc is None else soc),
        "ev_energy_capacity": round(car.capacity_wh),
        "full_soc": round(car.full_soc),
        "bulk_soc": round(car.bulk_soc),
    }


def without_nones(data: dict[str, Any]) -> dict[str, Any]:
    """`data` without None values, at every depth of dicts."""
    return {
        key: without_nones(value) if isinstance(value, dict) else value
        for key, value in data.items()
        if value is not None
    }
