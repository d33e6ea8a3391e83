"""Base entities: one device per charger, one sub-device per connector."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .central_system.model import ChargerState, ConnectorState
from .const import DOMAIN
from .coordinator import ChargerCoordinator, SmartChargingConfigEntry


def charger_device_info(state: ChargerState) -> DeviceInfo:
    """Describe a charger as a device, from its BootNotification when it sent one."""
    boot = state.boot
    return DeviceInfo(
        identifiers={(DOMAIN, state.charger_id)},
        name=state.charger_id,
        manufacturer=boot.vendor if boot else None,
        model=boot.model if boot else None,
        serial_number=boot.serial_number if boot else None,
        sw_version=boot.firmware_version if boot else None,
    )


def connector_device_info(state: ChargerState, connector_id: int) -> DeviceInfo:
    """Describe a connector as a device under its charger."""
    return DeviceInfo(
        identifiers={(DOMAIN, f"{state.charger_id}-{connector_id}")},
        name=f"{state.charger_id} connector {connector_id}",
        via_device=(DOMAIN, state.charger_id),
    )


class ChargerEntity(CoordinatorEntity[ChargerCoordinator]):
    """An entity of a whole charger."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: ChargerCoordinator, description: EntityDescription) -> None:
        """Bind the entity to its charger."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.charger_id}-{description.key}"
        self._attr_device_info = charger_device_info(coordinator.data)

    @property
    def available(self) -> bool:
        """Unavailable while the charger is offline."""
        return super().available and self.coordinator.data.connected


class ConnectorEntity(ChargerEntity):
    """An entity of one connector."""

    def __init__(
        self,
        coordinator: ChargerCoordinator,
        description: EntityDescription,
        connector_id: int,
    ) -> None:
        """Bind the entity to a connector of its charger."""
        super().__init__(coordinator, description)
        self.connector_id = connector_id
        self._attr_unique_id = f"{coordinator.charger_id}-{connector_id}-{description.key}"
        self._attr_device_info = connector_device_info(coordinator.data, connector_id)

    @property
    def connector(self) -> ConnectorState:
        """Return the connector's live state."""
        return self.coordinator.data.connector(self.connector_id)


def connector_ids(state: ChargerState) -> list[int]:
    """The connectors a charger has: reported ones plus NumberOfConnectors."""
    ids = {connector.connector_id for connector in state.outlets}
    if state.capabilities and state.capabilities.number_of_connectors:
        ids.update(range(1, state.capabilities.number_of_connectors + 1))
    return sorted(ids)


def async_setup_charger_platform[E: ChargerEntity](
    entry: SmartChargingConfigEntry,
    add_entities: Callable[[Iterable[E]], None],
    charger_entities: Callable[[ChargerCoordinator], Iterable[E]],
    connector_entities: Callable[[ChargerCoordinator, int], Iterable[E]],
) -> None:
    """Add a platform's entities for every charger, now and as chargers and connectors appear.

    Connectors are often only known once the charger reports them, so each charger's
    updates are watched for connectors not seen before.
    """
    hub = entry.runtime_data

    def add_charger(coordinator: ChargerCoordinator) -> None:
        known: set[int] = set()

        def add_new_connectors() -> None:
            new = [cid for cid in connector_ids(coordinator.data) if cid not in known]
            if not new:
                return
            known.update(new)
            add_entities(
                [entity for cid in new for entity in connector_entities(coordinator, cid)]
            )

        add_entities(list(charger_entities(coordinator)))
        add_new_connectors()
        entry.async_on_unload(coordinator.async_add_listener(add_new_connectors))

    entry.async_on_unload(hub.async_add_charger_listener(add_charger))
