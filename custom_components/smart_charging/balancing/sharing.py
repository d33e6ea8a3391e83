"""The sharing itself: grid stage, then solar stage.

Grid stage: FAST connectors, and MIN_SOLAR ones for their minimum. Who gets a minimum
is decided first (priority, then rotation), every minimum is reserved, then priority
classes are filled from the highest, max-min fair within a class. Within a class, a
FAST car with a departure and an energy target is first filled only up to the current
that still gets it there in time (with the deadline's margin and buffer); beyond that
it gives way: the others of its class are filled, then it takes what they left. A car
that told its departure will be ready; one that did not may leave at any moment, and
what it gets now is all it surely gets.

Solar stage: what the grid stage left, SOLAR connectors that the hysteresis has on
and MIN_SOLAR ones above their minimum share the surplus (one more constraint, in W),
still within every fuse, circuit, station and import limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .admission import give_minimums
from .constants import EPS, NO_CONSTRAINT, OWN_CAP
from .context import Context, Status
from .deadline import departure_power, energy_wanted
from .model import LimitReason, Mode
from .network import Pairs
from .waterfill import fill

SOLAR_LABEL = "solar surplus"


def _by_priority(items: Iterable[int], context: Context) -> list[list[int]]:
    """Items grouped by priority class, highest first."""
    classes: dict[int, list[int]] = {}
    priorities = context.priority
    for i in items:
        priority = priorities[i]
        group = classes.get(priority)
        if group is None:
            classes[priority] = [i]
        else:
            group.append(i)
    return [classes[priority] for priority in sorted(classes, reverse=True)]


def settle(context: Context, items: Sequence[int], caps: Sequence[float], bind: list[int]) -> None:
    """Reasons for filled items: the constraint that froze them, or their own cap."""
    reasons = context.net.reasons
    max_current = context.max_current
    for i in items:
        k = bind[i]
        if k == OWN_CAP:
            if caps[i] < max_current[i]:
                context.reason[i] = LimitReason.RAMPING
            elif i in context.external_limited:
                context.reason[i] = LimitReason.EXTERNAL_LIMIT
            elif i in context.car_limited:
                context.reason[i] = LimitReason.CAR_LIMIT
            else:
                context.reason[i] = LimitReason.USER_MAXIMUM
            context.bound_by[i] = NO_CONSTRAINT
        else:
            context.reason[i] = reasons[k]
            context.bound_by[i] = k


def _wait(context: Context, blocked: dict[int, int]) -> None:
    for i, k in blocked.items():
        context.target[i] = 0.0
        context.reason[i] = LimitReason.WAITING_FOR_MINIMUM
        context.bound_by[i] = k


def share(context: Context, surplus: float) -> None:
    """The grid stage, then the solar stage; results in context.target/reason/bound_by."""
    connectors = context.connectors
    net = context.net
    n = len(connectors)
    surplus_k = net.add(surplus, LimitReason.SOLAR_SURPLUS, SOLAR_LABEL)
    floors = context.min_current
    max_current = context.max_current
    memories = context.memories
    caps = [0.0] * n
    blocked: dict[int, int] = {}

    dt = context.dt
    rate = max(0.0, context.site.settings.ramp_up_rate)
    grid: list[int] = []
    solar: list[int] = []
    fast, min_solar = Mode.FAST, Mode.MIN_SOLAR
    for i, status in enumerate(context.status):
        if status is not Status.CHARGE:
            continue
        low = floors[i]
        high = max_current[i]
        context.ceiling[i] = high
        if dt is not None:  # the ramp: see safety.ramp_ceiling
            ramp = memories[i].sent + rate * dt
            if ramp < high:
                high = ramp if ramp > low else low
        caps[i] = high if high > low else low
        mode = connectors[i].mode
        if mode is fast or mode is min_solar:
            grid.append(i)
        elif context.solar_on[i]:
            solar.append(i)
        else:
            context.reason[i] = LimitReason.SOLAR_SURPLUS
            context.bound_by[i] = surplus_k

    partial = _grid_stage(context, grid, caps, blocked)
    _solar_stage(
        context, partial + give_minimums(context, solar, blocked), caps, surplus, surplus_k
    )
    _wait(context, blocked)


def _grid_stage(
    context: Context, grid: list[int], caps: list[float], blocked: dict[int, int]
) -> list[int]:
    """FAST connectors, and MIN_SOLAR ones up to their minimum; returns the latter.

    Strict priority: a class is served up to its caps before the next lower class gets
    even its minimums (a short DC session at priority 1 is not held to a share by the
    minimums of cars that stay all day).
    """
    floors = context.min_current
    grid_caps = list(caps)
    level = context.target
    bind = [OWN_CAP] * len(caps)
    capacity = context.net.capacity
    admitted: list[int] = []
    partial: list[int] = []
    held: list[int] = []
    for candidates in _by_priority(grid, context):
        group = give_minimums(context, candidates, blocked)
        admitted.extend(group)
        for i in group:
            if context.connectors[i].mode is Mode.MIN_SOLAR:
                partial.append(i)
                grid_caps[i] = floors[i]
        patient = on_schedule(context, group, grid_caps) if context.patient else {}
        full = {i: grid_caps[i] for i in patient}
        for i, needed in patient.items():
            grid_caps[i] = needed
        fill(
            group,
            floors,
            grid_caps,
            context.members,
            capacity,
            level,
            bind,
            context.members_of,
            context.sums,
        )
        if patient:
            held.extend(_take_what_is_left(context, patient, full, grid_caps, bind))
    settle(context, admitted, grid_caps, bind)
    for i in held:
        context.reason[i] = LimitReason.ON_SCHEDULE
    return partial


def on_schedule(context: Context, group: Sequence[int], caps: Sequence[float]) -> dict[int, float]:
    """The patient connectors of `group` and the current (A) their departure needs now.

    Only those that need less than their cap: the energy still wanted, with the deadline's
    margin, over the time to the departure less the deadline's buffer (the same test that
    makes a solar car charge as FAST: a car needs its maximum exactly when that one fires).
    """
    settings = context.site.settings
    patient = context.patient
    connectors = context.connectors
    out: dict[int, float] = {}
    for i in group:
        if i not in patient:
            continue
        connector = connectors[i]
        power = departure_power(
            energy_wanted(connector, settings),
            (connector.departure or 0.0) - context.now,
            settings,
        )
        needed = power / (context.voltage * len(context.phases[i]))
        if needed < caps[i] - EPS:
            out[i] = max(needed, context.min_current[i])
    return out


def _take_what_is_left(
    context: Context,
    patient: dict[int, float],
    full: dict[int, float],
    caps: list[float],
    bind: list[int],
) -> list[int]:
    """Fill the patient connectors on from what they got towards their caps.

    Returns those held at what their departure needs: they got all of it first, and
    nothing more because their class took the rest.
    """
    level = context.target
    items = list(patient)
    got = {i: level[i] for i in items}
    first = {i: bind[i] for i in items}
    for i in items:
        caps[i] = full[i]
    fill(
        items,
        list(level),
        caps,
        context.members,
        context.net.capacity,
        level,
        bind,
        context.members_of,
        context.sums,
    )
    for i in items:
        if first[i] != OWN_CAP and level[i] <= got[i] + EPS:
            # Held below its need by a limit, it gained nothing: that limit binds it,
            # not whichever other full limit the second fill saw first.
            bind[i] = first[i]
    return [
        i
        for i in items
        if bind[i] != OWN_CAP and got[i] >= patient[i] - EPS and level[i] <= got[i] + EPS
    ]


def _solar_stage(
    context: Context, items: list[int], caps: list[float], surplus: float, surplus_k: int
) -> None:
    """What the surplus allows on top, within every limit (one more constraint, in W)."""
    if not items:
        return
    floors = context.min_current
    voltage = context.voltage
    phases = context.phases
    members = context.members
    capacity = context.net.capacity
    with_surplus: list[Pairs] = list(members)
    extras: list[Pairs] = list(context.extras)
    taken = 0.0
    for i in items:
        power = len(phases[i]) * voltage
        taken += floors[i] * power
        with_surplus[i] = (*members[i], (surplus_k, power))
        extras[i] = (*extras[i], (surplus_k, power))
    capacity[surplus_k] = max(0.0, surplus - taken)

    def aggregate(batch: Sequence[int]) -> list[float]:
        return context.sums(batch, extras=extras)

    bind = [OWN_CAP] * len(caps)
    for group in _by_priority(items, context):
        fill(
            group,
            floors,
            caps,
            with_surplus,
            capacity,
            context.target,
            bind,
            context.members_of,
            aggregate,
        )
    settle(context, items, caps, bind)
