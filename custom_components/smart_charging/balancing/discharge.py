"""V2X: which cars discharge, how much and why; after the charge-only sharing.

A connector may discharge when its input allows it (`V2XInput.allowed`), it has a car,
it is online and compliant, the grid meter works, and it does not charge for its
departure (nor a moment to be checked). A request (`V2XInput.requested`) wins over the
charging mode and the objective; an objective only uses a car the sharing gave nothing
(waiting for surplus, cheaper hours or its minimum), except the grid signal, which
steers its cars both ways. A car that discharges does not charge.

The needs are served in a fixed order, each from what the ones before left: requests,
peak shaving, self-consumption, the grid signal, price. Within a need the cars share
max-min fair (`discharge_fill`), each within its own cap (`discharge_caps`: maximum,
ramp, reserve, departure). A car that would discharge but sits at its reserve says so
(HOLDING_RESERVE), and a change of direction passes through 0 (`direction`).
"""

from __future__ import annotations

import math

from .constants import NO_CONSTRAINT, SECONDS_PER_HOUR
from .context import Context, Status
from .direction import discharge_waits, drop_charge, hold_direction
from .discharge_answer import discharge_phases
from .discharge_caps import RESERVE, charge_back, discharge_cap, efficiencies, reserve_energy
from .discharge_fill import Car, Labels, has_room, share_need
from .discharge_need import UNBOUNDED, Need, need_of, over_limit
from .discharge_room import Room, house_load
from .grid_signal import follow_signal
from .model import DischargeObjective, LimitReason
from .planner import slot_under_way, worth_discharging

# A car that may not charge (its maximum is below its minimum) may still discharge.
_MAY_DISCHARGE = (Status.CHARGE, Status.UNABLE)
_ORDER: tuple[DischargeObjective | None, ...] = (
    None,  # requested
    DischargeObjective.PEAK_SHAVING,
    DischargeObjective.SELF_CONSUMPTION,
    DischargeObjective.GRID_SIGNAL,
    DischargeObjective.PRICE,
)
_REASONS = {
    None: LimitReason.DISCHARGE_REQUESTED,
    DischargeObjective.PEAK_SHAVING: LimitReason.DISCHARGING_PEAK,
    DischargeObjective.SELF_CONSUMPTION: LimitReason.DISCHARGING_HOUSE,
    DischargeObjective.GRID_SIGNAL: LimitReason.DISCHARGING_SIGNAL,
    DischargeObjective.PRICE: LimitReason.DISCHARGING_PRICE,
}


def apply_discharge(
    context: Context, kept: tuple[float, float, float] | None, *, metered: bool
) -> tuple[float, float, float] | None:
    """Decide the discharges (context.discharge); returns the house load to remember.

    `kept`: the house load used last time; `metered`: the grid meter works (without it
    nothing discharges: neither the house's load nor the export is known).
    """
    base = None
    groups = _candidates(context) if metered else {}
    if groups:
        room, base = house_load(context, kept)
        labels = Labels(context)
        for key in _ORDER:
            indices = groups.get(key)
            if indices:
                _serve(context, key, indices, room, labels)
    hold_direction(context)
    return base


def _candidates(context: Context) -> dict[DischargeObjective | None, list[int]]:
    """The connectors that may discharge now, by need (None: requested)."""
    site = context.site
    groups: dict[DischargeObjective | None, list[int]] = {}
    for i in context.v2x:
        v2x = context.connectors[i].v2x
        if (
            v2x is None
            or not v2x.allowed
            or context.status[i] not in _MAY_DISCHARGE
            or i in context.deadline
            or i in context.checking
        ):
            continue
        key: DischargeObjective | None = None
        if v2x.requested is not None:
            if not v2x.requested > 0:
                continue  # 0: not at all; it charges as its mode says
        else:
            key = v2x.objective or site.v2x.objective
            if key is DischargeObjective.OFF:
                continue
            if key is DischargeObjective.GRID_SIGNAL:
                if site.v2x.grid_signal is None or not math.isfinite(site.v2x.grid_signal):
                    continue
            elif context.target[i] > 0:
                continue  # it charges: its mode wins
        groups.setdefault(key, []).append(i)
    return groups


def _serve(
    context: Context,
    key: DischargeObjective | None,
    indices: list[int],
    room: Room,
    labels: Labels,
) -> None:
    """Share one need among its cars (see the module)."""
    need = UNBOUNDED if key is None else need_of(context, key, room)
    if key is DischargeObjective.GRID_SIGNAL and need.total <= 0:
        follow_signal(context, indices, room)  # it asks for import: they charge
        return
    steered = key is None or key is DischargeObjective.GRID_SIGNAL
    # A fuse or the cap exceeded now: more discharge is a relief, never rate-limited.
    ramp = not (key is DischargeObjective.PEAK_SHAVING and over_limit(context))
    cars: list[Car] = []
    for i in indices:
        v2x = context.connectors[i].v2x
        if v2x is None:  # pragma: no cover - a candidate has its V2X input
            continue
        if steered:
            drop_charge(context, i)  # asked to discharge: it does not charge either
        phases = discharge_phases(context, i)
        cap = discharge_cap(context, i, v2x, len(phases), ramp=ramp)
        cars.append(Car(i, phases, v2x.dc, cap, _REASONS[key], held=False))
    if key is DischargeObjective.PRICE:
        worth = _worth(context, cars)
        cars = [car for car in cars if car.i in worth]
    sharing: list[Car] = []
    for car in cars:
        if not need.wants(car.phases):
            continue
        if not has_room(context, car, room):
            sharing.append(car)  # it gets nothing, and says which limit is full
        elif car.cap.reserve_held:
            _say(context, car.i, LimitReason.HOLDING_RESERVE, labels.of(RESERVE))
        elif discharge_waits(context, car.i):
            drop_charge(context, car.i)
            _say(context, car.i, LimitReason.CHANGING_DIRECTION, NO_CONSTRAINT)
        else:
            sharing.append(car)
    shared = share_need(
        context,
        sharing,
        Need(list(need.phase), need.total),
        room,
        labels,
        hard=key is DischargeObjective.PEAK_SHAVING,
    )
    for i, (amount, bound) in shared.items():
        if amount > 0:
            drop_charge(context, i)
            context.discharge[i] = amount
            _say(context, i, _REASONS[key], bound)
        elif steered:
            _say(context, i, _STEERED[key], bound)


# A car asked to discharge that gets nothing: why.
_STEERED = {
    None: LimitReason.DISCHARGE_REQUESTED,
    DischargeObjective.GRID_SIGNAL: LimitReason.GRID_SIGNAL,
}


def _worth(context: Context, cars: list[Car]) -> set[int]:
    """Price objective: the cars for which discharging now pays (see `planner`)."""
    if not context.site.prices:
        return set()
    _price, ends = slot_under_way(context.now, context.site.prices)
    hours = max(0.0, ends - context.now) / SECONDS_PER_HOUR
    _charge_eff, discharge_eff = efficiencies(context.site.v2x)
    refills: dict[int, tuple[float, float]] = {}
    for car in cars:
        v2x = context.connectors[car.i].v2x
        if v2x is None or context.connectors[car.i].departure is None:
            continue
        most = car.cap.value * len(car.phases) * context.voltage * hours
        above = reserve_energy(v2x, no_departure=False) * discharge_eff
        refills[car.i] = (charge_back(context, car.i, v2x), min(most, above))
    return worth_discharging(context, refills) if refills else set()


def _say(context: Context, i: int, reason: LimitReason, bound: int) -> None:
    context.reason[i] = reason
    context.bound_by[i] = bound
