"""A car on a DC charger: battery, state of charge, and the power it takes (with a taper).

Below `bulk_soc` the car takes up to its maximum power; above, the power it accepts falls
linearly towards `full_soc` (down to a tenth of its maximum, so that it does get full),
where it stops. No losses: every Wh the meter counts goes into the battery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
import math

TAPER_FLOOR = 0.1  # the taper's lowest power, a fraction of the car's maximum
_HOUR = 3600.0


@dataclass
class Car:
    """An EV with a battery; `soc` (%) rises as it charges."""

    capacity_kwh: float = 60.0
    soc: float = 20.0
    max_power: float = 50_000.0  # W the car takes at most (ISO 15118 EVMaximumPowerLimit)
    max_current: float = 150.0  # A DC
    max_voltage: float = 450.0  # V DC
    bulk_soc: float = 80.0  # % where the taper starts
    full_soc: float = 100.0  # % where the car stops charging
    stay: timedelta = timedelta(minutes=45)  # departure time: plugged in + stay

    def __post_init__(self) -> None:
        """Refuse a car that could not charge sensibly."""
        if self.capacity_kwh <= 0 or self.max_power <= 0 or self.max_current <= 0:
            raise ValueError("a car needs a battery and a positive maximum")
        if not 0 <= self.bulk_soc < self.full_soc <= 100:  # noqa: PLR2004 - percent
            raise ValueError("needs 0 <= bulk_soc < full_soc <= 100")
        if not 0 <= self.soc <= 100:  # noqa: PLR2004
            raise ValueError("soc is a percentage")

    @property
    def capacity_wh(self) -> float:
        """Battery capacity, Wh."""
        return self.capacity_kwh * 1000

    @property
    def full(self) -> bool:
        """Whether the car has stopped charging."""
        return self.soc >= self.full_soc

    def needed_wh(self) -> float:
        """Energy to full_soc, Wh."""
        return max(0.0, self.full_soc - self.soc) / 100 * self.capacity_wh

    def ceiling(self, voltage: float) -> float:
        """The most the car takes at `voltage`, W (its power and current maxima)."""
        return min(self.max_power, self.max_current * voltage)

    def accepted_power(self) -> float:
        """What the battery takes now at most, W: the maximum, tapered above bulk_soc."""
        if self.full:
            return 0.0
        if self.soc <= self.bulk_soc:
            return self.max_power
        share = (self.full_soc - self.soc) / (self.full_soc - self.bulk_soc)
        return self.max_power * max(TAPER_FLOOR, share)

    def power(self, offered: float, voltage: float) -> float:
        """W drawn now from a charger offering `offered` W at `voltage` V."""
        return max(0.0, min(offered, self.ceiling(voltage), self.accepted_power()))

    def charge(self, offered: float, voltage: float, seconds: float) -> float:
        """Charge for `seconds` at what the charger offers; return the Wh delivered.

        Exact (no time steps): constant power until the taper bites, then the taper's
        exponential approach, then its floor until full_soc.
        """
        cap = min(offered, self.ceiling(voltage))
        delivered = 0.0
        left = seconds
        while left > 0 and cap > 0 and not self.full:
            soc_before = self.soc
            used = self._phase(cap, left)
            delivered += (self.soc - soc_before) / 100 * self.capacity_wh
            left -= used
            if used <= 0:
                break
        return delivered

    def _phase(self, cap: float, seconds: float) -> float:
        """Charge through one phase (constant power or taper), at most `seconds`; return the s."""
        span = self.full_soc - self.bulk_soc
        floor = self.max_power * TAPER_FLOOR
        # The SoC up to which the taper does not yet bite at `cap` W.
        bites_at = self.full_soc if cap <= floor else self.full_soc - cap / self.max_power * span
        bites_at = max(bites_at, self.bulk_soc)
        floor_soc = self.full_soc - TAPER_FLOOR * span
        if self.soc < bites_at or self.soc >= floor_soc:
            power = cap if self.soc < bites_at else min(cap, floor)
            target = bites_at if self.soc < bites_at else self.full_soc
            needed = (target - self.soc) / 100 * self.capacity_wh / power * _HOUR
            used = min(seconds, needed)
            gained = power * used / _HOUR / (self.capacity_wh / 100)
            self.soc = target if used == needed else self.soc + gained
            return used
        # Taper: d(full - soc)/dt = -rate * (full - soc), down to the floor's SoC.
        rate = self.max_power / (span * self.capacity_wh / 100) / _HOUR
        needed = math.log((self.full_soc - self.soc) / (self.full_soc - floor_soc)) / rate
        used = min(seconds, needed)
        if used == needed:
            self.soc = floor_soc
        else:
            self.soc = self.full_soc - (self.full_soc - self.soc) * math.exp(-rate * used)
        return used
