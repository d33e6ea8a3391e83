"""V2X: sharing one need among the cars that discharge for it, max-min fair.

Water-filling (`waterfill.fill`) as for charging, in the reverse direction: every car
rises from 0 towards its cap (`discharge_caps`) and freezes when one of its limits is
full. Its limits: the export bound of each grid phase it discharges on (the fuse less
the margin, beyond what the house draws), each station and circuit on its way (their
limit less the margin), the site's export limit (W), and with `export_car_energy` off
the house's import (per phase for an AC car, net over the phases for a DC one). Cars
on fewer phases go first; cars on the same phases share what is worth discharging on
them (see `share_need`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .constants import ALL_PHASES, EPS, NO_CONSTRAINT, NO_PHASE, OWN_CAP
from .context import Context
from .discharge_caps import Cap
from .discharge_need import Need
from .discharge_room import Room, reverse_room
from .model import LimitReason
from .safety import hold_small_changes, hold_small_discharges
from .waterfill import fill

EXPORT_LIMIT = "export limit"
HOUSE_IMPORT = "house import"


@dataclass(slots=True)
class Car:
    """One car that may discharge for a need."""

    i: int
    phases: tuple[int, ...]  # the grid phases it discharges on
    dc: bool
    cap: Cap
    reason: LimitReason  # why it discharges
    held: bool  # it changes direction: nothing yet (see `direction`)


class Labels:
    """Constraints named only for display (a discharge bound by them), added once a call."""

    def __init__(self, context: Context) -> None:
        """Nothing named yet."""
        self.context = context
        self.known: dict[tuple[str, int], int] = {}

    def of(self, name: str | None, phase: int = NO_PHASE) -> int:
        """The network index of a display-only constraint (NO_CONSTRAINT for None)."""
        if name is None:
            return NO_CONSTRAINT
        k = self.known.get((name, phase))
        if k is None:
            k = self.known[name, phase] = self.context.net.add(
                0.0, LimitReason.GRID_LIMIT, name, phase
            )
        return k


def share_need(
    context: Context,
    cars: list[Car],
    need: Need,
    room: Room,
    labels: Labels,
    *,
    hard: bool = False,
) -> dict[int, tuple[float, int]]:
    """Each car's discharge (A per phase) and the constraint that bound it.

    Cars are shared out by the phases they discharge on, fewest phases first (a 1-phase
    car helps only its own phase; a car on three phases helps every phase alike). Cars
    on the same phases take together what is worth it on them: the most any of those
    phases needs, or the total need spread over them; the need left goes on. `hard`:
    the need is a limit (peak shaving), the dead band never holds a discharge below it.
    """
    out: dict[int, tuple[float, int]] = {}
    voltage = context.voltage
    by_phases: dict[tuple[int, ...], list[Car]] = {}
    for car in cars:
        by_phases.setdefault(car.phases, []).append(car)
    for phases in sorted(by_phases, key=lambda phases: (len(phases), phases)):
        group = by_phases[phases]
        worth = max(*(need.phase[p] for p in phases), need.total / (len(phases) * voltage))
        done = _pass(context, group, room, worth, labels, hard=hard)
        out.update(done)
        for car in group:
            amount = done[car.i][0]
            for p in phases:
                need.phase[p] = max(0.0, need.phase[p] - amount)
            need.total = max(0.0, need.total - amount * len(phases) * voltage)
    return out


def _least(*options: tuple[float, int]) -> tuple[float, int]:
    """The smallest capacity and its constraint; the first among equals."""
    best = options[0]
    for option in options[1:]:
        if option[0] < best[0]:
            best = option
    return best


# Local constraint indices of `_pass`, after the three phases' export bounds (0-2).
_HOUSE = 3  # the house's import per phase, 3-5 (AC cars)
_TOTAL = 6  # W: the export limit, or the house's net import
_WORTH = 7  # what is worth discharging on these phases


def _pass(
    context: Context, cars: list[Car], room: Room, worth: float, labels: Labels, *, hard: bool
) -> dict[int, tuple[float, int]]:
    """One water-filling over `cars` (all on the same phases); takes it out of `room`."""
    voltage = context.voltage
    total = _least(
        (room.total, labels.of(EXPORT_LIMIT)), (room.house_total, labels.of(HOUSE_IMPORT))
    )
    capacity = [*room.phase, *room.house_phase, total[0], worth]
    owner = [
        *ALL_PHASES,
        *(labels.of(HOUSE_IMPORT, p) for p in ALL_PHASES),
        total[1],
        NO_CONSTRAINT,
    ]
    local: dict[int, int] = {}
    members: list[list[tuple[int, float]]] = []
    paths: list[list[int]] = []
    net = context.net
    for car in cars:
        pairs = [(_TOTAL, len(car.phases) * voltage), (_WORTH, 1.0)]
        own: list[int] = []
        station_paths = net.paths(context.connectors[car.i].station_id)
        for p in car.phases:
            if not car.dc:
                pairs.append((_HOUSE + p, 1.0))
            for k, _w in station_paths[p]:
                if k == p:  # the grid phase ends every path
                    pairs.append((p, 1.0))
                    continue
                j = local.get(k)
                if j is None:
                    j = local[k] = len(capacity)
                    capacity.append(reverse_room(context, room, k))
                    owner.append(k)
                pairs.append((j, 1.0))
                own.append(k)
        members.append(pairs)
        paths.append(own)
    by_constraint: dict[int, list[int]] = {}
    for j, pairs in enumerate(members):
        for k, _w in pairs:
            by_constraint.setdefault(k, []).append(j)

    def members_of(k: int, _among: Sequence[int]) -> Iterable[int]:
        return by_constraint.get(k, ())

    n = len(cars)
    caps = [0.0 if car.held else car.cap.value for car in cars]
    level = [0.0] * n
    bind = [OWN_CAP] * n
    fill(range(n), [0.0] * n, caps, members, capacity, level, bind, members_of)
    sent = [context.memories[car.i].discharge for car in cars]
    holdable = [j for j in range(n) if level[j] > 0 and sent[j] > 0]
    dead_band = context.site.settings.dead_band
    if hard:
        hold_small_discharges(
            holdable,
            level,
            sent,
            caps,
            members,
            capacity,
            dead_band,
            allow_higher=not room.overloaded,
            floor=_WORTH,
        )
    else:
        hold_small_changes(
            holdable,
            level,
            sent,
            [0.0] * n,
            caps,
            members,
            capacity,
            dead_band,
            allow_higher=not room.overloaded,
        )
    out: dict[int, tuple[float, int]] = {}
    for j, car in enumerate(cars):
        amount = level[j] if level[j] > EPS else 0.0
        if amount:
            room.take(car.phases, amount, paths[j], voltage)
        k = bind[j]
        bound = labels.of(car.cap.bound) if k == OWN_CAP else owner[k]
        out[car.i] = (amount, bound)
    return out


def has_room(context: Context, car: Car, room: Room) -> bool:
    """Every limit on its way leaves it something (before this need is shared)."""
    station_paths = context.net.paths(context.connectors[car.i].station_id)
    for p in car.phases:
        if room.phase[p] <= EPS or (not car.dc and room.house_phase[p] <= EPS):
            return False
        for k, _w in station_paths[p]:
            if k != p and reverse_room(context, room, k) <= EPS:
                return False
    return room.total > EPS and room.house_total > EPS
