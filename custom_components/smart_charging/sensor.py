"""Sensors: per connector status, metering and session; per charger diagnostics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .balancing import Allocation, LimitReason, Result
from .balancing.model import PhaseCurrents
from .central_system.model import ChargerState, ConnectorState, ConnectorStatus
from .entity import (
    BalancedConnectorEntity,
    ChargerEntity,
    ChargerEntityDescription,
    ConnectorEntity,
    ConnectorEntityDescription,
    SiteEntity,
    async_setup_charger_platform,
)
from .hub import SmartChargingConfigEntry
from .site_balancer import Balancer

# Read-only, pushed: no update calls to throttle.
PARALLEL_UPDATES = 0

type StateValue = str | int | float | datetime | None

# HA reserves `unavailable` and `unknown` as states: OCPP's Unavailable (taken out of service)
# is `inoperative`, and a status not reported yet is no state (None).
_STATUS_STATES = {ConnectorStatus.UNAVAILABLE: "inoperative", ConnectorStatus.UNKNOWN: None}
STATUS_OPTIONS = [
    option
    for status in ConnectorStatus
    if (option := _STATUS_STATES.get(status, status.value)) is not None
]


def status_state(status: ConnectorStatus) -> str | None:
    """The sensor state of an OCPP connector status."""
    return _STATUS_STATES.get(status, status.value)


@dataclass(frozen=True, kw_only=True)
class ConnectorSensorDescription(ConnectorEntityDescription, SensorEntityDescription):
    """A connector sensor."""

    value_fn: Callable[[ConnectorState], StateValue]


@dataclass(frozen=True, kw_only=True)
class ChargerSensorDescription(ChargerEntityDescription, SensorEntityDescription):
    """A charger sensor."""

    value_fn: Callable[[ChargerState], StateValue]


def _session_duration(connector: ConnectorState) -> float | None:
    if connector.transaction_id is None or connector.session_start is None:
        return None
    return max(0.0, (dt_util.utcnow() - connector.session_start).total_seconds())


def _phase_current(index: int) -> Callable[[ConnectorState], float | None]:
    return lambda connector: connector.current_phases.as_tuple()[index]


CONNECTOR_SENSORS: tuple[ConnectorSensorDescription, ...] = (
    ConnectorSensorDescription(
        key="status",
        translation_key="status",
        device_class=SensorDeviceClass.ENUM,
        options=STATUS_OPTIONS,
        value_fn=lambda connector: status_state(connector.status),
    ),
    ConnectorSensorDescription(
        key="power",
        translation_key="power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=lambda connector: connector.power,
    ),
    ConnectorSensorDescription(
        key="current_import",
        translation_key="current_import",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        suggested_display_precision=1,
        value_fn=lambda connector: connector.current_import,
    ),
    *(
        ConnectorSensorDescription(
            key=f"current_import_l{phase}",
            translation_key=f"current_import_l{phase}",
            device_class=SensorDeviceClass.CURRENT,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
            suggested_display_precision=1,
            entity_category=EntityCategory.DIAGNOSTIC,
            entity_registry_enabled_default=False,
            value_fn=_phase_current(phase - 1),
        )
        for phase in (1, 2, 3)
    ),
    ConnectorSensorDescription(
        key="voltage",
        translation_key="voltage",
        device_class=SensorDeviceClass.VOLTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        suggested_display_precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda connector: connector.voltage,
    ),
    ConnectorSensorDescription(
        key="current_offered",
        translation_key="current_offered",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        suggested_display_precision=1,
        value_fn=lambda connector: connector.current_offered,
    ),
    ConnectorSensorDescription(
        key="energy",
        translation_key="energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda connector: connector.energy,
    ),
    ConnectorSensorDescription(
        key="session_energy",
        translation_key="session_energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda connector: connector.session_energy,
    ),
    ConnectorSensorDescription(
        key="session_duration",
        translation_key="session_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        value_fn=_session_duration,
    ),
    ConnectorSensorDescription(
        key="soc",
        translation_key="soc",
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        exists_fn=lambda connector: connector.soc is not None,
        value_fn=lambda connector: connector.soc,
    ),
    ConnectorSensorDescription(
        key="temperature",
        translation_key="temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=lambda connector: connector.temperature is not None,
        value_fn=lambda connector: connector.temperature,
    ),
    ConnectorSensorDescription(
        key="transaction_id",
        translation_key="transaction_id",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda connector: connector.transaction_id,
    ),
    ConnectorSensorDescription(
        key="id_tag",
        translation_key="id_tag",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda connector: connector.id_tag,
    ),
)

CHARGER_SENSORS: tuple[ChargerSensorDescription, ...] = (
    ChargerSensorDescription(
        key="status",
        translation_key="charger_status",
        device_class=SensorDeviceClass.ENUM,
        options=STATUS_OPTIONS,
        value_fn=lambda state: status_state(state.connector(0).status),
    ),
    ChargerSensorDescription(
        key="last_heartbeat",
        translation_key="last_heartbeat",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.last_heartbeat,
    ),
    ChargerSensorDescription(
        key="firmware",
        translation_key="firmware",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.boot.firmware_version if state.boot else None,
    ),
    ChargerSensorDescription(
        key="last_error",
        translation_key="last_error",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.last_error,
    ),
)


@dataclass(frozen=True, kw_only=True)
class SiteSensorDescription(SensorEntityDescription):
    """A site sensor, read from the balancer."""

    value_fn: Callable[[Balancer], StateValue]


def _phase(
    values: Callable[[Balancer], PhaseCurrents | None], index: int
) -> Callable[[Balancer], float | None]:
    def value(balancer: Balancer) -> float | None:
        phases = values(balancer)
        return None if phases is None else round(phases[index], 2)

    return value


def _grid_current(balancer: Balancer) -> PhaseCurrents | None:
    return None if balancer.last_site is None else balancer.last_site.grid_current


def _headroom(balancer: Balancer) -> PhaseCurrents | None:
    return None if balancer.site.data is None else balancer.site.data.headroom


def _total_power(values: Callable[[Result], PhaseCurrents]) -> Callable[[Balancer], float | None]:
    def value(balancer: Balancer) -> float | None:
        result = balancer.site.data
        if result is None:
            return None
        return round(sum(values(result)) * balancer.meter.voltage)

    return value


def _per_phase(
    key: str, values: Callable[[Balancer], PhaseCurrents | None]
) -> tuple[SiteSensorDescription, ...]:
    """One current sensor per grid phase (L1-L3) of a site quantity."""
    return tuple(
        SiteSensorDescription(
            key=f"{key}_l{phase}",
            translation_key=f"{key}_l{phase}",
            device_class=SensorDeviceClass.CURRENT,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
            suggested_display_precision=1,
            value_fn=_phase(values, phase - 1),
        )
        for phase in (1, 2, 3)
    )


SITE_SENSORS: tuple[SiteSensorDescription, ...] = (
    *_per_phase("grid_current", _grid_current),
    *_per_phase("headroom", _headroom),
    SiteSensorDescription(
        key="ev_budget",
        translation_key="ev_budget",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        value_fn=_total_power(lambda result: result.ev_budget),
    ),
    SiteSensorDescription(
        key="allocated_total",
        translation_key="allocated_total",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        value_fn=_total_power(lambda result: result.allocated),
    ),
)


@dataclass(frozen=True, kw_only=True)
class BalancedSensorDescription(ConnectorEntityDescription, SensorEntityDescription):
    """A connector sensor showing the balancer's decision (its allocation, None while off)."""

    value_fn: Callable[[Balancer, Allocation | None], StateValue]


