"""OCPP 2.0.1 names and limits for the version-neutral terms of the central system."""

from __future__ import annotations

from typing import Final

from ocpp.v201.enums import MessageTriggerEnumType

from ..model import ConnectorStatus
from ..text_limits import TextLimits
from ..trigger import Trigger

# Lengths of a variable's name, a SetVariables value, DataTransfer's vendorId and messageId.
TEXT_LIMITS: Final = TextLimits(
    configuration_key=50, configuration_value=1000, vendor_id=255, message_id=50
)

MESSAGE_TRIGGERS: Final[dict[Trigger, MessageTriggerEnumType]] = {
    Trigger.METER_VALUES: MessageTriggerEnumType.meter_values,
    Trigger.STATUS: MessageTriggerEnumType.status_notification,
    Trigger.BOOT: MessageTriggerEnumType.boot_notification,
    Trigger.HEARTBEAT: MessageTriggerEnumType.heartbeat,
    Trigger.DIAGNOSTICS_STATUS: MessageTriggerEnumType.log_status_notification,
    Trigger.FIRMWARE_STATUS: MessageTriggerEnumType.firmware_status_notification,
}

# Device-model variables (component, variable) the central system reads or sets.
SMART_CHARGING_ENABLED: Final = ("SmartChargingCtrlr", "Enabled")
RATE_UNIT: Final = ("SmartChargingCtrlr", "RateUnit")
STACK_LEVEL: Final = ("SmartChargingCtrlr", "ProfileStackLevel")
PERIODS_PER_SCHEDULE: Final = ("SmartChargingCtrlr", "PeriodsPerSchedule")
TX_UPDATED_INTERVAL: Final = ("SampledDataCtrlr", "TxUpdatedInterval")
TX_UPDATED_MEASURANDS: Final = ("SampledDataCtrlr", "TxUpdatedMeasurands")
ALIGNED_INTERVAL: Final = ("AlignedDataCtrlr", "Interval")
ALIGNED_MEASURANDS: Final = ("AlignedDataCtrlr", "Measurands")
HEARTBEAT_INTERVAL: Final = ("OCPPCommCtrlr", "HeartbeatInterval")
BASIC_AUTH_PASSWORD: Final = ("SecurityCtrlr", "BasicAuthPassword")

# connectorStatus of a StatusNotification; Occupied is refined by the transaction's
# chargingState (see CHARGING_STATES).
CONNECTOR_STATUS: Final = {
    "Available": ConnectorStatus.AVAILABLE,
    "Occupied": ConnectorStatus.PREPARING,
    "Reserved": ConnectorStatus.RESERVED,
    "Unavailable": ConnectorStatus.UNAVAILABLE,
    "Faulted": ConnectorStatus.FAULTED,
}
CHARGING_STATES: Final = {
    "Charging": ConnectorStatus.CHARGING,
    "SuspendedEV": ConnectorStatus.SUSPENDED_EV,
    "SuspendedEVSE": ConnectorStatus.SUSPENDED_EVSE,
    "EVConnected": ConnectorStatus.PREPARING,
    "Idle": ConnectorStatus.PREPARING,
}
