"""A household or commercial base load from a BDEW standard load profile (demandlib).

The BDEW profiles are 15-min mean powers scaled to an annual energy; demandlib picks the values
for the date (workday / Saturday / Sunday, and winter / transition / summer). Between the
quarter-hour centres the power is interpolated linearly, so the day's energy is kept. On top of
that, seeded variability that keeps the day's energy:

- AR(1) noise, a multiplier per phase with a correlation time of minutes, rescaled so that it
  only moves energy within the run;
- optional appliance events for a household, 2 kW steps on one phase (cooker 20-40 min around
  noon and in the evening, kettle 3 min, washing-machine heating 15 min); the smooth profile is
  an average over such events, so it is lowered by the events' energy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
import functools
import importlib.metadata
import warnings

from demandlib import bdew
import numpy as np

from .model import PhaseWatts
from .timeline import SECONDS, FloatArray, SecondlySeries, wall_seconds

PROFILES = ("h0", "h0_dyn", "g0", "g1", "g2", "g3", "g4", "g5", "g6", "l0", "l1", "l2")
QUARTER = 900.0  # s
_SEED_TAG = 1  # keeps the house's random stream apart from the other inputs' for one seed
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SATURDAY = 5
_SUNDAY = 6


@functools.lru_cache(maxsize=16)
def yearly_profile(year: int, profile: str) -> FloatArray:
    """Share of the annual energy in each quarter hour of `year` (demandlib; read-only array)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown BDEW profile {profile!r}; expected one of {', '.join(PROFILES)}")
    # demandlib 0.2.2 calls warnings.simplefilter("error") while it builds the profiles: keep
    # that from leaking into the caller's warning filters.
    with warnings.catch_warnings():
        frame = bdew.ElecSlp(year).get_scaled_profiles({profile: 1.0})
    shares = np.asarray(frame[profile].to_numpy(dtype=np.float64))
    shares.flags.writeable = False
    return shares


def demandlib_version() -> str:
    """The installed demandlib version (for provenance notes)."""
    return importlib.metadata.version("demandlib")


def profile_power(day: date, profile: str, annual_kwh: float, days: int) -> FloatArray:
    """Mean W of each quarter hour from `day`'s midnight on, for `days` calendar days."""
    parts: list[FloatArray] = []
    for k in range(days):
        d = day + timedelta(days=k)
        first = (d - date(d.year, 1, 1)).days * 96
        parts.append(yearly_profile(d.year, profile)[first : first + 96])
    return np.concatenate(parts) * annual_kwh * 1000.0 * (3600.0 / QUARTER)


@dataclass(frozen=True, slots=True)
class ApplianceEvent:
    """A step of `power` W on grid phase `phase` from `start` s for `duration` s (wall clock)."""

    name: str
    start: float  # s after the first calendar day's midnight
    duration: float
    power: float
    phase: int


def appliance_events(
    day: date, days: int, shares: tuple[float, float, float], rng: np.random.Generator
) -> list[ApplianceEvent]:
    """Seeded household appliance events for `days` calendar days from `day`."""
    events: list[ApplianceEvent] = []
    weights = np.asarray(shares, dtype=np.float64)

    def add(
        name: str, start_h: float, sd_min: float, minutes: tuple[float, float], watts: float
    ) -> None:
        start = start_h * 3600.0 + rng.normal(0.0, sd_min * 60.0) if sd_min else start_h * 3600.0
        duration = rng.uniform(*minutes) * 60.0
        # Bigger appliances sit on the more loaded phases: that is why those phases are loaded.
        phase = int(rng.choice(3, p=weights))
        events.append(ApplianceEvent(name, start, duration, watts, phase))

    for k in range(days):
        d = day + timedelta(days=k)
        h = k * 24.0  # hours from the first day's midnight
        weekend = d.weekday() >= _SATURDAY
        add("kettle", h + (8.5 if weekend else 6.75), 20.0, (2.5, 3.5), 2000.0)
        if rng.random() < 0.5:  # noqa: PLR2004
            add("kettle", h + 16.0, 60.0, (2.5, 3.5), 2000.0)
        if rng.random() < (0.8 if weekend else 0.2):
            add("cooker", h + 12.0, 20.0, (20.0, 40.0), 2000.0)
        if rng.random() < 0.85:  # noqa: PLR2004
            add("cooker", h + 18.25, 40.0, (20.0, 40.0), 2000.0)
        wash = {_SATURDAY: 0.7, _SUNDAY: 0.2}.get(d.weekday(), 0.35)
        if rng.random() < wash:
            # Heating (2 kW, 15 min) a few minutes after the start of a programme between 08 and 18.
            add("washing machine", h + rng.uniform(8.0, 18.0), 0.0, (15.0, 15.0), 2000.0)
    return events


