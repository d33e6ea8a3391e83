"""The OCPP 1.6 composite schedule, without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from simulator.profiles import (
    CHARGE_POINT_MAX,
    TX_DEFAULT,
    TX_PROFILE,
    CompositePeriod,
    Limit,
    ProfileError,
    ProfileStore,
)
from simulator.schedule import ChargingProfile, camel_keys

NOW = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)  # a Monday, noon
HOUR = timedelta(hours=1)


def iso(moment: datetime) -> str:
    """Format like a central system would."""
    return moment.isoformat().replace("+00:00", "Z")


def profile(
    profile_id: int,
    stack_level: int = 0,
    purpose: str = TX_DEFAULT,
    limit: float | Decimal = 16,
    *,
    unit: str = "A",
    kind: str = "Absolute",
    start: datetime | None = NOW - HOUR,
    periods: list[dict[str, Any]] | None = None,
    duration: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Build a csChargingProfiles dict."""
    schedule: dict[str, Any] = {
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": periods or [{"startPeriod": 0, "limit": limit}],
    }
    if start is not None:
        schedule["startSchedule"] = iso(start)
    if duration is not None:
        schedule["duration"] = duration
    return {
        "chargingProfileId": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": schedule,
        **extra,
    }


def amps(
    store: ProfileStore, connector_id: int = 1, at: datetime = NOW, **kwargs: Any
) -> float | None:
    """The effective limit in A, or None."""
    limit = store.effective_limit(connector_id, at, **kwargs)
    return None if limit is None else limit.value


def test_nothing_installed_is_unlimited() -> None:
    """No profile: no limit."""
    assert ProfileStore().effective_limit(1, NOW) is None


def test_highest_stack_level_wins() -> None:
    """Within a purpose the highest stack level wins."""
    store = ProfileStore()
    store.install(1, profile(1, stack_level=0, limit=16))
    store.install(1, profile(2, stack_level=3, limit=10))
    store.install(1, profile(3, stack_level=1, limit=6))
    assert store.effective_limit(1, NOW) == Limit(10.0, "A", 3)


def test_expired_valid_to_falls_back_to_lower_stack_level() -> None:
    """Once validTo passes, the next lower stack level applies."""
    store = ProfileStore()
    store.install(1, profile(1, stack_level=0, limit=16))
    store.install(1, profile(2, stack_level=1, limit=8, validTo=iso(NOW + HOUR)))
    assert amps(store) == 8
    assert amps(store, at=NOW + HOUR - timedelta(seconds=1)) == 8
    assert amps(store, at=NOW + HOUR) == 16


def test_future_valid_from_leaves_the_lower_level_in_force() -> None:
    """Before validFrom a profile does not apply."""
    store = ProfileStore()
    store.install(1, profile(1, stack_level=0, limit=16))
    store.install(1, profile(2, stack_level=1, limit=8, validFrom=iso(NOW + HOUR)))
    assert amps(store) == 16
    assert amps(store, at=NOW + HOUR) == 8


def test_past_duration_falls_back_to_lower_stack_level() -> None:
    """Before its start and past its duration a schedule does not apply."""
    store = ProfileStore()
    store.install(1, profile(1, stack_level=0, limit=16))
    store.install(1, profile(2, stack_level=1, limit=8, start=NOW, duration=3600))
    assert amps(store, at=NOW - timedelta(seconds=1)) == 16  # not started yet
    assert amps(store, at=NOW + timedelta(seconds=3599)) == 8
    assert amps(store, at=NOW + timedelta(seconds=3600)) == 16


def test_without_duration_the_last_period_holds_forever() -> None:
    """Without duration the last period never ends."""
    store = ProfileStore()
    store.install(1, profile(1, stack_level=0, limit=16))
    periods = [{"startPeriod": 0, "limit": 10}, {"startPeriod": 600, "limit": 7}]
    store.install(1, profile(2, stack_level=1, periods=periods, start=NOW))
    assert amps(store, at=NOW + timedelta(seconds=599)) == 10
    assert amps(store, at=NOW + timedelta(days=30)) == 7


