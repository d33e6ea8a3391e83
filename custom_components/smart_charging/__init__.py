"""Smart Charging (OCPP): an OCPP central system and charging coordinator for Home Assistant."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_IGNORE
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .approval import discovery_unique_id
from .const import CONF_PORT, DOMAIN, ENTRY_MINOR_VERSION
from .hub import SmartChargingConfigEntry, SmartChargingHub
from .ids import parse_device_identifier
from .migration import async_migrate_ids
from .services import async_setup_services
from .storage import HubStore

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.TIME,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's services (once, for every config entry)."""
    async_setup_services(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: SmartChargingConfigEntry) -> bool:
    """Bring an entry of an earlier version to the current one."""
    if entry.version > 1:  # Made by a newer version of the integration.
        return False
    if entry.minor_version < ENTRY_MINOR_VERSION:
        await async_migrate_ids(hass, entry)
        hass.config_entries.async_update_entry(entry, minor_version=ENTRY_MINOR_VERSION)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SmartChargingConfigEntry) -> bool:
    """Start the central system of one config entry."""
    hub = SmartChargingHub(hass, entry)
    try:
        await hub.async_start()
    except OSError as error:  # A port taken, or TLS files that cannot be loaded.
        ports = [str(entry.data[CONF_PORT])]
        if (tls_port := hub.tls[1]) is not None:
            ports.append(f"{tls_port} (TLS)")
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="port_unavailable",
            translation_placeholders={"port": ", ".join(ports), "error": str(error)},
        ) from error
    entry.runtime_data = hub

    async def stop_on_shutdown(_event: Event) -> None:
        await hub.async_stop()

    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stop_on_shutdown))
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def _async_entry_updated(hass: HomeAssistant, entry: SmartChargingConfigEntry) -> None:
    """A new address (reconfigure) or TLS reloads the entry; the rest applies live."""
    hub = entry.runtime_data
    if hub.needs_restart():
        hass.config_entries.async_schedule_reload(entry.entry_id)
        return
    await hub.async_apply_options()


async def async_unload_entry(hass: HomeAssistant, entry: SmartChargingConfigEntry) -> bool:
    """Stop the central system; every charger connection is closed."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.async_stop()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: SmartChargingConfigEntry) -> None:
    """Delete the stored state and the ignored chargers of a removed central system."""
    # runtime_data is gone after unload; a fresh store object reaches the same file.
    await HubStore(hass, entry.entry_id).async_remove()
    prefix = discovery_unique_id(entry.entry_id, "")
    for ignored in hass.config_entries.async_entries(DOMAIN, include_ignore=True):
        if ignored.source == SOURCE_IGNORE and (ignored.unique_id or "").startswith(prefix):
            await hass.config_entries.async_remove(ignored.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: SmartChargingConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a charger's device; the charger is forgotten and disconnected."""
    hub = entry.runtime_data
    for domain, identifier in device.identifiers:
        found = parse_device_identifier(entry.entry_id, identifier) if domain == DOMAIN else None
        if found is None:
            continue
        charger_id, connector_id = found
        if connector_id == 0 and charger_id in hub.coordinators:
            await hub.async_remove_charger(charger_id)
            return True
        # A connector's device goes with its charger.
        return False
    return False
