"""Numbers: the maximum current of each connector."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import UnitOfElectricCurrent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SmartChargingConfigEntry
from .entity import ConnectorEntity, ConnectorEntityDescription, async_setup_charger_platform
from .errors import charger_command

# Each change is an OCPP call; one at a time per entity platform.
PARALLEL_UPDATES = 1

# Below 6 A an IEC 61851 car cannot charge; pausing is the `charging` switch's job.
MIN_CHARGING_CURRENT = 6.0
MAX_CHARGING_CURRENT = 80.0


@dataclass(frozen=True, kw_only=True)
class ConnectorNumberDescription(ConnectorEntityDescription, NumberEntityDescription):
    """A connector number."""


MAX_CURRENT = ConnectorNumberDescription(
    key="max_current",
    translation_key="max_current",
    device_class=NumberDeviceClass.CURRENT,
    native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
    native_min_value=MIN_CHARGING_CURRENT,
    native_max_value=MAX_CHARGING_CURRENT,
    native_step=1.0,
    mode=NumberMode.SLIDER,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the maximum current number of every connector."""
    async_setup_charger_platform(
        entry, async_add_entities, connector=((MAX_CURRENT,), MaxCurrentNumber)
    )


class MaxCurrentNumber(ConnectorEntity, NumberEntity):
    """The most a connector may draw (A per phase); applied at once as a charging profile."""

    @property
    def native_value(self) -> float:
        """Return the user's maximum."""
        return self.settings.max_current

    @charger_command
    async def async_set_native_value(self, value: float) -> None:
        """Store the maximum and send it to the charger (0 A while charging is paused)."""
        self.update_settings(max_current=value)
        self.async_write_ha_state()
        await self.async_apply_limit()