# The limit reason while load balancing is off (no site limit set).
BALANCING_OFF = "balancing_off"


def _limit_reason(balancer: Balancer, allocation: Allocation | None) -> str | None:
    """Why the connector got what it got; `balancing_off` without a site limit."""
    if not balancer.enabled:
        return BALANCING_OFF
    return None if allocation is None else allocation.reason.value


def _planned_start(balancer: Balancer, allocation: Allocation | None) -> datetime | None:
    """The planned start (in a planned slot: when charging in it began); None without a plan."""
    if allocation is None or allocation.planned_start is None:
        return None
    return balancer.to_datetime(allocation.planned_start)


# What the balancer allocated to the connector (A per phase).
ALLOCATED_CURRENT = BalancedSensorDescription(
    key="allocated_current",
    translation_key="allocated_current",
    device_class=SensorDeviceClass.CURRENT,
    state_class=SensorStateClass.MEASUREMENT,
    native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
    suggested_display_precision=1,
    value_fn=lambda _balancer, allocation: None if allocation is None else allocation.current,
)
LIMIT_REASON = BalancedSensorDescription(
    key="limit_reason",
    translation_key="limit_reason",
    device_class=SensorDeviceClass.ENUM,
    options=[*(reason.value for reason in LimitReason), BALANCING_OFF],
    value_fn=_limit_reason,
)
# Price mode: when the plan next charges the connector from the grid.
PLANNED_START = BalancedSensorDescription(
    key="planned_start",
    translation_key="planned_start",
    device_class=SensorDeviceClass.TIMESTAMP,
    value_fn=_planned_start,
)
BALANCED_SENSORS: tuple[BalancedSensorDescription, ...] = (
    ALLOCATED_CURRENT,
    LIMIT_REASON,
    PLANNED_START,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors for the site, every charger and connector, now and as they appear."""
    async_add_entities(SiteSensor(entry, description) for description in SITE_SENSORS)
    async_setup_charger_platform(
        entry,
        async_add_entities,
        charger=(CHARGER_SENSORS, ChargerSensor),
        connector=(CONNECTOR_SENSORS, ConnectorSensor),
    )
    async_setup_charger_platform(
        entry,
        async_add_entities,
        connector=(BALANCED_SENSORS, BalancedConnectorSensor),
    )


class SiteSensor(SiteEntity, SensorEntity):
    """A sensor of the site."""

    entity_description: SiteSensorDescription

    @property
    def available(self) -> bool:
        """Only while load balancing runs (the site's Site limit number turns it on)."""
        return super().available and self.balancer.enabled

    @property
    def native_value(self) -> StateValue:
        """Return the value from the balancer."""
        return self.entity_description.value_fn(self.balancer)


class BalancedConnectorSensor(BalancedConnectorEntity, SensorEntity):
    """A sensor of one connector showing the balancer's decision."""

    entity_description: BalancedSensorDescription

    def current_value(self) -> object:
        """The value shown."""
        return self.native_value

    @property
    def native_value(self) -> StateValue:
        """Return the value from the connector's allocation."""
        return self.entity_description.value_fn(self.coordinator.hub.balancer, self.allocation)


class ChargerSensor(ChargerEntity, SensorEntity):
    """A sensor of a whole charger."""

    entity_description: ChargerSensorDescription

    @property
    def native_value(self) -> StateValue:
        """Return the value from the charger's state."""
        return self.entity_description.value_fn(self.coordinator.data)


class ConnectorSensor(ConnectorEntity, SensorEntity):
    """A sensor of one connector."""

    entity_description: ConnectorSensorDescription

    @property
    def native_value(self) -> StateValue:
        """Return the value from the connector's state."""
        return self.entity_description.value_fn(self.connector)
