"""How chargers, connectors and the site appear in the device registry, and stay up to date."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .central_system.model import ChargerState
from .compat import child_device_info, get_device
from .ids import charger_identifier, connector_identifier, site_identifier

if TYPE_CHECKING:
    from .charger_coordinator import ChargerCoordinator


def charger_device_info(entry_id: str, state: ChargerState) -> DeviceInfo:
    """Describe a charger as a device, from its BootNotification when it sent one."""
    boot = state.boot
    return DeviceInfo(
        identifiers={charger_identifier(entry_id, state.charger_id)},
        name=state.charger_id,
        manufacturer=boot.vendor if boot else None,
        model=boot.model if boot else None,
        serial_number=boot.serial_number if boot else None,
        sw_version=boot.firmware_version if boot else None,
    )


def update_charger_device(
    hass: HomeAssistant, entry_id: str, coordinator: ChargerCoordinator
) -> None:
    """Keep the device's model/firmware in step with the latest BootNotification."""
    boot = coordinator.data.boot
    if boot is None or boot is coordinator.registered_boot:
        return
    coordinator.registered_boot = boot
    registry = dr.async_get(hass)
    device = get_device(registry, charger_identifier(entry_id, coordinator.charger_id), entry_id)
    if device is not None:
        registry.async_update_device(
            device.id,
            manufacturer=boot.vendor,
            model=boot.model,
            serial_number=boot.serial_number,
            sw_version=boot.firmware_version,
        )


def connector_device_info(
    entry_id: str, state: ChargerState, connector_id: int, charger_device: dr.DeviceEntry
) -> DeviceInfo:
    """Describe a connector as a device under its charger's (already registered) device."""
    return child_device_info(
        charger_device,
        identifiers={connector_identifier(entry_id, state.charger_id, connector_id)},
        name=f"{state.charger_id} connector {connector_id}",
    )


def site_device_info(entry: ConfigEntry) -> DeviceInfo:
    """Describe the site (grid connection and its balancing) as a device."""
    return DeviceInfo(
        identifiers={site_identifier(entry.entry_id)},
        name="Charging site",
        manufacturer="Smart Charging",
        model="Load balancer",
        entry_type=DeviceEntryType.SERVICE,
    )
