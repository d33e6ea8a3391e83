"""A PV plant: pvlib clear sky on the plane of array, a PVWatts-like DC/AC model and seeded clouds.

- Clear sky: Ineichen with pvlib's Linke turbidity climatology for the place and month, at 1-min
  resolution, transposed to the plane of array (Hay-Davies) from the solar position.
- DC: kWp * POA / 1000 * (1 + gamma * (T_cell - 25 °C)) * (1 - losses), with the cell temperature
  from Faiman's model (wind 2 m/s) and an ambient temperature that follows roughly the German
  monthly means (1991-2020) with a ±4 K daily swing peaking at 15:00.
- AC: DC * inverter efficiency, capped at the inverter's rating.
- Clouds: a two-state Markov chain per minute (clear / under a cloud). `cloudiness` (0..1) is
  the long-run share of cloudy minutes, `cloud_minutes` the mean length of a cloud passage; each
  passage has its own clear-sky index drawn from 0.2-0.6 (1.0 when clear).

Values are precomputed per second (linear between the minutes), so `at(t)` is O(1).
"""

from __future__ import annotations

from datetime import date
import importlib.metadata

import numpy as np
import pandas as pd
import pvlib

from .timeline import SECONDS, FloatArray, SecondlySeries, run_start

# Approximate German monthly mean air temperatures, °C (January first).
MONTHLY_AIR_C = (0.9, 1.6, 4.6, 8.7, 12.7, 16.0, 18.0, 17.7, 13.7, 9.3, 4.9, 1.9)
CLOUD_INDEX = (0.2, 0.6)
_SEED_TAG = 2


class ClearSkyPv(SecondlySeries):
    """The AC output of a PV plant for one run, precomputed per second."""

    def __init__(
        self,
        *,
        day: date,
        timezone: str,
        latitude: float,
        longitude: float,
        kwp: float,
        altitude: float = 0.0,
        place: str = "",
        tilt: float = 30.0,
        azimuth: float = 180.0,
        start_offset: float = 0.0,
        cloudiness: float = 0.0,
        cloud_minutes: float = 10.0,
        losses: float = 0.14,
        gamma: float = -0.0037,
        inverter_kw: float | None = None,
        inverter_efficiency: float = 0.96,
        temp_air: float | None = None,
        seed: int = 0,
    ) -> None:
        """Build the output of the run starting `start_offset` s after `day`'s local midnight."""
        if kwp <= 0:
            raise ValueError(f"kwp must be positive, got {kwp}")
        if not 0.0 <= cloudiness <= 1.0:
            raise ValueError(f"cloudiness must be within 0..1, got {cloudiness}")
        if cloud_minutes <= 0:
            raise ValueError(f"cloud_minutes must be positive, got {cloud_minutes}")
        if not 0.0 <= losses < 1.0:
            raise ValueError(f"losses must be within 0..1, got {losses}")
        self.peak_power = kwp * 1000.0
        self.kwp = kwp
        self.place = place
        self.latitude = latitude
        self.longitude = longitude
        self.tilt = tilt
        self.azimuth = azimuth
        self.cloudiness = cloudiness
        self.losses = losses
        self.inverter_w = (inverter_kw if inverter_kw is not None else kwp) * 1000.0

        minutes = SECONDS // 60 + 1
        location = pvlib.location.Location(latitude, longitude, timezone, altitude, place)
        times = pd.date_range(
            pd.Timestamp(run_start(day, timezone, start_offset)), periods=minutes, freq="60s"
        )
        clear = location.get_clearsky(times, model="ineichen")
        sun = location.get_solarposition(times)
        poa = pvlib.irradiance.get_total_irradiance(
            tilt,
            azimuth,
            sun["apparent_zenith"],
            sun["azimuth"],
            clear["dni"],
            clear["ghi"],
            clear["dhi"],
            dni_extra=pvlib.irradiance.get_extra_radiation(times),
            model="haydavies",
        )
        poa_clear = np.nan_to_num(np.asarray(poa["poa_global"].to_numpy(dtype=np.float64)))
        index = self._cloud_index(
            np.random.default_rng([seed, _SEED_TAG]), minutes, cloudiness, cloud_minutes
        )
        self.cloudy_share = (
            float(np.mean(index[poa_clear > 0] < 1.0)) if (poa_clear > 0).any() else 0.0
        )
        poa_global = np.maximum(poa_clear, 0.0) * index

        if temp_air is None:
            hours = np.asarray(times.hour + times.minute / 60.0, dtype=np.float64)
            air = MONTHLY_AIR_C[day.month - 1] + 4.0 * np.cos(2.0 * np.pi * (hours - 15.0) / 24.0)
        else:
            air = np.full(minutes, temp_air)
        cell = np.asarray(
            pvlib.temperature.faiman(poa_global, air, wind_speed=2.0), dtype=np.float64
        )
        dc = self.peak_power * poa_global / 1000.0 * (1.0 + gamma * (cell - 25.0)) * (1.0 - losses)
        ac = np.clip(dc * inverter_efficiency, 0.0, self.inverter_w)

        t = np.arange(SECONDS, dtype=np.float64) + 0.5
        self._w: FloatArray = np.interp(t, np.arange(minutes) * 60.0, ac)
        self._w.flags.writeable = False

    @staticmethod
    def _cloud_index(
        rng: np.random.Generator, minutes: int, cloudiness: float, cloud_minutes: float
    ) -> FloatArray:
        """Clear-sky index per minute from the clear / cloudy Markov chain."""
        index = np.ones(minutes)
        if cloudiness <= 0.0:
            return index
        leave = 1.0 / cloud_minutes  # P(cloud ends in a minute)
        # Stationary share of cloudy minutes = enter / (enter + leave) = cloudiness.
        enter = 1.0 if cloudiness >= 1.0 else min(1.0, leave * cloudiness / (1.0 - cloudiness))
        draws = rng.random(minutes)
        depths = rng.uniform(*CLOUD_INDEX, size=minutes)
        cloudy = draws[0] < cloudiness
        depth = depths[0]
        for k in range(minutes):
            if k:
                if cloudy and cloudiness < 1.0 and draws[k] < leave:
                    cloudy = False
                elif not cloudy and draws[k] < enter:
                    cloudy, depth = True, depths[k]
            if cloudy:
                index[k] = depth
        return index

    def at(self, t: float) -> float:
        """W AC at `t` s after the run start."""
        return float(self._w[min(max(int(t), 0), SECONDS - 1)])

    def describe(self) -> str:
        """Provenance of this plant, for `ScenarioDay.notes`."""
        where = f"{self.place} " if self.place else ""
        return (
            f"pvlib {importlib.metadata.version('pvlib')} Ineichen clear sky x seeded clouds, "
            f"{where}{abs(self.latitude):.2f}{'N' if self.latitude >= 0 else 'S'} "
            f"{abs(self.longitude):.2f}{'E' if self.longitude >= 0 else 'W'}, "
            f"{self.kwp:g} kWp tilt {self.tilt:g}° azimuth {self.azimuth:g}°, "
            f"inverter {self.inverter_w / 1000.0:g} kW, PVWatts-like DC ({self.losses:.0%} losses), "
            f"cloudiness {self.cloudiness:g} ({self.cloudy_share:.0%} of daylight minutes cloudy), "
            f"{self.energy_wh / 1000.0:.1f} kWh in the run"
        )
