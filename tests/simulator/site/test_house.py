"""BDEW house load: the profile's energy, phase shares, seeded variability, O(1) lookups."""

from __future__ import annotations

from datetime import date
import functools
import warnings

import numpy as np
import pytest

from simulator.site.house import BdewHouseLoad, profile_power, yearly_profile
from simulator.site.timeline import format_clock, parse_clock, run_start, step_means, wall_seconds

SATURDAY = date(2025, 5, 17)
WEDNESDAY = date(2025, 6, 11)
TZ = "Europe/Berlin"


@functools.cache
def house(
    day: date = SATURDAY,
    profile: str = "h0_dyn",
    *,
    seed: int = 1,
    appliances: bool = True,
    start_offset: float = 0.0,
    noise_sd: float = 0.08,
) -> BdewHouseLoad:
    """A cached house (3700 kWh/a)."""
    return BdewHouseLoad(
        day=day,
        timezone=TZ,
        profile=profile,
        annual_kwh=3700.0,
        appliances=appliances,
        seed=seed,
        start_offset=start_offset,
        noise_sd=noise_sd,
    )


def day_energy_wh(day: date, profile: str) -> float:
    """The profile's energy on `day` straight from demandlib's quarter hours."""
    first = (day - date(day.year, 1, 1)).days * 96
    return float(yearly_profile(day.year, profile)[first : first + 96].sum()) * 3700.0 * 1000.0


def test_same_seed_same_load_other_seed_other_load() -> None:
    """Deterministic for a seed."""
    again = BdewHouseLoad(
        day=SATURDAY, timezone=TZ, profile="h0_dyn", annual_kwh=3700.0, appliances=True, seed=1
    )
    assert np.array_equal(again.per_second, house().per_second)
    assert not np.array_equal(house(seed=2).per_second, house().per_second)


@pytest.mark.parametrize(
    ("day", "profile"), [(SATURDAY, "h0_dyn"), (WEDNESDAY, "g1"), (SATURDAY, "h0")]
)
def test_the_run_keeps_the_profiles_daily_energy(day: date, profile: str) -> None:
    """Noise and appliance events only move energy within the day."""
    load = house(day, profile)
    assert load.energy_wh == pytest.approx(day_energy_wh(day, profile), rel=0.01)
    assert load.profile_wh == pytest.approx(day_energy_wh(day, profile), rel=0.01)


def test_phase_shares_hold_and_the_load_is_never_negative() -> None:
    """Without events the shares are exact; events land on phases weighted by the shares."""
    plain = house(appliances=False)
    energy = plain.per_second.sum(axis=0)
    assert energy / energy.sum() == pytest.approx([0.45, 0.35, 0.20], abs=1e-9)
    busy = house().per_second
    shares = busy.sum(axis=0) / busy.sum()
    assert shares == pytest.approx([0.45, 0.35, 0.20], abs=0.12)
    assert busy.min() >= 0.0
    assert plain.per_second.min() >= 0.0


def test_appliance_events_are_2_kw_steps() -> None:
    """A household day has realistic step changes, not only a smooth curve."""
    load = house()
    assert load.events
    assert {e.name for e in load.events} <= {"cooker", "kettle", "washing machine"}
    steps = np.abs(np.diff(load.per_second, axis=0)).max()
    assert steps > 1900.0
    assert "appliance events" in load.describe()


def test_weekday_and_weekend_differ_for_an_office() -> None:
    """The day type comes from demandlib: an office uses far less on a Saturday."""
    saturday = house(SATURDAY, "g1", appliances=False)
    wednesday = house(WEDNESDAY, "g1", appliances=False)
    assert saturday.energy_wh < 0.3 * wednesday.energy_wh


