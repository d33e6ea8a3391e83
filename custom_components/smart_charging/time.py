"""Times: the departure of each connector (solar and price modes charge in time, fast gives way)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import time

from homeassistant.components.time import TimeEntity, TimeEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .entity import ConnectorEntity, ConnectorEntityDescription, async_setup_charger_platform
from .hub import SmartChargingConfigEntry
from .settings import ConnectorSettings

# Setting a time only stores it and reallocates: no I/O to throttle.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ConnectorTimeDescription(ConnectorEntityDescription, TimeEntityDescription):
    """A connector time backed by a connector setting."""

    value_fn: Callable[[ConnectorSettings], time | None]
    set_fn: Callable[[ConnectorSettings, time], ConnectorSettings]


DEPARTURE = ConnectorTimeDescription(
    key="departure",
    translation_key="departure",
    # Stored as "HH:MM:SS" (local time of day); None until set.
    value_fn=lambda settings: (
        None if settings.departure is None else dt_util.parse_time(settings.departure)
    ),
    set_fn=lambda settings, value: replace(settings, departure=value.strftime("%H:%M:%S")),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the departure time of every connector, now and as they appear."""
    async_setup_charger_platform(entry, async_add_entities, connector=((DEPARTURE,), ConnectorTime))


class ConnectorTime(ConnectorEntity, TimeEntity):
    """A time of day the balancer works towards (with the energy target)."""

    entity_description: ConnectorTimeDescription

    @property
    def native_value(self) -> time | None:
        """Return the setting; None until set."""
        return self.entity_description.value_fn(self.settings)

    async def async_set_value(self, value: time) -> None:
        """Store the setting; the balancer uses it at once (no limit to send without it)."""
        await self.async_change_settings(
            self.entity_description.set_fn(self.settings, value), applies_limit=False
        )
