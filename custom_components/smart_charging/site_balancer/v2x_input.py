"""Bidirectional charging as the engine's input: the site's objective and signals, each car.

The grid signal and a varying import cap come from entities an aggregator, the grid
operator or an automation sets; each bidirectional car's range comes from what it told
(its SoC, capacity, discharge maximum) and what the user set (permission, reserve, mode).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, UnitOfPower
from homeassistant.core import HomeAssistant

from ..balancing import DischargeObjective, V2XInput, V2XSettings
from ..central_system.model import ChargerState, ConnectorState
from ..central_system.v21.transfer import is_bidirectional
from ..const import (
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
from ..settings import ConnectorSettings
from ..v2x_battery import battery_capacity, car_floor

_TO_WATT = {UnitOfPower.WATT: 1.0, UnitOfPower.KILO_WATT: 1000.0, "": 1.0}
# A DC station's connector types (OCPP 2.x ConnectorEnumType) start with these.
_DC_CONNECTORS = ("cCCS", "cCHAdeMO", "cGBT-DC", "cChaoJi", "cMCS", "cNACS-CCS")


@dataclass(frozen=True, slots=True)
class V2XSignals:
    """What the site's V2X entities say now (W); None: not set or unreadable."""

    grid_signal: float | None = None
    import_cap: float | None = None


def watched_entities(options: Mapping[str, Any]) -> list[str]:
    """The entities whose changes must make the balancer allocate again."""
    return [
        entity
        for entity in (options.get(CONF_GRID_SIGNAL_ENTITY), options.get(CONF_IMPORT_CAP_ENTITY))
        if entity
    ]


def read_signals(hass: HomeAssistant, options: Mapping[str, Any]) -> V2XSignals:
    """The grid signal and the import cap now (the entity's cap wins over the fixed one)."""
    cap = _watts(hass, options.get(CONF_IMPORT_CAP_ENTITY))
    if cap is None and options.get(CONF_IMPORT_CAP):
        cap = float(options[CONF_IMPORT_CAP])
    return V2XSignals(
        grid_signal=_watts(hass, options.get(CONF_GRID_SIGNAL_ENTITY)), import_cap=cap
    )


def _watts(hass: HomeAssistant, entity_id: str | None) -> float | None:
    state = hass.states.get(entity_id) if entity_id else None
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    factor = _TO_WATT.get(state.attributes.get("unit_of_measurement") or "")
    try:
        return None if factor is None else float(state.state) * factor
    except ValueError:
        return None


def v2x_settings(options: Mapping[str, Any], signals: V2XSignals) -> V2XSettings:
    """The site's objective and limits for the engine."""
    export = options.get(CONF_EXPORT_LIMIT)
    return V2XSettings(
        objective=DischargeObjective(options.get(CONF_V2X_OBJECTIVE, DischargeMode.OFF.value)),
        import_cap=signals.import_cap,
        export_limit=None if export is None else float(export),
        export_car_energy=bool(options.get(CONF_EXPORT_CAR_ENERGY, False)),
        grid_signal=signals.grid_signal,
        wear_cost=float(options.get(CONF_WEAR_COST, DEFAULT_WEAR_COST)),
    )


def connector_v2x(
    charger: ChargerState,
    connector: ConnectorState,
    settings: ConnectorSettings,
    voltage: float,
    requested: float | None,
) -> V2XInput | None:
    """A bidirectional car's range and the user's wishes; None where nothing can discharge.

    `requested`: W an action asked it to discharge now (None: none).
    """
    if not (connector.discharge_capable and connector.bidirectional):
        return None
    dc = _is_dc(charger, connector)
    phases = 3
    evse_power = (
        None
        if charger.capabilities is None
        else charger.capabilities.v2x_of(connector.connector_id).max_discharge_power
    )
    maximum = min(
        value
        for value in (
            settings.maximum,
            connector.ev_max_discharge_current,
            *(
                None if power is None else power / (voltage * phases)
                for power in (connector.ev_max_discharge_power, evse_power)
            ),
        )
        if value is not None
    )
    allowed = settings.discharge_allowed and any(
        is_bidirectional(mode) for mode in connector.allowed_transfer
    )
    mode = DischargeMode(settings.discharge_mode)
    return V2XInput(
        max_discharge_current=maximum,
        capacity=battery_capacity(connector) or 0.0,
        soc=connector.soc,
        # The car's own V2X floor where it is above the user's reserve.
        reserve_soc=max(settings.soc_reserve, car_floor(connector) or 0.0),
        target_soc=connector.ev_target_soc,
        allowed=allowed,
        objective=None if mode is DischargeMode.SITE else DischargeObjective(mode.value),
        dc=dc,
        requested=None if requested is None else requested / (voltage * phases),
    )


def energy_to_target(connector: ConnectorState, charge_efficiency: float) -> float | None:
    """Wh from the grid that bring a bidirectional car from its SoC to its target SoC.

    None where the car told no target, SoC or battery size (or is one-way).
    """
    capacity = battery_capacity(connector)
    soc, target = connector.soc, connector.ev_target_soc
    if not connector.bidirectional or capacity is None or soc is None or target is None:
        return None
    return max(0.0, (target - soc) / 100 * capacity) / charge_efficiency


def _is_dc(charger: ChargerState, connector: ConnectorState) -> bool:
    """A DC station feeds the grid through its own inverter, balanced on all phases."""
    if (connector.ev_transfer_mode or "").startswith("DC"):
        return True
    types = (charger.capabilities.connector_types if charger.capabilities else {}).get(
        connector.connector_id, {}
    )
    return any(kind.startswith(_DC_CONNECTORS) for kind in types.values())
