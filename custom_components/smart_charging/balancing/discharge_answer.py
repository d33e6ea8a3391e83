"""V2X: the discharge in the answer and in the memory of each connector that may discharge."""

from __future__ import annotations

from dataclasses import replace

from .constants import ALL_PHASES
from .context import Context
from .model import Allocation, ConnectorMemory, DischargeObjective, PhaseCurrents


def discharge_phases(context: Context, i: int) -> tuple[int, ...]:
    """The grid phases car i discharges on: all three for a DC station, else its own."""
    v2x = context.connectors[i].v2x
    return ALL_PHASES if v2x is not None and v2x.dc else context.phases[i]


def answer_v2x(
    context: Context, allocations: dict[str, Allocation], memories: dict[str, ConnectorMemory]
) -> PhaseCurrents:
    """Add the discharges to the allocations and memories; returns their sum per phase.

    A discharge that changed is reported as changed (and remembered as sent now), like a
    current; an unchanged allocation is handed out again as the same object.
    """
    now = context.now
    window = context.site.settings.response_time
    record = _steered(context)
    previous = context.previous_allocations
    total = [0.0, 0.0, 0.0]
    for i in context.v2x:
        cid = context.connectors[i].connector_id
        amount = context.discharge.get(i, 0.0)
        if amount > 0:
            for p in discharge_phases(context, i):
                total[p] += amount
        old = context.memories[i]
        memory = memories[cid]
        allocation = allocations[cid]
        changed = allocation.changed or amount != old.discharge
        discharged = amount > 0 or (old.discharged and allocation.current <= 0)
        memory = replace(
            memory,
            sent_at=now if changed else old.sent_at,
            discharge=amount,
            discharged=discharged,
            recent=_recent(old, now, window, memory.sent - amount)
            if changed and record
            else old.recent,
        )
        answer = replace(allocation, discharge=amount, changed=changed)
        before = previous.get(cid)
        allocations[cid] = before if before == answer else answer
        memories[cid] = memory
    return (total[0], total[1], total[2])


def _steered(context: Context) -> bool:
    """Some connector may discharge (an objective, a request) or did: the setpoints matter.

    With every objective off the memory stays exactly what it is without V2X.
    """
    site_objective = context.site.v2x.objective
    for i in context.v2x:
        if context.memories[i].discharged:
            return True
        v2x = context.connectors[i].v2x
        if v2x is None:
            continue
        objective = v2x.objective or site_objective
        if v2x.requested is not None or objective is not DischargeObjective.OFF:
            return True
    return False


def _recent(
    old: ConnectorMemory, now: float, window: float, setpoint: float
) -> tuple[tuple[float, float], ...]:
    """`ConnectorMemory.recent` once `setpoint` (signed) is sent now."""
    recent = list(old.recent)
    if not recent and old.sent_at is not None:
        recent.append((old.sent_at, old.sent - old.discharge))
    while len(recent) > 1 and recent[1][0] <= now - window:
        del recent[0]  # the car left it: the next one was sent long enough ago
    recent.append((now, setpoint))
    return tuple(recent)
