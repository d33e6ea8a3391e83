"""The actions' names, fields and schemas (what a caller may send, checked by voluptuous)."""

from __future__ import annotations

from typing import Final

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from .balancing import Mode
from .central_system.server import TEXT_LIMITS
from .central_system.trigger import Trigger

SERVICE_SET_CHARGING_LIMIT: Final = "set_charging_limit"
SERVICE_CLEAR_CHARGING_LIMIT: Final = "clear_charging_limit"
SERVICE_GET_CONFIGURATION: Final = "get_configuration"
SERVICE_CHANGE_CONFIGURATION: Final = "change_configuration"
SERVICE_TRIGGER_MESSAGE: Final = "trigger_message"
SERVICE_DATA_TRANSFER: Final = "data_transfer"
SERVICE_SET_CHARGING_MODE: Final = "set_charging_mode"
SERVICE_GET_VARIABLES: Final = "get_variables"
SERVICE_SET_VARIABLES: Final = "set_variables"
SERVICE_GET_COMPOSITE_SCHEDULE: Final = "get_composite_schedule"
SERVICE_GET_CHARGING_PROFILES: Final = "get_charging_profiles"
SERVICE_SET_DISCHARGE: Final = "set_discharge"
SERVICE_ROTATE_PASSWORD: Final = "rotate_password"  # noqa: S105 - an action name

ATTR_CURRENT: Final = "current"
ATTR_POWER: Final = "power"
ATTR_DURATION: Final = "duration"
ATTR_KEYS: Final = "keys"
ATTR_KEY: Final = "key"
ATTR_VALUE: Final = "value"
ATTR_MESSAGE: Final = "message"
ATTR_VENDOR_ID: Final = "vendor_id"
ATTR_MESSAGE_ID: Final = "message_id"
ATTR_DATA: Final = "data"
ATTR_MODE: Final = "mode"
ATTR_COMPONENT: Final = "component"
ATTR_VARIABLE: Final = "variable"
ATTR_INSTANCE: Final = "instance"
ATTR_EVSE: Final = "evse"
ATTR_ATTRIBUTE: Final = "attribute"
ATTR_PURPOSE: Final = "purpose"
ATTR_STACK_LEVEL: Final = "stack_level"
ATTR_SOURCES: Final = "sources"
# 2.0.1's attribute types and the length of its component, variable and instance names.
ATTRIBUTE_TYPES: Final = ("Actual", "Target", "MinSet", "MaxSet")
NAME_LENGTH: Final = 50
# 2.0.1's charging profile purposes and charging limit sources.
PROFILE_PURPOSES: Final = (
    "ChargingStationExternalConstraints",
    "ChargingStationMaxProfile",
    "TxDefaultProfile",
    "TxProfile",
)
LIMIT_SOURCES: Final = ("EMS", "Other", "SO", "CSO")

MAX_CURRENT: Final = 500.0  # A per phase
MAX_POWER: Final = 1_000_000.0  # W
MAX_DURATION: Final = 86_400  # s

# The action's field values (named after the OCPP 1.6 messages) and what each triggers.
TRIGGER_MESSAGES: Final = {
    "BootNotification": Trigger.BOOT,
    "DiagnosticsStatusNotification": Trigger.DIAGNOSTICS_STATUS,
    "FirmwareStatusNotification": Trigger.FIRMWARE_STATUS,
    "Heartbeat": Trigger.HEARTBEAT,
    "MeterValues": Trigger.METER_VALUES,
    "StatusNotification": Trigger.STATUS,
}

DEVICE_SCHEMA: Final = vol.Schema({vol.Required(ATTR_DEVICE_ID): cv.string})

