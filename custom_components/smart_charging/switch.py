"""Switches: charging on/off per connector, availability per charger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .central_system.model import ChargerState
from .coordinator import REMOTE_ID_TAG, ChargerCoordinator, SmartChargingConfigEntry
from .entity import (
    ChargerEntity,
    ChargerEntityDescription,
    ConnectorEntity,
    ConnectorEntityDescription,
    async_setup_charger_platform,
)
from .errors import charger_command

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class ChargerSwitchDescription(ChargerEntityDescription, SwitchEntityDescription):
    """A charger switch."""

    is_on_fn: Callable[[ChargerState], bool]
    set_fn: Callable[[ChargerCoordinator, bool], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class ConnectorSwitchDescription(ConnectorEntityDescription, SwitchEntityDescription):
    """A connector switch."""


AVAILABLE = ChargerSwitchDescription(
    key="available",
    translation_key="available",
    entity_category=EntityCategory.CONFIG,
    is_on_fn=lambda state: state.available,
    set_fn=lambda coordinator, on: coordinator.session.set_available(0, on),
)
CHARGING = ConnectorSwitchDescription(key="charging", translation_key="charging")


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
        connector=((CHARGING,), ChargingSwitch),
    )


class ChargerSwitch(ChargerEntity, SwitchEntity):
    """A switch of a whole charger."""

    entity_description: ChargerSwitchDescription

    @property
    def is_on(self) -> bool:
        """Return the state from the charger."""
        return self.entity_description.is_on_fn(self.coordinator.data)

    @charger_command
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn on."""
        await self.entity_description.set_fn(self.coordinator, True)

    @charger_command
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn off."""
        await self.entity_description.set_fn(self.coordinator, False)


class ChargingSwitch(ConnectorEntity, SwitchEntity):
    """On: charge (starting a session on an idle connector). Off: pause at 0 A.

    Pausing keeps the transaction open, so the session and its energy continue when
    charging resumes.
    """

    @property
    def is_on(self) -> bool:
        """On while a session runs and is not paused."""
        return self.connector.transaction_id is not None and not self.settings.paused

    @charger_command
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Resume charging at the connector's maximum, or start a session."""
        self.update_settings(paused=False)
        await self.async_apply_limit()
        if self.connector.transaction_id is None:
            await self.coordinator.session.remote_start(self.connector_id, REMOTE_ID_TAG)
        self.async_write_ha_state()

    @charger_command
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Pause at 0 A without ending the session."""
        self.update_settings(paused=True)
        await self.async_apply_limit()
        self.async_write_ha_state()
