"""Selects: the charging mode of each connector, the phase rotation of each charger."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .balancing import Mode
from .const import CONF_CIRCUITS, DOMAIN
from .coordinator import SmartChargingConfigEntry
from .entity import (
    ChargerEntity,
    ChargerEntityDescription,
    ConnectorEntity,
    ConnectorEntityDescription,
    async_setup_charger_platform,
)
from .errors import charger_command
from .site_options import parse_circuits

PARALLEL_UPDATES = 1

# Without load balancing a connector is either paused (off) or charges at its maximum (fast).
MODES_WITHOUT_BALANCING = frozenset({Mode.OFF, Mode.FAST})

# Which grid phase the charger's L1 is wired to (its L2 and L3 follow in order).
PHASE_ROTATIONS = ["l1_l2_l3", "l2_l3_l1", "l3_l1_l2"]


@dataclass(frozen=True, kw_only=True)
class ConnectorSelectDescription(ConnectorEntityDescription, SelectEntityDescription):
    """A connector select."""


@dataclass(frozen=True, kw_only=True)
class ChargerSelectDescription(ChargerEntityDescription, SelectEntityDescription):
    """A charger select."""


CHARGING_MODE = ConnectorSelectDescription(
    key="charging_mode",
    translation_key="charging_mode",
    options=[mode.value for mode in Mode],
)
PHASE_ROTATION = ChargerSelectDescription(
    key="phase_rotation",
    translation_key="phase_rotation",
    options=PHASE_ROTATIONS,
    entity_category=EntityCategory.CONFIG,
)


CIRCUIT = ChargerSelectDescription(
    key="circuit",
    translation_key="circuit",
    entity_category=EntityCategory.CONFIG,
)
# The option for "directly on the grid connection" (no sub-circuit).
NO_CIRCUIT = "none"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the mode of every connector and the phase rotation of every charger."""
    async_setup_charger_platform(
        entry,
        async_add_entities,
        charger=((PHASE_ROTATION,), PhaseRotationSelect),
    )
    async_setup_charger_platform(
        entry,
        async_add_entities,
        charger=((CIRCUIT,), CircuitSelect),
        connector=((CHARGING_MODE,), ChargingModeSelect),
    )


class ChargingModeSelect(ConnectorEntity, SelectEntity):
    """Off, fast, solar, minimum + solar, or the cheapest hours of the price forecast."""

    @property
    def current_option(self) -> str:
        """Return the connector's mode."""
        return self.settings.mode

    @charger_command
    async def async_select_option(self, option: str) -> None:
        """Change the mode; the balancer acts on it at once."""
        mode = Mode(option)
        if mode not in MODES_WITHOUT_BALANCING and not self.coordinator.hub.balancer.enabled:
            # Solar and price modes decide from the grid meter: nothing to follow without it.
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="mode_needs_balancing",
                translation_placeholders={"mode": mode.value},
            )
        self.update_settings(mode=mode.value)
        self.async_write_ha_state()
        await self.async_apply_limit()


class PhaseRotationSelect(ChargerEntity, SelectEntity):
    """How the charger is wired to the grid phases."""

    @property
    def current_option(self) -> str:
        """Return the rotation."""
        hub = self.coordinator.hub
        return PHASE_ROTATIONS[hub.charger_settings(self.coordinator.charger_id).phase_rotation]

    async def async_select_option(self, option: str) -> None:
        """Change the rotation; the balancer uses it from the next allocation."""
        hub = self.coordinator.hub
        hub.update_charger_settings(
            self.coordinator.charger_id, phase_rotation=PHASE_ROTATIONS.index(option)
        )
        self.async_write_ha_state()
        hub.balancer.recompute()


class CircuitSelect(ChargerEntity, SelectEntity):
    """Which sub-circuit (from the site options) feeds the charger."""

    @property
    def options(self) -> list[str]:
        """Every configured circuit, and none."""
        lines = self.coordinator.hub.entry.options.get(CONF_CIRCUITS, [])
        return [NO_CIRCUIT, *(circuit.name for circuit in parse_circuits(lines))]

    @property
    def current_option(self) -> str:
        """Return the charger's circuit."""
        circuit = self.coordinator.hub.charger_settings(self.coordinator.charger_id).circuit
        return circuit if circuit in self.options else NO_CIRCUIT

    async def async_select_option(self, option: str) -> None:
        """Move the charger to a circuit; the balancer uses it at once."""
        hub = self.coordinator.hub
        hub.update_charger_settings(
            self.coordinator.charger_id, circuit=None if option == NO_CIRCUIT else option
        )
        self.async_write_ha_state()
        hub.balancer.recompute()
