"""The charger's OCPP 1.6 configuration keys (GetConfiguration/ChangeConfiguration)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .spec import NO_SECURITY_KEYS, ChargerSpec

ACCEPTED, REJECTED, NOT_SUPPORTED = "Accepted", "Rejected", "NotSupported"

FEATURE_PROFILES = (
    "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger"
)
METER_VALUES_SAMPLED_DATA = "MeterValuesSampledData"
STOP_TXN_SAMPLED_DATA = "StopTxnSampledData"
METER_VALUE_SAMPLE_INTERVAL = "MeterValueSampleInterval"
HEARTBEAT_INTERVAL = "HeartbeatInterval"
AUTHORIZATION_KEY = "AuthorizationKey"
SECURITY_PROFILE = "SecurityProfile"
AUTHORIZE_REMOTE_TX_REQUESTS = "AuthorizeRemoteTxRequests"
_INTEGER_KEYS = frozenset(
    {
        METER_VALUE_SAMPLE_INTERVAL,
        HEARTBEAT_INTERVAL,
        "ClockAlignedDataInterval",
        "ConnectionTimeOut",
        "WebSocketPingInterval",
        SECURITY_PROFILE,
    }
)
_BOOLEAN_KEYS = frozenset({AUTHORIZE_REMOTE_TX_REQUESTS, "StopTransactionOnInvalidId"})
_MEASURAND_KEYS = frozenset({METER_VALUES_SAMPLED_DATA, STOP_TXN_SAMPLED_DATA})
_MAX_SAMPLED_DATA = 10  # MeterValuesSampledDataMaxLength
_AUTHORIZATION_KEY_LENGTH = range(16, 41)  # security whitepaper: 16 to 40 characters


@dataclass
class _Entry:
    value: str
    readonly: bool


class Configuration:
    """Known keys with their value and read-only flag."""

    def __init__(self, spec: ChargerSpec) -> None:
        """Start from the values `spec` implies."""
        self._spec = spec
        self.authorization_key = spec.password
        entries: dict[str, tuple[object, bool]] = {
            "SupportedFeatureProfiles": (FEATURE_PROFILES, True),
            "NumberOfConnectors": (spec.connectors, True),
            "ChargeProfileMaxStackLevel": (spec.max_stack_level, True),
            "ChargingScheduleAllowedChargingRateUnit": (spec.rate_unit_keys, True),
            "ChargingScheduleMaxPeriods": (spec.max_schedule_periods, True),
            "MaxChargingProfilesInstalled": (spec.max_profiles, True),
            "ConnectorSwitch3to1PhaseSupported": ("false", True),
            METER_VALUES_SAMPLED_DATA: (",".join(spec.sampled_data), False),
            "MeterValuesSampledDataMaxLength": (_MAX_SAMPLED_DATA, True),
            STOP_TXN_SAMPLED_DATA: ("Energy.Active.Import.Register", False),
            METER_VALUE_SAMPLE_INTERVAL: (spec.meter_interval, False),
            HEARTBEAT_INTERVAL: (spec.heartbeat_interval or 0, False),
            "ClockAlignedDataInterval": (0, False),
            "ConnectionTimeOut": (60, False),
            "WebSocketPingInterval": (0, False),
            AUTHORIZE_REMOTE_TX_REQUESTS: ("false", False),
            "StopTransactionOnInvalidId": ("true", False),
            "GetConfigurationMaxKeys": (50, True),
            SECURITY_PROFILE: (
                None if spec.has(NO_SECURITY_KEYS) else spec.security_profile,
                False,
            ),
            **{key: (value, True) for key, value in spec.vendor_keys},
        }
        self._entries = {
            key: _Entry(str(value), readonly)
            for key, (value, readonly) in entries.items()
            if value is not None
        }

    def get(self, keys: list[str] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
        """Answer GetConfiguration: (configurationKey entries, unknownKey names)."""
        wanted = keys or list(self._entries)
        known = [
            {"key": key, "readonly": self._entries[key].readonly, "value": self._entries[key].value}
            for key in wanted
            if key in self._entries
        ]
        return known, [key for key in wanted if key not in self._entries]

    def change(self, key: str, value: str) -> str:
        """Answer ChangeConfiguration and apply the change when Accepted."""
        if key == AUTHORIZATION_KEY:
            if self._spec.has(NO_SECURITY_KEYS):
                return NOT_SUPPORTED
            if len(value) not in _AUTHORIZATION_KEY_LENGTH:
                return REJECTED
            self.authorization_key = value
            return ACCEPTED
        entry = self._entries.get(key)
        if entry is None:
            return NOT_SUPPORTED
        if entry.readonly or not self._valid(key, value):
            return REJECTED
        if key == SECURITY_PROFILE and int(value) < int(entry.value):
            return REJECTED  # the whitepaper: a charger never goes down a profile
        if key in _MEASURAND_KEYS:
            value = ",".join(_items(value))
        entry.value = value
        return ACCEPTED

    def value(self, key: str) -> str:
        """Return the current value of a known key."""
        return self._entries[key].value

    def integer(self, key: str) -> int:
        """Return the current value of a known integer key."""
        return int(self._entries[key].value)

    def flag(self, key: str) -> bool:
        """Return the current value of a known boolean key."""
        return self._entries[key].value == "true"

    def set_internal(self, key: str, value: str) -> None:
        """Change a value from the charger's side (e.g. the heartbeat from boot)."""
        self._entries[key].value = value

    @property
    def sampled_data(self) -> list[str]:
        """The measurands periodic MeterValues carry."""
        return _items(self.value(METER_VALUES_SAMPLED_DATA))

    def _valid(self, key: str, value: str) -> bool:
        """Whether `value` suits writable `key` (an integer, boolean or measurand list)."""
        if key in _INTEGER_KEYS:
            return value.isdigit()
        if key in _BOOLEAN_KEYS:
            return value in ("true", "false")
        items = _items(value)
        supported = set(self._spec.supported_measurands)
        return len(items) <= _MAX_SAMPLED_DATA and all(item in supported for item in items)


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