def test_tx_profile_overrides_tx_default_only_during_its_transaction() -> None:
    """TxProfile beats TxDefaultProfile, for its transaction only."""
    store = ProfileStore()
    store.install(1, profile(1, stack_level=5, limit=16))
    store.install(1, profile(2, stack_level=0, purpose=TX_PROFILE, limit=8, transactionId=42))
    assert amps(store) == 16  # no transaction running
    assert amps(store, transaction_id=42) == 8
    assert amps(store, transaction_id=43) == 16  # another transaction


def test_tx_profile_without_transaction_id_applies_to_the_running_one() -> None:
    """A TxProfile without transactionId applies to whatever transaction runs there."""
    store = ProfileStore()
    store.install(1, profile(1, purpose=TX_PROFILE, limit=7))
    assert amps(store, transaction_id=99) == 7
    assert amps(store, connector_id=2, transaction_id=99) is None


def test_connector_tx_default_beats_station_tx_default() -> None:
    """A connector's own TxDefaultProfile comes before connector 0's."""
    store = ProfileStore()
    store.install(0, profile(1, stack_level=4, limit=20))
    store.install(2, profile(2, stack_level=0, limit=12))
    assert amps(store, connector_id=1) == 20
    assert amps(store, connector_id=2) == 12


def test_station_tx_default_applies_when_connector_default_expired() -> None:
    """Connector 0's default applies when the connector's own no longer does."""
    store = ProfileStore()
    store.install(0, profile(1, limit=20))
    store.install(1, profile(2, limit=12, validTo=iso(NOW)))
    assert amps(store) == 20


def test_charge_point_max_caps_the_result() -> None:
    """ChargePointMaxProfile caps every connector; connector 0 sees only it."""
    store = ProfileStore()
    store.install(0, profile(1, purpose=CHARGE_POINT_MAX, limit=10))
    assert amps(store) == 10  # alone
    store.install(1, profile(2, limit=16))
    assert amps(store) == 10
    store.install(1, profile(3, purpose=TX_PROFILE, limit=6))
    assert amps(store, transaction_id=1) == 6
    assert amps(store, connector_id=0) == 10  # the station: only ChargePointMax


def test_watts_convert_to_amps_per_phase() -> None:
    """W become A per phase with voltage x numberPhases (default 3)."""
    store = ProfileStore(voltage=230.0)
    store.install(1, profile(1, limit=11040, unit="W"))
    assert amps(store) == pytest.approx(16.0)
    one_phase = [{"startPeriod": 0, "limit": 3680, "numberPhases": 1}]
    store.install(1, profile(1, unit="W", periods=one_phase))
    in_amps = store.effective_limit(1, NOW)
    in_watts = store.effective_limit(1, NOW, unit="W")
    assert in_amps is not None
    assert in_watts is not None
    assert (in_amps.value, in_amps.unit, in_amps.number_phases) == (pytest.approx(16.0), "A", 1)
    assert (in_watts.value, in_watts.unit) == (pytest.approx(3680.0), "W")


def test_min_across_units_compares_amps() -> None:
    """A W cap and an A default compare in A."""
    store = ProfileStore(voltage=230.0)
    store.install(0, profile(1, purpose=CHARGE_POINT_MAX, limit=6900, unit="W"))  # 10 A
    store.install(1, profile(2, limit=12))
    assert amps(store) == pytest.approx(10.0)


def test_decimal_limits_are_accepted() -> None:
    """The ocpp library hands limits over as Decimal."""
    store = ProfileStore()
    store.install(1, profile(1, limit=Decimal("12.5")))
    assert amps(store) == 12.5


def test_snake_case_keys_are_accepted() -> None:
    """Profiles as the ocpp library's handlers get them (snake_case) are accepted."""
    snake = {
        "charging_profile_id": 1,
        "stack_level": 0,
        "charging_profile_purpose": TX_DEFAULT,
        "charging_profile_kind": "Relative",
        "charging_schedule": {
            "charging_rate_unit": "A",
            "charging_schedule_period": [{"start_period": 0, "limit": Decimal(9)}],
        },
    }
    assert camel_keys({"a_b": [{"c_d_e": 1}]}) == {"aB": [{"cDE": 1}]}
    store = ProfileStore()
    store.install(1, snake)
    assert amps(store) == 9


