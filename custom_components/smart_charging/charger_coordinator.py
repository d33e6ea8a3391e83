"""The push coordinator of one charger: its entities' data, written by OCPP messages.

Nothing here polls: every OCPP message that changes a charger pushes its new state to
that charger's entities at once (`ChargerCoordinator.async_set_updated_data`), and
only that charger's entities are written.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .central_system.model import ChargerState
from .central_system.session import ChargerSession
from .compat import register_device
from .const import DOMAIN
from .device_info import charger_device_info

if TYPE_CHECKING:
    from .hub import SmartChargingConfigEntry, SmartChargingHub

_LOGGER = logging.getLogger(__name__)


class ChargerCoordinator(DataUpdateCoordinator[ChargerState]):
    """Push-only coordinator of one charger: updated by OCPP messages, never polled."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmartChargingConfigEntry,
        hub: SmartChargingHub,
        session: ChargerSession,
    ) -> None:
        """Create the coordinator around a charger's session."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {session.charger_id}",
            update_interval=None,
        )
        self.hub = hub
        self.session = session
        self.data = session.state
        # The BootNotification the device registry entry was last written from.
        self.registered_boot: object = None
        # The EVSEs' connector types last written to their devices.
        self.registered_connector_types: dict[int, dict[int, str]] = {}

    @property
    def charger_id(self) -> str:
        """Return the charge point id."""
        return self.session.charger_id

    @callback
    def charger_device(self) -> dr.DeviceEntry:
        """The charger's device, registered now if it is not yet: its connectors name it."""
        return register_device(
            dr.async_get(self.hass),
            self.hub.entry.entry_id,
            charger_device_info(self.hub.entry.entry_id, self.data),
        )
