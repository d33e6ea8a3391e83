"""Charging profiles for OCPP 2.1: the 2.0.1 profiles, with an operation mode per period.

Every period says what it is for: ChargingOnly (a limit, as in 2.0.1), or, for a
discharge, CentralSetpoint (a negative `setpoint` the station follows, within
`dischargeLimit`) or, where the station only takes limits, ExternalLimits (it decides
within `limit` and `dischargeLimit`). A discharge only ever comes in a limit that
expires (`ChargingLimit`), never in the safe default, which is ChargingOnly: when the
central system is gone the station stops discharging at the end of the validity.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ocpp.v21.enums import OperationModeEnumType

from ..limits import ChargingLimit
from ..model import Capabilities, V2XSupport
from ..v16.smart_charging import rate_unit_for
from ..v201.smart_charging import build_profile as build_profile_201

CHARGING_ONLY = OperationModeEnumType.charging_only.value
CENTRAL_SETPOINT = OperationModeEnumType.central_setpoint.value
EXTERNAL_LIMITS = OperationModeEnumType.external_limits.value


def discharge_mode(support: V2XSupport) -> str:
    """How to ask this EVSE for a discharge: a setpoint, else limits it keeps within."""
    modes = support.operation_modes
    if CENTRAL_SETPOINT in modes or EXTERNAL_LIMITS not in modes:
        return CENTRAL_SETPOINT
    return EXTERNAL_LIMITS


def build_profile(
    limit: ChargingLimit,
    purpose: str,
    *,
    transaction_id: str | None,
    capabilities: Capabilities | None,
    now: datetime,
) -> dict[str, Any]:
    """Build the chargingProfile (snake_case, as the `ocpp` library takes it)."""
    profile = build_profile_201(
        limit, purpose, transaction_id=transaction_id, capabilities=capabilities, now=now
    )
    period: dict[str, Any] = profile["charging_schedule"][0]["charging_schedule_period"][0]
    if not limit.discharge:
        period["operation_mode"] = CHARGING_ONLY
        return profile
    unit = rate_unit_for(limit, capabilities)
    rate = float(limit.discharge_in_unit(unit))
    support = V2XSupport() if capabilities is None else capabilities.v2x_of(limit.connector_id)
    mode = discharge_mode(support)
    period["operation_mode"] = mode
    period["discharge_limit"] = -rate
    if mode == CENTRAL_SETPOINT:
        period["setpoint"] = -rate
    return profile
