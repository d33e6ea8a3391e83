"""The integration's HA Store: central system state plus per-connector user settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN

STORAGE_VERSION = 1
# 2: a connector's maximum current not set by the user is None (the charger's own).
MINOR_VERSION_CHARGER_MAXIMUM = 2
STORAGE_MINOR_VERSION = MINOR_VERSION_CHARGER_MAXIMUM
# The fixed default every connector had before minor version 2 (A).
_OLD_DEFAULT_MAX_CURRENT = 32.0
# Meter values arrive every few seconds per charger; batch their saves.
SAVE_DELAY = 10.0


class HubStore:
    """One JSON file per config entry, implementing the central system's `Persistence`."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Create the store for one central system."""
        self._store: Store[dict[str, Any]] = _HubFile(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}",
            minor_version=STORAGE_MINOR_VERSION,
            atomic_writes=True,
        )
        self._data: dict[str, Any] = {}
        self._central_fn: Callable[[], dict[str, Any]] | None = None

    async def async_load(self) -> None:
        """Read the file once, at setup."""
        self._data = await self._store.async_load() or {}

    @property
    def settings(self) -> dict[str, Any]:
        """Per-charger user settings, mutable; call `save_later` after changing them."""
        settings: dict[str, Any] = self._data.setdefault("settings", {})
        return settings

    def _snapshot(self) -> dict[str, Any]:
        if self._central_fn is not None:
            self._data["central"] = self._central_fn()
        return self._data

    # --- central_system.server.Persistence ---------------------------------------------

    async def load(self) -> dict[str, Any] | None:
        """Return the central system's saved state."""
        central: dict[str, Any] | None = self._data.get("central")
        return central

    async def save_now(self, data: dict[str, Any]) -> None:
        """Write at once (a transaction id was handed out)."""
        self._data["central"] = data
        await self._store.async_save(self._data)

    def save_later(self, data_fn: Callable[[], dict[str, Any]] | None = None) -> None:
        """Write within `SAVE_DELAY` seconds, taking a fresh snapshot then."""
        if data_fn is not None:
            self._central_fn = data_fn
        self._store.async_delay_save(self._snapshot, SAVE_DELAY)

    async def async_remove(self) -> None:
        """Delete the file (the config entry was removed)."""
        await self._store.async_remove()


class _HubFile(Store[dict[str, Any]]):
    """The file, migrated from older minor versions on load."""

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> dict[str, Any]:
        if old_minor_version < MINOR_VERSION_CHARGER_MAXIMUM:
            # 32 A was the fixed default, not a choice: the charger's maximum now applies.
            for charger in (old_data.get("settings") or {}).values():
                for key, connector in charger.items():
                    if key.isdigit() and connector.get("max_current") == _OLD_DEFAULT_MAX_CURRENT:
                        connector["max_current"] = None
        return old_data