def test_relative_schedule_starts_with_the_transaction() -> None:
    """A Relative schedule runs from the transaction start."""
    store = ProfileStore()
    periods = [{"startPeriod": 0, "limit": 6}, {"startPeriod": 1800, "limit": 16}]
    store.install(1, profile(1, kind="Relative", start=None, periods=periods, duration=7200))
    started = NOW - timedelta(minutes=10)
    assert amps(store, transaction_id=1, transaction_start=started) == 6
    assert amps(store, at=started + timedelta(minutes=31), transaction_start=started) == 16
    assert amps(store, at=started + timedelta(hours=2), transaction_start=started) is None
    assert amps(store) == 6  # no transaction: the schedule starts now


def test_absolute_without_start_schedule_is_relative_to_charging() -> None:
    """Absolute without startSchedule runs from the start of charging, else installation."""
    store = ProfileStore()
    periods = [{"startPeriod": 0, "limit": 6}, {"startPeriod": 60, "limit": 16}]
    store.install(1, profile(1, start=None, periods=periods), installed_at=NOW)
    assert amps(store, at=NOW + timedelta(seconds=61)) == 16  # from installation
    assert amps(store, at=NOW + timedelta(seconds=61), transaction_start=NOW + HOUR) is None


def test_daily_recurring_schedule() -> None:
    """A Daily schedule repeats every day from its startSchedule."""
    evening = datetime(2025, 1, 1, 18, 0, tzinfo=UTC)
    store = ProfileStore()
    store.install(1, profile(1, stack_level=0, limit=16, start=evening - timedelta(days=1)))
    store.install(
        1,
        profile(
            2,
            stack_level=1,
            limit=6,
            kind="Recurring",
            start=evening,
            duration=4 * 3600,
            recurrencyKind="Daily",
        ),
    )
    today = NOW.replace(hour=19)
    assert amps(store, at=today) == 6
    assert amps(store, at=today.replace(hour=22)) == 16  # past the 4 h duration
    assert amps(store, at=today.replace(hour=17)) == 16
    assert amps(store, at=evening - HOUR) == 16  # before the first occurrence


def test_weekly_recurring_without_start_schedule_starts_monday_midnight() -> None:
    """A Weekly schedule without startSchedule starts on Monday 00:00 UTC."""
    periods = [{"startPeriod": 0, "limit": 10}, {"startPeriod": 86400, "limit": 12}]
    store = ProfileStore()
    store.install(
        1, profile(1, kind="Recurring", start=None, periods=periods, recurrencyKind="Weekly")
    )
    assert amps(store, at=NOW) == 10  # Monday
    assert amps(store, at=NOW + timedelta(days=1)) == 12  # Tuesday
    assert amps(store, at=NOW + timedelta(days=7)) == 10  # next Monday
    assert store.next_change(1, NOW) == datetime(2025, 1, 7, tzinfo=UTC)
    assert store.next_change(1, NOW + timedelta(days=1)) == datetime(2025, 1, 13, tzinfo=UTC)


def test_daily_recurring_without_start_schedule_starts_at_midnight() -> None:
    """A Daily schedule without startSchedule starts at 00:00 UTC."""
    night = [{"startPeriod": 0, "limit": 32}, {"startPeriod": 6 * 3600, "limit": 10}]
    store = ProfileStore()
    store.install(
        1, profile(1, kind="Recurring", start=None, periods=night, recurrencyKind="Daily")
    )
    assert amps(store, at=NOW.replace(hour=5)) == 32
    assert amps(store, at=NOW) == 10


def test_recurring_change_points() -> None:
    """Recurring schedules change at every occurrence, period and duration end."""
    evening = datetime(2025, 1, 1, 18, 0, tzinfo=UTC)
    store = ProfileStore()
    daily = profile(
        1, limit=6, kind="Recurring", start=evening, duration=3600, recurrencyKind="Daily"
    )
    store.install(1, daily)
    assert store.next_change(1, NOW) == NOW.replace(hour=18)
    assert store.next_change(1, NOW.replace(hour=18)) == NOW.replace(hour=19)
    assert store.next_change(1, evening - timedelta(days=3)) == evening
    periods = store.composite_schedule(1, NOW, 2 * 86400)
    assert [(p.start_period, p.limit and p.limit.value) for p in periods] == [
        (0, None),
        (6 * 3600, 6.0),
        (7 * 3600, None),
        (30 * 3600, 6.0),
        (31 * 3600, None),
    ]


