"""A home battery under a self-consumption controller (keeps the grid meter near zero)."""

from __future__ import annotations

from .model import BatterySpec


class HomeBattery:
    """Charges from export and discharges to cover import, within its power and SoC limits.

    The site subtracts what it does: grid = house + EVs - PV + battery (charging positive).
    """

    def __init__(self, spec: BatterySpec) -> None:
        """Start at the spec's initial SoC."""
        if spec.capacity_wh <= 0 or spec.max_power < 0:
            raise ValueError("a battery needs a positive capacity and a non-negative max power")
        if not 0.0 <= spec.min_soc <= spec.initial_soc <= 100.0:  # noqa: PLR2004
            raise ValueError("a battery needs 0 <= min_soc <= initial_soc <= 100")
        if not 0.0 < spec.efficiency <= 1.0:
            raise ValueError("a battery's efficiency must be within (0, 1]")
        self.spec = spec
        self._energy = spec.capacity_wh * spec.initial_soc / 100.0  # Wh stored
        self._floor = spec.capacity_wh * spec.min_soc / 100.0

    @property
    def soc(self) -> float:
        """State of charge, %."""
        return 100.0 * self._energy / self.spec.capacity_wh

    @property
    def energy_wh(self) -> float:
        """Wh stored."""
        return self._energy

    def step(self, net_power_w: float, dt: float) -> float:
        """Battery power (W, charging positive) for `dt` s, given the grid power without it.

        `net_power_w` is house + EVs - PV (import positive). The battery answers -net_power_w,
        limited by its power and by the energy it can still take or give in `dt`.
        """
        if dt <= 0:
            return 0.0
        eff = self.spec.efficiency
        power = min(max(-net_power_w, -self.spec.max_power), self.spec.max_power)
        if power > 0:
            room = max(self.spec.capacity_wh - self._energy, 0.0)
            power = min(power, room * 3600.0 / (dt * eff))
            self._energy = min(self._energy + power * dt / 3600.0 * eff, self.spec.capacity_wh)
        elif power < 0:
            available = max(self._energy - self._floor, 0.0)
            power = max(power, -available * 3600.0 * eff / dt)
            self._energy = max(self._energy + power * dt / 3600.0 / eff, self._floor)
        return power

    def describe(self) -> str:
        """Provenance of this battery, for `ScenarioDay.notes`."""
        s = self.spec
        return (
            f"self-consumption battery {s.capacity_wh / 1000.0:g} kWh, {s.max_power / 1000.0:g} kW, "
            f"SoC {s.initial_soc:g} % at the start, floor {s.min_soc:g} %, {s.efficiency:.0%} each way"
        )
