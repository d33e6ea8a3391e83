"""Numbers: per connector maximum, minimum, priority, energy target; station maximum; site limit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfElectricCurrent, UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .central_system.charger_maximum import installed_maximum
from .central_system.model import ChargerState
from .const import CONF_GRID_LIMIT
from .entity import (
    ChargerEntity,
    ChargerEntityDescription,
    ConnectorEntity,
    ConnectorEntityDescription,
    SiteEntity,
    async_setup_charger_platform,
)
from .errors import charger_errors
from .hub import SmartChargingConfigEntry
from .settings import ChargerSettings, ConnectorSettings

# Each change may be an OCPP call; one at a time per entity platform.
PARALLEL_UPDATES = 1

# Below 6 A an IEC 61851 car cannot charge; pausing is the `charging` switch's job.
MIN_CHARGING_CURRENT = 6.0
MAX_CHARGING_CURRENT = 80.0


@dataclass(frozen=True, kw_only=True)
class ConnectorNumberDescription(ConnectorEntityDescription, NumberEntityDescription):
    """A connector number backed by a connector setting.

    `applies_limit`: a change is sent to the charger at once even without load balancing
    (with it, every change makes the balancer reallocate).
    """

    value_fn: Callable[[ConnectorSettings], float]
    set_fn: Callable[[ConnectorSettings, float], ConnectorSettings]
    applies_limit: bool = False
    # The charger's own bound for the value, where it tells one (else native_max_value).
    max_fn: Callable[[ChargerState, int], float | None] = lambda _state, _connector: None


@dataclass(frozen=True, kw_only=True)
class ChargerNumberDescription(ChargerEntityDescription, NumberEntityDescription):
    """A charger number backed by a charger setting."""

    value_fn: Callable[[ChargerSettings], float]
    set_fn: Callable[[ChargerSettings, float], ChargerSettings]


@dataclass(frozen=True, kw_only=True)
class SiteNumberDescription(NumberEntityDescription):
    """A site number backed by an option of the config entry."""

    value_fn: Callable[[Mapping[str, Any]], float]
    set_fn: Callable[[Mapping[str, Any], float], dict[str, Any]]


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
        value_fn=lambda settings: settings.maximum,
        set_fn=lambda settings, value: replace(settings, max_current=value),
        applies_limit=True,
        max_fn=installed_maximum,
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
        value_fn=lambda settings: settings.min_current,
        set_fn=lambda settings, value: replace(settings, min_current=value),
    ),
    ConnectorNumberDescription(
        key="priority",
        translation_key="priority",
        native_min_value=0,
        native_max_value=10,
        native_step=1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
        value_fn=lambda settings: settings.priority,
        set_fn=lambda settings, value: replace(settings, priority=int(value)),
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
        value_fn=lambda settings: settings.energy_target,
        set_fn=lambda settings, value: replace(settings, energy_target=value),
    ),
    # The SoC a discharging car never goes below (bidirectional stations only).
    ConnectorNumberDescription(
        key="soc_reserve",
        translation_key="soc_reserve",
        native_unit_of_measurement=PERCENTAGE,
        native_min_value=0,
        native_max_value=100,
        native_step=1,
        mode=NumberMode.SLIDER,
        exists_fn=lambda connector: connector.discharge_capable,
        value_fn=lambda settings: settings.soc_reserve,
        set_fn=lambda settings, value: replace(settings, soc_reserve=value),
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
    value_fn=lambda settings: settings.station_max_current or 0,
    # 0: no station maximum.
    set_fn=lambda settings, value: replace(settings, station_max_current=value or None),
)

SITE_LIMIT = SiteNumberDescription(
    key="site_limit",
    translation_key="site_limit",
    device_class=NumberDeviceClass.CURRENT,
    native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
    native_min_value=0,
    native_max_value=2000,
    native_step=1,
    mode=NumberMode.BOX,
    entity_category=EntityCategory.CONFIG,
    # 0 turns load balancing off.
    value_fn=lambda options: float(options.get(CONF_GRID_LIMIT) or 0),
    set_fn=lambda options, value: {**options, CONF_GRID_LIMIT: value},
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the site limit, station maxima and connector numbers, now and as they appear."""
    async_add_entities([SiteNumber(entry, SITE_LIMIT)])
    async_setup_charger_platform(
        entry,
        async_add_entities,
        charger=((STATION_MAX_CURRENT,), ChargerNumber),
        connector=(CONNECTOR_NUMBERS, ConnectorNumber),
    )


class ConnectorNumber(ConnectorEntity, NumberEntity):
    """A connector setting; a change is acted on at once (directly or by the balancer)."""

    entity_description: ConnectorNumberDescription

    @property
    def native_value(self) -> float:
        """Return the setting."""
        return self.entity_description.value_fn(self.settings)

    @property
    def native_max_value(self) -> float:
        """The charger's own bound where it tells one (its installed maximum)."""
        bound = self.entity_description.max_fn(self.coordinator.data, self.connector_id)
        description_max = self.entity_description.native_max_value
        fallback = MAX_CHARGING_CURRENT if description_max is None else description_max
        return fallback if bound is None else bound

    async def async_set_native_value(self, value: float) -> None:
        """Store the setting and apply what it changes."""
        description = self.entity_description
        with charger_errors():
            await self.async_change_settings(
                description.set_fn(self.settings, value), applies_limit=description.applies_limit
            )


class ChargerNumber(ChargerEntity, NumberEntity):
    """A charger setting the balancer uses."""

    entity_description: ChargerNumberDescription

    @property
    def native_value(self) -> float:
        """Return the setting."""
        return self.entity_description.value_fn(self.charger_settings)

    async def async_set_native_value(self, value: float) -> None:
        """Store the setting and let the balancer use it."""
        self.change_charger_settings(self.entity_description.set_fn(self.charger_settings, value))


class SiteNumber(SiteEntity, NumberEntity):
    """A site option the balancer picks up live."""

    entity_description: SiteNumberDescription

    @property
    def available(self) -> bool:
        """Always settable: the site limit is what turns balancing on."""
        return True

    @property
    def native_value(self) -> float:
        """Return the option."""
        return self.entity_description.value_fn(self.balancer.hub.entry.options)

    async def async_set_native_value(self, value: float) -> None:
        """Store it in the options; the balancer picks it up live."""
        entry = self.balancer.hub.entry
        self.hass.config_entries.async_update_entry(
            entry, options=self.entity_description.set_fn(entry.options, value)
        )
