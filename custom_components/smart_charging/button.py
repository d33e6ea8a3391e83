"""Buttons: reset the charger, unlock a connector."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import ButtonDeviceClass, ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .central_system.session import ChargerSession
from .entity import (
    ChargerEntity,
    ChargerEntityDescription,
    ConnectorEntity,
    ConnectorEntityDescription,
    async_setup_charger_platform,
)
from .errors import charger_errors
from .hub import SmartChargingConfigEntry

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class ChargerButtonDescription(ChargerEntityDescription, ButtonEntityDescription):
    """A charger button."""

    press_fn: Callable[[ChargerSession], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class ConnectorButtonDescription(ConnectorEntityDescription, ButtonEntityDescription):
    """A connector button."""

    press_fn: Callable[[ChargerSession, int], Awaitable[None]]


RESET = ChargerButtonDescription(
    key="reset",
    translation_key="reset",
    device_class=ButtonDeviceClass.RESTART,
    entity_category=EntityCategory.CONFIG,
    press_fn=lambda session: session.require_adapter().reset(hard=False),
)
UNLOCK = ConnectorButtonDescription(
    key="unlock",
    translation_key="unlock",
    press_fn=lambda session, connector_id: session.require_adapter().unlock(connector_id),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the reset button of every charger and the unlock button of every connector."""
    async_setup_charger_platform(
        entry,
        async_add_entities,
        charger=((RESET,), ChargerButton),
        connector=((UNLOCK,), ConnectorButton),
    )


class ChargerButton(ChargerEntity, ButtonEntity):
    """A button of a whole charger."""

    entity_description: ChargerButtonDescription

    async def async_press(self) -> None:
        """Send the command."""
        with charger_errors():
            await self.entity_description.press_fn(self.coordinator.session)


class ConnectorButton(ConnectorEntity, ButtonEntity):
    """A button of one connector."""

    entity_description: ConnectorButtonDescription

    async def async_press(self) -> None:
        """Send the command."""
        with charger_errors():
            await self.entity_description.press_fn(self.coordinator.session, self.connector_id)
