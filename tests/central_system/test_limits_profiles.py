"""Charging limits and the 1.6 charging profiles built from them."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.messages import Call, _validate_payload
from ocpp.v16 import call
import pytest

from custom_components.smart_charging.central_system.limits import ChargingLimit, LimitUnit
from custom_components.smart_charging.central_system.model import Capabilities
from custom_components.smart_charging.central_system.v16.smart_charging import (
    CHARGE_POINT_MAX,
    TX,
    TX_DEFAULT,
    build_profile,
    our_profile_ids,
    profile_id,
    purposes_for,
    rate_unit_for,
    scope_of,
    stack_level_for,
)

NOW = datetime(2025, 3, 1, 12, 0, 30, tzinfo=UTC)
A, W = LimitUnit.AMPERE, LimitUnit.WATT


def caps(**changes: Any) -> Capabilities:
    """Capabilities of a charger that can do everything, with `changes`."""
    return dataclasses.replace(
        Capabilities(smart_charging=True, remote_trigger=True, max_stack_level=8), **changes
    )


# --- ChargingLimit --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (16.0, "16.0"),
        (16.19, "16.1"),
        (16.1, "16.1"),
        (7.99, "7.9"),
        (6.05, "6.0"),
        (0.09, "0.0"),
        (0.3, "0.3"),
        (0.0, "0.0"),
        (32, "32.0"),
    ],
)
def test_rounding_floors_to_a_tenth(value: float, expected: str) -> None:
    """Never above what was asked: floored to the 0.1 the schema requires."""
    assert ChargingLimit(connector_id=1, value=value).in_unit(A) == Decimal(expected)


@pytest.mark.parametrize(
    ("limit", "unit", "expected"),
    [
        (ChargingLimit(connector_id=1, value=16.0), W, "11040.0"),
        (ChargingLimit(connector_id=1, value=16.0, phases=1), W, "3680.0"),
        (ChargingLimit(connector_id=1, value=10.1), W, "6969.0"),
        (ChargingLimit(connector_id=1, value=11000.0, unit=W), A, "15.9"),
        (ChargingLimit(connector_id=1, value=3680.0, unit=W, phases=1), A, "16.0"),
        (ChargingLimit(connector_id=1, value=4140.0, unit=W), A, "6.0"),
        (ChargingLimit(connector_id=1, value=7400.55, unit=W), W, "7400.5"),
    ],
)
def test_unit_conversion_with_phases(limit: ChargingLimit, unit: LimitUnit, expected: str) -> None:
    """A is per phase, W in total: converted with 230 V x phases."""
    assert limit.in_unit(unit) == Decimal(expected)


def test_conversion_with_another_voltage() -> None:
    """The nominal voltage can be given."""
    limit = ChargingLimit(connector_id=0, value=16.0, phases=1)
    assert limit.in_unit(W, voltage=240.0) == Decimal("3840.0")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value": -0.1}, "a charging limit cannot be negative"),
        ({"connector_id": -1}, "connector id cannot be negative"),
        ({"duration": 0}, "duration must be positive"),
        ({"duration": -60}, "duration must be positive"),
    ],
)
def test_invalid_limits_are_rejected(changes: dict[str, float], message: str) -> None:
    """Negative values, connectors and durations are refused at once."""
    values: dict[str, float] = {"connector_id": 1, "value": 16.0, **changes}
    with pytest.raises(ValueError, match=message):
        ChargingLimit(**values)  # type: ignore[arg-type]


def test_zero_is_a_valid_limit() -> None:
    """0 A pauses charging."""
    assert ChargingLimit(connector_id=1, value=0).in_unit(W) == Decimal("0.0")


# --- purposes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("connector_id", "transaction_id", "scope"),
    [(0, None, "station"), (0, 12, "station"), (1, 12, "tx"), (2, None, "idle")],
)
def test_scope(connector_id: int, transaction_id: int | None, scope: str) -> None:
    """The station, a connector in a transaction, an idle connector."""
    limit = ChargingLimit(connector_id=connector_id, value=10)
    assert scope_of(limit, transaction_id) == scope


@pytest.mark.parametrize(
    ("scope", "remembered", "order"),
    [
        ("station", None, [CHARGE_POINT_MAX, TX_DEFAULT]),
        ("station", TX_DEFAULT, [TX_DEFAULT, CHARGE_POINT_MAX]),
        ("station", CHARGE_POINT_MAX, [CHARGE_POINT_MAX, TX_DEFAULT]),
        ("tx", None, [TX, TX_DEFAULT]),
        ("tx", TX_DEFAULT, [TX_DEFAULT, TX]),
        ("tx", CHARGE_POINT_MAX, [TX, TX_DEFAULT]),  # not a candidate: ignored
        ("idle", None, [TX_DEFAULT]),
        ("idle", TX, [TX_DEFAULT]),
    ],
)
def test_purpose_order(scope: str, remembered: str | None, order: list[str]) -> None:
    """Per scope, in order; the purpose that worked last goes first."""
    assert purposes_for(scope, remembered) == order


def test_purpose_order_is_not_shared_between_calls() -> None:
    """Remembering a purpose for one call does not reorder the next."""
    purposes_for("tx", TX_DEFAULT)
    assert purposes_for("tx", None) == [TX, TX_DEFAULT]


def test_profile_ids() -> None:
    """7000 + 10 x connector + purpose index: a new limit replaces the old one."""
    assert profile_id(0, CHARGE_POINT_MAX) == 7001
    assert profile_id(0, TX_DEFAULT) == 7002
    assert profile_id(1, TX) == 7013
    assert profile_id(2, TX_DEFAULT) == 7022
    assert our_profile_ids(1) == [7011, 7012, 7013]


@pytest.mark.parametrize(
    ("capabilities", "expected"),
    [
        (None, 2),
        (caps(max_stack_level=None), 2),
        (caps(max_stack_level=8), 2),
        (caps(max_stack_level=1), 1),
        (caps(max_stack_level=0), 0),
        (caps(max_stack_level=-3), 0),
    ],
)
def test_stack_level_is_clamped(capabilities: Capabilities | None, expected: int) -> None:
    """Stack level 2, or ChargeProfileMaxStackLevel if lower (never negative)."""
    assert stack_level_for(capabilities) == expected


@pytest.mark.parametrize(
    ("unit", "allowed", "expected"),
    [(A, None, A), (W, None, W), (A, {"W"}, W), (W, {"A"}, A), (W, {"A", "W"}, W)],
)
def test_rate_unit(unit: LimitUnit, allowed: set[str] | None, expected: LimitUnit) -> None:
    """The unit asked for if the charger allows it, else the one it allows."""
    capabilities = None if allowed is None else caps(rate_units=frozenset(allowed))
    assert rate_unit_for(ChargingLimit(connector_id=1, value=1, unit=unit), capabilities) is (
        expected
    )


# --- profiles ---------------------------------------------------------------------------------


def test_tx_profile_carries_the_transaction_id() -> None:
    """A TxProfile during a transaction, starting in the past, with no end."""
    profile = build_profile(
        ChargingLimit(connector_id=1, value=16.19),
        TX,
        transaction_id=42,
        capabilities=caps(),
        now=NOW,
    )
    assert profile == {
        "charging_profile_id": 7013,
        "stack_level": 2,
        "charging_profile_purpose": "TxProfile",
        "charging_profile_kind": "Absolute",
        "transaction_id": 42,
        "charging_schedule": {
            "charging_rate_unit": "A",
            "start_schedule": "2025-03-01T11:59:30Z",
            "charging_schedule_period": [{"start_period": 0, "limit": 16.1}],
        },
    }


@pytest.mark.parametrize("purpose", [TX_DEFAULT, CHARGE_POINT_MAX])
def test_other_purposes_carry_no_transaction_id(purpose: str) -> None:
    """Only a TxProfile is bound to a transaction."""
    profile = build_profile(
        ChargingLimit(connector_id=0, value=20),
        purpose,
        transaction_id=42,
        capabilities=None,
        now=NOW,
    )
    assert "transaction_id" not in profile
    assert profile["charging_profile_purpose"] == purpose
    assert profile["charging_profile_id"] == profile_id(0, purpose)


def test_duration_sets_valid_to() -> None:
    """A limit for a while: validTo ends it, the schedule covers the margin too."""
    profile = build_profile(
        ChargingLimit(connector_id=2, value=10, duration=600),
        TX_DEFAULT,
        transaction_id=None,
        capabilities=caps(max_stack_level=1),
        now=NOW,
    )
    assert profile["valid_to"] == "2025-03-01T12:10:30Z"
    assert profile["stack_level"] == 1
    assert profile["charging_schedule"]["duration"] == 660
    assert profile["charging_schedule"]["start_schedule"] == "2025-03-01T11:59:30Z"


def test_power_only_charger_gets_watts() -> None:
    """An A limit for a W-only charger is converted (3 phases, 230 V)."""
    profile = build_profile(
        ChargingLimit(connector_id=1, value=16),
        TX,
        transaction_id=None,
        capabilities=caps(rate_units=frozenset({"W"})),
        now=NOW,
    )
    assert "transaction_id" not in profile
    assert profile["charging_schedule"]["charging_rate_unit"] == "W"
    assert profile["charging_schedule"]["charging_schedule_period"] == [
        {"start_period": 0, "limit": 11040.0}
    ]


def test_number_phases_only_for_amperes_on_fewer_phases() -> None:
    """NumberPhases is sent for an A limit on 1 phase, never for W (already a total)."""
    one_phase = ChargingLimit(connector_id=1, value=16, phases=1)
    periods = build_profile(one_phase, TX_DEFAULT, transaction_id=None, capabilities=None, now=NOW)[
        "charging_schedule"
    ]["charging_schedule_period"]
    assert periods == [{"start_period": 0, "limit": 16.0, "number_phases": 1}]
    in_watts = build_profile(
        dataclasses.replace(one_phase, unit=W, value=3680),
        TX_DEFAULT,
        transaction_id=None,
        capabilities=None,
        now=NOW,
    )["charging_schedule"]["charging_schedule_period"]
    assert in_watts == [{"start_period": 0, "limit": 3680.0}]


@pytest.mark.parametrize("purpose", [TX, TX_DEFAULT, CHARGE_POINT_MAX])
@pytest.mark.parametrize("value", [0.0, 6.0, 16.19, 31.99])
def test_profiles_validate_against_the_16_schema(purpose: str, value: float) -> None:
    """What we build is a valid SetChargingProfile for the `ocpp` library."""
    limit = ChargingLimit(connector_id=1, value=value, duration=3600, phases=1)
    profile = build_profile(limit, purpose, transaction_id=7, capabilities=None, now=NOW)
    payload = call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile)
    camel = snake_to_camel_case(remove_nones(serialize_as_dict(payload)))
    _validate_payload(Call("1", "SetChargingProfile", camel), "1.6")
