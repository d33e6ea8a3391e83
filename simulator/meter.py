"""Connector state and the meter readings a connector reports (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .ev import EV

AVAILABLE = "Available"
PREPARING = "Preparing"
CHARGING = "Charging"
SUSPENDED_EVSE = "SuspendedEVSE"
SUSPENDED_EV = "SuspendedEV"
FINISHING = "Finishing"
UNAVAILABLE = "Unavailable"

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
CURRENT = "Current.Import"
OFFERED = "Current.Offered"
VOLTAGE = "Voltage"
SOC = "SoC"
TEMPERATURE = "Temperature"

MIN_CHARGING_CURRENT = 6.0  # A: below this an IEC 61851 car cannot charge
BATTERY_WH = 60_000.0  # the stand-in car's battery, when no EV is attached
INITIAL_SOC = 20.0  # % when the stand-in car plugs in
BODY_TEMPERATURE = 25.0  # Celsius
_FULL = 100.0
_PHASES = ("L1", "L2", "L3")


@dataclass
class ConnectorState:
    """What a connector is doing, as far as the simulator models it."""

    connector_id: int
    status: str = AVAILABLE
    plugged: bool = False
    operative: bool = True
    unavailable_after_transaction: bool = False  # ChangeAvailability answered Scheduled
    transaction_id: int | None = None
    # A RemoteStartTransaction was accepted and its StartTransaction is under way.
    starting: bool = False
    id_tag: str | None = None
    session_start: datetime | None = None
    register_wh: float = 0.0
    soc: float = INITIAL_SOC
    integrated_until: float = 0.0  # the charger's monotonic clock, s
    ev: EV | None = None  # the attached car; None: a stand-in that draws what is offered

    def add_energy(self, wh: float) -> None:
        """Count `wh` into the register and the stand-in car's state of charge."""
        self.register_wh += wh
        self.soc = min(_FULL, self.soc + wh / BATTERY_WH * _FULL)


@dataclass(frozen=True)
class Reading:
    """One instant's electrical values of a connector."""

    register_wh: float
    draw_a: float  # per phase
    offered_a: float  # per phase
    phases: int
    voltage: float
    soc: float
    used_phases: int | None = None  # phases the car draws on (L1 first); None: all

    @property
    def drawing_phases(self) -> int:
        """Phases the car draws on."""
        return self.phases if self.used_phases is None else self.used_phases

    @property
    def power_w(self) -> float:
        """Total active power."""
        return self.draw_a * self.voltage * self.drawing_phases


def energy_wh(draw_a: float, voltage: float, phases: int, seconds: float) -> float:
    """Energy drawn at `draw_a` per phase over `seconds`."""
    return draw_a * voltage * phases * seconds / 3600.0


def sampled_values(
    reading: Reading, measurands: list[str], context: str, *, energy_in_kwh: bool = False
) -> list[dict[str, Any]]:
    """Build 1.6 sampledValue entries (values are strings) for `measurands`.

    Measurands the simulator does not model are left out.
    """
    values: list[dict[str, Any]] = []
    for measurand in measurands:
        values.extend(_sampled(reading, measurand, energy_in_kwh))
    for value in values:
        value["context"] = context
    return values


def energy_register(reading_wh: float, context: str, *, energy_in_kwh: bool) -> dict[str, Any]:
    """Return the energy register as one sampledValue entry."""
    entry = _energy(reading_wh, energy_in_kwh)
    entry["context"] = context
    return entry


def _energy(register_wh: float, energy_in_kwh: bool) -> dict[str, Any]:
    if energy_in_kwh:
        return {"value": f"{register_wh / 1000:.3f}", "measurand": ENERGY, "unit": "kWh"}
    return {"value": f"{register_wh:.0f}", "measurand": ENERGY, "unit": "Wh"}


def _sampled(reading: Reading, measurand: str, energy_in_kwh: bool) -> list[dict[str, Any]]:
    phases = _PHASES[: reading.phases]
    if measurand == ENERGY:
        return [_energy(reading.register_wh, energy_in_kwh)]
    if measurand == POWER:
        return [{"value": f"{reading.power_w:.0f}", "measurand": POWER, "unit": "W"}]
    if measurand == CURRENT:
        return [
            {"value": f"{reading.draw_a:.1f}", "measurand": CURRENT, "unit": "A", "phase": phase}
            for phase in _PHASES[: reading.drawing_phases]
        ]
    if measurand == OFFERED:
        return [{"value": f"{reading.offered_a:.1f}", "measurand": OFFERED, "unit": "A"}]
    if measurand == VOLTAGE:
        return [
            {
                "value": f"{reading.voltage:.1f}",
                "measurand": VOLTAGE,
                "unit": "V",
                "phase": f"{phase}-N",
            }
            for phase in phases
        ]
    if measurand == SOC:
        return [
            {"value": f"{reading.soc:.0f}", "measurand": SOC, "unit": "Percent", "location": "EV"}
        ]
    if measurand == TEMPERATURE:
        return [
            {
                "value": f"{BODY_TEMPERATURE:.1f}",
                "measurand": TEMPERATURE,
                "unit": "Celsius",
                "location": "Body",
            }
        ]
    return []
