"""Whether a simulated charger takes a charging profile, per its spec and quirks (pure)."""

from __future__ import annotations

from .schedule import CHARGE_POINT_MAX, TX_PROFILE, ChargingProfile
from .spec import (
    CURRENT_ONLY,
    POWER_ONLY,
    REJECT_CHARGE_POINT_MAX,
    REJECT_TX_PROFILE,
    STACK_LEVEL_ZERO_ONLY,
    ChargerSpec,
)


def profile_refusal(
    spec: ChargerSpec,
    connector_id: int,
    profile: ChargingProfile,
    running_transaction: int | None,
    *,
    remote_start: bool = False,
) -> str | None:
    """Return why the charger rejects `profile` on `connector_id`, or None to accept it.

    `running_transaction` is the transaction on that connector (None: none);
    `remote_start` is for the profile inside RemoteStartTransaction, which
    comes before its transaction exists.
    """
    if not 0 <= connector_id <= spec.connectors:
        return f"no connector {connector_id}"
    if profile.stack_level > spec.max_stack_level:
        return f"stackLevel {profile.stack_level} > {spec.max_stack_level}"
    if len(profile.periods) > spec.max_schedule_periods:
        return f"more than {spec.max_schedule_periods} schedule periods"
    quirk = _quirk_refusal(spec, profile)
    if quirk is not None:
        return quirk
    return _transaction_refusal(connector_id, profile, running_transaction, remote_start)


def _transaction_refusal(
    connector_id: int, profile: ChargingProfile, running: int | None, remote_start: bool
) -> str | None:
    if remote_start:
        if profile.purpose != TX_PROFILE:
            return "RemoteStartTransaction needs a TxProfile"
        if profile.transaction_id is not None:
            return "a TxProfile in RemoteStartTransaction carries no transactionId"
        return None
    if profile.purpose != TX_PROFILE:
        return None
    if running is None:
        return f"no transaction on connector {connector_id}"
    if profile.transaction_id not in (None, running):
        return f"transaction {profile.transaction_id} is not running"
    return None


def _quirk_refusal(spec: ChargerSpec, profile: ChargingProfile) -> str | None:
    refusals = (
        (REJECT_CHARGE_POINT_MAX, profile.purpose == CHARGE_POINT_MAX),
        (REJECT_TX_PROFILE, profile.purpose == TX_PROFILE),
        (STACK_LEVEL_ZERO_ONLY, profile.stack_level != 0),
        (CURRENT_ONLY, profile.rate_unit == "W"),
        (POWER_ONLY, profile.rate_unit == "A"),
    )
    for quirk, refused in refusals:
        if refused and spec.has(quirk):
            return f"quirk {quirk}"
    return None
