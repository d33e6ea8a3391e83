"""V2X: the discharge in the answer and in the memory of each connector that may discharge."""

from __future__ import annotations

from dataclasses import replace

from .constants import ALL_PHASES
from .context import Context
from .model import Allocation, ConnectorMemory, PhaseCurrents


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
        )
        answer = replace(allocation, discharge=amount, changed=changed)
        before = previous.get(cid)
        allocations[cid] = before if before == answer else answer
        memories[cid] = memory
    return (total[0], total[1], total[2])
