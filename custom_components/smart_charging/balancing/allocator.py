"""The entry point: one snapshot of the site in, a target per connector out.

1. Classify each connector (offline, non-compliant, no car, mode off, can charge);
   a solar mode whose departure draws near counts as FAST.
2. Budget: non-EV load and what is left under every limit (or the static budget
   with the base load when there is no meter, or it is unavailable: failsafe).
   Price mode: the site's plan makes each such connector FAST now or SOLAR.
3. Take what cannot be steered (offline and non-compliant draw) out of it.
4. Solar: surplus, 3→1 phase switching and start/stop hysteresis.
5. Share: grid stage (priority, rotation, max-min fair filling), then solar stage.
6. V2X (`discharge`, only where a connector may discharge): who discharges how much
   for which objective, and a change of direction passes through 0.
7. Dead band (only where holding the last value keeps every limit); ramp was a cap
   inside the filling. Then the new memory of every connector.
"""

from __future__ import annotations

import math

from .budget import apply_budget, reserve_unsteerable
from .classification import make_context
from .constants import NO_CONSTRAINT, THREE_PHASES
from .context import STATUS_REASONS, Context, Status
from .discharge import apply_discharge
from .discharge_answer import answer_v2x
from .failsafe import share_failsafe
from .model import (
    ZERO,
    Allocation,
    ConnectorMemory,
    EngineState,
    LimitReason,
    PhaseCurrents,
    Result,
    SiteInput,
)
from .planner import apply_plan
from .safety import hold_small_changes
from .sharing import share
from .solar import decide_solar, surplus_power

# Reasons that say nothing but the connector's own maximum (or its ramp to it).
_OWN_REASONS = (LimitReason.USER_MAXIMUM, LimitReason.RAMPING)


def allocate(site: SiteInput, previous: EngineState | None) -> Result:
    """Share the site's capacity among its connectors; pure and deterministic."""
    context = make_context(site, previous)
    grid = site.grid_current
    # A meter that is unavailable, or reads NaN or infinity, is no meter: failsafe.
    failsafe = not site.meter_available or (
        grid is not None and not all(math.isfinite(value) for value in grid)
    )
    budget = apply_budget(
        context.net,
        site,
        context.station_draw,
        static=failsafe or grid is None,
        previous=previous,
        rising=context.rising,
    )
    if site.prices:
        context.ev_power = _ev_power(context, budget.ev_budget)
        apply_plan(context, context.ev_power)
    surplus = 0.0
    if failsafe:
        share_failsafe(context)
    else:
        surplus = surplus_power(site, context.solar_drawn)
        decide_solar(context, surplus)
        context.build_members()
        reserve_unsteerable(context)
        share(context, surplus)
    status = context.status
    for i in context.idle:
        context.reason[i] = STATUS_REASONS[status[i]]
        context.bound_by[i] = NO_CONSTRAINT
    for i in context.checking:
        # Nothing bound it but its own maximum: it charges to be checked, say so.
        if context.target[i] > 0 and context.reason[i] in _OWN_REASONS:
            context.reason[i] = LimitReason.CHECKING_CAR
    for i in context.waiting_for_price:
        if context.target[i] <= 0 and status[i] is Status.CHARGE:
            context.reason[i] = LimitReason.CHEAPER_LATER
            context.bound_by[i] = NO_CONSTRAINT
    v2x_base = None
    if context.v2x:
        kept = previous.v2x_base if previous is not None else None
        v2x_base = apply_discharge(context, kept, metered=not failsafe and grid is not None)
    held = _dead_band(context, allow_higher=not budget.overloaded)
    allocations, memories, allocated = _answer(context, held)
    discharging = answer_v2x(context, allocations, memories) if context.v2x else ZERO
    return Result(
        allocations=allocations,
        state=EngineState(
            last_now=context.now,
            connectors=memories,
            allocations=allocations,
            # Static budgets (no meter, failsafe) keep no memory: a meter coming back
            # starts from its own first reading.
            non_ev_load=None if failsafe or grid is None else budget.settled,
            non_ev_falling_since=budget.falling_since,
            v2x_base=v2x_base,
        ),
        non_ev_load=budget.non_ev_load,
        ev_budget=budget.ev_budget,
        allocated=allocated,
        headroom=(
            budget.ev_budget[0] - allocated[0],
            budget.ev_budget[1] - allocated[1],
            budget.ev_budget[2] - allocated[2],
        ),
        failsafe=failsafe,
        overloaded=budget.overloaded,
        surplus_power=surplus,
        discharging=discharging,
        recheck_at=context.recheck_at,
    )


def _ev_power(context: Context, ev_budget: PhaseCurrents) -> float:
    """What the cars may draw in total now (W): the phases' budgets, within max import."""
    power = sum(ev_budget) * context.voltage
    net = context.net
    if net.import_k is not None:
        power = min(power, net.capacity[net.import_k])
    return power


