"""V2X: the load the cars may discharge into, and how far before a limit is reached.

The house load here is everything that is not a steerable car, signed (PV export is
negative): grid - what every connector reads, plus what offline and non-compliant
connectors discharge (they keep doing it). What they charge is left out: cars never
discharge into other cars' charging, which may stop at any moment, so a discharge is
checked against the house alone.

Late charger readings (see `budget`) are handled the other way round: a rise up to what
recently changed connectors may still add to their readings is theirs, and so is a fall
up to what they may still subtract, each only as far as the value used last time. So
the house load moves only as far as the cars cannot explain: while a car follows a new
setpoint, its stale reading (or a grid meter read a moment before the car followed)
does not look like the house. A phase that exports beyond its limit, or a site beyond
its export limit, is never explained away.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from .constants import ALL_PHASES, THREE_PHASES
from .context import Context
from .network import finite


@dataclass(slots=True)
class Room:
    """The house load and what is left before each limit; discharges use it up."""

    base: list[float]  # A per phase, signed: the load that is not a steerable car
    fixed: list[float]  # A per phase unsteerable connectors charge with (peak load)
    phase: list[float]  # A per phase the cars may discharge before the export bound
    total: float  # W the cars may discharge before the export limit (inf: none)
    # export_car_energy off: A per phase (AC cars) and W in total up to the house's
    # import; inf when the car's energy may go to the grid.
    house_phase: list[float]
    house_total: float
    # Per station or circuit constraint (network index): A left in the reverse direction.
    reverse: dict[int, float]
    overloaded: bool  # an export limit is exceeded now: hold no higher discharge

    def take(
        self, phases: tuple[int, ...], amount: float, paths: list[int], voltage: float
    ) -> None:
        """A car discharges `amount` A on `phases`; `paths` are its station and circuits."""
        for p in phases:
            self.base[p] -= amount
            self.phase[p] = max(0.0, self.phase[p] - amount)
            self.house_phase[p] = max(0.0, self.house_phase[p] - amount)
        power = amount * len(phases) * voltage
        self.total = max(0.0, self.total - power)
        self.house_total = max(0.0, self.house_total - power)
        for k in paths:
            self.reverse[k] = max(0.0, self.reverse[k] - amount)


def house_load(
    context: Context, kept: tuple[float, float, float] | None
) -> tuple[Room, tuple[float, float, float]]:
    """The site's room for discharging now, and the house load to remember for next time.

    `kept`: the house load used last time (None: none).
    """
    site = context.site
    margin = max(0.0, finite(site.settings.safety_margin))
    voltage = context.voltage
    grid = [finite(value) for value in site.grid_current or (0.0, 0.0, 0.0)]
    raw = list(grid)
    for draw in context.station_draw.values():
        for p in ALL_PHASES:
            raw[p] -= draw[p]
    fixed = [0.0, 0.0, 0.0]
    for i in context.unsteerable:
        for p in ALL_PHASES:
            value = context.measured[i][p]
            if value < 0:
                raw[p] += value  # it keeps discharging: that load is covered already
            else:
                fixed[p] += value
    limits = [max(0.0, finite(site.grid_limit[p]) - margin) for p in ALL_PHASES]
    export_limit = site.v2x.export_limit
    allowed = math.inf
    site_over = False
    if export_limit is not None:
        live = sum(1 for value in site.grid_limit if finite(value) > 0) or THREE_PHASES
        allowed = max(0.0, finite(export_limit)) - margin * voltage * live
        site_over = sum(grid) * voltage < -max(0.0, finite(export_limit))
    exporting = [site_over or grid[p] < -limits[p] for p in ALL_PHASES]
    base = _settled(context, raw, kept, exporting)
    room = Room(
        base=list(base),
        fixed=fixed,
        phase=[max(0.0, base[p] + limits[p]) for p in ALL_PHASES],
        total=max(0.0, sum(base) * voltage + allowed),
        house_phase=[math.inf] * 3,
        house_total=math.inf,
        reverse={},
        overloaded=any(exporting),
    )
    if not site.v2x.export_car_energy:
        room.house_phase = [max(0.0, base[p]) for p in ALL_PHASES]
        room.house_total = max(0.0, sum(base)) * voltage
    return room, base


def _settled(
    context: Context,
    raw: list[float],
    kept: tuple[float, float, float] | None,
    exporting: list[bool],
) -> tuple[float, float, float]:
    """The house load to use: late readings of changed connectors are theirs, not the house's.

    The house is somewhere between `raw` less what those connectors may still add and
    `raw` plus what they may still subtract: the value used last time, moved only as far
    as needed to be in there. So a discharge stays steady while the house load does, also
    above a fuse (taking the reading as it is there made the discharge hunt). Without a
    value from last time, or while a phase exports beyond its limit, the cautious one:
    what they may still add is not house load.
    """
    rising = context.rising
    falling = context.falling
    used = [0.0, 0.0, 0.0]
    for p in ALL_PHASES:
        if kept is None or exporting[p]:
            used[p] = raw[p] - rising[p]
        elif raw[p] >= kept[p]:
            used[p] = max(kept[p], raw[p] - rising[p])
        else:
            used[p] = min(kept[p], raw[p] + falling[p])
    return (used[0], used[1], used[2])


def reverse_room(context: Context, room: Room, k: int) -> float:
    """A a station or circuit constraint still takes in the reverse direction."""
    left = room.reverse.get(k)
    if left is None:
        margin = max(0.0, finite(context.site.settings.safety_margin))
        left = room.reverse[k] = max(0.0, context.net.limits[k] - margin)
    return left
