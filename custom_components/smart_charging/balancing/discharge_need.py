"""V2X: how much each objective wants the import to come down (the discharge it is worth).

A need is per phase (A: only a car on that phase helps) and in total (W: any car helps).
Every need is counted against the house load alone (`discharge_room`), less what the
cars decided before have taken.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from .constants import ALL_PHASES, THREE_PHASES
from .context import Context
from .discharge_room import Room
from .model import DischargeObjective
from .network import finite


@dataclass(slots=True)
class Need:
    """How far the import should come down: per phase (A) and in total (W)."""

    phase: list[float]
    total: float

    def wants(self, phases: tuple[int, ...]) -> bool:
        """A car on these phases would help."""
        return self.total > 0 or any(self.phase[p] > 0 for p in phases)


UNBOUNDED = Need(phase=[math.inf] * 3, total=math.inf)


def need_of(context: Context, objective: DischargeObjective, room: Room) -> Need:
    """What `objective` wants now (UNBOUNDED: as much as the limits allow)."""
    voltage = context.voltage
    base = room.base
    if objective is DischargeObjective.SELF_CONSUMPTION:
        return Need(phase=[0.0] * 3, total=max(0.0, sum(base)) * voltage)
    if objective is DischargeObjective.PEAK_SHAVING:
        return _peak(context, room)
    if objective is DischargeObjective.GRID_SIGNAL:
        signal = context.site.v2x.grid_signal
        if signal is None or not math.isfinite(signal):  # pragma: no cover - see _candidates
            return Need(phase=[0.0] * 3, total=0.0)
        return Need(phase=[0.0] * 3, total=max(0.0, sum(base) * voltage - signal))
    return Need(phase=[math.inf] * 3, total=math.inf)


def over_limit(context: Context) -> bool:
    """The grid meter reads more than a fuse or the import cap now (peak shaving's limits)."""
    site = context.site
    grid = [finite(value) for value in site.grid_current or (0.0, 0.0, 0.0)]
    if any(grid[p] > finite(site.grid_limit[p]) for p in ALL_PHASES):
        return True
    caps = _caps(context)
    return bool(caps) and sum(grid) * context.voltage > min(caps)


def _caps(context: Context) -> list[float]:
    """The import limits (W) peak shaving keeps: the maximum import power and the cap."""
    site = context.site
    return [finite(cap) for cap in (site.max_import_power, site.v2x.import_cap) if cap is not None]


def _peak(context: Context, room: Room) -> Need:
    """The import above the fuse (less the margin) per phase, and above the import cap."""
    site = context.site
    voltage = context.voltage
    margin = max(0.0, finite(site.settings.safety_margin))
    load = [room.base[p] + room.fixed[p] for p in ALL_PHASES]
    over = [max(0.0, load[p] - (finite(site.grid_limit[p]) - margin)) for p in ALL_PHASES]
    caps = _caps(context)
    total = 0.0
    if caps:
        live = sum(1 for value in site.grid_limit if finite(value) > 0) or THREE_PHASES
        allowed = min(caps) - margin * voltage * live
        total = max(0.0, sum(load) * voltage - allowed)
    return Need(phase=over, total=total)
