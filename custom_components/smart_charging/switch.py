"""Switches: charging on/off and discharging allowed per connector, availability per charger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .central_system.model import ChargerState, ConnectorState
from .charger_coordinator import ChargerCoordinator
from .const import REMOTE_ID_TAG
from .entity import (
    ChargerEntity,
    ChargerEntityDescription,
    ConnectorEntity,
    ConnectorEntityDescription,
    async_setup_charger_platform,
)
from .errors import charger_errors
from .hub import SmartChargingConfigEntry
from .settings import ConnectorSettings

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class ChargerSwitchDescription(ChargerEntityDescription, SwitchEntityDescription):
    """A charger switch."""

    is_on_fn: Callable[[ChargerState], bool]
    set_fn: Callable[[ChargerCoordinator, bool], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class ConnectorSwitchDescription(ConnectorEntityDescription, SwitchEntityDescription):
    """A connector switch."""

    is_on_fn: Callable[[ConnectorState, ConnectorSettings], bool]
    set_fn: Callable[[ChargerCoordinator, int, bool], Awaitable[None]]


async def _set_charging(coordinator: ChargerCoordinator, connector_id: int, on: bool) -> None:
    """Resume charging at the connector's maximum (starting a session), or pause at 0 A.

    Pausing keeps the transaction open, so the session and its energy continue when
    charging resumes.
    """
    hub, charger_id = coordinator.hub, coordinator.charger_id
    hub.update_connector_settings(charger_id, connector_id, paused=not on)
    await hub.async_apply_connector_limit(charger_id, connector_id)
    if on and coordinator.data.connector(connector_id).transaction_id is None:
        await coordinator.session.remote_start(connector_id, REMOTE_ID_TAG)


async def _set_discharging(coordinator: ChargerCoordinator, connector_id: int, on: bool) -> None:
    """Let the car discharge (tell the station at once), or not; the balancer decides how much."""
    hub = coordinator.hub
    hub.update_connector_settings(coordinator.charger_id, connector_id, discharge_allowed=on)
    await coordinator.session.allow_discharge(connector_id, on)
    hub.balancer.recompute()


AVAILABLE = ChargerSwitchDescription(
    key="available",
    translation_key="available",
    entity_category=EntityCategory.CONFIG,
    is_on_fn=lambda state: state.available,
    set_fn=lambda coordinator, on: coordinator.session.set_available(0, on),
)
# On: charge (starting a session on an idle connector); on while a session runs, unpaused.
CHARGING = ConnectorSwitchDescription(
    key="charging",
    translation_key="charging",
    is_on_fn=lambda connector, settings: (
        connector.transaction_id is not None and not settings.paused
    ),
    set_fn=_set_charging,
)

# On: the car may discharge, within its SoC reserve and departure target.
ALLOW_DISCHARGING = ConnectorSwitchDescription(
    key="allow_discharging",
    translation_key="allow_discharging",
    exists_fn=lambda connector: connector.discharge_capable,
    is_on_fn=lambda _connector, settings: settings.discharge_allowed,
    set_fn=_set_discharging,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the availability switch of every charger and the charging switch of every connector."""
    async_setup_charger_platform(
        entry,
        async_add_entities,
        charger=((AVAILABLE,), ChargerSwitch),
        connector=((CHARGING, ALLOW_DISCHARGING), ConnectorSwitch),
    )


class ChargerSwitch(ChargerEntity, SwitchEntity):
    """A switch of a whole charger."""

    entity_description: ChargerSwitchDescription

    @property
    def is_on(self) -> bool:
        """Return the state from the charger."""
        return self.entity_description.is_on_fn(self.coordinator.data)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn on."""
        with charger_errors():
            await self.entity_description.set_fn(self.coordinator, True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn off."""
        with charger_errors():
            await self.entity_description.set_fn(self.coordinator, False)


class ConnectorSwitch(ConnectorEntity, SwitchEntity):
    """A switch of one connector."""

    entity_description: ConnectorSwitchDescription

    @property
    def is_on(self) -> bool:
        """Return the state from the connector and its settings."""
        return self.entity_description.is_on_fn(self.connector, self.settings)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn on."""
        with charger_errors():
            await self.entity_description.set_fn(self.coordinator, self.connector_id, True)
        self.async_write_ha_state()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn off."""
        with charger_errors():
            await self.entity_description.set_fn(self.coordinator, self.connector_id, False)
        self.async_write_ha_state()
