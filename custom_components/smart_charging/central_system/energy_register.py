"""A charger's energy register made safe for a `total_increasing` sensor.

Chargers report glitches: a stray 0, a kWh value with float noise that dips by a few
milliwatt-hours, a spike from a mislabelled unit, a register reset after a meter swap.
The HA Energy dashboard needs a value that only ever grows and counts each Wh once, so
readings pass through this guard. Its state is persisted, so a restart changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# No charger delivers more than this; a faster rise is a glitch, not energy.
MAX_PLAUSIBLE_POWER_W = 1_000_000.0
# The shortest window a rise is judged over (timestamps may be equal or missing).
MIN_WINDOW_HOURS = 1 / 60
# A dip this small (float noise of kWh values) is held, not treated as a reset.
NOISE_FRACTION = 1e-6
NOISE_FLOOR_WH = 1.0


@dataclass(slots=True)
class EnergyRegister:
    """Monotonic view of a raw energy register (Wh)."""

    offset: float = 0.0
    last_raw: float | None = None
    last_time: datetime | None = None
    reset_candidate: float | None = None

    @property
    def value(self) -> float | None:
        """Return the guarded register value in Wh."""
        if self.last_raw is None:
            return None
        return self.offset + self.last_raw

    def update(self, raw: float, timestamp: datetime | None) -> bool:
        """Feed one reading; return True when the guarded value changed."""
        if raw < 0:
            return False
        if timestamp is not None and self.last_time is not None and timestamp < self.last_time:
            # A queued reading older than what we have: history, not the present.
            return False
        if self.last_raw is None:
            self._accept(raw, timestamp)
            return True
        if raw >= self.last_raw:
            self.reset_candidate = None
            if not self._plausible_rise(raw - self.last_raw, timestamp):
                return False
            changed = raw != self.last_raw
            self._accept(raw, timestamp)
            return changed
        drop = self.last_raw - raw
        if drop <= max(NOISE_FLOOR_WH, self.last_raw * NOISE_FRACTION):
            # Still at the old level: a low reading before this was a glitch, not a reset.
            self.reset_candidate = None
            return False
        if self.reset_candidate is not None and raw >= self.reset_candidate:
            # Two readings agree on the new, lower base: the register was reset.
            self.offset += self.last_raw - self.reset_candidate
            self.reset_candidate = None
            self._accept(raw, timestamp)
            return True
        self.reset_candidate = raw
        return False

    def _plausible_rise(self, rise: float, timestamp: datetime | None) -> bool:
        hours = MIN_WINDOW_HOURS
        if timestamp is not None and self.last_time is not None:
            hours = max(hours, (timestamp - self.last_time).total_seconds() / 3600)
        return rise <= MAX_PLAUSIBLE_POWER_W * hours

    def _accept(self, raw: float, timestamp: datetime | None) -> None:
        self.last_raw = raw
        if timestamp is not None:
            self.last_time = timestamp

    def as_dict(self) -> dict[str, Any]:
        """Serialise for storage."""
        return {
            "offset": self.offset,
            "last_raw": self.last_raw,
            "last_time": self.last_time.isoformat() if self.last_time else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EnergyRegister:
        """Restore from storage."""
        last_time = data.get("last_time")
        return cls(
            offset=float(data.get("offset", 0.0)),
            last_raw=data.get("last_raw"),
            last_time=datetime.fromisoformat(last_time) if last_time else None,
        )
