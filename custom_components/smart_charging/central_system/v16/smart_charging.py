"""Charging profiles for OCPP 1.6: which purpose, which stack level, which shape.

A limit for connector 0 caps the station (ChargePointMaxProfile, else a connector-0
TxDefaultProfile); a limit for a connector goes into a TxProfile bound to the running
transaction, else a TxDefaultProfile for that connector. Chargers reject purposes they
do not implement, so each scope has an ordered list of purposes to try; the first that
works is remembered per charger and tried first next time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ..limits import DEFAULT_PHASES, ChargingLimit, LimitUnit
from ..model import Capabilities
from ..timestamps import format_timestamp

CHARGE_POINT_MAX = "ChargePointMaxProfile"
TX_DEFAULT = "TxDefaultProfile"
TX = "TxProfile"

# The stack level of limits set by this integration; lower levels stay free for the
# installer's own defaults (and, later, our failsafe profile).
LIVE_STACK_LEVEL = 2
# The safe default sits below the live limits: when they expire, it applies.
SAFE_STACK_LEVEL = 1
# Profile ids owned by this integration: base + 10 * connector + purpose index, so a new
# limit replaces the previous one with the same id instead of piling up.
PROFILE_ID_BASE = 7000
_PURPOSE_INDEX = {CHARGE_POINT_MAX: 1, TX_DEFAULT: 2, TX: 3}
SAFE_DEFAULT_PROFILE_ID = PROFILE_ID_BASE + 4
# Schedules start a little in the past: a future start leaves the charger unlimited.
_START_MARGIN = timedelta(minutes=1)
# The safe default never expires and is rarely written: it starts long ago, not now, or a
# charger whose clock goes back (set from HA's, after HA's was put back by hours) would
# find it not started yet and charge unlimited, should HA stop before it goes forward again.
SAFE_DEFAULT_START = datetime(2000, 1, 1, tzinfo=UTC)


def scope_of(limit: ChargingLimit, transaction_id: int | str | None) -> str:
    """Name the situation a limit is applied in, for remembering what works."""
    if limit.safe_default:
        return "safe"
    if limit.connector_id == 0:
        return "station"
    return "tx" if transaction_id is not None else "idle"


def purposes_for(scope: str, remembered: str | None) -> list[str]:
    """Return the purposes to try, the one that worked last first."""
    candidates = {
        "station": [CHARGE_POINT_MAX, TX_DEFAULT],
        "tx": [TX, TX_DEFAULT],
        "idle": [TX_DEFAULT],
        "safe": [TX_DEFAULT],
    }[scope]
    if remembered in candidates:
        candidates.remove(remembered)
        candidates.insert(0, remembered)
    return candidates


def profile_id(connector_id: int, purpose: str) -> int:
    """Return the id of our profile for a connector and purpose."""
    return PROFILE_ID_BASE + 10 * connector_id + _PURPOSE_INDEX[purpose]


def our_profile_ids(connector_id: int) -> list[int]:
    """Return every profile id we may have installed on a connector."""
    return [profile_id(connector_id, purpose) for purpose in _PURPOSE_INDEX]


def rate_unit_for(limit: ChargingLimit, capabilities: Capabilities | None) -> LimitUnit:
    """Use the unit asked for when the charger allows it, else the one it allows."""
    allowed = capabilities.rate_units if capabilities else frozenset({"A", "W"})
    if limit.unit.value in allowed:
        return limit.unit
    return LimitUnit.WATT if "W" in allowed else LimitUnit.AMPERE


def stack_level_for(capabilities: Capabilities | None, *, safe_default: bool = False) -> int:
    """Our live (or safe default) stack level, within what the charger supports."""
    wanted = SAFE_STACK_LEVEL if safe_default else LIVE_STACK_LEVEL
    if capabilities is None or capabilities.max_stack_level is None:
        return wanted
    return max(0, min(wanted, capabilities.max_stack_level))


def build_profile(
    limit: ChargingLimit,
    purpose: str,
    *,
    transaction_id: int | None,
    capabilities: Capabilities | None,
    now: datetime,
) -> dict[str, Any]:
    """Build the csChargingProfiles (snake_case, as the `ocpp` library takes it)."""
    unit = rate_unit_for(limit, capabilities)
    start = SAFE_DEFAULT_START if limit.safe_default else now - _START_MARGIN
    schedule: dict[str, Any] = {
        "charging_rate_unit": unit.value,
        "start_schedule": format_timestamp(start),
        "charging_schedule_period": [
            # The library validates 1.6 limits as multiples of 0.1 via a float round trip.
            {"start_period": 0, "limit": float(limit.in_unit(unit))}
        ],
    }
    profile: dict[str, Any] = {
        "charging_profile_id": SAFE_DEFAULT_PROFILE_ID
        if limit.safe_default
        else profile_id(limit.connector_id, purpose),
        "stack_level": stack_level_for(capabilities, safe_default=limit.safe_default),
        "charging_profile_purpose": purpose,
        "charging_profile_kind": "Absolute",
        "charging_schedule": schedule,
    }
    if limit.phases != DEFAULT_PHASES and unit is LimitUnit.AMPERE:
        schedule["charging_schedule_period"][0]["number_phases"] = limit.phases
    if limit.duration is not None:
        # Past the duration the charger falls back to lower stack levels by itself.
        schedule["duration"] = limit.duration + int(_START_MARGIN.total_seconds())
        profile["valid_to"] = format_timestamp(now + timedelta(seconds=limit.duration))
    if purpose == TX and transaction_id is not None:
        profile["transaction_id"] = transaction_id
    return profile