SET_CHARGING_LIMIT_SCHEMA: Final = DEVICE_SCHEMA.extend(
    {
        vol.Optional(ATTR_CURRENT): vol.All(vol.Coerce(float), vol.Range(min=0, max=MAX_CURRENT)),
        vol.Optional(ATTR_POWER): vol.All(vol.Coerce(float), vol.Range(min=0, max=MAX_POWER)),
        vol.Optional(ATTR_DURATION): vol.All(vol.Coerce(int), vol.Range(min=1, max=MAX_DURATION)),
    }
)
CLEAR_CHARGING_LIMIT_SCHEMA: Final = DEVICE_SCHEMA
ROTATE_PASSWORD_SCHEMA: Final = DEVICE_SCHEMA
GET_CONFIGURATION_SCHEMA: Final = DEVICE_SCHEMA.extend(
    {
        vol.Optional(ATTR_KEYS): vol.All(
            cv.ensure_list,
            [vol.All(cv.string, vol.Length(min=1, max=TEXT_LIMITS.configuration_key))],
        ),
    }
)
CHANGE_CONFIGURATION_SCHEMA: Final = DEVICE_SCHEMA.extend(
    {
        vol.Required(ATTR_KEY): vol.All(
            cv.string, vol.Length(min=1, max=TEXT_LIMITS.configuration_key)
        ),
        vol.Required(ATTR_VALUE): vol.All(
            cv.string, vol.Length(max=TEXT_LIMITS.configuration_value)
        ),
    }
)
TRIGGER_MESSAGE_SCHEMA: Final = DEVICE_SCHEMA.extend(
    {vol.Required(ATTR_MESSAGE): vol.All(vol.In(TRIGGER_MESSAGES), TRIGGER_MESSAGES.__getitem__)}
)
DATA_TRANSFER_SCHEMA: Final = DEVICE_SCHEMA.extend(
    {
        vol.Required(ATTR_VENDOR_ID): vol.All(
            cv.string, vol.Length(min=1, max=TEXT_LIMITS.vendor_id)
        ),
        vol.Optional(ATTR_MESSAGE_ID): vol.All(cv.string, vol.Length(max=TEXT_LIMITS.message_id)),
        vol.Optional(ATTR_DATA): cv.string,
    }
)
_NAME: Final = vol.All(cv.string, vol.Length(min=1, max=NAME_LENGTH))
GET_VARIABLES_SCHEMA: Final = DEVICE_SCHEMA.extend(
    {
        vol.Required(ATTR_COMPONENT): _NAME,
        vol.Required(ATTR_VARIABLE): _NAME,
        vol.Optional(ATTR_INSTANCE): _NAME,
        vol.Optional(ATTR_EVSE): vol.All(vol.Coerce(int), vol.Range(min=1)),
        vol.Optional(ATTR_ATTRIBUTE): vol.In(ATTRIBUTE_TYPES),
    }
)
SET_VARIABLES_SCHEMA: Final = GET_VARIABLES_SCHEMA.extend(
    {vol.Required(ATTR_VALUE): vol.All(cv.string, vol.Length(max=TEXT_LIMITS.configuration_value))}
)
GET_COMPOSITE_SCHEDULE_SCHEMA: Final = DEVICE_SCHEMA.extend(
    {
        vol.Optional(ATTR_DURATION, default=3600): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=MAX_DURATION)
        )
    }
)
GET_CHARGING_PROFILES_SCHEMA: Final = DEVICE_SCHEMA.extend(
    {
        vol.Optional(ATTR_PURPOSE): vol.In(PROFILE_PURPOSES),
        vol.Optional(ATTR_STACK_LEVEL): vol.All(vol.Coerce(int), vol.Range(min=0)),
        vol.Optional(ATTR_SOURCES): vol.All(
            cv.ensure_list, vol.Length(min=1, max=len(LIMIT_SOURCES)), [vol.In(LIMIT_SOURCES)]
        ),
    }
)
SET_CHARGING_MODE_SCHEMA: Final = DEVICE_SCHEMA.extend(
    {vol.Required(ATTR_MODE): vol.In([mode.value for mode in Mode])}
)
# The power to discharge (0 ends an earlier request) and for how long.
SET_DISCHARGE_SCHEMA: Final = DEVICE_SCHEMA.extend(
    {
        vol.Required(ATTR_POWER): vol.All(vol.Coerce(float), vol.Range(min=0, max=MAX_POWER)),
        vol.Optional(ATTR_DURATION, default=3600): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=MAX_DURATION)
        ),
    }
)
