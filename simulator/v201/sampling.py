"""A simulated 2.0.1 station's meter data: measurand lists, meterValue lists, the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import math
from typing import Any

from .evse import EvseState, Reading, meter_value

_DAY = timedelta(days=1)


def measurand_list(value: str) -> list[str]:
    """A MemberList variable's measurands."""
    return [item.strip() for item in value.split(",") if item.strip()]


def meter_values(
    reading: Reading, measurands: list[str], context: str, at: datetime
) -> list[dict[str, Any]] | None:
    """A one-element meterValue list, or None when no measurand has a value."""
    value = meter_value(reading, measurands, context, at)
    return [value] if value["sampled_value"] else None


def next_boundary(after: datetime, interval: int, *, inclusive: bool = False) -> datetime:
    """The first multiple of `interval` s since midnight UTC after (`inclusive`: or at) `after`.

    Each day starts afresh at midnight (an interval that does not divide a day).
    """
    utc = after.astimezone(UTC)
    midnight = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = (utc - midnight).total_seconds()
    count = math.ceil(elapsed / interval) if inclusive else math.floor(elapsed / interval) + 1
    return min(midnight + timedelta(seconds=count * interval), midnight + _DAY)


def charging_state(state: EvseState, reading: Reading) -> str:
    """Charging (energy flows either way); or suspended by the car (full) or by the EVSE."""
    if reading.draw_a != 0:
        return "Charging"
    if reading.suspended_ev or (state.car is not None and state.car.full):
        return "SuspendedEV"
    return "SuspendedEVSE"
