"""Selects: the charging mode of each connector, the phase rotation of each charger."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .balancing import Mode
from .const import CONF_CIRCUITS, DOMAIN, DischargeMode
from .entity import (
    ChargerEntity,
    ChargerEntityDescription,
    ConnectorEntity,
    ConnectorEntityDescription,
    async_setup_charger_platform,
)
from .errors import charger_errors
from .hub import SmartChargingConfigEntry
from .settings import ChargerSettings, ConnectorSettings
from .site_options import parse_circuits

PARALLEL_UPDATES = 1

# Without load balancing a connector is either paused (off) or charges at its maximum (fast).
MODES_WITHOUT_BALANCING = frozenset({Mode.OFF, Mode.FAST})

# Which grid phase the charger's L1 is wired to (its L2 and L3 follow in order).
PHASE_ROTATIONS = ["l1_l2_l3", "l2_l3_l1", "l3_l1_l2"]


@dataclass(frozen=True, kw_only=True)
class ConnectorSelectDescription(ConnectorEntityDescription, SelectEntityDescription):
    """A connector select backed by a connector setting.

    `needs_balancing_fn`: whether an option only works with load balancing on.
    `applies_limit`: a change is sent to the charger at once even without load balancing.
    """

    value_fn: Callable[[ConnectorSettings], str]
    set_fn: Callable[[ConnectorSettings, str], ConnectorSettings]
    needs_balancing_fn: Callable[[str], bool] = lambda _option: False
    applies_limit: bool = False


@dataclass(frozen=True, kw_only=True)
class ChargerSelectDescription(ChargerEntityDescription, SelectEntityDescription):
    """A charger select backed by a charger setting.

    `options_fn` gives the options from the entry's options when they are not fixed;
    `value_fn` gets the settings and the options.
    """

    value_fn: Callable[[ChargerSettings, list[str]], str]
    set_fn: Callable[[ChargerSettings, str], ChargerSettings]
    options_fn: Callable[[Mapping[str, Any]], list[str]] | None = None


CHARGING_MODE = ConnectorSelectDescription(
    key="charging_mode",
    translation_key="charging_mode",
    options=[mode.value for mode in Mode],
    value_fn=lambda settings: settings.mode,
    set_fn=lambda settings, option: replace(settings, mode=Mode(option).value),
    # Solar and price modes decide from the grid meter: nothing to follow without it.
    needs_balancing_fn=lambda option: Mode(option) not in MODES_WITHOUT_BALANCING,
    applies_limit=True,
)
# How the car discharges: the site's objective or its own (bidirectional stations only).
DISCHARGE_MODE = ConnectorSelectDescription(
    key="discharge_mode",
    translation_key="discharge_mode",
    options=[mode.value for mode in DischargeMode],
    exists_fn=lambda connector: connector.discharge_capable,
    value_fn=lambda settings: settings.discharge_mode,
    set_fn=lambda settings, option: replace(settings, discharge_mode=DischargeMode(option).value),
    # Discharging follows the meter and the site's objective: the balancer decides.
    needs_balancing_fn=lambda option: DischargeMode(option) is not DischargeMode.OFF,
)
PHASE_ROTATION = ChargerSelectDescription(
    key="phase_rotation",
    translation_key="phase_rotation",
    options=PHASE_ROTATIONS,
    entity_category=EntityCategory.CONFIG,
    value_fn=lambda settings, _options: PHASE_ROTATIONS[settings.phase_rotation],
    set_fn=lambda settings, option: replace(settings, phase_rotation=PHASE_ROTATIONS.index(option)),
)

# The option for "directly on the grid connection" (no sub-circuit).
NO_CIRCUIT = "none"


def _circuit_options(options: Mapping[str, Any]) -> list[str]:
    """Every circuit configured in the site options, and none."""
    lines = options.get(CONF_CIRCUITS, [])
    return [NO_CIRCUIT, *(circuit.name for circuit in parse_circuits(lines))]


# Which sub-circuit (from the site options) feeds the charger.
CIRCUIT = ChargerSelectDescription(
    key="circuit",
    translation_key="circuit",
    entity_category=EntityCategory.CONFIG,
    options_fn=_circuit_options,
    value_fn=lambda settings, options: (
        settings.circuit if settings.circuit in options else NO_CIRCUIT
    ),
    set_fn=lambda settings, option: replace(
        settings, circuit=None if option == NO_CIRCUIT else option
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the mode of every connector and the phase rotation of every charger."""
    async_setup_charger_platform(
        entry,
        async_add_entities,
        charger=((PHASE_ROTATION,), ChargerSelect),
    )
    async_setup_charger_platform(
        entry,
        async_add_entities,
        charger=((CIRCUIT,), ChargerSelect),
        connector=((CHARGING_MODE, DISCHARGE_MODE), ConnectorSelect),
    )


class ConnectorSelect(ConnectorEntity, SelectEntity):
    """A connector setting; a change is acted on at once (directly or by the balancer)."""

    entity_description: ConnectorSelectDescription

    @property
    def current_option(self) -> str:
        """Return the setting."""
        return self.entity_description.value_fn(self.settings)

    async def async_select_option(self, option: str) -> None:
        """Store the setting and apply what it changes."""
        description = self.entity_description
        if description.needs_balancing_fn(option) and not self.coordinator.hub.balancer.enabled:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="mode_needs_balancing",
                translation_placeholders={"mode": option},
            )
        with charger_errors():
            await self.async_change_settings(
                description.set_fn(self.settings, option), applies_limit=description.applies_limit
            )


class ChargerSelect(ChargerEntity, SelectEntity):
    """A charger setting the balancer uses."""

    entity_description: ChargerSelectDescription

    @property
    def options(self) -> list[str]:
        """Return the fixed options, or those the entry's options give."""
        if (options_fn := self.entity_description.options_fn) is None:
            return super().options
        return options_fn(self.coordinator.hub.entry.options)

    @property
    def current_option(self) -> str:
        """Return the setting."""
        return self.entity_description.value_fn(self.charger_settings, self.options)

    async def async_select_option(self, option: str) -> None:
        """Store the setting; the balancer uses it at once."""
        self.change_charger_settings(self.entity_description.set_fn(self.charger_settings, option))
