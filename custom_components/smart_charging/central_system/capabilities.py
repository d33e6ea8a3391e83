"""Read a 1.6 charger's capabilities from its GetConfiguration answer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .model import Capabilities, V2XSupport

CAPABILITY_KEYS = (
    "SupportedFeatureProfiles",
    "NumberOfConnectors",
    "ChargingScheduleAllowedChargingRateUnit",
    "ChargeProfileMaxStackLevel",
    "ChargingScheduleMaxPeriods",
    "MaxChargingProfilesInstalled",
    "ConnectorSwitch3to1PhaseSupported",
    "MeterValuesSampledData",
    "MeterValuesSampledDataMaxLength",
    "HeartbeatInterval",
    "MeterValueSampleInterval",
)

# Spellings chargers use for the allowed rate unit.
_RATE_UNITS = {"current": "A", "a": "A", "power": "W", "w": "W"}
# OCPP's integers have 32 bits; a wider value is no setting (and could not be saved).
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
# More connectors than any charger has: a bigger count is wrong (each one gets entities).
MAX_CONNECTORS = 100


def _int(value: str | None) -> int | None:
    try:
        number = int(str(value).strip()) if value is not None else None
    except ValueError:
        return None
    return number if number is None or INT32_MIN <= number <= INT32_MAX else None


def _count(value: str | None) -> int | None:
    number = _int(value)
    return number if number is None or 0 <= number <= MAX_CONNECTORS else None


def _items(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def parse_capabilities(configuration_key: Iterable[Mapping[str, Any]]) -> Capabilities:
    """Build capabilities from `configuration_key` (snake_case items with key/value)."""
    values = {str(item.get("key")): item.get("value") for item in configuration_key}
    profiles = {profile.lower() for profile in _items(values.get("SupportedFeatureProfiles"))}
    rate_units = frozenset(
        _RATE_UNITS[unit.lower()]
        for unit in _items(values.get("ChargingScheduleAllowedChargingRateUnit"))
        if unit.lower() in _RATE_UNITS
    )
    switch = str(values.get("ConnectorSwitch3to1PhaseSupported") or "").strip().lower()
    return Capabilities(
        # A charger that does not list its profiles gets the benefit of the doubt.
        smart_charging="smartcharging" in profiles or not profiles,
        remote_trigger="remotetrigger" in profiles or not profiles,
        number_of_connectors=_count(values.get("NumberOfConnectors")),
        rate_units=rate_units or frozenset({"A", "W"}),
        max_stack_level=_int(values.get("ChargeProfileMaxStackLevel")),
        max_periods=_int(values.get("ChargingScheduleMaxPeriods")),
        max_profiles=_int(values.get("MaxChargingProfilesInstalled")),
        switch_3_to_1_phase=switch == "true",
        supported_measurands=tuple(_items(values.get("MeterValuesSampledData"))),
        heartbeat_interval=_int(values.get("HeartbeatInterval")),
        meter_interval=_int(values.get("MeterValueSampleInterval")),
    )


def capabilities_as_dict(capabilities: Capabilities) -> dict[str, Any]:
    """Serialise for storage and diagnostics."""
    return {
        "smart_charging": capabilities.smart_charging,
        "remote_trigger": capabilities.remote_trigger,
        "number_of_connectors": capabilities.number_of_connectors,
        "rate_units": sorted(capabilities.rate_units),
        "max_stack_level": capabilities.max_stack_level,
        "max_periods": capabilities.max_periods,
        "max_profiles": capabilities.max_profiles,
        "switch_3_to_1_phase": capabilities.switch_3_to_1_phase,
        "supported_measurands": list(capabilities.supported_measurands),
        "heartbeat_interval": capabilities.heartbeat_interval,
        "meter_interval": capabilities.meter_interval,
        "vendor_max_current": None
        if capabilities.vendor_max_current is None
        else {str(key): value for key, value in capabilities.vendor_max_current.items()},
        "connector_types": {
            str(evse): {str(connector): kind for connector, kind in types.items()}
            for evse, types in capabilities.connector_types.items()
        },
        "v2x": {
            str(evse): {
                "enabled": support.enabled,
                "operation_modes": sorted(support.operation_modes),
                "transfer_modes": sorted(support.transfer_modes),
                "max_discharge_power": support.max_discharge_power,
                "iso15118": support.iso15118,
            }
            for evse, support in capabilities.v2x.items()
        },
    }


def capabilities_from_dict(data: Mapping[str, Any]) -> Capabilities:
    """Restore from storage."""
    return Capabilities(
        smart_charging=bool(data.get("smart_charging", True)),
        remote_trigger=bool(data.get("remote_trigger", True)),
        number_of_connectors=data.get("number_of_connectors"),
        rate_units=frozenset(data.get("rate_units") or ("A", "W")),
        max_stack_level=data.get("max_stack_level"),
        max_periods=data.get("max_periods"),
        max_profiles=data.get("max_profiles"),
        switch_3_to_1_phase=bool(data.get("switch_3_to_1_phase", False)),
        supported_measurands=tuple(data.get("supported_measurands") or ()),
        heartbeat_interval=data.get("heartbeat_interval"),
        meter_interval=data.get("meter_interval"),
        vendor_max_current=None
        if (vendor := data.get("vendor_max_current")) is None
        else {int(key): float(value) for key, value in vendor.items()},
        connector_types={
            int(evse): {int(connector): str(kind) for connector, kind in types.items()}
            for evse, types in (data.get("connector_types") or {}).items()
        },
        v2x={
            int(evse): V2XSupport(
                enabled=bool(support.get("enabled")),
                operation_modes=frozenset(support.get("operation_modes") or ()),
                transfer_modes=frozenset(support.get("transfer_modes") or ()),
                max_discharge_power=support.get("max_discharge_power"),
                iso15118=support.get("iso15118"),
            )
            for evse, support in (data.get("v2x") or {}).items()
        },
    )