def test_same_id_replaces_even_on_another_connector() -> None:
    """The same chargingProfileId replaces the old profile wherever it was."""
    store = ProfileStore()
    store.install(1, profile(7, limit=10))
    store.install(2, profile(7, stack_level=2, limit=8))
    assert [(connector, p.profile_id) for connector, p in store.profiles()] == [(2, 7)]
    assert amps(store, connector_id=1) is None


def test_same_purpose_and_stack_level_replaces_on_the_same_connector_only() -> None:
    """Same purpose and stack level replace, on the same connector only."""
    store = ProfileStore()
    store.install(1, profile(1, stack_level=1, limit=10))
    store.install(2, profile(2, stack_level=1, limit=9))
    store.install(1, profile(3, stack_level=1, limit=8))
    assert sorted(p.profile_id for _, p in store.profiles()) == [2, 3]
    assert amps(store, connector_id=1) == 8


def test_clear_by_id_purpose_stack_level_and_connector() -> None:
    """ClearChargingProfile criteria: the id alone, else all given criteria."""
    store = ProfileStore()
    store.install(0, profile(1, purpose=CHARGE_POINT_MAX, limit=20))
    store.install(0, profile(2, stack_level=1))
    store.install(1, profile(3, stack_level=1))
    store.install(1, profile(4, stack_level=2))
    assert store.clear(profile_id=99) == 0
    assert store.clear(profile_id=4, connector_id=0) == 1  # the id alone decides
    assert store.clear(connector_id=1, stack_level=1) == 1
    assert store.clear(purpose=TX_DEFAULT) == 1
    assert [p.profile_id for _, p in store.profiles()] == [1]
    assert store.clear() == 1
    assert store.profiles() == []


@pytest.mark.parametrize(
    ("connector_id", "data", "message"),
    [
        (1, profile(1, purpose=CHARGE_POINT_MAX), "connector 0"),
        (0, profile(1, purpose=TX_PROFILE), "connector > 0"),
        (-1, profile(1), "negative"),
        (1, profile(1, purpose="Nope"), "Purpose"),
        (1, profile(1, kind="Sometimes"), "Kind"),
        (1, profile(1, kind="Recurring"), "recurrencyKind"),
        (1, profile(1, unit="kW"), "RateUnit"),
        (1, profile(1, stack_level=-1), "negative"),
        (1, profile(1, periods=[{"startPeriod": 5, "limit": 6}]), "start at 0"),
        (
            1,
            profile(1, periods=[{"startPeriod": 0, "limit": 6}, {"startPeriod": 0, "limit": 7}]),
            "increasing",
        ),
        (1, profile(1, limit=-1), "negative"),
        (1, profile(1, duration=0), "positive"),
        (1, profile(1, limit="16"), "number"),  # type: ignore[arg-type]
        (1, profile(1, validTo=5), "date-time"),
        (1, profile(1, validTo="tomorrow"), "date-time"),
        (1, {"chargingProfileId": 1}, "malformed"),
        (1, profile(True), "integer"),
    ],
)
def test_invalid_profiles_are_refused(
    connector_id: int, data: dict[str, Any], message: str
) -> None:
    """Malformed or misplaced profiles raise ProfileError and install nothing."""
    store = ProfileStore()
    with pytest.raises(ProfileError, match=message):
        store.install(connector_id, data)
    assert store.profiles() == []


def test_max_profiles_installed() -> None:
    """MaxChargingProfilesInstalled is enforced; replacements still fit."""
    store = ProfileStore(max_profiles=2)
    store.install(1, profile(1, stack_level=0))
    store.install(1, profile(2, stack_level=1))
    store.install(1, profile(2, stack_level=1, limit=8))  # a replacement still fits
    with pytest.raises(ProfileError, match="already 2"):
        store.install(1, profile(3, stack_level=2))


def test_parsed_profile_can_be_installed_directly() -> None:
    """An already parsed profile can be installed."""
    parsed = ChargingProfile.from_dict(profile(1, limit=11), NOW)
    store = ProfileStore()
    assert store.install(1, parsed) is parsed
    assert amps(store) == 11


