"""Sensors: per connector status, metering and session; per charger diagnostics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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

from .balancing_sensors import (
    BALANCED_SENSORS,
    SITE_SENSORS,
    BalancedSensorDescription,
    SiteSensorDescription,
    StateValue,
)
from .central_system.model import ChargerState, ConnectorState, ConnectorStatus
from .central_system.security.profile import SecurityProfile
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
from .security_options import PROFILE_OPTIONS, profile_option
from .v2x_sensors import SETPOINT, V2X_CONNECTOR_SENSORS, V2X_SITE_SENSORS, V2XSensorDescription

# Read-only, pushed: no update calls to throttle.
PARALLEL_UPDATES = 0

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


def _security_profile(state: ChargerState) -> str | None:
    """The profile of the charger's current (or last) connection; None: never connected."""
    if state.security_profile is None:
        return None
    return profile_option(SecurityProfile(state.security_profile))


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
    # What the car told (2.x charging needs) and who else limits it (2.x external limit).
    ConnectorSensorDescription(
        key="ev_departure",
        translation_key="ev_departure",
        device_class=SensorDeviceClass.TIMESTAMP,
        exists_fn=lambda connector: connector.ev_departure is not None,
        value_fn=lambda connector: connector.ev_departure,
    ),
    ConnectorSensorDescription(
        key="ev_energy_amount",
        translation_key="ev_energy_amount",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        exists_fn=lambda connector: connector.ev_energy_amount is not None,
        value_fn=lambda connector: connector.ev_energy_amount,
    ),
    ConnectorSensorDescription(
        key="ev_max_power",
        translation_key="ev_max_power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_unit_of_measurement=UnitOfPower.KILO_WATT,
        exists_fn=lambda connector: connector.ev_max_power is not None,
        value_fn=lambda connector: connector.ev_max_power,
    ),
    ConnectorSensorDescription(
        key="ev_energy_capacity",
        translation_key="ev_energy_capacity",
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        exists_fn=lambda connector: connector.ev_energy_capacity is not None,
        value_fn=lambda connector: connector.ev_energy_capacity,
    ),
    ConnectorSensorDescription(
        key="external_limit",
        translation_key="external_limit",
        exists_fn=lambda connector: connector.external_limit_source is not None,
        value_fn=lambda connector: connector.external_limit_source,
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
        key="ocpp_version",
        translation_key="ocpp_version",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.ocpp_version,
    ),
    ChargerSensorDescription(
        key="security_profile",
        translation_key="security_profile",
        device_class=SensorDeviceClass.ENUM,
        options=PROFILE_OPTIONS,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_security_profile,
    ),
    ChargerSensorDescription(
        key="last_security_event",
        translation_key="last_security_event",
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=lambda state: state.last_security_event is not None,
        value_fn=lambda state: state.last_security_event,
    ),
    ChargerSensorDescription(
        key="last_error",
        translation_key="last_error",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.last_error,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors for the site, every charger and connector, now and as they appear."""
    async_add_entities(
        SiteSensor(entry, description) for description in (*SITE_SENSORS, *V2X_SITE_SENSORS)
    )
    async_setup_charger_platform(
        entry,
        async_add_entities,
        charger=(CHARGER_SENSORS, ChargerSensor),
        connector=(CONNECTOR_SENSORS, ConnectorSensor),
    )
    async_setup_charger_platform(
        entry,
        async_add_entities,
        connector=((*BALANCED_SENSORS, SETPOINT), BalancedConnectorSensor),
    )
    async_setup_charger_platform(
        entry, async_add_entities, connector=(V2X_CONNECTOR_SENSORS, V2XConnectorSensor)
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


class V2XConnectorSensor(ConnectorEntity, SensorEntity):
    """A bidirectional-charging sensor of one connector (its state and the user's settings)."""

    entity_description: V2XSensorDescription

    @property
    def native_value(self) -> StateValue:
        """Return the value from the connector's state and settings."""
        return self.entity_description.value_fn(self.connector, self.settings)
