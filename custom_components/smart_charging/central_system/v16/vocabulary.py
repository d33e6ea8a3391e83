"""OCPP 1.6 names and limits for the version-neutral terms of the central system."""

from __future__ import annotations

from typing import Final

from ocpp.v16.enums import MessageTrigger

from ..text_limits import TextLimits
from ..trigger import Trigger

# CiString<N>Type lengths of ChangeConfiguration, GetConfiguration and DataTransfer.
TEXT_LIMITS: Final = TextLimits(
    configuration_key=50, configuration_value=500, vendor_id=255, message_id=50
)

MESSAGE_TRIGGERS: Final[dict[Trigger, MessageTrigger]] = {
    Trigger.METER_VALUES: MessageTrigger.meter_values,
    Trigger.STATUS: MessageTrigger.status_notification,
    Trigger.BOOT: MessageTrigger.boot_notification,
    Trigger.HEARTBEAT: MessageTrigger.heartbeat,
    Trigger.DIAGNOSTICS_STATUS: MessageTrigger.diagnostics_status_notification,
    Trigger.FIRMWARE_STATUS: MessageTrigger.firmware_status_notification,
}

SAMPLE_INTERVAL: Final = "MeterValueSampleInterval"
HEARTBEAT_INTERVAL: Final = "HeartbeatInterval"
# The security whitepaper's keys: the HTTP Basic password (write-only) and the profile.
AUTHORIZATION_KEY: Final = "AuthorizationKey"
SECURITY_PROFILE: Final = "SecurityProfile"