def test_composite_schedule_merges_levels_over_time() -> None:
    """The composite schedule follows the stack over time."""
    store = ProfileStore()
    cap = profile(1, purpose=CHARGE_POINT_MAX, limit=20, validTo=iso(NOW + 2 * HOUR))
    store.install(0, cap)  # its end changes nothing: 16 A stays the lower limit
    store.install(1, profile(2, stack_level=0, limit=16))
    store.install(1, profile(3, stack_level=1, limit=8, start=NOW + HOUR, duration=1800))
    periods = store.composite_schedule(1, NOW, 3 * 3600)
    assert periods == [
        CompositePeriod(0, Limit(16.0, "A", 3)),
        CompositePeriod(3600, Limit(8.0, "A", 3)),
        CompositePeriod(5400, Limit(16.0, "A", 3)),
    ]


def test_composite_schedule_with_ceiling_and_watts() -> None:
    """The ceiling stands in for no limit; W on request."""
    store = ProfileStore(voltage=230.0)
    assert store.composite_schedule(1, NOW, 600) == [CompositePeriod(0, None)]
    (ceiling,) = store.composite_schedule(1, NOW, 600, ceiling=16, unit="W")
    assert ceiling.start_period == 0
    assert ceiling.limit is not None
    assert (ceiling.limit.value, ceiling.limit.unit) == (pytest.approx(11040.0), "W")
    store.install(1, profile(1, limit=32, validTo=iso(NOW + timedelta(seconds=300))))
    store.install(
        1, profile(2, stack_level=1, limit=10, validFrom=iso(NOW + timedelta(seconds=300)))
    )
    assert store.composite_schedule(1, NOW, 600, ceiling=16) == [
        CompositePeriod(0, Limit(16.0, "A", 3)),
        CompositePeriod(300, Limit(10.0, "A", 3)),
    ]


def test_composite_schedule_sub_second_changes_keep_the_latest() -> None:
    """Changes within the first second collapse into the last one."""
    store = ProfileStore()
    store.install(1, profile(1, limit=10, validTo=iso(NOW + timedelta(milliseconds=300))))
    periods = store.composite_schedule(1, NOW, 60)
    assert periods == [CompositePeriod(0, None)]


def test_next_change() -> None:
    """next_change names the next instant the limit may change."""
    store = ProfileStore()
    assert store.next_change(1, NOW) is None
    store.install(1, profile(1, limit=10, start=NOW, duration=600))
    store.install(0, profile(2, purpose=CHARGE_POINT_MAX, validTo=iso(NOW + HOUR)))
    assert store.next_change(1, NOW) == NOW + timedelta(seconds=600)
    assert store.next_change(1, NOW + timedelta(seconds=600)) == NOW + HOUR
    assert store.next_change(0, NOW) == NOW + HOUR


limits = st.integers(min_value=0, max_value=800).map(lambda tenths: tenths / 10)


@settings(max_examples=50)
@given(levels=st.dictionaries(st.integers(0, 8), limits, min_size=1), cap=st.none() | limits)
def test_highest_level_then_station_cap(levels: dict[int, float], cap: float | None) -> None:
    """Property: the highest stack level, capped by the station maximum."""
    store = ProfileStore()
    for level, limit in levels.items():
        store.install(1, profile(100 + level, stack_level=level, limit=limit))
    if cap is not None:
        store.install(0, profile(1, purpose=CHARGE_POINT_MAX, limit=cap))
    expected = levels[max(levels)]
    assert amps(store) == (expected if cap is None else min(expected, cap))


@settings(max_examples=50)
@given(watts=st.integers(min_value=0, max_value=50_000), phases=st.sampled_from([1, 2, 3]))
def test_watts_round_trip(watts: int, phases: int) -> None:
    """Property: W to A and back is lossless."""
    store = ProfileStore(voltage=230.0)
    periods = [{"startPeriod": 0, "limit": watts, "numberPhases": phases}]
    store.install(1, profile(1, unit="W", periods=periods))
    as_amps = store.effective_limit(1, NOW)
    as_watts = store.effective_limit(1, NOW, unit="W")
    assert as_amps is not None
    assert as_watts is not None
    assert as_amps.value * 230.0 * phases == pytest.approx(watts)
    assert as_watts.value == pytest.approx(watts)
