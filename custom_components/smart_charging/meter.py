"""Read the house/grid meter from Home Assistant states, as currents per phase."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, UnitOfElectricCurrent, UnitOfPower
from homeassistant.core import HomeAssistant

from .balancing.model import PhaseCurrents
from .const import (
    CONF_BATTERY_POWER_ENTITY,
    CONF_METER_ENTITIES,
    CONF_METER_INVERTED,
    CONF_METER_SOURCE,
    CONF_METER_STALE_AFTER,
    CONF_NOMINAL_VOLTAGE,
    CONF_PV_POWER_ENTITY,
    DEFAULT_METER_STALE_AFTER,
    DEFAULT_NOMINAL_VOLTAGE,
    MeterSource,
)

_TO_AMPERE: dict[str, float] = {
    UnitOfElectricCurrent.AMPERE: 1.0,
    UnitOfElectricCurrent.MILLIAMPERE: 0.001,
}
_TO_WATT: dict[str, float] = {UnitOfPower.WATT: 1.0, UnitOfPower.KILO_WATT: 1000.0}


@dataclass(frozen=True, slots=True)
class MeterReading:
    """The site's meter now: grid current per phase (import positive), PV and battery."""

    grid_current: PhaseCurrents | None  # None: no meter configured
    available: bool  # False: configured, but unavailable, unreadable or stale
    pv_power: float | None = None
    battery_power: float | None = None


class SiteMeter:
    """Knows which entities make up the meter and turns their states into a reading."""

    def __init__(self, hass: HomeAssistant, options: Mapping[str, Any]) -> None:
        """Configure from the entry's site options."""
        self._hass = hass
        self.source = MeterSource(options.get(CONF_METER_SOURCE, MeterSource.NONE))
        self.entities: list[str] = list(options.get(CONF_METER_ENTITIES, []))
        self._sign = -1.0 if options.get(CONF_METER_INVERTED) else 1.0
        self.voltage = float(options.get(CONF_NOMINAL_VOLTAGE, DEFAULT_NOMINAL_VOLTAGE))
        self.stale_after = float(options.get(CONF_METER_STALE_AFTER, DEFAULT_METER_STALE_AFTER))
        self.pv_entity: str | None = options.get(CONF_PV_POWER_ENTITY)
        self.battery_entity: str | None = options.get(CONF_BATTERY_POWER_ENTITY)

    @property
    def watched_entities(self) -> list[str]:
        """Every entity whose changes must trigger a new allocation."""
        extra = [entity for entity in (self.pv_entity, self.battery_entity) if entity]
        return [*self.entities, *extra]

    def read(self, now: datetime) -> MeterReading:
        """Read the meter now."""
        pv = self._power(self.pv_entity, now)
        battery = self._power(self.battery_entity, now)
        if self.source is MeterSource.NONE:
            return MeterReading(None, True, pv, battery)
        if self.source is MeterSource.TOTAL_POWER:
            total = self._power(self.entities[0], now)
            if total is None:
                return MeterReading(None, False, pv, battery)
            # One total: assume it is spread evenly over the three phases.
            per_phase = self._sign * total / (3 * self.voltage)
            return MeterReading((per_phase, per_phase, per_phase), True, pv, battery)
        if self.source is MeterSource.PHASE_POWERS:
            values = [self._power(entity, now) for entity in self.entities]
            scale = 1 / self.voltage
        else:
            values = [self._value(entity, now, _TO_AMPERE) for entity in self.entities]
            scale = 1.0
        if any(value is None for value in values):
            return MeterReading(None, False, pv, battery)
        l1, l2, l3 = (self._sign * scale * value for value in values if value is not None)
        return MeterReading((l1, l2, l3), True, pv, battery)

    def _power(self, entity_id: str | None, now: datetime) -> float | None:
        return None if entity_id is None else self._value(entity_id, now, _TO_WATT)

    def _value(self, entity_id: str, now: datetime, units: Mapping[str, float]) -> float | None:
        state = self._hass.states.get(entity_id)
        if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            return None
        factor = units.get(state.attributes.get("unit_of_measurement", ""))
        if factor is None:
            return None
        # A meter that stops reporting is as bad as one that reports nothing. A report from
        # the future is one the clock has since gone back past (set back by hours, say): its
        # age is unknown, so it counts as stale until the meter reports again.
        if abs((now - state.last_reported).total_seconds()) > self.stale_after:
            return None
        try:
            return float(state.state) * factor
        except ValueError:
            return None
