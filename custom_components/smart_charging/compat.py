"""The device registry APIs that differ between the Home Assistant versions we support.

We support HA 2025.4 (hacs.json) to the newest release. HA 2026.9 and 2026.10 replaced the
registry calls below and report the old ones as deprecated; HA 2025.4 has only the old ones.
Each helper uses the new API where it exists, so nothing deprecated runs on a current HA.
"""

from __future__ import annotations

import inspect
from typing import Any

from homeassistant.helpers import device_registry as dr

# HA 2026.9: a device links to its parent by the parent's registry id (`via_device_id`).
VIA_DEVICE_ID: bool = (
    "via_device_id" in inspect.signature(dr.DeviceRegistry.async_get_or_create).parameters
)


def child_device_info(parent: dr.DeviceEntry, **fields: Any) -> dr.DeviceInfo:
    """`DeviceInfo(**fields)` of a device under `parent`, linked the way this HA wants."""
    if VIA_DEVICE_ID:
        link: dict[str, Any] = {"via_device_id": parent.id}
    else:  # HA < 2026.9 links by one of the parent's identifiers.
        link = {"via_device": min(parent.identifiers)}
    # Each link field is typed on one HA version only: build untyped, return typed.
    make: Any = dr.DeviceInfo
    info: dr.DeviceInfo = make(**fields, **link)
    return info


def get_device(
    registry: dr.DeviceRegistry, identifier: tuple[str, str], config_entry_id: str
) -> dr.DeviceEntry | None:
    """The device of a config entry with this identifier."""
    if hasattr(registry, "async_get_device_by_identifier"):  # HA 2026.9
        device: dr.DeviceEntry | None = registry.async_get_device_by_identifier(
            identifier, config_entry_id
        )
        return device
    device = registry.async_get_device(identifiers={identifier})
    if device is None or config_entry_id not in device.config_entries:
        return None
    return device


def device_config_entry_ids(device: object) -> set[str]:
    """The config entries of a registry device (one since HA 2026.10, which adds child devices)."""
    entry_id: str | None = getattr(device, "config_entry_id", None)  # HA 2026.10
    if entry_id is not None:
        return {entry_id}
    return set(getattr(device, "config_entries", ()))


def register_device(
    registry: dr.DeviceRegistry, config_entry_id: str, info: dr.DeviceInfo
) -> dr.DeviceEntry:
    """Get or create the device that `info` describes."""
    if hasattr(registry, "async_get_or_create_from_info"):  # newer HA: DeviceInfo is a dataclass
        device: dr.DeviceEntry = registry.async_get_or_create_from_info(
            config_entry_id=config_entry_id, device_info=info
        )
        return device
    return registry.async_get_or_create(config_entry_id=config_entry_id, **info)
