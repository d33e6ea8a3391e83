"""PV plant: night, peak, a plausible day's energy, clouds, determinism."""

from __future__ import annotations

from datetime import date
import functools

import numpy as np
import pytest

from simulator.site.pv import ClearSkyPv

MAY = date(2025, 5, 17)


@functools.cache
def plant(
    day: date = MAY, *, cloudiness: float = 0.0, seed: int = 7, start_offset: float = 0.0
) -> ClearSkyPv:
    """6 kWp, 35° south, in Kassel (cached)."""
    return ClearSkyPv(
        day=day,
        timezone="Europe/Berlin",
        latitude=51.32,
        longitude=9.50,
        altitude=170.0,
        place="Kassel",
        kwp=6.0,
        tilt=35.0,
        azimuth=180.0,
        cloudiness=cloudiness,
        seed=seed,
        start_offset=start_offset,
    )


def test_zero_at_night_and_below_the_peak_at_noon() -> None:
    """Nothing before dawn or after dusk; the noon maximum is below kWp."""
    pv = plant()
    assert pv.at(0.0) == 0.0
    assert pv.at(3 * 3600.0) == 0.0
    assert pv.at(23 * 3600.0) == 0.0
    assert pv.at(13.5 * 3600.0) > 3500.0
    assert pv.per_second.max() < pv.peak_power
    assert pv.peak_power == 6000.0


def test_a_clear_may_day_gives_a_plausible_energy() -> None:
    """6 kWp in May under a clear sky: about 35-45 kWh (5.5-7.5 kWh/kWp)."""
    assert 33_000.0 < plant().energy_wh < 45_000.0
    winter = plant(date(2025, 12, 21))
    assert 5_000.0 < winter.energy_wh < 0.5 * plant().energy_wh


def test_clouds_lower_the_energy_and_are_seeded() -> None:
    """More cloudiness, less energy; the same seed, the same clouds."""
    clear = plant().energy_wh
    some = plant(cloudiness=0.3)
    overcast = plant(cloudiness=1.0)
    assert overcast.energy_wh < some.energy_wh < clear
    assert 0.2 * clear < overcast.energy_wh < 0.6 * clear
    assert 0.1 < some.cloudy_share < 0.5
    again = ClearSkyPv(
        day=MAY,
        timezone="Europe/Berlin",
        latitude=51.32,
        longitude=9.50,
        altitude=170.0,
        place="Kassel",
        kwp=6.0,
        tilt=35.0,
        cloudiness=0.3,
        seed=7,
    )
    assert np.array_equal(again.per_second, some.per_second)
    assert not np.array_equal(plant(cloudiness=0.3, seed=8).per_second, some.per_second)
    assert "cloudiness 0.3" in some.describe()


def test_noon_start_and_series() -> None:
    """A run from noon sees the afternoon first; series are step means."""
    noon = plant(start_offset=43_200.0)
    assert noon.per_second[:40_000] == pytest.approx(plant().per_second[43_200:83_200], abs=1.0)
    hourly = plant().series(3600)
    assert hourly.shape == (24,)
    assert hourly.sum() == pytest.approx(plant().energy_wh, rel=1e-9)


def test_invalid_arguments() -> None:
    """Bad kWp, cloudiness, cloud length or losses fail at once."""
    make = functools.partial(
        ClearSkyPv, day=MAY, timezone="Europe/Berlin", latitude=51.0, longitude=9.0
    )
    with pytest.raises(ValueError, match="kwp"):
        make(kwp=0.0)
    with pytest.raises(ValueError, match="cloudiness"):
        make(kwp=1.0, cloudiness=1.5)
    with pytest.raises(ValueError, match="cloud_minutes"):
        make(kwp=1.0, cloud_minutes=0.0)
    with pytest.raises(ValueError, match="losses"):
        make(kwp=1.0, losses=1.0)


def test_fixed_air_temperature_and_southern_place() -> None:
    """A fixed air temperature is allowed; places south and west are described as such."""
    pv = ClearSkyPv(
        day=MAY,
        timezone="America/Santiago",
        latitude=-33.45,
        longitude=-70.66,
        kwp=1.0,
        azimuth=0.0,
        temp_air=15.0,
    )
    assert pv.energy_wh > 0
    assert "33.45S 70.66W" in pv.describe()
