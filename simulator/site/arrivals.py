"""Seeded fleets of visits: when cars arrive and leave, what they want, which connector they take.

Arrival and departure times are truncated normals (hours after the day's local midnight; above
24 = the next day), the energy a driver wants a truncated normal or a truncated lognormal (kWh),
the car a weighted draw from a list of `EVSpec`s, the mode a weighted draw. Each car takes a
connector that is free for its whole stay (seeded pick among the free ones); a car that finds
none is counted as unplaced.

The presets are shaped after the public ElaadNL charging-session analyses (Dutch public and
semi-public charge points, open transaction data and reports); the parameters are rounded
readings of those distributions, not fitted values:

- workplace: arrivals peak between 08:00 and 09:00, cars leave around 16:30-17:30;
  arrive N(08:30, 60 min) within 06:30-11:00, depart N(17:00, 45 min) within 14:00-20:00.
- home: arrivals peak between 17:00 and 19:00, cars leave the next morning;
  arrive N(18:00, 75 min) within 15:00-23:00, depart N(07:30 +1, 45 min) within 05:30-10:00 +1.
- both: session energies around 10-15 kWh with a long tail; lognormal with median 10 kWh and
  sigma 0.6 (mean about 12 kWh, 90th percentile about 22 kWh), cut to 2-50 kWh.
- depot (not ElaadNL: an assumption for a delivery-van fleet on one shift): vans return
  N(17:30, 45 min) within 16:00-19:00 and leave N(06:00 +1, 30 min) within 05:00-07:00 +1,
  wanting N(60, 12) kWh within 40-80 kWh (a day's rounds of 150-300 km).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
import math
from statistics import NormalDist

import numpy as np

from simulator.ev import EVSpec

from .model import Bidirectional, Visit

_SEED_TAG = 3
_STANDARD = NormalDist()
MIN_ARRIVAL_SOC = 5.0  # % a car has left at least when it arrives


@dataclass(frozen=True, slots=True, kw_only=True)
class TruncNormal:
    """A normal distribution cut to [low, high]."""

    mean: float
    sd: float
    low: float
    high: float

    def __post_init__(self) -> None:
        """Check the bounds."""
        if self.sd < 0 or self.low > self.high:
            raise ValueError(f"invalid truncated normal {self}")

    def draw(self, rng: np.random.Generator) -> float:
        """One value (inverse CDF: one uniform draw per value, so streams stay aligned)."""
        u = float(rng.random())
        if self.sd == 0:
            return min(max(self.mean, self.low), self.high)
        lo = _STANDARD.cdf((self.low - self.mean) / self.sd)
        hi = _STANDARD.cdf((self.high - self.mean) / self.sd)
        p = min(max(lo + u * (hi - lo), 1e-12), 1.0 - 1e-12)
        return min(max(self.mean + self.sd * _STANDARD.inv_cdf(p), self.low), self.high)

    def shifted(self, hours: float) -> TruncNormal:
        """The same distribution `hours` later."""
        return replace(self, mean=self.mean + hours, low=self.low + hours, high=self.high + hours)


@dataclass(frozen=True, slots=True, kw_only=True)
class LogNormal:
    """A lognormal distribution (median, sigma of the log) cut to [low, high]."""

    median: float
    sigma: float
    low: float
    high: float

    def __post_init__(self) -> None:
        """Check the parameters."""
        if self.median <= 0 or self.sigma < 0 or not 0 < self.low <= self.high:
            raise ValueError(f"invalid lognormal {self}")

    def draw(self, rng: np.random.Generator) -> float:
        """One value."""
        log = TruncNormal(
            mean=math.log(self.median),
            sd=self.sigma,
            low=math.log(self.low),
            high=math.log(self.high),
        )
        return math.exp(log.draw(rng))


type Distribution = TruncNormal | LogNormal


@dataclass(frozen=True, slots=True, kw_only=True)
class Preset:
    """Default distributions of a kind of site."""

    arrive_h: TruncNormal
    depart_h: TruncNormal
    energy_kwh: Distribution
    source: str


_SESSION_KWH = LogNormal(median=10.0, sigma=0.6, low=2.0, high=50.0)
PRESETS: dict[str, Preset] = {
    "workplace": Preset(
        arrive_h=TruncNormal(mean=8.5, sd=1.0, low=6.5, high=11.0),
        depart_h=TruncNormal(mean=17.0, sd=0.75, low=14.0, high=20.0),
        energy_kwh=_SESSION_KWH,
        source="shaped after ElaadNL workplace sessions",
    ),
    "home": Preset(
        arrive_h=TruncNormal(mean=18.0, sd=1.25, low=15.0, high=23.0),
        depart_h=TruncNormal(mean=31.5, sd=0.75, low=29.5, high=34.0),
        energy_kwh=_SESSION_KWH,
        source="shaped after ElaadNL home sessions",
    ),
    "depot": Preset(
        arrive_h=TruncNormal(mean=17.5, sd=0.75, low=16.0, high=19.0),
        depart_h=TruncNormal(mean=30.0, sd=0.5, low=29.0, high=31.0),
        energy_kwh=TruncNormal(mean=60.0, sd=12.0, low=40.0, high=80.0),
        source="assumed one-shift delivery-van depot",
    ),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetSpec:
    """How many cars come, when, with which car and mode, wanting how much."""

    name: str = "fleet"
    count: int
    arrive_h: TruncNormal  # h after the day's local midnight
    depart_h: TruncNormal | None = None  # h after the day's local midnight (> 24: the next day)
    dwell_h: TruncNormal | None = None  # h, instead of depart_h
    energy_kwh: Distribution
    cars: tuple[tuple[EVSpec, float], ...]  # car, weight
    modes: tuple[tuple[str, float], ...] = (("fast", 1.0),)  # mode, weight
    min_dwell_h: float = 0.5
    priority: int = 0
    min_arrival_soc: float = MIN_ARRIVAL_SOC  # % a car has left at least when it arrives
    # V2X: the cars (by `EVSpec.name`) that can discharge, and the reserve their drivers set.
    bidirectional: tuple[tuple[str, Bidirectional], ...] = ()
    reserve_soc: float = 0.0

    def __post_init__(self) -> None:
        """Check the spec."""
        if self.count < 0:
            raise ValueError(f"count must not be negative, got {self.count}")
        if (self.depart_h is None) == (self.dwell_h is None):
            raise ValueError("a fleet needs either depart_h or dwell_h")
        for what, pairs in (("cars", self.cars), ("modes", self.modes)):
            weights = [w for _, w in pairs]
            if not weights or min(weights) < 0 or sum(weights) <= 0:
                raise ValueError(f"{what}: needs at least one entry and positive weights")


@dataclass(frozen=True, slots=True)
class FleetDraw:
    """The visits of a fleet, and how many cars found no free connector."""

    visits: tuple[Visit, ...]
    unplaced: int


def _pick[T](rng: np.random.Generator, pairs: Sequence[tuple[T, float]]) -> T:
    weights = np.asarray([w for _, w in pairs], dtype=np.float64)
    return pairs[int(rng.choice(len(pairs), p=weights / weights.sum()))][0]


def car_for_energy(
    ev: EVSpec, energy_wh: float, rng: np.random.Generator, min_soc: float = MIN_ARRIVAL_SOC
) -> tuple[EVSpec, float]:
    """The car with an arrival SoC that leaves room for `energy_wh` (capped to what fits)."""
    room = max(ev.target_soc - min_soc, 0.0)
    energy_wh = min(energy_wh, ev.capacity_wh * room / 100.0)
    needed = 100.0 * energy_wh / ev.capacity_wh
    # The driver does not always arrive nearly empty: any SoC that still leaves the room.
    initial = min_soc + float(rng.uniform(0.0, max(room - needed, 0.0)))
    return replace(ev, initial_soc=round(initial, 1)), energy_wh


def generate_visits(
    fleet: FleetSpec,
    connectors: Sequence[tuple[str, int]],
    *,
    seed: int,
    start_offset: float = 0.0,
    busy: Sequence[Visit] = (),
) -> FleetDraw:
    """Draw the fleet's visits (times in s after the run start) onto free `connectors`.

    `busy` are visits already planned (explicit cars): their connectors are taken while they stay.
    """
    rng = np.random.default_rng([seed, _SEED_TAG])
    drawn: list[tuple[float, float, float, EVSpec, str]] = []
    for _ in range(fleet.count):
        arrive = fleet.arrive_h.draw(rng)
        if fleet.depart_h is not None:
            depart = fleet.depart_h.draw(rng)
        elif fleet.dwell_h is not None:
            depart = arrive + fleet.dwell_h.draw(rng)
        else:  # pragma: no cover (FleetSpec checks it)
            raise ValueError("a fleet needs either depart_h or dwell_h")
        depart = max(depart, arrive + fleet.min_dwell_h)
        a = round(arrive * 3600.0 - start_offset, 1)
        d = round(depart * 3600.0 - start_offset, 1)
        if a < 0:  # before the run starts: the same clock time on the next day
            a, d = a + 86_400.0, d + 86_400.0
        ev, energy_wh = car_for_energy(
            _pick(rng, fleet.cars), fleet.energy_kwh.draw(rng) * 1000.0, rng, fleet.min_arrival_soc
        )
        drawn.append((a, d, energy_wh, ev, _pick(rng, fleet.modes)))

    taken: dict[tuple[str, int], list[tuple[float, float]]] = {c: [] for c in connectors}
    for v in busy:
        taken.setdefault((v.charger_id, v.connector_id), []).append((v.arrive, v.depart))
    visits: list[Visit] = []
    unplaced = 0
    bidirectional = dict(fleet.bidirectional)
    for a, d, energy_wh, ev, mode in sorted(drawn, key=lambda x: x[0]):
        free = [c for c in connectors if all(d <= lo or a >= hi for lo, hi in taken[c])]
        if not free:
            unplaced += 1
            continue
        charger_id, connector_id = free[int(rng.integers(len(free)))]
        taken[(charger_id, connector_id)].append((a, d))
        visits.append(
            Visit(
                charger_id=charger_id,
                connector_id=connector_id,
                arrive=a,
                depart=d,
                energy_wh=round(energy_wh, 1),
                ev=ev,
                mode=mode,
                priority=fleet.priority,
                v2x=bidirectional.get(ev.name),
                reserve_soc=fleet.reserve_soc,
            )
        )
    return FleetDraw(tuple(visits), unplaced)
