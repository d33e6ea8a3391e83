"""Base entities: one device per charger, one sub-device per connector."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from homeassistant.core import callback
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .balancing import Allocation
from .central_system.model import ChargerState, ConnectorState
from .charger_coordinator import ChargerCoordinator
from .device_info import charger_device_info, connector_device_info, site_device_info
from .hub import SmartChargingConfigEntry
from .ids import connector_key, entity_unique_id, site_unique_id
from .settings import ChargerSettings, ConnectorSettings
from .site_balancer import SiteCoordinator


class ChargerEntity(CoordinatorEntity[ChargerCoordinator]):
    """An entity of a whole charger."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: ChargerCoordinator, description: EntityDescription) -> None:
        """Bind the entity to its charger."""
        super().__init__(coordinator)
        self.entity_description = description
        entry_id = coordinator.hub.entry.entry_id
        self._attr_unique_id = entity_unique_id(
            entry_id, coordinator.charger_id, 0, description.key
        )
        self._attr_device_info = charger_device_info(entry_id, coordinator.data)

    @property
    def available(self) -> bool:
        """Unavailable while the charger is offline."""
        return super().available and self.coordinator.data.connected

    @property
    def charger_settings(self) -> ChargerSettings:
        """Return what the user set for the whole charger."""
        return self.coordinator.hub.charger_settings(self.coordinator.charger_id)

    def change_charger_settings(self, settings: ChargerSettings) -> None:
        """Persist and show new charger settings; the balancer uses them at once."""
        hub = self.coordinator.hub
        hub.update_charger_settings(self.coordinator.charger_id, **asdict(settings))
        self.async_write_ha_state()
        hub.balancer.recompute()


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
        entry_id = coordinator.hub.entry.entry_id
        self._attr_unique_id = entity_unique_id(
            entry_id, coordinator.charger_id, connector_id, description.key
        )
        self._attr_device_info = connector_device_info(
            entry_id, coordinator.data, connector_id, coordinator.charger_device()
        )

    @property
    def connector(self) -> ConnectorState:
        """Return the connector's live state."""
        return self.coordinator.data.connector(self.connector_id)

    @property
    def settings(self) -> ConnectorSettings:
        """Return what the user set for this connector."""
        return self.coordinator.hub.connector_settings(
            self.coordinator.charger_id, self.connector_id
        )

    async def async_change_settings(
        self, settings: ConnectorSettings, *, applies_limit: bool
    ) -> None:
        """Persist and show new settings, then act on them.

        With load balancing on, the balancer reallocates at once; without it, only a
        setting that `applies_limit` (the maximum, the mode) is sent to the charger.
        """
        # Only what changed: a maximum that comes from the charger stays the charger's.
        current = self.settings
        changes = {
            name: value
            for name, value in asdict(settings).items()
            if getattr(current, name) != value
        }
        self.coordinator.hub.update_connector_settings(
            self.coordinator.charger_id, self.connector_id, **changes
        )
        self.async_write_ha_state()
        if applies_limit or self.coordinator.hub.balancer.enabled:
            await self.async_apply_limit()

    async def async_apply_limit(self) -> None:
        """Send the connector the limit its settings ask for."""
        await self.coordinator.hub.async_apply_connector_limit(
            self.coordinator.charger_id, self.connector_id
        )


@dataclass(frozen=True, kw_only=True)
class ChargerEntityDescription(EntityDescription):
    """Description of a charger-level entity; `exists_fn` decides if the charger has it."""

    exists_fn: Callable[[ChargerState], bool] = lambda _state: True


@dataclass(frozen=True, kw_only=True)
class ConnectorEntityDescription(EntityDescription):
    """Description of a connector entity; `exists_fn` decides if the connector has it."""

    exists_fn: Callable[[ConnectorState], bool] = lambda _connector: True


def async_setup_charger_platform[CD: ChargerEntityDescription, OD: ConnectorEntityDescription](
    entry: SmartChargingConfigEntry,
    add_entities: AddConfigEntryEntitiesCallback,
    *,
    charger: tuple[Sequence[CD], Callable[[ChargerCoordinator, CD], Entity]] | None = None,
    connector: tuple[Sequence[OD], Callable[[ChargerCoordinator, OD, int], Entity]] | None = None,
) -> None:
    """Add a platform's entities for every charger, now and as they appear.

    Chargers are approved at runtime, connectors are often only known once the charger
    reports them, and some values (SoC) only exist once a car reports them: each
    charger's updates are watched for entities that now exist and were not added yet.
    """
    hub = entry.runtime_data

    def add_charger(coordinator: ChargerCoordinator) -> None:
        added: set[tuple[int, str]] = set()

        def add_new() -> None:
            state = coordinator.data
            new: list[Entity] = []
            if charger is not None:
                descriptions, factory = charger
                for description in descriptions:
                    if (0, description.key) not in added and description.exists_fn(state):
                        added.add((0, description.key))
                        new.append(factory(coordinator, description))
            if connector is not None:
                descriptions_c, factory_c = connector
                for connector_id in hub.connector_ids(state):
                    connector_state = state.connector(connector_id)
                    for description_c in descriptions_c:
                        key = (connector_id, description_c.key)
                        if key not in added and description_c.exists_fn(connector_state):
                            added.add(key)
                            new.append(factory_c(coordinator, description_c, connector_id))
            if new:
                add_entities(new)

        add_new()
        entry.async_on_unload(coordinator.async_add_listener(add_new))

    entry.async_on_unload(hub.async_add_charger_listener(add_charger))


class SiteEntity(CoordinatorEntity[SiteCoordinator]):
    """An entity of the site: grid, budget and headroom."""

    _attr_has_entity_name = True

    def __init__(self, entry: SmartChargingConfigEntry, description: EntityDescription) -> None:
        """Bind the entity to the site of a central system."""
        super().__init__(entry.runtime_data.balancer.site)
        self.balancer = entry.runtime_data.balancer
        self.entity_description = description
        self._attr_unique_id = site_unique_id(entry.entry_id, description.key)
        self._attr_device_info = site_device_info(entry)


class BalancedConnectorEntity(ConnectorEntity):
    """A connector entity that shows the balancer's decision for it.

    It follows the site coordinator (every allocation) besides its charger's, and writes
    its state only when its own value changed: one meter event must not rewrite every
    entity of every charger.
    """

    _last_written: object = None

    @property
    def key(self) -> str:
        """The connector's id in the engine."""
        return connector_key(self.coordinator.charger_id, self.connector_id)

    @property
    def allocation(self) -> Allocation | None:
        """The latest allocation of this connector, if balancing runs."""
        result = self.coordinator.hub.balancer.site.data
        return None if result is None else result.allocations.get(self.key)

    def current_value(self) -> object:
        """The value shown; compared to decide whether to write."""
        raise NotImplementedError

    async def async_added_to_hass(self) -> None:
        """Follow the allocations too."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.hub.balancer.site.async_add_listener(self._allocation_updated)
        )

    @callback
    def _allocation_updated(self) -> None:
        value = self.current_value()
        if value != self._last_written:
            self._last_written = value
            self.async_write_ha_state()