def _dead_band(context: Context, *, allow_higher: bool) -> set[int]:
    memories = context.memories
    target = context.target
    phase_count = context.phase_count
    charge = Status.CHARGE
    holdable = [
        i
        for i, status in enumerate(context.status)
        if status is charge
        and target[i] > 0
        and (memory := memories[i]).sent > 0
        and memory.sent_at is not None
        and phase_count[i] == memory.phases
    ]
    if len(set(context.priority)) > 1:
        order = [-priority for priority in context.priority]
        holdable.sort(key=order.__getitem__)  # stable: by station and id within a priority
    return hold_small_changes(
        holdable,
        target,
        [memory.sent for memory in memories],
        context.min_current,
        context.ceiling,
        context.members,
        context.net.capacity,
        context.site.settings.dead_band,
        allow_higher=allow_higher,
        sums=context.sums,
    )


def _answer(  # noqa: PLR0915 - one hot loop over every connector, kept inline for speed
    context: Context, held: set[int]
) -> tuple[dict[str, Allocation], dict[str, ConnectorMemory], PhaseCurrents]:
    """The allocations and the new memory of every connector."""
    now = context.now
    net = context.net
    labels: dict[int, str | None] = {NO_CONSTRAINT: None}
    previous = context.previous_allocations
    allocations: dict[str, Allocation] = {}
    memories: dict[str, ConnectorMemory] = {}
    allocated = [0.0, 0.0, 0.0]
    old_memories = context.memories
    targets = context.target
    phase_counts = context.phase_count
    switchable = context.switchable
    drawing_phases = context.phases
    reasons = context.reason
    bound_by = context.bound_by
    forced = context.deadline
    planned_start = context.planned_start
    planned_until = context.planned_until
    car_limit = context.car_limit
    car_limit_since = context.car_limit_since
    car_checked = context.car_checked
    charge = Status.CHARGE
    non_compliant_status = Status.NON_COMPLIANT
    statuses = context.status
    solar_on = context.solar_on
    solar_energy = context.solar_energy
    phase_since = context.phase_since
    over = context.over_since
    for i, connector in enumerate(context.connectors):
        memory = old_memories[i]
        current = targets[i]
        status = statuses[i]
        phase_count = phase_counts[i] if switchable[i] else THREE_PHASES
        changed = i not in held and (
            memory.sent_at is None or current != memory.sent or phase_count != memory.phases
        )
        if current > 0:
            for phase in drawing_phases[i]:
                allocated[phase] += current
        cid = connector.connector_id
        reason = reasons[i]
        k = bound_by[i]
        if k in labels:
            label = labels[k]
        else:
            label = labels[k] = net.label(k)
        deadline = i in forced
        start = planned_start[i]
        allocation = previous.get(cid)
        if (
            reason is LimitReason.RAMPING
            and allocation is not None
            and allocation.current == current
            and allocation.reason is not LimitReason.RAMPING
        ):
            # A ramp that did not move it (two calls in the same instant) names nothing
            # new: the constraint that bound it before still does.
            reason, label = allocation.reason, allocation.constraint
        if (
            allocation is None
            or allocation.current != current
            or allocation.changed != changed
            or allocation.reason is not reason
            or allocation.phases != phase_count
            or allocation.constraint != label
            or allocation.deadline != deadline
            or allocation.planned_start != start
        ):
            allocation = Allocation(
                connector_id=cid,
                current=current,
                phases=phase_count,
                reason=reason,
                changed=changed,
                constraint=label,
                deadline=deadline,
                planned_start=start,
            )
        allocations[cid] = allocation
        served_since = waiting_since = None
        if status is charge:
            if current > 0:
                served_since = memory.served_since
                if served_since is None:
                    served_since = now
            else:
                waiting_since = memory.waiting_since
                if waiting_since is None:
                    waiting_since = now
        elif status is non_compliant_status:
            served_since, waiting_since = memory.served_since, memory.waiting_since
        sent_at = now if changed else memory.sent_at
        if not (
            memory.sent == current
            and memory.sent_at == sent_at
            and memory.phases == phase_count
            and memory.solar_on == solar_on[i]
            and memory.solar_energy == solar_energy[i]
            and memory.phase_since == phase_since[i]
            and memory.waiting_since == waiting_since
            and memory.served_since == served_since
            and memory.over_since == over[i]
            and memory.non_compliant == (status is non_compliant_status)
            and memory.deadline == deadline
            and memory.planned_until == planned_until[i]
            and memory.car_limit == car_limit[i]
            and memory.car_limit_since == car_limit_since[i]
            and memory.car_checked == car_checked[i]
        ):
            memory = ConnectorMemory(
                sent=current,
                sent_at=sent_at,
                phases=phase_count,
                solar_on=solar_on[i],
                solar_energy=solar_energy[i],
                phase_since=phase_since[i],
                waiting_since=waiting_since,
                served_since=served_since,
                over_since=over[i],
                non_compliant=status is non_compliant_status,
                deadline=deadline,
                planned_until=planned_until[i],
                car_limit=car_limit[i],
                car_limit_since=car_limit_since[i],
                car_checked=car_checked[i],
            )
        memories[cid] = memory
    return allocations, memories, (allocated[0], allocated[1], allocated[2])