class BdewHouseLoad(SecondlySeries):
    """The per-phase base load of a site for one run, precomputed per second."""

    def __init__(
        self,
        *,
        day: date,
        timezone: str,
        annual_kwh: float,
        profile: str = "h0",
        start_offset: float = 0.0,
        phase_shares: tuple[float, float, float] = (0.45, 0.35, 0.20),
        noise_sd: float = 0.08,
        noise_tau: float = 600.0,
        appliances: bool = False,
        seed: int = 0,
    ) -> None:
        """Build the load of the run starting `start_offset` s after `day`'s local midnight."""
        if annual_kwh < 0:
            raise ValueError(f"annual_kwh must not be negative, got {annual_kwh}")
        if len(phase_shares) != 3 or min(phase_shares) < 0 or abs(sum(phase_shares) - 1.0) > 1e-6:  # noqa: PLR2004
            raise ValueError(
                f"phase_shares must be 3 non-negative shares summing to 1, got {phase_shares}"
            )
        if noise_sd < 0 or noise_tau <= 0:
            raise ValueError("noise_sd must be >= 0 and noise_tau > 0")
        self.day = day
        self.profile = profile
        self.annual_kwh = annual_kwh
        self.phase_shares = phase_shares
        self.start_offset = start_offset
        rng = np.random.default_rng([seed, _SEED_TAG])

        t = np.arange(SECONDS, dtype=np.float64) + 0.5
        wall = wall_seconds(day, timezone, start_offset, t)
        days = int(wall[-1] // 86_400.0) + 1
        quarters = profile_power(day, profile, annual_kwh, days)
        # Nodes at the quarter-hour centres, with the edge values held: the mean of each quarter
        # hour is kept, and so the run's energy.
        centres = (np.arange(len(quarters)) + 0.5) * QUARTER
        total = np.interp(wall, centres, quarters)
        self.profile_wh = float(total.sum()) / 3600.0  # the smooth profile's energy in the run

        base = total[:, None] * np.asarray(phase_shares, dtype=np.float64)[None, :]
        base *= self._noise(rng, noise_sd, noise_tau)
        # Rescale each phase so that the noise only moves energy within the run.
        sums = base.sum(axis=0)
        wanted = total.sum() * np.asarray(phase_shares)
        base *= np.divide(wanted, sums, out=np.ones(3), where=sums > 0)[None, :]

        self.events: list[ApplianceEvent] = []
        steps = np.zeros((SECONDS, 3))
        if appliances:
            for event in appliance_events(day, days, phase_shares, rng):
                lo = np.searchsorted(wall, event.start)
                hi = np.searchsorted(wall, event.start + event.duration)
                if hi > lo:
                    steps[lo:hi, event.phase] += event.power
                    self.events.append(event)
            events_wh = steps.sum() / 3600.0
            # The profile already averages such events: lower it by their energy (but keep at
            # least half of it: a small annual energy with many events would go negative).
            if self.profile_wh > 0:
                base *= max(0.5, 1.0 - events_wh / self.profile_wh)
        self._w: FloatArray = np.maximum(base + steps, 0.0)
        self._w.flags.writeable = False

    @staticmethod
    def _noise(rng: np.random.Generator, sd: float, tau: float) -> FloatArray:
        """Per-second multipliers per phase: AR(1) at 1-min resolution, interpolated."""
        minutes = SECONDS // 60 + 1
        phi = float(np.exp(-60.0 / tau))
        shocks = rng.normal(0.0, sd * np.sqrt(1.0 - phi * phi), size=(minutes, 3))
        x = np.empty((minutes, 3))
        x[0] = rng.normal(0.0, sd, size=3)
        for k in range(1, minutes):
            x[k] = phi * x[k - 1] + shocks[k]
        grid = np.arange(minutes) * 60.0
        t = np.arange(SECONDS) + 0.5
        out = np.column_stack([np.interp(t, grid, x[:, p]) for p in range(3)])
        # A load never turns into a generator; the floor also keeps the rescaling tame.
        return np.maximum(1.0 + out, 0.2)

    def at(self, t: float) -> PhaseWatts:
        """W per phase at `t` s after the run start."""
        i = min(max(int(t), 0), SECONDS - 1)
        row = self._w[i]
        return (float(row[0]), float(row[1]), float(row[2]))

    def describe(self) -> str:
        """Provenance of this load, for `ScenarioDay.notes`."""
        name = self.profile.upper().replace("_DYN", " dynamised")
        parts = [
            f"BDEW {name} (demandlib {demandlib_version()}), {self.annual_kwh:g} kWh/a",
            f"{_WEEKDAYS[self.day.weekday()]} {self.day.isoformat()}",
            f"{self.energy_wh / 1000.0:.1f} kWh in the run",
            "phase shares " + "/".join(f"{s:.2f}" for s in self.phase_shares),
        ]
        if self.events:
            kinds = sorted({e.name for e in self.events})
            parts.append(f"{len(self.events)} appliance events ({', '.join(kinds)})")
        return ", ".join(parts)
