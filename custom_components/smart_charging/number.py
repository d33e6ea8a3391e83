"""Numbers: per connector maximum, minimum, priority, energy target; station maximum; site limit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import EntityCategory, UnitOfElectricCurrent, UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_GRID_LIMIT
from .coordinator import ChargerSettings, ConnectorSettings, SmartChargingConfigEntry
from .entity import (
    ChargerEntity,
    ChargerEntityDescription,
    ConnectorEntity,
    ConnectorEntityDescription,
    SiteEntity,
    async_setup_charger_platform,
)
from .errors import charger_command

# Each change may be an OCPP call; one at a time per entity platform.
PARALLEL_UPDATES = 1

# Below 6 A an IEC 61851 car cannot charge; pausing is the `charging` switch's job.
MIN_CHARGING_CURRENT = 6.0
MAX_CHARGING_CURRENT = 80.0


@dataclass(frozen=True, kw_only=True)
class ConnectorNumberDescription(ConnectorEntityDescription, NumberEntityDescription):
    """A connector number backed by a connector setting."""

    setting: str
    value_fn: Callable[[ConnectorSettings], float]


@dataclass(frozen=True, kw_only=True)
class ChargerNumberDescription(ChargerEntityDescription, NumberEntityDescription):
    """A charger number backed by a charger setting."""

    setting: str
    value_fn: Callable[[ChargerSettings], float]


CONNECTOR_NUMBERS: tuple[ConnectorNumberDescription, ...] = (
    ConnectorNumberDescription(
        key="max_current",
        translation_key="max_current",
        device_class=NumberDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        native_min_value=MIN_CHARGING_CURRENT,
        native_max_value=MAX_CHARGING_CURRENT,
        native_step=1.0,
        mode=NumberMode.SLIDER,
        setting="max_current",
        value_fn=lambda settings: settings.max_current,
    ),
    ConnectorNumberDescription(
        key="min_current",
        translation_key="min_current",
        device_class=NumberDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        native_min_value=MIN_CHARGING_CURRENT,
        native_max_value=32.0,
        native_step=1.0,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
        setting="min_current",
        value_fn=lambda settings: settings.min_current,
    ),
    ConnectorNumberDescription(
        key="priority",
        translation_key="priority",
        native_min_value=0,
        native_max_value=10,
        native_step=1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
        setting="priority",
        value_fn=lambda settings: settings.priority,
    ),
    # kWh to add by the departure time (solar and price modes wait for it, fast gives way); 0: none.
    ConnectorNumberDescription(
        key="energy_target",
        translation_key="energy_target",
        device_class=NumberDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        native_min_value=0,
        native_max_value=150,
        native_step=0.5,
        mode=NumberMode.BOX,
        setting="energy_target",
        value_fn=lambda settings: settings.energy_target,
    ),
)

STATION_MAX_CURRENT = ChargerNumberDescription(
    key="station_max_current",
    translation_key="station_max_current",
    device_class=NumberDeviceClass.CURRENT,
    native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
    native_min_value=0,
    native_max_value=500,
    native_step=1,
    mode=NumberMode.BOX,
    entity_category=EntityCategory.CONFIG,
    setting="station_max_current",
    value_fn=lambda settings: settings.station_max_current or 0,
)

SITE_LIMIT = NumberEntityDescription(
    key="site_limit",
    translation_key="site_limit",
    device_class=NumberDeviceClass.CURRENT,
    native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
    native_min_value=0,
    native_max_value=2000,
    native_step=1,
    mode=NumberMode.BOX,
    entity_category=EntityCategory.CONFIG,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the site limit, station maxima and connector numbers, now and as they appear."""
    async_add_entities([SiteLimitNumber(entry, SITE_LIMIT)])
    async_setup_charger_platform(
        entry,
        async_add_entities,
        charger=((STATION_MAX_CURRENT,), ChargerSettingNumber),
        connector=(CONNECTOR_NUMBERS, ConnectorSettingNumber),
    )


class ConnectorSettingNumber(ConnectorEntity, NumberEntity):
    """A connector setting; the maximum is applied at once (directly or by the balancer)."""

    entity_description: ConnectorNumberDescription

    @property
    def native_value(self) -> float:
        """Return the setting."""
        return self.entity_description.value_fn(self.settings)

    @charger_command
    async def async_set_native_value(self, value: float) -> None:
        """Store the setting and apply what it changes."""
        change: dict[str, Any] = {self.entity_description.setting: value}
        if self.entity_description.setting == "priority":
            change["priority"] = int(value)
        self.update_settings(**change)
        self.async_write_ha_state()
        if (
            self.entity_description.setting == "max_current"
            or self.coordinator.hub.balancer.enabled
        ):
            await self.async_apply_limit()


class ChargerSettingNumber(ChargerEntity, NumberEntity):
    """A charger setting (the station's shared maximum: 0 = none)."""

    entity_description: ChargerNumberDescription

    @property
    def native_value(self) -> float:
        """Return the setting."""
        hub = self.coordinator.hub
        return self.entity_description.value_fn(hub.charger_settings(self.coordinator.charger_id))

    async def async_set_native_value(self, value: float) -> None:
        """Store the setting and let the balancer use it."""
        hub = self.coordinator.hub
        hub.update_charger_settings(
            self.coordinator.charger_id, **{self.entity_description.setting: value or None}
        )
        self.async_write_ha_state()
        hub.balancer.recompute()


class SiteLimitNumber(SiteEntity, NumberEntity):
    """The main fuse per phase; 0 turns load balancing off."""

    @property
    def available(self) -> bool:
        """Always settable: it is what turns balancing on."""
        return True

    @property
    def native_value(self) -> float:
        """Return the grid limit from the options."""
        return float(self.balancer.hub.entry.options.get(CONF_GRID_LIMIT) or 0)

    async def async_set_native_value(self, value: float) -> None:
        """Store it in the options; the balancer picks it up live."""
        entry = self.balancer.hub.entry
        self.hass.config_entries.async_update_entry(
            entry, options={**entry.options, CONF_GRID_LIMIT: value}
        )
