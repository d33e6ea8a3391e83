"""V2X: the most one car may discharge now, whatever the site needs.

Its maximum (station, car, user), a request, the ramp, the reserve and the departure.
The reserve: it discharges only while the energy above it covers `response_time` of
discharging at its rate (what it takes to stop), so not a second below it; it stops
once that is no longer so, and starts again only `RESERVE_RESTART` % above it. The
departure: only while what it must charge back (the energy still wanted, the target
SoC, and `response_time` of this discharge refilled) still fits by the departure at its
maximum, with the deadline's margin and buffer (`deadline.energy_room`, the rule that
makes a car charge for its departure).
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from .constants import RESERVE_RESTART, SECONDS_PER_HOUR
from .context import Context
from .deadline import energy_room, energy_wanted
from .model import V2XInput, V2XSettings
from .network import finite
from .safety import ramp_ceiling

RESERVE = "battery reserve"
DEPARTURE = "departure"


@dataclass(frozen=True, slots=True)
class Cap:
    """A per phase a car may discharge, and what bounds it."""

    value: float
    bound: str | None  # RESERVE, DEPARTURE, or None (its maximum, a request, the ramp)
    reserve_held: bool  # 0 because of the reserve (or an unknown SoC)


def efficiencies(v2x: V2XSettings) -> tuple[float, float]:
    """Charge and discharge efficiency, each in (0, 1] (1 where the setting is not)."""
    charge, discharge = finite(v2x.charge_efficiency), finite(v2x.discharge_efficiency)
    return (charge if 0 < charge <= 1 else 1.0, discharge if 0 < discharge <= 1 else 1.0)


def discharge_cap(
    context: Context, i: int, v2x: V2XInput, phases: int, *, ramp: bool = True
) -> Cap:
    """What car i may discharge on each of its `phases` grid phases now.

    `ramp` False: its increase is not rate-limited (it relieves a limit exceeded now).
    """
    connector = context.connectors[i]
    settings = context.site.settings
    memory = context.memories[i]
    high = max(0.0, finite(v2x.max_discharge_current))
    if v2x.requested is not None:
        high = min(high, max(0.0, finite(v2x.requested)))
    if ramp:
        rate = max(0.0, finite(settings.ramp_up_rate))
        high = min(high, ramp_ceiling(memory.discharge, context.min_current[i], rate, context.dt))
    charge_eff, discharge_eff = efficiencies(context.site.v2x)
    # Wh the battery gives (or the grid gives back) per A of discharge over response_time.
    per_amp = phases * context.voltage * max(1.0, settings.response_time) / SECONDS_PER_HOUR
    reserve = reserve_energy(v2x, no_departure=connector.departure is None)
    if (
        reserve <= 0
        or reserve <= memory.discharge * per_amp / discharge_eff
        # Not discharging: it starts only RESERVE_RESTART % above its floor.
        or (memory.discharge <= 0 and reserve < RESERVE_RESTART / 100 * finite(v2x.capacity))
    ):
        return Cap(0.0, RESERVE, reserve_held=True)
    cap = Cap(high, None, reserve_held=False)
    by_reserve = reserve * discharge_eff / per_amp
    if by_reserve < cap.value:
        cap = Cap(by_reserve, RESERVE, reserve_held=False)
    if connector.departure is not None:
        room = energy_room(context, i, connector, connector.departure)
        spare = room - charge_back(context, i, v2x)
        by_departure = spare * charge_eff * discharge_eff / per_amp if spare > 0 else 0.0
        if by_departure < cap.value:
            cap = Cap(by_departure, DEPARTURE, reserve_held=False)
    return cap


def charge_back(context: Context, i: int, v2x: V2XInput) -> float:
    """Wh (grid side) car i must still charge by its departure: its energy or SoC target."""
    connector = context.connectors[i]
    wanted = energy_wanted(connector, context.site.settings)
    if v2x.target_soc is None or v2x.soc is None:
        return wanted
    charge_eff, _discharge_eff = efficiencies(context.site.v2x)
    missing = (finite(v2x.target_soc) - finite(v2x.soc)) / 100 * finite(v2x.capacity)
    return max(wanted, missing / charge_eff)


def reserve_energy(v2x: V2XInput, *, no_departure: bool) -> float:
    """Wh in the battery above its reserve (0 when the SoC is unknown or below it).

    Without a departure the target SoC is a floor too: the car may leave at any moment.
    """
    soc, capacity = v2x.soc, finite(v2x.capacity)
    if soc is None or not math.isfinite(soc) or capacity <= 0:
        return 0.0
    floor = finite(v2x.reserve_soc)
    if no_departure and v2x.target_soc is not None:
        floor = max(floor, finite(v2x.target_soc))
    return max(0.0, (soc - floor) / 100 * capacity)
