"""Binary sensors: is the charger connected; the balancer's flags for each connector."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .balancing import Allocation, LimitReason
from .central_system.model import ChargerState
from .entity import (
    BalancedConnectorEntity,
    ChargerEntity,
    ChargerEntityDescription,
    ConnectorEntityDescription,
    async_setup_charger_platform,
)
from .hub import SmartChargingConfigEntry

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ChargerBinarySensorDescription(ChargerEntityDescription, BinarySensorEntityDescription):
    """A charger binary sensor.

    `always_available`: available while the charger is offline too.
    """

    is_on_fn: Callable[[ChargerState], bool]
    always_available: bool = False


# On while the charger holds a WebSocket connection: it reports the connection itself.
CONNECTED = ChargerBinarySensorDescription(
    key="connected",
    translation_key="connected",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
    is_on_fn=lambda state: state.connected,
    always_available=True,
)


@dataclass(frozen=True, kw_only=True)
class ConnectorBinarySensorDescription(ConnectorEntityDescription, BinarySensorEntityDescription):
    """A connector binary sensor: a flag of the balancer's allocation."""

    is_on_fn: Callable[[Allocation], bool]


CONNECTOR_BINARY_SENSORS: tuple[ConnectorBinarySensorDescription, ...] = (
    ConnectorBinarySensorDescription(
        key="over_allocation",
        translation_key="over_allocation",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda allocation: allocation.reason is LimitReason.NON_COMPLIANT,
    ),
    # Charging at full power, first in its priority, to deliver its energy target by the departure.
    ConnectorBinarySensorDescription(
        key="deadline",
        translation_key="deadline",
        is_on_fn=lambda allocation: allocation.deadline,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the connectivity sensor of every charger, the flags of every connector."""
    async_setup_charger_platform(
        entry,
        async_add_entities,
        charger=((CONNECTED,), ChargerBinarySensor),
        connector=(CONNECTOR_BINARY_SENSORS, BalancedConnectorBinarySensor),
    )


class ChargerBinarySensor(ChargerEntity, BinarySensorEntity):
    """A binary sensor of a whole charger."""

    entity_description: ChargerBinarySensorDescription

    @property
    def available(self) -> bool:
        """Unavailable while the charger is offline, unless it reports that itself."""
        return self.entity_description.always_available or super().available

    @property
    def is_on(self) -> bool:
        """Return the state from the charger."""
        return self.entity_description.is_on_fn(self.coordinator.data)


class BalancedConnectorBinarySensor(BalancedConnectorEntity, BinarySensorEntity):
    """A flag of the connector's allocation (over allocation: its draw is fixed load)."""

    entity_description: ConnectorBinarySensorDescription

    def current_value(self) -> object:
        """Whether the connector is flagged."""
        return self.is_on

    @property
    def is_on(self) -> bool | None:
        """Return the flag; None while balancing is off."""
        allocation = self.allocation
        if allocation is None:
            return None
        return self.entity_description.is_on_fn(allocation)
