"""The site options (load balancing): schema, defaults and checks of the options flow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE, UnitOfElectricCurrent, UnitOfPower
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
    TextSelector,
    TextSelectorConfig,
)
import voluptuous as vol

from .const import (
    CONF_BASE_LOAD,
    CONF_BATTERY_POWER_ENTITY,
    CONF_CIRCUITS,
    CONF_FAILSAFE_CURRENT,
    CONF_GRID_LIMIT,
    CONF_LIVE_LIMIT_VALIDITY,
    CONF_MAX_IMPORT_POWER,
    CONF_METER_ENTITIES,
    CONF_METER_INVERTED,
    CONF_METER_SOURCE,
    CONF_METER_STALE_AFTER,
    CONF_NOMINAL_VOLTAGE,
    CONF_PRICE_ENTITY,
    CONF_PV_POWER_ENTITY,
    CONF_SAFETY_MARGIN,
    CONF_SOLAR_START_DELAY,
    CONF_SOLAR_STOP_DELAY,
    DEFAULT_FAILSAFE_CURRENT,
    DEFAULT_LIVE_LIMIT_VALIDITY,
    DEFAULT_METER_STALE_AFTER,
    DEFAULT_NOMINAL_VOLTAGE,
    DEFAULT_SAFETY_MARGIN,
    DEFAULT_SOLAR_START_DELAY,
    DEFAULT_SOLAR_STOP_DELAY,
    MeterSource,
)
from .price_forecast import parse_price_state

CURRENT_UNITS = {UnitOfElectricCurrent.AMPERE, UnitOfElectricCurrent.MILLIAMPERE}
POWER_UNITS = {UnitOfPower.WATT, UnitOfPower.KILO_WATT}
_ENTITIES_NEEDED = {
    MeterSource.NONE: 0,
    MeterSource.PHASE_CURRENTS: 3,
    MeterSource.PHASE_POWERS: 3,
    MeterSource.TOTAL_POWER: 1,
}


def _number(minimum: float, maximum: float, step: float, unit: str) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=step,
            unit_of_measurement=unit,
            mode=NumberSelectorMode.BOX,
        )
    )


SITE_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_GRID_LIMIT): _number(0, 2000, 1, "A"),
        vol.Optional(CONF_MAX_IMPORT_POWER): _number(0, 2_000_000, 100, "W"),
        vol.Required(CONF_SAFETY_MARGIN): _number(0, 50, 0.5, "A"),
        vol.Required(CONF_BASE_LOAD): _number(0, 2000, 0.5, "A"),
        vol.Required(CONF_FAILSAFE_CURRENT): _number(0, 80, 0.5, "A"),
        vol.Required(CONF_METER_SOURCE): SelectSelector(
            SelectSelectorConfig(
                options=[source.value for source in MeterSource],
                mode=SelectSelectorMode.DROPDOWN,
                translation_key=CONF_METER_SOURCE,
            )
        ),
        vol.Optional(CONF_METER_ENTITIES, default=[]): EntitySelector(
            EntitySelectorConfig(domain="sensor", multiple=True)
        ),
        vol.Required(CONF_METER_INVERTED): BooleanSelector(),
        vol.Required(CONF_NOMINAL_VOLTAGE): _number(100, 480, 1, "V"),
        vol.Required(CONF_METER_STALE_AFTER): _number(5, 3600, 1, "s"),
        vol.Optional(CONF_PV_POWER_ENTITY): EntitySelector(EntitySelectorConfig(domain="sensor")),
        vol.Optional(CONF_BATTERY_POWER_ENTITY): EntitySelector(
            EntitySelectorConfig(domain="sensor")
        ),
        vol.Optional(CONF_PRICE_ENTITY): EntitySelector(EntitySelectorConfig(domain="sensor")),
        vol.Required(CONF_SOLAR_START_DELAY): _number(0, 3600, 1, "s"),
        vol.Required(CONF_SOLAR_STOP_DELAY): _number(0, 3600, 1, "s"),
        vol.Required(CONF_LIVE_LIMIT_VALIDITY): _number(30, 3600, 1, "s"),
        vol.Optional(CONF_CIRCUITS, default=[]): TextSelector(TextSelectorConfig(multiple=True)),
    }
)

# A circuit line: a name, a limit, and optionally a parent.
_CIRCUIT_PARTS = (2, 3)


@dataclass(frozen=True, slots=True)
class Circuit:
    """A sub-circuit as configured: its name is also its id."""

    name: str
    limit: float
    parent: str | None


def parse_circuits(lines: list[str]) -> list[Circuit]:
    """Parse "name: limit[: parent]" lines; raise ValueError on a bad or cyclic line."""
    circuits: list[Circuit] = []
    for line in lines:
        parts = [part.strip() for part in line.split(":")]
        if len(parts) not in _CIRCUIT_PARTS or not parts[0]:
            raise ValueError(line)
        limit = float(parts[1])
        if limit <= 0:
            raise ValueError(line)
        parent = parts[2] if len(parts) == _CIRCUIT_PARTS[1] else None
        circuits.append(Circuit(parts[0], limit, parent))
    names = [circuit.name for circuit in circuits]
    if len(set(names)) != len(names):
        raise ValueError("duplicate circuit")
    parents = {circuit.name: circuit.parent for circuit in circuits}
    for circuit in circuits:
        seen = {circuit.name}
        ancestor = circuit.parent
        while ancestor is not None:
            if ancestor not in parents or ancestor in seen:
                raise ValueError(f"unknown or cyclic parent {ancestor}")
            seen.add(ancestor)
            ancestor = parents[ancestor]
    return circuits


def default_site_options() -> dict[str, Any]:
    """A site without balancing (grid limit 0) and sensible defaults for the rest."""
    return {
        CONF_GRID_LIMIT: 0,
        CONF_SAFETY_MARGIN: DEFAULT_SAFETY_MARGIN,
        CONF_BASE_LOAD: 0.0,
        CONF_FAILSAFE_CURRENT: DEFAULT_FAILSAFE_CURRENT,
        CONF_METER_SOURCE: MeterSource.NONE.value,
        CONF_METER_ENTITIES: [],
        CONF_METER_INVERTED: False,
        CONF_NOMINAL_VOLTAGE: DEFAULT_NOMINAL_VOLTAGE,
        CONF_METER_STALE_AFTER: DEFAULT_METER_STALE_AFTER,
        CONF_SOLAR_START_DELAY: DEFAULT_SOLAR_START_DELAY,
        CONF_SOLAR_STOP_DELAY: DEFAULT_SOLAR_STOP_DELAY,
        CONF_LIVE_LIMIT_VALIDITY: DEFAULT_LIVE_LIMIT_VALIDITY,
        CONF_CIRCUITS: [],
    }


def clean_site_options(user_input: dict[str, Any]) -> dict[str, Any]:
    """Normalise the form: numbers as floats, whole seconds, optional entities dropped."""
    site = {**default_site_options(), **user_input}
    for key in (
        CONF_METER_STALE_AFTER,
        CONF_SOLAR_START_DELAY,
        CONF_SOLAR_STOP_DELAY,
        CONF_LIVE_LIMIT_VALIDITY,
    ):
        site[key] = round(site[key])
    for key in (
        CONF_MAX_IMPORT_POWER,
        CONF_PV_POWER_ENTITY,
        CONF_BATTERY_POWER_ENTITY,
        CONF_PRICE_ENTITY,
    ):
        if not site.get(key):
            site.pop(key, None)
    site[CONF_METER_ENTITIES] = list(site[CONF_METER_ENTITIES])
    site[CONF_CIRCUITS] = [line.strip() for line in site.get(CONF_CIRCUITS, []) if line.strip()]
    return site


def validate_site_options(hass: HomeAssistant, site: dict[str, Any]) -> dict[str, str]:
    """Check the circuits, the meter (entities, units) and the price forecast."""
    try:
        parse_circuits(site.get(CONF_CIRCUITS, []))
    except ValueError:
        return {CONF_CIRCUITS: "circuit_format"}
    source = MeterSource(site[CONF_METER_SOURCE])
    entities: list[str] = site[CONF_METER_ENTITIES]
    if len(entities) != _ENTITIES_NEEDED[source]:
        return {CONF_METER_ENTITIES: f"meter_entities_{source.value}"}
    if source is not MeterSource.NONE and not site[CONF_GRID_LIMIT]:
        return {CONF_GRID_LIMIT: "grid_limit_needed"}
    units = CURRENT_UNITS if source is MeterSource.PHASE_CURRENTS else POWER_UNITS
    for entity_id in entities:
        state = hass.states.get(entity_id)
        if state is not None and state.attributes.get("unit_of_measurement") not in units:
            return {CONF_METER_ENTITIES: "meter_unit"}
    for key in (CONF_PV_POWER_ENTITY, CONF_BATTERY_POWER_ENTITY):
        extra = hass.states.get(site[key]) if site.get(key) else None
        if extra is not None and extra.attributes.get("unit_of_measurement") not in POWER_UNITS:
            return {key: "power_unit"}
    price = hass.states.get(site[CONF_PRICE_ENTITY]) if site.get(CONF_PRICE_ENTITY) else None
    # An unavailable entity may hold a forecast later: only a known layout is checked.
    if (
        price is not None
        and price.state != STATE_UNAVAILABLE
        and parse_price_state(price).layout is None
    ):
        return {CONF_PRICE_ENTITY: "price_forecast"}
    return {}
