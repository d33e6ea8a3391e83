"""A bidirectional car (ISO 15118-20 BPT): charges and discharges its battery with losses.

Powers are at the car's inlet, as the station meters them; the battery gains
`charge_efficiency` of what is imported and loses 1/`discharge_efficiency` of what is
exported. The car charges at constant power up to `full_soc` (no taper) and discharges
down to `min_v2x_soc`, where it stops whatever it is told.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..v201.car import Car

_HOUR = 3600.0
_FULL = 100.0  # %
CONTROL_MODES = frozenset({"ScheduledControl", "DynamicControl"})


@dataclass
class V2XCar(Car):
    """An EV that can discharge; `max_current` is A per phase on AC, A DC on DC."""

    soc: float = 50.0
    max_power: float = 11_000.0  # W it charges with at most (EVMaximumChargePower)
    max_current: float = 16.0
    max_discharge_power: float = 11_000.0  # W it discharges with at most (positive)
    min_v2x_soc: float = 30.0  # % below which it does not discharge (EVMinimumV2XEnergyRequest)
    max_v2x_soc: float = 90.0  # % top of its V2X cycling range (EVMaximumV2XEnergyRequest)
    target_soc: float = 80.0  # % wanted at departure
    charge_efficiency: float = 0.93  # battery Wh per Wh imported
    discharge_efficiency: float = 0.93  # Wh exported per battery Wh
    response_delay: float = 2.0  # s before it follows a new setpoint
    bidirectional: bool = True  # offers AC_BPT / DC_BPT
    control_mode: str = "DynamicControl"
    per_phase_needs: bool = False  # tells per-phase powers in its charging needs (AC)

    def __post_init__(self) -> None:
        """Refuse a car that could not work."""
        super().__post_init__()
        checks = (
            (0 < self.charge_efficiency <= 1 and 0 < self.discharge_efficiency <= 1, "efficiency"),
            (0 <= self.min_v2x_soc <= self.max_v2x_soc <= _FULL, "0 <= min_v2x_soc <= max_v2x_soc"),
            (0 <= self.target_soc <= _FULL, "target_soc is a percentage"),
            (self.max_discharge_power >= 0 and self.response_delay >= 0, "negative maximum"),
            (self.control_mode in CONTROL_MODES, f"control_mode one of {sorted(CONTROL_MODES)}"),
        )
        for ok, reason in checks:
            if not ok:
                raise ValueError(reason)

    @property
    def empty(self) -> bool:
        """Whether the car has stopped discharging (at its minimum V2X SoC)."""
        return self.soc <= self.min_v2x_soc

    def energy_to(self, soc: float) -> float:
        """Battery Wh from the SoC now to `soc` (negative: above it)."""
        return (soc - self.soc) / 100 * self.capacity_wh

    def discharge_ceiling(self, voltage: float) -> float:
        """The most the car gives at `voltage` (AC: V x phases), W."""
        return min(self.max_discharge_power, self.max_current * voltage)

    def accepted(self, power: float, voltage: float) -> float:
        """W at the inlet the car takes (> 0) or gives (< 0) when told `power` W now."""
        if power > 0 and not self.full:
            return min(power, self.ceiling(voltage))
        if power < 0 and self.bidirectional and not self.empty:
            return max(power, -self.discharge_ceiling(voltage))
        return 0.0

    def transfer(self, power: float, voltage: float, seconds: float) -> tuple[float, float]:
        """Follow `power` W for `seconds` (stopping at its SoC limits); (Wh in, Wh out)."""
        watts = self.accepted(power, voltage)
        if watts > 0:
            rate = watts * self.charge_efficiency / _HOUR  # battery Wh per s
            used = min(seconds, self.energy_to(self.full_soc) / rate)
            self.soc = (
                self.full_soc if used < seconds else self.soc + rate * used * 100 / self.capacity_wh
            )
            return watts * used / _HOUR, 0.0
        if watts < 0:
            rate = -watts / self.discharge_efficiency / _HOUR
            used = min(seconds, -self.energy_to(self.min_v2x_soc) / rate)
            self.soc = (
                self.min_v2x_soc
                if used < seconds
                else self.soc - rate * used * 100 / self.capacity_wh
            )
            return 0.0, -watts * used / _HOUR
        return 0.0, 0.0


def default_car(*, dc: bool) -> V2XCar:
    """A bidirectional car for an AC wallbox (11 kW, 16 A) or a DC station (up to 100 A)."""
    if dc:
        return V2XCar(max_power=50_000.0, max_discharge_power=25_000.0, max_current=100.0)
    return V2XCar()
