"""How chargers, connectors and the site appear in the device registry, and stay up to date."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .central_system.model import ChargerState
from .compat import child_device_info, get_device
from .ids import charger_identifier, connector_identifier, site_identifier

# 2.0.1's ConnectorEnumType in words; others are shown as the station names them.
CONNECTOR_TYPES: Final = {
    "cCCS1": "CCS1",
    "cCCS2": "CCS2",
    "cG105": "CHAdeMO",
    "cTesla": "Tesla",
    "cType1": "Type 1 cable",
    "cType2": "Type 2 cable",
    "s309-1P-16A": "IEC 60309 1-phase 16 A",
    "s309-1P-32A": "IEC 60309 1-phase 32 A",
    "s309-3P-16A": "IEC 60309 3-phase 16 A",
    "s309-3P-32A": "IEC 60309 3-phase 32 A",
    "sBS1361": "BS 1363 socket",
    "sCEE-7-7": "Schuko socket",
    "sType2": "Type 2 socket",
    "sType3": "Type 3 socket",
    "wInductive": "Wireless (inductive)",
    "wResonant": "Wireless (resonant)",
}

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
    """Describe a connector (a 2.x EVSE) as a device under its charger's registered device."""
    info = child_device_info(
        charger_device,
        identifiers={connector_identifier(entry_id, state.charger_id, connector_id)},
        name=connector_device_name(state, connector_id),
    )
    if model := connectors_on(state, connector_id):
        info["model"] = model
    return info


def connector_device_name(state: ChargerState, connector_id: int) -> str:
    """Its name: <charger> connector n on 1.6; <station> EVSE n on 2.x, where an EVSE is the unit."""
    unit = "connector" if state.ocpp_version in (None, "1.6") else "EVSE"
    return f"{state.charger_id} {unit} {connector_id}"


def connectors_on(state: ChargerState, connector_id: int) -> str | None:
    """The connectors of a 2.x EVSE, as the station's inventory names them: "Type 2 socket"."""
    capabilities = state.capabilities
    types = capabilities.connector_types.get(connector_id) if capabilities else None
    if not types:
        return None
    return " + ".join(CONNECTOR_TYPES.get(types[key], types[key]) for key in sorted(types))


def update_connector_devices(
    hass: HomeAssistant, entry_id: str, coordinator: ChargerCoordinator
) -> None:
    """Name an EVSE's connectors on its device once the station's inventory told them."""
    capabilities = coordinator.data.capabilities
    known = capabilities.connector_types if capabilities else {}
    if not known or known == coordinator.registered_connector_types:
        return
    coordinator.registered_connector_types = {evse: dict(types) for evse, types in known.items()}
    registry = dr.async_get(hass)
    for connector_id in known:
        identifier = connector_identifier(entry_id, coordinator.charger_id, connector_id)
        device = get_device(registry, identifier, entry_id)
        if device is not None:
            registry.async_update_device(
                device.id, model=connectors_on(coordinator.data, connector_id)
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
