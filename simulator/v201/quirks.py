"""OCPP 2.0.1 quirks seen in the field that a SimulatedStation201 can imitate.

A "W only" station needs no quirk: `rate_unit="W"` makes it reject limits in A.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..schedule import TX_PROFILE
from .profiles import STATION_MAX

# SetChargingProfile: Rejected when stackLevel > 0, whatever ProfileStackLevel says (ABB Terra AC).
STACK_LEVEL_ZERO_ONLY = "stack_level_zero_only"
# SetChargingProfile: Rejected for ChargingStationMaxProfile (Alfen, Grizzl-E).
REJECT_STATION_MAX = "reject_station_max"
# SetChargingProfile: Rejected for TxProfile.
REJECT_TX_PROFILE = "reject_tx_profile"
# TransactionEvents carry no meterValue; periodic samples go out as MeterValues on the EVSE.
NO_TX_METER_VALUES = "no_tx_meter_values"
# The TransactionEvent Started never reaches the CSMS (lost in a reboot); its seqNo is used up.
LOSE_STARTED = "lose_started"
# After a reboot a running transaction's seqNo starts at 0 again.
SEQ_NO_RESTARTS = "seq_no_restarts"
# TransactionEvents carry no chargingState: only StatusNotification (Occupied) tells.
NO_CHARGING_STATE = "no_charging_state"

QUIRKS = frozenset(
    {
        STACK_LEVEL_ZERO_ONLY,
        REJECT_STATION_MAX,
        REJECT_TX_PROFILE,
        NO_TX_METER_VALUES,
        LOSE_STARTED,
        SEQ_NO_RESTARTS,
        NO_CHARGING_STATE,
    }
)


def checked(quirks: Iterable[str]) -> frozenset[str]:
    """The quirks as a frozenset; ValueError names any unknown one."""
    wanted = frozenset(quirks)
    unknown = wanted - QUIRKS
    if unknown:
        raise ValueError(f"unknown quirks: {sorted(unknown)}")
    return wanted


def quirk_refusal(quirks: frozenset[str], profile: Mapping[str, Any]) -> str | None:
    """Why a quirk makes the station reject a snake_case chargingProfile (None: it does not)."""
    purpose = profile["charging_profile_purpose"]
    checks = (
        (STACK_LEVEL_ZERO_ONLY, profile["stack_level"] != 0, "only stackLevel 0 is supported"),
        (REJECT_STATION_MAX, purpose == STATION_MAX, f"{STATION_MAX} is not supported"),
        (REJECT_TX_PROFILE, purpose == TX_PROFILE, f"{TX_PROFILE} is not supported"),
    )
    return next((reason for quirk, hit, reason in checks if quirk in quirks and hit), None)
