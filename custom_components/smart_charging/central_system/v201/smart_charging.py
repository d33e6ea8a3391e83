"""Charging profiles for OCPP 2.0.1: the 1.6 rules (v16.smart_charging) in 2.0.1's shape.

A station limit goes to EVSE 0 (ChargingStationMaxProfile, else TxDefaultProfile); an
EVSE's limit into a TxProfile bound to its transaction (the charger's string id), else a
TxDefaultProfile for that EVSE. Each profile carries one schedule with an id of its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..limits import DEFAULT_PHASES, ChargingLimit, LimitUnit
from ..model import Capabilities
from ..timestamps import format_timestamp
from ..v16.smart_charging import (
    CHARGE_POINT_MAX,
    PROFILE_ID_BASE,
    SAFE_DEFAULT_PROFILE_ID,
    SAFE_DEFAULT_START,
    purposes_for as v16_purposes_for,
    rate_unit_for,
    scope_of,
    stack_level_for,
)

STATION_MAX = "ChargingStationMaxProfile"
TX_DEFAULT = "TxDefaultProfile"
TX = "TxProfile"
_PURPOSE_INDEX = {STATION_MAX: 1, TX_DEFAULT: 2, TX: 3}
# Schedules start a little in the past: a future start leaves the charger unlimited.
_START_MARGIN = timedelta(minutes=1)

__all__ = [
    "build_profile",
    "our_profile_ids",
    "purposes_for",
    "scope_of",
    "shares_the_safe_level",
]


def purposes_for(scope: str, remembered: str | None) -> list[str]:
    """Return the purposes to try, the one that worked last first (1.6's, 2.0.1's names)."""
    names = {CHARGE_POINT_MAX: STATION_MAX}
    old_names = {STATION_MAX: CHARGE_POINT_MAX}
    tried = v16_purposes_for(scope, old_names.get(remembered or "", remembered))
    return [names.get(purpose, purpose) for purpose in tried]


def shares_the_safe_level(capabilities: Capabilities | None) -> bool:
    """Live limits and the safe default get the same stack level (a station with few)."""
    return stack_level_for(capabilities) == stack_level_for(capabilities, safe_default=True)


def profile_id(evse_id: int, purpose: str) -> int:
    """Return the id of our profile for an EVSE and purpose."""
    return PROFILE_ID_BASE + 10 * evse_id + _PURPOSE_INDEX[purpose]


def our_profile_ids(evse_id: int) -> list[int]:
    """Return every profile id we may have installed on an EVSE."""
    return [profile_id(evse_id, purpose) for purpose in _PURPOSE_INDEX]


def build_profile(
    limit: ChargingLimit,
    purpose: str,
    *,
    transaction_id: str | None,
    capabilities: Capabilities | None,
    now: datetime,
) -> dict[str, Any]:
    """Build the chargingProfile (snake_case, as the `ocpp` library takes it)."""
    unit = rate_unit_for(limit, capabilities)
    identifier = (
        SAFE_DEFAULT_PROFILE_ID if limit.safe_default else profile_id(limit.connector_id, purpose)
    )
    period: dict[str, Any] = {"start_period": 0, "limit": float(limit.in_unit(unit))}
    if limit.phases != DEFAULT_PHASES and unit is LimitUnit.AMPERE:
        period["number_phases"] = limit.phases
    schedule: dict[str, Any] = {
        "id": identifier,
        "charging_rate_unit": unit.value,
        # The safe default starts long ago: see v16.smart_charging.SAFE_DEFAULT_START.
        "start_schedule": format_timestamp(
            SAFE_DEFAULT_START if limit.safe_default else now - _START_MARGIN
        ),
        "charging_schedule_period": [period],
    }
    profile: dict[str, Any] = {
        "id": identifier,
        "stack_level": stack_level_for(capabilities, safe_default=limit.safe_default),
        "charging_profile_purpose": purpose,
        "charging_profile_kind": "Absolute",
        "charging_schedule": [schedule],
    }
    if limit.duration is not None:
        # Past the duration the charger falls back to lower stack levels by itself.
        schedule["duration"] = limit.duration + int(_START_MARGIN.total_seconds())
        profile["valid_to"] = format_timestamp(now + timedelta(seconds=limit.duration))
    if purpose == TX and transaction_id is not None:
        profile["transaction_id"] = transaction_id
    return profile
