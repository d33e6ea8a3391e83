"""The bidirectional charging (V2X) options: the site's objective, caps and grid signal."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
import voluptuous as vol

from .const import (
    CONF_EXPORT_CAR_ENERGY,
    CONF_EXPORT_LIMIT,
    CONF_GRID_SIGNAL_ENTITY,
    CONF_IMPORT_CAP,
    CONF_IMPORT_CAP_ENTITY,
    CONF_V2X_OBJECTIVE,
    CONF_WEAR_COST,
    DEFAULT_WEAR_COST,
    DischargeMode,
)
from .site_options import POWER_UNITS

# The site's objective: every discharge mode but "site" itself.
OBJECTIVES = [mode.value for mode in DischargeMode if mode is not DischargeMode.SITE]
# Entities that may hold a value in W: sensors, numbers and input numbers.
_POWER_ENTITIES = EntitySelector(EntitySelectorConfig(domain=["sensor", "number", "input_number"]))
_OPTIONAL_KEYS = (
    CONF_IMPORT_CAP,
    CONF_IMPORT_CAP_ENTITY,
    CONF_EXPORT_LIMIT,
    CONF_GRID_SIGNAL_ENTITY,
)


def _watts(maximum: float) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=0, max=maximum, step=100, unit_of_measurement="W", mode=NumberSelectorMode.BOX
        )
    )


V2X_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_V2X_OBJECTIVE): SelectSelector(
            SelectSelectorConfig(
                options=OBJECTIVES,
                mode=SelectSelectorMode.DROPDOWN,
                translation_key=CONF_V2X_OBJECTIVE,
            )
        ),
        vol.Optional(CONF_IMPORT_CAP): _watts(2_000_000),
        vol.Optional(CONF_IMPORT_CAP_ENTITY): _POWER_ENTITIES,
        vol.Optional(CONF_EXPORT_LIMIT): _watts(2_000_000),
        vol.Required(CONF_EXPORT_CAR_ENERGY): BooleanSelector(),
        vol.Optional(CONF_GRID_SIGNAL_ENTITY): _POWER_ENTITIES,
        vol.Required(CONF_WEAR_COST): NumberSelector(
            NumberSelectorConfig(min=0, max=10, step=0.001, mode=NumberSelectorMode.BOX)
        ),
    }
)


def default_v2x_options() -> dict[str, Any]:
    """Charge only, no caps, the car's energy stays on the site."""
    return {
        CONF_V2X_OBJECTIVE: DischargeMode.OFF.value,
        CONF_EXPORT_CAR_ENERGY: False,
        CONF_WEAR_COST: DEFAULT_WEAR_COST,
    }


def clean_v2x_options(user_input: dict[str, Any]) -> dict[str, Any]:
    """Normalise the form: optional fields left empty are dropped (0 W export stays)."""
    options = {**default_v2x_options(), **user_input}
    for key in _OPTIONAL_KEYS:
        if options.get(key) in (None, "") or (key == CONF_IMPORT_CAP and not options[key]):
            options.pop(key, None)
    return options


def validate_v2x_options(hass: HomeAssistant, options: dict[str, Any]) -> dict[str, str]:
    """The cap and signal entities must be in W (or kW); the grid signal objective needs one."""
    for key in (CONF_IMPORT_CAP_ENTITY, CONF_GRID_SIGNAL_ENTITY):
        state = hass.states.get(options[key]) if options.get(key) else None
        if state is not None and state.attributes.get("unit_of_measurement") not in POWER_UNITS:
            return {key: "power_unit"}
    if (
        options[CONF_V2X_OBJECTIVE] == DischargeMode.GRID_SIGNAL
        and CONF_GRID_SIGNAL_ENTITY not in options
    ):
        return {CONF_GRID_SIGNAL_ENTITY: "grid_signal_needed"}
    return {}
