"""Meter unavailable: the failsafe current, within the static budget."""

from __future__ import annotations

from .admission import admission_order, admit
from .budget import reserve_unsteerable
from .context import Context, Status
from .model import LimitReason, Mode
from .safety import ramp_ceiling


def share_failsafe(context: Context) -> None:
    """Meter unavailable: the failsafe current for each, within the static budget.

    A SOLAR connector only if it was charging on surplus (no surplus is known now);
    a failsafe current below a connector's minimum means 0.
    """
    settings = context.site.settings
    connectors = context.connectors
    memories = context.memories
    n = len(connectors)
    need = [0.0] * n
    candidates: list[int] = []
    failsafe_current = max(0.0, settings.failsafe_current)
    for i, status in enumerate(context.status):
        if status is not Status.CHARGE:
            continue
        context.reason[i] = LimitReason.FAILSAFE
        memory = memories[i]
        context.phase_count[i] = memory.phases
        context.phase_since[i] = memory.phase_since
        context.solar_on[i] = memory.solar_on
        context.solar_energy[i] = memory.solar_energy
        value = min(failsafe_current, context.max_current[i])
        if connectors[i].mode is Mode.SOLAR and not memory.solar_on:
            value = 0.0
        if value <= 0 or value < context.min_current[i]:
            continue
        need[i] = value
        context.ceiling[i] = value
        candidates.append(i)
    context.build_members()
    reserve_unsteerable(context)

    blocked: dict[int, int] = {}
    order = admission_order(
        candidates, context.priority, memories, context.now, settings.rotation_interval
    )
    for i in admit(order, need, context.members, context.net.capacity, blocked):
        ramp = ramp_ceiling(
            memories[i].sent, context.min_current[i], settings.ramp_up_rate, context.dt
        )
        context.target[i] = min(need[i], ramp)
    for i, k in blocked.items():
        context.bound_by[i] = k