def test_at_series_and_per_second_agree() -> None:
    """`at` is a lookup of the per-second array; `series` are its step means."""
    load = house()
    assert load.at(3600.2) == tuple(load.per_second[3600])
    assert load.at(-5) == tuple(load.per_second[0])
    assert load.at(90_000) == tuple(load.per_second[-1])
    quarter = load.series(900)
    assert quarter.shape == (96, 3)
    assert quarter.mean(axis=0) == pytest.approx(load.per_second.mean(axis=0))
    assert load.series(7 * 3600).shape == (4, 3)  # the last step is short


def test_a_noon_start_continues_into_the_next_day() -> None:
    """With start_offset the run's first half is the afternoon of the same profile."""
    midnight = house(appliances=False, noise_sd=0.0)
    noon = house(appliances=False, noise_sd=0.0, start_offset=43_200.0)
    # The midnight run holds its last quarter-hour value; the noon run interpolates into Sunday.
    assert noon.per_second[:42_750] == pytest.approx(midnight.per_second[43_200:85_950], rel=1e-9)
    sunday_morning = profile_power(SATURDAY, "h0_dyn", 3700.0, 2)[96:144]
    assert noon.per_second[43_200:].sum(axis=1).mean() == pytest.approx(
        sunday_morning.mean(), rel=0.01
    )


def test_new_year_runs_across_two_yearly_profiles() -> None:
    """A run from noon on 31 December reads the next year's profile too."""
    load = BdewHouseLoad(
        day=date(2025, 12, 31), timezone=TZ, annual_kwh=3700.0, start_offset=43_200.0
    )
    assert load.energy_wh > 0


def test_demandlib_does_not_leak_its_warning_filter() -> None:
    """Demandlib turns warnings into errors while it builds its frame; the filters are restored."""
    before = list(warnings.filters)
    yearly_profile(2023, "g0")
    assert warnings.filters == before


def test_invalid_arguments() -> None:
    """Bad profile, shares, energy or noise fail at once."""
    with pytest.raises(ValueError, match="unknown BDEW profile"):
        BdewHouseLoad(day=SATURDAY, timezone=TZ, annual_kwh=1.0, profile="x9")
    with pytest.raises(ValueError, match="phase_shares"):
        BdewHouseLoad(day=SATURDAY, timezone=TZ, annual_kwh=1.0, phase_shares=(0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="annual_kwh"):
        BdewHouseLoad(day=SATURDAY, timezone=TZ, annual_kwh=-1.0)
    with pytest.raises(ValueError, match="noise"):
        BdewHouseLoad(day=SATURDAY, timezone=TZ, annual_kwh=1.0, noise_tau=0.0)


def test_wall_clock_across_a_dst_change() -> None:
    """On the spring DST day the wall clock jumps an hour after 02:00; the run still lasts 24 h."""
    t = np.arange(86_400, dtype=np.float64)
    wall = wall_seconds(date(2025, 3, 30), TZ, 0.0, t)
    assert wall[7199] == 7199.0
    assert wall[7200] == 7200.0 + 3600.0
    assert run_start(date(2025, 3, 30), TZ, 43_200.0).hour == 13  # 12 h elapsed, 13:00 on the wall
    plain = wall_seconds(SATURDAY, TZ, 43_200.0, t)
    assert plain[0] == 43_200.0


def test_clock_helpers() -> None:
    """HH:MM parsing (next day above 24 h), formatting and step means."""
    assert parse_clock("07:30") == 27_000.0
    assert parse_clock("31:30") == 27_000.0 + 86_400.0
    for bad in ("7.30", "07:3", "07:60", "48:00", "ab:cd"):
        with pytest.raises(ValueError, match="HH:MM"):
            parse_clock(bad)
    assert format_clock(27_000.0) == "07:30"
    assert format_clock(27_000.0 + 86_400.0) == "07:30+1"
    assert step_means(np.arange(4, dtype=np.float64), 2.0) == pytest.approx([0.5, 2.5])
    with pytest.raises(ValueError, match="step_s"):
        step_means(np.arange(4, dtype=np.float64), 0.0)
