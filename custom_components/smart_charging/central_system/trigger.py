"""What a charger can be asked to send at once, in version-neutral terms."""

from __future__ import annotations

from enum import StrEnum


class Trigger(StrEnum):
    """A message the central system can ask a charger to send now."""

    METER_VALUES = "meter_values"
    STATUS = "status"
    BOOT = "boot"
    HEARTBEAT = "heartbeat"
    DIAGNOSTICS_STATUS = "diagnostics_status"
    FIRMWARE_STATUS = "firmware_status"
