"""Binary sensors: is the charger connected to the central system."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .balancing import LimitReason
from .coordinator import SmartChargingConfigEntry
from .entity import (
    BalancedConnectorEntity,
    ChargerEntity,
    ChargerEntityDescription,
    ConnectorEntityDescription,
    async_setup_charger_platform,
)

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ChargerBinarySensorDescription(ChargerEntityDescription, BinarySensorEntityDescription):
    """A charger binary sensor."""


CONNECTED = ChargerBinarySensorDescription(
    key="connected",
    translation_key="connected",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


@dataclass(frozen=True, kw_only=True)
class ConnectorBinarySensorDescription(ConnectorEntityDescription, BinarySensorEntityDescription):
    """A connector binary sensor."""


OVER_ALLOCATION = ConnectorBinarySensorDescription(
    key="over_allocation",
    translation_key="over_allocation",
    device_class=BinarySensorDeviceClass.PROBLEM,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the connectivity sensor of every charger."""
    async_setup_charger_platform(
        entry,
        async_add_entities,
        charger=((CONNECTED,), ConnectedBinarySensor),
        connector=((OVER_ALLOCATION,), OverAllocationBinarySensor),
    )


class ConnectedBinarySensor(ChargerEntity, BinarySensorEntity):
    """On while the charger holds a WebSocket connection."""

    @property
    def available(self) -> bool:
        """Always available: it reports the connection itself."""
        return True

    @property
    def is_on(self) -> bool:
        """Return whether the charger is connected."""
        return self.coordinator.data.connected


class OverAllocationBinarySensor(BalancedConnectorEntity, BinarySensorEntity):
    """On while the connector draws more than the balancer allows (its draw is fixed load)."""

    def current_value(self) -> object:
        """Whether the connector is flagged."""
        return self.is_on

    @property
    def is_on(self) -> bool | None:
        """Return whether the connector is flagged non-compliant."""
        allocation = self.allocation
        if allocation is None:
            return None
        return allocation.reason is LimitReason.NON_COMPLIANT
