"""Sensor descriptions of bidirectional charging (V2X): per connector and for the site."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy, UnitOfPower

from .balancing import Allocation
from .balancing_sensors import BalancedSensorDescription, SiteSensorDescription, StateValue
from .central_system.model import ConnectorState
from .const import CONF_V2X_OBJECTIVE, DischargeMode
from .entity import ConnectorEntityDescription
from .settings import ConnectorSettings
from .site_balancer import Balancer
from .v2x_battery import energy_above_reserve, max_discharge_power
from .v2x_options import OBJECTIVES


@dataclass(frozen=True, kw_only=True)
class V2XSensorDescription(ConnectorEntityDescription, SensorEntityDescription):
    """A connector sensor of bidirectional charging, read from its state and settings."""

    value_fn: Callable[[ConnectorState, ConnectorSettings], StateValue]


def _can_discharge(connector: ConnectorState) -> bool:
    return connector.discharge_capable


V2X_CONNECTOR_SENSORS: tuple[V2XSensorDescription, ...] = (
    # The Energy dashboard's "energy out" of a battery: the guarded export register.
    V2XSensorDescription(
        key="energy_discharged",
        translation_key="energy_discharged",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        exists_fn=_can_discharge,
        value_fn=lambda connector, _settings: connector.energy_export,
    ),
    V2XSensorDescription(
        key="energy_above_reserve",
        translation_key="energy_above_reserve",
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        exists_fn=_can_discharge,
        value_fn=lambda connector, settings: (
            energy_above_reserve(connector, settings.soc_reserve)
            if connector.transaction_id is not None
            else None
        ),
    ),
)


def _setpoint(balancer: Balancer, allocation: Allocation | None) -> float | None:
    """The signed power the balancer set: negative while discharging (W).

    On the phases the car uses: a 1-phase car on a 3-phase charger, one; a DC station
    discharges through its inverter on all three.
    """
    if allocation is None:
        return None
    phases = allocation.phases
    connector = balancer.connector_input(allocation.connector_id)
    if connector is not None:
        dc = connector.v2x is not None and connector.v2x.dc
        used = 3 if dc else len(connector.phases)
        phases = used if allocation.discharge > 0 else min(phases, used)
    return round(allocation.setpoint * phases * balancer.meter.voltage)


# The balancer's signed setpoint for a bidirectional connector.
SETPOINT = BalancedSensorDescription(
    key="setpoint",
    translation_key="setpoint",
    device_class=SensorDeviceClass.POWER,
    state_class=SensorStateClass.MEASUREMENT,
    native_unit_of_measurement=UnitOfPower.WATT,
    exists_fn=_can_discharge,
    value_fn=_setpoint,
)


def _givers(balancer: Balancer) -> Iterator[tuple[ConnectorState, float]]:
    """Each car that may discharge now, with its energy above its reserve (Wh)."""
    hub = balancer.hub
    for coordinator in hub.coordinators.values():
        charger = coordinator.data
        if not charger.connected:
            continue
        for connector in charger.outlets:
            if not (connector.discharge_capable and connector.bidirectional):
                continue
            settings = hub.connector_settings(charger.charger_id, connector.connector_id)
            energy = energy_above_reserve(connector, settings.soc_reserve)
            if settings.discharge_allowed and energy:
                yield connector, energy


def _power_available(balancer: Balancer) -> float:
    voltage = balancer.meter.voltage
    return round(
        sum(max_discharge_power(connector, voltage) or 0.0 for connector, _ in _givers(balancer))
    )


def _objective(balancer: Balancer) -> str:
    return str(balancer.options.get(CONF_V2X_OBJECTIVE, DischargeMode.OFF.value))


V2X_SITE_SENSORS: tuple[SiteSensorDescription, ...] = (
    SiteSensorDescription(
        key="v2x_power_available",
        translation_key="v2x_power_available",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        value_fn=_power_available,
    ),
    SiteSensorDescription(
        key="v2x_energy_available",
        translation_key="v2x_energy_available",
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        value_fn=lambda balancer: round(sum(energy for _, energy in _givers(balancer))),
    ),
    SiteSensorDescription(
        key="v2x_objective",
        translation_key="v2x_objective",
        device_class=SensorDeviceClass.ENUM,
        options=OBJECTIVES,
        value_fn=_objective,
    ),
    SiteSensorDescription(
        key="grid_signal",
        translation_key="grid_signal",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        value_fn=lambda balancer: balancer.v2x_signals().grid_signal,
    ),
)
